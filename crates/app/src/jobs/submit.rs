//! Starting a job: the request is checked, recorded as queued and put on its queue.

use std::time::Duration;

use cubby_domain::time_of_day::parse_iso_date;
use cubby_domain::{
    ErrorCode, FileId, FilePurpose, FileStatus, JobId, JobRecord, Permission, RoomId,
};
use cubby_ports::{JobEnvelope, TenantScope};

use super::{JobRequest, Jobs, NOT_QUEUED};
use crate::AppError;
use crate::attendance::MAX_DAYS;
use crate::error::require;

fn invalid(field: &'static str, code: ErrorCode, message: &str) -> AppError {
    AppError::Invalid {
        field,
        code,
        message: message.to_owned(),
    }
}

/// Refuses a report span that does not parse, is reversed or is longer than [`MAX_DAYS`].
fn check_span(from: &str, to: &str) -> Result<(), AppError> {
    let (from, to) = (parse_iso_date(from), parse_iso_date(to));
    match (from, to) {
        (Some(from), Some(to)) if from <= to && (to - from).whole_days() < MAX_DAYS => Ok(()),
        _ => Err(invalid(
            "to",
            ErrorCode::AttendanceInvalidSpan,
            "a span is 1 to 62 days, `to` not before `from`",
        )),
    }
}

impl Jobs {
    /// Starts a job for the caller's centre: 202-style, the record as queued.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `reports:run` (report) or `imports:run` (import);
    /// [`AppError::Invalid`] for a span that is reversed or longer than 62 days, or a file that
    /// is not a stored roster import; [`AppError::NotFound`] for another centre's room or file.
    pub async fn submit(
        &self,
        scope: &TenantScope,
        request: JobRequest,
    ) -> Result<JobRecord, AppError> {
        match &request {
            JobRequest::AttendanceReport { from, to, room } => {
                require(scope, Permission::ReportsRun)?;
                check_span(from, to)?;
                if let Some(room) = room {
                    self.check_room(scope, room).await?;
                }
            }
            JobRequest::UploadRetention | JobRequest::ClosingReminder => {
                require(scope, Permission::TenantManage)?;
            }
            JobRequest::RosterImport { file } => {
                require(scope, Permission::ImportsRun)?;
                self.check_roster_file(scope, file).await?;
            }
            // Mail is queued by the use cases that send it, never asked for: no centre relays
            // its own messages through Cubby's sender.
            JobRequest::SendMail { .. } => return Err(AppError::NotFound),
        }
        self.start(scope, JobId::from_uuid(self.ids.uuid()), &request)
            .await
    }

    /// Refuses a room that is not one of the centre's.
    async fn check_room(&self, scope: &TenantScope, room: &str) -> Result<(), AppError> {
        let id = room.parse::<RoomId>().map_err(|_| AppError::NotFound)?;
        self.rooms.get(scope, id).await?;
        Ok(())
    }

    /// Refuses a file that is not one of the centre's roster imports, uploaded and confirmed.
    async fn check_roster_file(&self, scope: &TenantScope, file: &str) -> Result<(), AppError> {
        let id = file.parse::<FileId>().map_err(|_| AppError::NotFound)?;
        let stored = self.files.get(scope, id).await?;
        if stored.purpose() != FilePurpose::RosterImport || stored.status() != FileStatus::Stored {
            return Err(invalid(
                "file",
                ErrorCode::ImportNotARoster,
                "name a roster_import file that has been uploaded and confirmed",
            ));
        }
        Ok(())
    }

    /// Records job `id` as queued and puts it on its queue.
    pub(super) async fn start(
        &self,
        scope: &TenantScope,
        id: JobId,
        request: &JobRequest,
    ) -> Result<JobRecord, AppError> {
        let now = self.clock.now();
        let record = JobRecord::queued(id, request.kind().to_owned(), scope.actor().clone(), now);
        self.records.insert(scope, &record).await?;
        self.send(scope, record, request).await
    }

    /// Puts the job of `record` on its queue. When the queue fails, the record is marked failed
    /// with [`NOT_QUEUED`] (as best it can), so that it never waits for a run that will not
    /// come: a centre starts it again, a scheduler's next tick does it itself.
    pub(super) async fn send(
        &self,
        scope: &TenantScope,
        mut record: JobRecord,
        request: &JobRequest,
    ) -> Result<JobRecord, AppError> {
        let envelope = JobEnvelope {
            id: record.id(),
            tenant: scope.tenant_id(),
            kind: record.kind().to_owned(),
            payload: serde_json::to_string(request).map_err(|e| AppError::Internal(Box::new(e)))?,
            attempt: 0,
            traceparent: cubby_ports::trace::current(),
        };
        if let Err(error) = self
            .queue
            .enqueue(request.queue(), &envelope, Duration::ZERO)
            .await
        {
            let stored = match record.fail(vec![NOT_QUEUED.to_owned()], self.clock.now()) {
                Ok(()) => self
                    .records
                    .update(scope, &record)
                    .await
                    .map_err(AppError::from),
                Err(refused) => Err(refused.into()),
            };
            if let Err(also) = stored {
                tracing::error!(job_id = %record.id(), error = %also, "a job that could not be queued could not be marked failed either");
            }
            return Err(error.into());
        }
        Ok(record)
    }
}
