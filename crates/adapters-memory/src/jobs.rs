//! Job queues and job records in memory: the embedded default, where the worker runs in the
//! same process.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cubby_domain::{JobId, JobRecord, Queue};
use cubby_ports::{
    DeadLetter, Delivery, JobEnvelope, JobQueue, JobRecords, QueueDepth, RepoError, TenantScope,
};

use crate::partitioned::Partitioned;
use crate::{MemoryStore, read, write};

/// Both queues, every tenant's job records and effect marks.
#[derive(Default)]
pub(crate) struct JobTable {
    queues: HashMap<&'static str, QueueState>,
    records: Partitioned<HashMap<JobId, JobRecord>>,
    effects: Partitioned<HashSet<(JobId, String)>>,
    next_receipt: u64,
}

#[derive(Default)]
struct QueueState {
    /// Jobs and when they may be delivered.
    waiting: VecDeque<(Instant, JobEnvelope)>,
    /// Deliveries in flight, by receipt, with when they become deliverable again.
    in_flight: HashMap<String, (Instant, JobEnvelope)>,
    dead: Vec<DeadLetter>,
}

impl JobTable {
    fn queue(&mut self, queue: Queue) -> &mut QueueState {
        self.queues.entry(queue.as_str()).or_default()
    }
}

#[async_trait]
impl JobQueue for MemoryStore {
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError> {
        write(&self.jobs)
            .queue(queue)
            .waiting
            .push_back((Instant::now() + delay, job.clone()));
        Ok(())
    }

    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        let now = Instant::now();
        let mut table = write(&self.jobs);
        let mut receipt = table.next_receipt;
        let state = table.queue(queue);
        // Deliveries whose worker did not finish in time are delivered again.
        let expired: Vec<String> = state
            .in_flight
            .iter()
            .filter(|(_, (until, _))| *until <= now)
            .map(|(r, _)| r.clone())
            .collect();
        let mut delivered = Vec::new();
        for old in expired {
            if delivered.len() == max {
                break;
            }
            if let Some((_, envelope)) = state.in_flight.remove(&old) {
                receipt += 1;
                let key = receipt.to_string();
                state
                    .in_flight
                    .insert(key.clone(), (now + visibility, envelope.clone()));
                delivered.push(Delivery {
                    envelope,
                    receipt: key,
                });
            }
        }
        let mut index = 0;
        while delivered.len() < max && index < state.waiting.len() {
            if state.waiting[index].0 <= now {
                if let Some((_, envelope)) = state.waiting.remove(index) {
                    receipt += 1;
                    let key = receipt.to_string();
                    state
                        .in_flight
                        .insert(key.clone(), (now + visibility, envelope.clone()));
                    delivered.push(Delivery {
                        envelope,
                        receipt: key,
                    });
                }
            } else {
                index += 1;
            }
        }
        table.next_receipt = receipt;
        Ok(delivered)
    }

    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError> {
        write(&self.jobs)
            .queue(queue)
            .in_flight
            .remove(&delivery.receipt);
        Ok(())
    }

    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.jobs);
        let state = table.queue(queue);
        if state.in_flight.remove(&delivery.receipt).is_some() {
            let mut envelope = delivery.envelope.clone();
            envelope.attempt += 1;
            state.waiting.push_back((Instant::now() + delay, envelope));
        }
        Ok(())
    }

    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.jobs);
        let state = table.queue(queue);
        if state.in_flight.remove(&delivery.receipt).is_some() {
            state.dead.push(DeadLetter {
                envelope: delivery.envelope.clone(),
                reason: reason.to_owned(),
            });
        }
        Ok(())
    }

    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError> {
        Ok(write(&self.jobs)
            .queue(queue)
            .dead
            .iter()
            .take(max)
            .cloned()
            .collect())
    }

    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError> {
        let mut table = write(&self.jobs);
        let state = table.queue(queue);
        Ok(QueueDepth {
            waiting: state.waiting.len() as u64,
            in_flight: state.in_flight.len() as u64,
            dead: state.dead.len() as u64,
        })
    }
}

#[async_trait]
impl JobRecords for MemoryStore {
    async fn insert(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError> {
        write(&self.jobs)
            .records
            .writing(scope)
            .insert(record.id(), record.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: JobId) -> Result<JobRecord, RepoError> {
        read(&self.jobs)
            .records
            .of(scope)
            .and_then(|records| records.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn update(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError> {
        let mut table = write(&self.jobs);
        let stored = table
            .records
            .of_mut(scope)
            .and_then(|records| records.get_mut(&record.id()))
            .ok_or(RepoError::NotFound)?;
        *stored = record.clone();
        Ok(())
    }

    async fn claim_effect(
        &self,
        scope: &TenantScope,
        job: JobId,
        effect: &str,
    ) -> Result<bool, RepoError> {
        Ok(write(&self.jobs)
            .effects
            .writing(scope)
            .insert((job, effect.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::job_queue_contract!(async { MemoryStore::default() });
    cubby_ports::job_records_contract!(async { MemoryStore::default() });
}
