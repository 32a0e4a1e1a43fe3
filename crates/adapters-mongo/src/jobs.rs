//! Job records in the `jobs` collection, and the marks that make a job's effects happen once in
//! the `job_effects` collection.
//!
//! A record's `_id` is the job's id (minted by the server, so unique across tenants); it is
//! read and changed only by `_id` within its tenant, so it needs no index beyond `_id`.
//!
//! An effect mark is a document whose `_id` is `{tenant_id}:{job_id}:{effect}` (the ids hold
//! no `:`, so the effect is everything after the second one). Claiming an effect inserts its
//! mark: of concurrent claims the server lets exactly one insert through and refuses the others
//! with a duplicate key, which answers `false`. The `_id` index is the only one it needs.

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{Actor, FileId, JobId, JobRecord, JobStatus};
use cubby_ports::{JobRecords, RepoError, TenantScope};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::to_bson;
use crate::timed;
use crate::{Mongo, decode, duplicate_key, id_conflict, one_of, scoped, to_repo_error};

/// The job records collection.
pub(crate) const COLLECTION: &str = "jobs";

/// The effect marks collection.
pub(crate) const EFFECTS: &str = "job_effects";

/// A job record as stored. Optional fields are left out when empty, never `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    kind: String,
    status: String,
    attempts: i64,
    done: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result_file: Option<String>,
    requested_by: String,
    created_at: DateTime,
    updated_at: DateTime,
}

/// A count as BSON (`i64`; counts never get near its limit).
fn count_to_bson(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl JobDocument {
    fn from_domain(scope: &TenantScope, record: &JobRecord) -> Self {
        Self {
            id: record.id().to_string(),
            tenant_id: scope.tenant_id().to_string(),
            kind: record.kind().to_owned(),
            status: record.status().as_str().to_owned(),
            attempts: i64::from(record.attempts()),
            done: count_to_bson(record.done()),
            total: record.total().map(count_to_bson),
            errors: record.errors().to_vec(),
            result_file: record.result_file().map(|f| f.to_string()),
            requested_by: record.requested_by().to_string(),
            created_at: to_bson(record.created_at()),
            updated_at: to_bson(record.updated_at()),
        }
    }

    fn into_domain(self) -> Result<JobRecord, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("job document: malformed {field}"));
        Ok(JobRecord::restore(cubby_domain::JobRecordParts {
            id: JobId::parse(&self.id).map_err(|_| bad("_id"))?,
            kind: self.kind,
            status: JobStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            attempts: u32::try_from(self.attempts).map_err(|_| bad("attempts"))?,
            done: u64::try_from(self.done).map_err(|_| bad("done"))?,
            total: self
                .total
                .map(|t| u64::try_from(t).map_err(|_| bad("total")))
                .transpose()?,
            errors: self.errors,
            result_file: self
                .result_file
                .as_deref()
                .map(|f| FileId::parse(f).map_err(|_| bad("result_file")))
                .transpose()?,
            requested_by: Actor::parse(&self.requested_by).map_err(|_| bad("requested_by"))?,
            created_at: self.created_at.to_time_0_3(),
            updated_at: self.updated_at.to_time_0_3(),
        }))
    }
}

fn job(document: Document) -> Result<JobRecord, RepoError> {
    decode::<JobDocument>(COLLECTION, document)?.into_domain()
}

/// An effect mark as stored: its `_id` says it all; the rest is for people reading the
/// collection.
#[derive(Debug, Clone, Serialize)]
struct EffectDocument {
    #[serde(rename = "_id")]
    key: String,
    tenant_id: String,
    job_id: String,
    effect: String,
}

impl Mongo {
    fn jobs(&self) -> Collection<JobDocument> {
        self.db.collection(COLLECTION)
    }

    fn job_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }

    fn job_effects(&self) -> Collection<EffectDocument> {
        self.db.collection(EFFECTS)
    }
}

#[async_trait]
impl JobRecords for Mongo {
    async fn insert(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError> {
        timed(
            "jobs.insert",
            self.jobs()
                .insert_one(JobDocument::from_domain(scope, record)),
        )
        .await
        .map_err(id_conflict("job.id"))?;
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: JobId) -> Result<JobRecord, RepoError> {
        one_of(
            &self.job_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            job,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn update(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError> {
        let result = timed(
            "jobs.replace",
            self.jobs().replace_one(
                scoped(scope, doc! { "_id": record.id().to_string() }).into(),
                JobDocument::from_domain(scope, record),
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if result.matched_count == 1 {
            Ok(())
        } else {
            Err(RepoError::NotFound)
        }
    }

    async fn claim_effect(
        &self,
        scope: &TenantScope,
        job: JobId,
        effect: &str,
    ) -> Result<bool, RepoError> {
        let mark = EffectDocument {
            key: format!("{}:{job}:{effect}", scope.tenant_id()),
            tenant_id: scope.tenant_id().to_string(),
            job_id: job.to_string(),
            effect: effect.to_owned(),
        };
        match timed("job_effects.insert", self.job_effects().insert_one(mark)).await {
            Ok(_) => Ok(true),
            Err(error) if duplicate_key(&error).is_some() => Ok(false),
            Err(error) => Err(to_repo_error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use bson::{Document, doc};
    use cubby_domain::{Actor, JobId, JobRecord, JobStatus};
    use cubby_ports::contract::{at, fresh_scope};
    use cubby_ports::{JobRecords, RepoError};

    use super::{COLLECTION, EFFECTS};
    use crate::tests::fresh;

    fn record(actor: &Actor) -> JobRecord {
        JobRecord::restore(cubby_domain::JobRecordParts {
            id: JobId::from_uuid(uuid::Uuid::now_v7()),
            kind: "roster_import".to_owned(),
            status: JobStatus::Running,
            attempts: 1,
            done: 3,
            total: None,
            errors: Vec::new(),
            result_file: None,
            requested_by: actor.clone(),
            created_at: at(0),
            updated_at: at(1),
        })
    }

    #[tokio::test]
    async fn a_record_is_stored_with_its_tenant_and_without_empty_fields() {
        let Some(mongo) = fresh().await else { return };
        let scope = fresh_scope();
        let job = record(scope.actor());
        mongo.insert(&scope, &job).await.unwrap();
        let stored = mongo
            .database()
            .collection::<Document>(COLLECTION)
            .find_one(doc! { "_id": job.id().to_string() })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.get_str("tenant_id").unwrap(),
            scope.tenant_id().to_string()
        );
        assert_eq!(stored.get_str("status").unwrap(), "running");
        assert!(!stored.contains_key("total") && !stored.contains_key("result_file"));
        assert!(matches!(
            mongo.insert(&scope, &job).await,
            Err(RepoError::Conflict(_))
        ));
    }

    #[tokio::test]
    async fn a_malformed_record_is_corrupt_and_its_values_are_not_repeated() {
        let Some(mongo) = fresh().await else { return };
        let scope = fresh_scope();
        let job = record(scope.actor());
        mongo.insert(&scope, &job).await.unwrap();
        let jobs = mongo.database().collection::<Document>(COLLECTION);
        for set in [
            doc! { "status": "teleported" },
            doc! { "attempts": -1_i64 },
            doc! { "result_file": "file_the-cupboard" },
            doc! { "requested_by": "someone@example.com" },
        ] {
            jobs.update_one(
                doc! { "_id": job.id().to_string() },
                doc! { "$set": set.clone() },
            )
            .await
            .unwrap();
            let error = mongo.get(&scope, job.id()).await.unwrap_err();
            let text = format!("{error} {:?}", std::error::Error::source(&error));
            assert!(matches!(error, RepoError::Corrupt(_)), "{set:?}: {text}");
            for leaked in ["teleported", "the-cupboard", "someone@example.com"] {
                assert!(!text.contains(leaked), "{set:?}: {text}");
            }
            mongo.update(&scope, &job).await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_effect_mark_is_keyed_by_tenant_job_and_effect() {
        let Some(mongo) = fresh().await else { return };
        let scope = fresh_scope();
        let job = JobId::from_uuid(uuid::Uuid::now_v7());
        assert!(mongo.claim_effect(&scope, job, "row:3").await.unwrap());
        let key = format!("{}:{job}:row:3", scope.tenant_id());
        let stored = mongo
            .database()
            .collection::<Document>(EFFECTS)
            .find_one(doc! { "_id": &key })
            .await
            .unwrap();
        assert!(stored.is_some(), "{key}");
    }
}
