//! The scheduled upkeep of a centre: removing uploads never confirmed, and reminding the centre
//! of children still checked in after its closing time.

use cubby_domain::attendance::Interval;
use cubby_domain::time_of_day::iso_date;
use cubby_domain::{
    JobId, JobRecord, MembershipStatus, Role, RoleRef, RoomId, Subject, Tenant, UserId,
};
use cubby_ports::{MembershipQuery, PageRequest, TenantScope};

use super::schedules::scheduled_job;
use super::{Jobs, RunError};

impl Jobs {
    /// Removes the uploads presigned more than a day ago and never confirmed, and their
    /// objects.
    pub(super) async fn upload_retention(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
    ) -> Result<(), RunError> {
        let before = self.clock.now() - time::Duration::days(1);
        loop {
            let stale = self.files.pending_before(scope, before, 100).await?;
            if stale.is_empty() {
                return Ok(());
            }
            for file in stale {
                self.objects.delete(scope, file.key()).await?;
                self.files.remove(scope, file.id()).await?;
                record.count_done();
            }
        }
    }

    /// After the centre's closing time, records one reminder per room and day of the children
    /// still checked in (an `attendance.still_in_after_closing` audit event, with the room and
    /// the count: no names), and mails the centre's owners and directors once a day with the
    /// count.
    pub(super) async fn closing_reminder(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
    ) -> Result<(), RunError> {
        let tenant = self.tenants.by_id(scope.tenant_id()).await?;
        let Some(closing) = tenant.settings().closing_time else {
            return Ok(());
        };
        let now = self.clock.now();
        let local = now.to_offset(tenant.time_zone().offset_at(now));
        if local.time() < closing {
            return Ok(());
        }
        let day = local.date();
        let mut rooms: Vec<(RoomId, u32)> = Vec::new();
        for subject in self.attendance.day_view(scope, day, None).await? {
            if let (Subject::Child(_), Some(Interval { room, to: None, .. })) =
                (subject.subject, subject.timeline.intervals.last())
            {
                match rooms.iter_mut().find(|(r, _)| r == room) {
                    Some((_, count)) => *count += 1,
                    None => rooms.push((*room, 1)),
                }
            }
        }
        // Once per room and day, whichever run of the schedule gets there first.
        let reminder = scheduled_job("closing_reminder", day.midnight().assume_utc(), tenant.id());
        let children: u32 = rooms.iter().map(|(_, count)| count).sum();
        if children > 0 {
            self.mail_closing_reminder(scope, &tenant, reminder, day, children)
                .await?;
        }
        for (room, count) in rooms {
            if self
                .records
                .claim_effect(scope, reminder, &format!("room:{room}"))
                .await?
            {
                self.attendance
                    .audit
                    .record(
                        scope,
                        cubby_domain::AuditAction::StillInAfterClosing,
                        Some(room.to_string()),
                        &[("children", count.to_string()), ("day", iso_date(day))],
                    )
                    .await;
                tracing::warn!(tenant_id = %tenant.id(), room_id = %room, children = count, "children still checked in after closing time");
                record.count_done();
            }
        }
        Ok(())
    }
}

/// The most owners and directors one closing reminder is mailed to.
const MAX_REMINDED: u32 = 50;

impl Jobs {
    /// Mails the reminder of `children` still in on `day` to each active owner and director,
    /// once a day each (whichever run of the schedule gets there first).
    async fn mail_closing_reminder(
        &self,
        scope: &TenantScope,
        tenant: &Tenant,
        reminder: JobId,
        day: time::Date,
        children: u32,
    ) -> Result<(), RunError> {
        let mut recipients: Vec<UserId> = Vec::new();
        for role in [Role::Owner, Role::Director] {
            let query = MembershipQuery {
                statuses: vec![MembershipStatus::Active],
                role: Some(RoleRef::Builtin(role)),
                page: PageRequest::new(MAX_REMINDED, 0).unwrap_or_default(),
                ..MembershipQuery::default()
            };
            for membership in self
                .memberships
                .list_memberships(scope, &query)
                .await?
                .items
            {
                if !recipients.contains(&membership.user_id()) {
                    recipients.push(membership.user_id());
                }
            }
        }
        for user in recipients {
            if !self
                .records
                .claim_effect(scope, reminder, &format!("mail:{user}"))
                .await?
            {
                continue;
            }
            let to = self.users.user_by_id(user).await?;
            let message = crate::mail::Message::ClosingReminder {
                centre_name: tenant.name().as_str().to_owned(),
                day,
                children,
            };
            self.queue_mail(scope, to.email(), &message).await?;
        }
        Ok(())
    }
}
