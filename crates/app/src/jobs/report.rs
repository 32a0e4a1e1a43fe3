//! The attendance report: a CSV of presence (with minutes in care) and breaches for a span of
//! days and a room, stored as a report file whose id is derived from its job.

use bytes::Bytes;
use cubby_domain::attendance::Interval;
use cubby_domain::time_of_day::{iso_date, parse_iso_date};
use cubby_domain::{
    Breach, ChildId, FileId, FilePurpose, JobId, JobRecord, ObjectKey, PersonName, RoomId,
    StoredFile, Subject,
};
use cubby_ports::{BreachQuery, PageRequest, RepoError, SortDirection, TenantScope};
use time::{Date, OffsetDateTime};

use super::{Jobs, RunError};
use crate::attendance::SubjectDay;

/// The columns of a report, in order.
const REPORT_COLUMNS: [&str; 9] = [
    "record", "date", "subject", "name", "room_id", "from", "to", "minutes", "detail",
];

/// The report being written, in memory.
type Report = csv::Writer<Vec<u8>>;

/// A report's file id, derived from its job: writing the report again writes the same file.
fn report_file(job: JobId) -> FileId {
    FileId::from_uuid(job.uuid())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn transient(error: impl ToString) -> RunError {
    RunError::Transient(error.to_string())
}

/// The span and room of a report job, or a rule error when they do not parse.
fn report_span(
    from: &str,
    to: &str,
    room: Option<&str>,
) -> Result<(Date, Date, Option<RoomId>), RunError> {
    let bad = || RunError::Rule(vec!["the job's parameters are not valid".to_owned()]);
    let (from, to) = (
        parse_iso_date(from).ok_or_else(bad)?,
        parse_iso_date(to).ok_or_else(bad)?,
    );
    let room = room
        .map(|r| r.parse::<RoomId>().map_err(|_| bad()))
        .transpose()?;
    Ok((from, to, room))
}

/// How a subject is shown in a row: its kind, its id and (for a child) its name.
fn subject_label(
    subject: Subject,
    names: &[(ChildId, PersonName)],
) -> (&'static str, String, String) {
    match subject {
        Subject::Child(child) => (
            "child",
            child.to_string(),
            names
                .iter()
                .find(|(id, _)| *id == child)
                .map(|(_, n)| format!("{} {}", n.given(), n.family()))
                .unwrap_or_default(),
        ),
        Subject::Staff(staff) => ("staff", staff.to_string(), String::new()),
    }
}

/// The `presence` rows of one subject's day: one per stretch in a room.
fn presence_rows(
    day: Date,
    subject: &SubjectDay,
    names: &[(ChildId, PersonName)],
) -> Vec<[String; 9]> {
    let (kind, id, name) = subject_label(subject.subject, names);
    subject
        .timeline
        .intervals
        .iter()
        .map(|Interval { room, from, to }| {
            let minutes = (to.unwrap_or(*from) - *from).whole_minutes();
            [
                "presence".to_owned(),
                iso_date(day),
                format!("{kind}:{id}"),
                name.clone(),
                room.to_string(),
                rfc3339(*from),
                to.map(rfc3339).unwrap_or_default(),
                if to.is_some() {
                    minutes.to_string()
                } else {
                    String::new()
                },
                String::new(),
            ]
        })
        .collect()
}

/// The `breach` row of a recorded breach.
fn breach_row(breach: &Breach) -> [String; 9] {
    [
        "breach".to_owned(),
        iso_date(breach.day),
        format!("event:{}", breach.event),
        String::new(),
        breach.room.to_string(),
        rfc3339(breach.at),
        String::new(),
        String::new(),
        format!(
            "children={} staff={} staff_needed={} over_group_size={} refused={}",
            breach.children,
            breach.staff,
            breach.staff_needed,
            breach.over_group_size,
            breach.refused
        ),
    ]
}

impl Jobs {
    /// Writes the report of `from` to `to` (one room, or all) and stores it as the job's
    /// result file; the job's progress counts the days written.
    pub(super) async fn attendance_report(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        from: &str,
        to: &str,
        room: Option<&str>,
    ) -> Result<(), RunError> {
        let (from, to, room) = report_span(from, to, room)?;
        let days: Vec<Date> = std::iter::successors(Some(from), |d| d.next_day())
            .take_while(|d| *d <= to)
            .collect();
        record.set_total(days.len() as u64);
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(REPORT_COLUMNS).map_err(transient)?;
        self.write_presence(scope, record, &mut csv, &days, room)
            .await?;
        for breach in self.breaches(scope, from, to, room).await? {
            csv.write_record(breach_row(&breach)).map_err(transient)?;
        }
        let body = csv.into_inner().map_err(transient)?;
        let id = self.store_report(scope, record, body).await?;
        record.set_result_file(id);
        Ok(())
    }

    /// Writes the presence rows of every day, recording the job's progress after each.
    async fn write_presence(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        csv: &mut Report,
        days: &[Date],
        room: Option<RoomId>,
    ) -> Result<(), RunError> {
        let names = self.child_names(scope).await?;
        for (done, day) in days.iter().enumerate() {
            for subject in self.attendance.day_view(scope, *day, room).await? {
                for row in presence_rows(*day, &subject, &names) {
                    csv.write_record(&row).map_err(transient)?;
                }
            }
            record.set_done(done as u64 + 1);
            record.touch(self.clock.now());
            self.records.update(scope, record).await?;
        }
        Ok(())
    }

    /// Stores `body` as the job's report file (again, under the same id, on a second run).
    async fn store_report(
        &self,
        scope: &TenantScope,
        record: &JobRecord,
        body: Vec<u8>,
    ) -> Result<FileId, RunError> {
        let id = report_file(record.id());
        let key = ObjectKey::new(scope.tenant_id(), FilePurpose::Report, id);
        self.objects
            .put(scope, &key, "text/csv", Bytes::from(body.clone()))
            .await?;
        let size = body.len() as u64;
        let file = StoredFile::pending(
            id,
            scope.tenant_id(),
            FilePurpose::Report,
            None,
            "text/csv".to_owned(),
            record.requested_by().clone(),
            record.created_at(),
        )
        .confirmed(size, self.clock.now());
        match self.files.get(scope, id).await {
            Ok(_) => self.files.update(scope, &file).await?,
            Err(RepoError::NotFound) => self.files.insert(scope, &file).await?,
            Err(other) => return Err(other.into()),
        }
        Ok(id)
    }

    async fn child_names(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<(ChildId, PersonName)>, RunError> {
        let mut names = Vec::new();
        let mut offset = 0;
        loop {
            let query = cubby_ports::ChildQuery {
                include_archived: true,
                page: PageRequest::new(100, offset)
                    .map_err(|e| RunError::Transient(e.to_string()))?,
                ..cubby_ports::ChildQuery::default()
            };
            let page = self.children.children.list(scope, &query).await?;
            let count = page.items.len() as u64;
            names.extend(page.items.into_iter().map(|c| (c.id(), c.name().clone())));
            offset += count;
            if count < 100 || offset >= page.total {
                return Ok(names);
            }
        }
    }

    async fn breaches(
        &self,
        scope: &TenantScope,
        from: Date,
        to: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<Breach>, RunError> {
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let query = BreachQuery {
                room,
                from: Some(from),
                to: Some(to),
                direction: SortDirection::Ascending,
                page: PageRequest::new(100, offset)
                    .map_err(|e| RunError::Transient(e.to_string()))?,
            };
            let page = self.attendance.breaches.breaches(scope, &query).await?;
            let count = page.items.len() as u64;
            all.extend(page.items);
            offset += count;
            if count < 100 || offset >= page.total {
                return Ok(all);
            }
        }
    }
}
