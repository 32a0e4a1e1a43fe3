//! Session state, counters and the audit log in memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cubby_domain::{AuditEvent, RefreshFamily, SessionId, TenantId, TokenDigest, UserId};
use cubby_ports::{
    AuditLog, AuditQuery, LimitKey, Page, RateLimiter, RepoError, ResetGrant, TenantScope,
    TokenStore, Window,
};
use time::OffsetDateTime;

use crate::cache::Expiring;
use crate::partitioned::Partitioned;
use crate::{MemoryStore, read, write};

/// Blocked access tokens, ended sessions, refresh families and password-reset tokens (by
/// the digest of their secret).
#[derive(Default)]
pub(crate) struct TokenTable {
    blocked: Expiring<String, ()>,
    ended: Expiring<SessionId, ()>,
    families: Expiring<SessionId, RefreshFamily>,
    resets: Expiring<[u8; 32], ResetGrant>,
}

/// The time until `until`, if it is still ahead.
fn until(until: OffsetDateTime) -> Option<Duration> {
    let left = until - OffsetDateTime::now_utc();
    left.is_positive().then(|| left.unsigned_abs())
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn block_access(&self, jti: &str, until_at: OffsetDateTime) -> Result<(), RepoError> {
        if let Some(left) = until(until_at) {
            write(&self.tokens).blocked.insert(jti.to_owned(), (), left);
        }
        Ok(())
    }

    async fn is_access_blocked(&self, jti: &str) -> Result<bool, RepoError> {
        Ok(read(&self.tokens).blocked.peek(jti).is_some())
    }

    async fn end_session(&self, id: SessionId, until_at: OffsetDateTime) -> Result<(), RepoError> {
        let mut table = write(&self.tokens);
        match until(until_at) {
            Some(left) => table.ended.insert(id, (), left),
            None => table.ended.remove(&id),
        }
        Ok(())
    }

    async fn is_session_ended(&self, id: SessionId) -> Result<bool, RepoError> {
        Ok(read(&self.tokens).ended.peek(&id).is_some())
    }

    async fn create_family(&self, family: &RefreshFamily) -> Result<(), RepoError> {
        let mut table = write(&self.tokens);
        if table.families.live(&family.id).is_some() {
            return Err(RepoError::Conflict("session.id"));
        }
        if let Some(left) = until(family.expires_at) {
            table.families.insert(family.id, family.clone(), left);
        }
        Ok(())
    }

    async fn family(&self, id: SessionId) -> Result<Option<RefreshFamily>, RepoError> {
        Ok(write(&self.tokens).families.live(&id).cloned())
    }

    async fn families_of(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RefreshFamily>, RepoError> {
        Ok(read(&self.tokens)
            .families
            .values()
            .filter(|family| family.tenant_id == tenant_id && family.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn swap_family(&self, family: &RefreshFamily, expected: u64) -> Result<bool, RepoError> {
        let mut table = write(&self.tokens);
        let current = table
            .families
            .live(&family.id)
            .map(|stored| stored.generation);
        match (current, until(family.expires_at)) {
            (Some(generation), Some(left)) if generation == expected => {
                table.families.insert(family.id, family.clone(), left);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_family(&self, id: SessionId) -> Result<(), RepoError> {
        write(&self.tokens).families.remove(&id);
        Ok(())
    }

    async fn put_reset(&self, digest: &TokenDigest, grant: &ResetGrant) -> Result<(), RepoError> {
        let mut table = write(&self.tokens);
        match until(grant.expires_at) {
            Some(left) => table.resets.insert(digest.0, *grant, left),
            None => table.resets.remove(&digest.0),
        }
        Ok(())
    }

    async fn take_reset(&self, digest: &TokenDigest) -> Result<Option<ResetGrant>, RepoError> {
        // One write lock for the read and the removal: the take is atomic.
        let mut table = write(&self.tokens);
        let grant = table.resets.live(&digest.0).copied();
        table.resets.remove(&digest.0);
        Ok(grant)
    }
}

/// Fixed-window counters: the count and when the window ends.
#[derive(Default)]
pub(crate) struct LimitTable {
    counters: HashMap<String, (u32, Instant)>,
}

impl LimitTable {
    fn window(&mut self, key: &LimitKey) -> Option<&mut (u32, Instant)> {
        let now = Instant::now();
        if self
            .counters
            .get(key.as_str())
            .is_some_and(|(_, ends)| *ends <= now)
        {
            self.counters.remove(key.as_str());
        }
        self.counters.get_mut(key.as_str())
    }
}

fn window_of(entry: Option<&(u32, Instant)>) -> Window {
    match entry {
        Some((count, ends)) => Window {
            count: *count,
            resets_in: ends.saturating_duration_since(Instant::now()),
        },
        None => Window {
            count: 0,
            resets_in: Duration::ZERO,
        },
    }
}

#[async_trait]
impl RateLimiter for MemoryStore {
    async fn current(&self, key: &LimitKey) -> Result<Window, RepoError> {
        let mut table = write(&self.limits);
        Ok(window_of(table.window(key).map(|entry| &*entry)))
    }

    async fn hit(&self, key: &LimitKey, window: Duration) -> Result<Window, RepoError> {
        let mut table = write(&self.limits);
        match table.window(key) {
            Some(entry) => entry.0 = entry.0.saturating_add(1),
            None => {
                table
                    .counters
                    .insert(key.as_str().to_owned(), (1, Instant::now() + window));
            }
        }
        Ok(window_of(table.counters.get(key.as_str())))
    }

    async fn clear(&self, key: &LimitKey) -> Result<(), RepoError> {
        write(&self.limits).counters.remove(key.as_str());
        Ok(())
    }
}

/// Every tenant's audit events, in the order appended.
#[derive(Default)]
pub(crate) struct AuditTable {
    events: Partitioned<Vec<AuditEvent>>,
}

fn matches(event: &AuditEvent, query: &AuditQuery) -> bool {
    query
        .actor
        .as_deref()
        .is_none_or(|actor| event.actor.as_ref().is_some_and(|a| a.to_string() == actor))
        && query.action.is_none_or(|action| event.action == action)
        && query
            .target
            .as_deref()
            .is_none_or(|target| event.target.as_deref() == Some(target))
        && query.from.is_none_or(|from| event.at >= from)
        && query.until.is_none_or(|until| event.at < until)
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append(&self, scope: &TenantScope, event: &AuditEvent) -> Result<(), RepoError> {
        write(&self.audit).events.writing(scope).push(event.clone());
        Ok(())
    }

    async fn list_events(
        &self,
        scope: &TenantScope,
        query: &AuditQuery,
    ) -> Result<Page<AuditEvent>, RepoError> {
        let table = read(&self.audit);
        let mut found: Vec<&AuditEvent> = table
            .events
            .of(scope)
            .map(|events| events.iter().filter(|e| matches(e, query)).collect())
            .unwrap_or_default();
        found.sort_by(|a, b| {
            query
                .direction
                .apply(a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)))
        });
        let total = found.len() as u64;
        let items = found
            .into_iter()
            .skip(usize::try_from(query.page.offset()).unwrap_or(usize::MAX))
            .take(query.page.limit() as usize)
            .cloned()
            .collect();
        Ok(Page { items, total })
    }
}

#[cfg(test)]
mod tests {
    mod tokens {
        use crate::MemoryStore;
        cubby_ports::token_store_contract!(async { MemoryStore::default() });
    }

    mod limits {
        use crate::MemoryStore;
        cubby_ports::rate_limiter_contract!(async { MemoryStore::default() });
    }

    /// The in-memory stores have no gate of their own: the application reads them one call
    /// at a time, which this checks is the same as the gate's contract.
    mod gate {
        use crate::MemoryStore;
        use cubby_ports::contract::gate::Gated;
        cubby_ports::request_gate_contract!(async { Gated::separate(MemoryStore::default()) });
    }

    mod audit {
        use crate::MemoryStore;
        cubby_ports::audit_log_contract!(async { MemoryStore::default() });
    }
}
