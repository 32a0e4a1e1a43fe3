//! The `password_reset` job: the account behind an address typed into `forgot` is looked up
//! here, off the request, so that the request does the same work for every address; for an
//! active account, a reset token is minted and its link mailed (by a `send_mail` job).

use cubby_domain::{Email, JobId, JobRecord};
use cubby_ports::TenantScope;
use serde::{Deserialize, Serialize};

use super::{JobRequest, Jobs, RunError};
use crate::AppError;
use crate::auth::issue_reset;
use crate::mail::Message;

/// An address as typed into `forgot`, in a job's payload. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TypedAddress(pub String);

impl std::fmt::Debug for TypedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedAddress(..)")
    }
}

impl Jobs {
    /// Queues a `password_reset` job for `email` in `scope` (the platform's: it belongs to no
    /// centre).
    pub(crate) async fn queue_password_reset(
        &self,
        scope: &TenantScope,
        email: &Email,
    ) -> Result<JobId, AppError> {
        let request = JobRequest::PasswordReset {
            email: TypedAddress(email.as_str().to_owned()),
        };
        let record = self
            .start(scope, JobId::from_uuid(self.ids.uuid()), &request)
            .await?;
        Ok(record.id())
    }

    /// Mints a reset token for the active account at `email`, if there is one, and queues its
    /// mail. Each attempt claims its own effect mark first, so a redelivery of an attempt whose
    /// worker stopped midway mails no second link; a retry after a failure mints a new token
    /// (the one that was not mailed is never known to anyone, and expires).
    pub(super) async fn password_reset(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        email: &TypedAddress,
    ) -> Result<(), RunError> {
        let attempt = format!("issue:{}", record.attempts());
        if !self
            .records
            .claim_effect(scope, record.id(), &attempt)
            .await?
        {
            return Ok(());
        }
        let issued = issue_reset(&*self.users, &*self.tokens, &*self.clock, &email.0).await?;
        if let Some(issued) = issued {
            let message = Message::PasswordReset {
                token: issued.token,
            };
            self.queue_mail(scope, &issued.to, &message).await?;
            record.count_done();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cubby_domain::{Email, Queue};
    use cubby_ports::mocks::MockUserDirectory;

    use super::*;
    use crate::testing::{World, timed_out};

    #[test]
    fn the_address_never_shows_in_a_jobs_debug() {
        let request = JobRequest::PasswordReset {
            email: TypedAddress("ada.lovelace@example.org".to_owned()),
        };
        let printed = format!("{request:?}");
        assert!(!printed.contains("lovelace"), "{printed}");
    }

    #[tokio::test]
    async fn a_user_store_timing_out_mails_nothing_and_the_job_comes_back() {
        let world = World::new().await;
        world
            .member("parent@here.example", cubby_domain::Role::Guardian)
            .await;
        let email = Email::parse("parent@here.example").unwrap();
        world.app.mail.send_password_reset(&email).await.unwrap();
        let mut users = MockUserDirectory::new();
        users
            .expect_user_by_email()
            .times(1)
            .returning(|_| Err(timed_out()));
        let app = world.with(|ports| ports.users = Arc::new(users));
        assert_eq!(app.jobs.work_once(Queue::Critical).await.unwrap(), 1);
        assert!(world.ports.outbox.as_ref().unwrap().sent().is_empty());
        let depth = world.ports.jobs.depth(Queue::Critical).await.unwrap();
        assert_eq!(
            (depth.waiting, depth.dead),
            (1, 0),
            "retried after its backoff"
        );
    }
}
