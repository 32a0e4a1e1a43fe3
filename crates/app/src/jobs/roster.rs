//! The roster import: children from a CSV uploaded as a `roster_import` file, all rows or none,
//! each with an id derived from its job and row.

use cubby_domain::time_of_day::parse_iso_date;
use cubby_domain::{
    ChildId, Enrolment, EnrolmentStatus, FileId, FilePurpose, JobId, JobRecord, PersonName, RoomId,
};
use cubby_ports::{PageRequest, RoomQuery, TenantScope};
use time::Date;

use super::{Jobs, RunError};
use crate::children::NewChild;

/// The most rows a roster import takes.
pub const MAX_IMPORT_ROWS: usize = 2000;

/// The columns of a roster, in order.
pub const ROSTER_COLUMNS: [&str; 7] = [
    "given_name",
    "family_name",
    "date_of_birth",
    "room",
    "enrolment_status",
    "starts_on",
    "photo_consent",
];

/// An imported child's id, derived from its job and row.
fn imported_child(job: JobId, row: usize) -> ChildId {
    let row = u128::try_from(row).unwrap_or(u128::MAX);
    ChildId::from_uuid(uuid::Uuid::from_u128(job.uuid().as_u128() ^ (row + 1)))
}

/// Parses and checks every row of a roster: the children to add, or every error, by row
/// (counting the header as row 1) and column. Nothing is added unless every row is right.
///
/// # Errors
///
/// The list of problems (a header that is not [`ROSTER_COLUMNS`], too many rows, each bad
/// value); they name rows and columns, never the values, which are personal data.
pub fn parse_roster(
    bytes: &[u8],
    rooms: &[(String, RoomId)],
    today: Date,
) -> Result<Vec<NewChild>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    check_header(&mut reader)?;
    let mut children = Vec::new();
    let mut errors = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_IMPORT_ROWS {
            errors.push(format!(
                "row {line}: at most {MAX_IMPORT_ROWS} children per file"
            ));
            break;
        }
        let Ok(row) = row else {
            errors.push(format!(
                "row {line}: not a row of {} columns",
                ROSTER_COLUMNS.len()
            ));
            continue;
        };
        let mut problems = Problems {
            line,
            errors: &mut errors,
        };
        if let Some(child) = parse_row(&row, rooms, today, &mut problems) {
            children.push(child);
        }
    }
    if errors.is_empty() {
        Ok(children)
    } else {
        Err(errors)
    }
}

/// Refuses a file that is not CSV or whose header is not [`ROSTER_COLUMNS`] (as row 1).
fn check_header(reader: &mut csv::Reader<&[u8]>) -> Result<(), Vec<String>> {
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(str::to_owned).collect(),
        Err(_) => return Err(vec!["row 1: the file is not CSV".to_owned()]),
    };
    if header != ROSTER_COLUMNS {
        return Err(vec![format!(
            "row 1: the columns must be {}",
            ROSTER_COLUMNS.join(",")
        )]);
    }
    Ok(())
}

/// Where one row's problems go, each naming the row and the column.
struct Problems<'a> {
    line: usize,
    errors: &'a mut Vec<String>,
}

impl Problems<'_> {
    fn add(&mut self, column: &str, message: &str) {
        self.errors
            .push(format!("row {}, {column}: {message}", self.line));
    }
}

/// The child of one row, or `None` with its problems added (column by column, in order).
fn parse_row(
    row: &csv::StringRecord,
    rooms: &[(String, RoomId)],
    today: Date,
    problems: &mut Problems<'_>,
) -> Option<NewChild> {
    let field = |n: usize| row.get(n).unwrap_or_default();
    let name = PersonName::parse(field(0), field(1));
    if let Err(error) = &name {
        let column = if field(0).is_empty() {
            "given_name"
        } else {
            "family_name"
        };
        problems.add(column, &error.to_string());
    }
    let born = parse_date_of_birth(field(2), today, problems);
    let room = parse_room(field(3), rooms, problems);
    let status = EnrolmentStatus::parse(field(4));
    if status.is_none() {
        problems.add("enrolment_status", "waitlisted, enrolled or withdrawn");
    }
    let starts = parse_iso_date(field(5));
    if starts.is_none() {
        problems.add("starts_on", "not a date (YYYY-MM-DD)");
    }
    let consent = parse_consent(field(6), problems);
    let (Ok(name), Some(born), Some(room), Some(status), Some(starts), Some(consent)) =
        (name, born, room, status, starts, consent)
    else {
        return None;
    };
    match Enrolment::new(status, starts, None) {
        Ok(enrolment) => Some(NewChild {
            name,
            date_of_birth: born,
            room_id: room,
            enrolment,
            photo_consent: consent,
        }),
        Err(error) => {
            problems.add("starts_on", &error.to_string());
            None
        }
    }
}

/// The date of birth of a row: `None` when it is not a date; a date out of range is a problem
/// but is still answered, so that the row's other columns are checked as they were.
fn parse_date_of_birth(text: &str, today: Date, problems: &mut Problems<'_>) -> Option<Date> {
    let born = parse_iso_date(text);
    match born {
        None => problems.add("date_of_birth", "not a date (YYYY-MM-DD)"),
        Some(day) => {
            if let Err(error) = cubby_domain::child::check_date_of_birth(day, today) {
                problems.add("date_of_birth", &error.to_string());
            }
        }
    }
    born
}

/// The room of a row by name (`Some(None)` when empty); `None` when the centre has no active
/// room of that name.
fn parse_room(
    text: &str,
    rooms: &[(String, RoomId)],
    problems: &mut Problems<'_>,
) -> Option<Option<RoomId>> {
    if text.is_empty() {
        return Some(None);
    }
    let key = text.to_lowercase();
    let found = rooms
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, id)| Some(*id));
    if found.is_none() {
        problems.add("room", "no active room has this name");
    }
    found
}

/// The photo consent of a row: `yes`/`true`, or `no`/`false`/empty.
fn parse_consent(text: &str, problems: &mut Problems<'_>) -> Option<bool> {
    match text {
        "yes" | "true" => Some(true),
        "no" | "false" | "" => Some(false),
        _ => {
            problems.add("photo_consent", "yes or no");
            None
        }
    }
}

impl Jobs {
    /// Adds every child of the roster file `file`, or none when a row is wrong; the job's
    /// progress is recorded every 50 children.
    pub(super) async fn roster_import(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        file: &str,
    ) -> Result<(), RunError> {
        let id = file
            .parse::<FileId>()
            .map_err(|_| RunError::Rule(vec!["the file is not valid".to_owned()]))?;
        let stored = self.files.get(scope, id).await?;
        let bytes = self
            .objects
            .get(scope, stored.key(), FilePurpose::RosterImport.max_bytes())
            .await?;
        let rooms = self.room_names(scope).await?;
        let today = self.children.today(scope).await?;
        let rows = parse_roster(&bytes, &rooms, today).map_err(RunError::Rule)?;
        record.set_total(rows.len() as u64);
        for (index, new) in rows.into_iter().enumerate() {
            // An id derived from the job and the row: a second run finds it taken.
            self.children
                .create_with_id(scope, imported_child(record.id(), index), new)
                .await?;
            record.set_done(index as u64 + 1);
            if record.done().is_multiple_of(50) {
                // Progress shows while a large import runs.
                record.touch(self.clock.now());
                self.records.update(scope, record).await?;
            }
        }
        Ok(())
    }

    async fn room_names(&self, scope: &TenantScope) -> Result<Vec<(String, RoomId)>, RunError> {
        let query = RoomQuery {
            page: PageRequest::new(100, 0).map_err(|e| RunError::Transient(e.to_string()))?,
            ..RoomQuery::default()
        };
        Ok(self
            .rooms
            .list(scope, &query)
            .await?
            .items
            .into_iter()
            .map(|room| (room.name().key(), room.id()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use uuid::Uuid;

    #[test]
    fn a_roster_with_one_bad_row_yields_every_error_and_no_child() {
        let koalas = RoomId::from_uuid(Uuid::now_v7());
        let rooms = vec![("koalas".to_owned(), koalas)];
        let good = "given_name,family_name,date_of_birth,room,enrolment_status,starts_on,photo_consent\n\
                    Aino,Virtanen,2024-03-31,Koalas,enrolled,2025-08-01,yes\n\
                    Eero,Korhonen,2023-11-02,,waitlisted,2026-01-10,no\n";
        let children = parse_roster(good.as_bytes(), &rooms, date!(2026 - 12 - 01)).unwrap();
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].room_id, Some(koalas));
        assert!(children[0].photo_consent && !children[1].photo_consent);

        let bad = format!("{good}Mia,,2099-01-01,Wombats,maybe,soon,perhaps\n");
        let errors = parse_roster(bad.as_bytes(), &rooms, date!(2026 - 12 - 01)).unwrap_err();
        for column in [
            "family_name",
            "date_of_birth",
            "room",
            "enrolment_status",
            "starts_on",
            "photo_consent",
        ] {
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&format!("row 4, {column}:"))),
                "{column}: {errors:?}"
            );
        }
        assert!(
            !errors
                .iter()
                .any(|e| e.contains("Mia") || e.contains("Wombats")),
            "no values: {errors:?}"
        );
        let wrong_header = parse_roster(
            b"name,born\nAino,2024-01-01\n",
            &rooms,
            date!(2026 - 12 - 01),
        );
        assert!(wrong_header.unwrap_err()[0].starts_with("row 1:"));
    }

    #[test]
    fn derived_ids_differ_by_row_and_job_and_repeat_for_the_same() {
        let job = JobId::from_uuid(Uuid::now_v7());
        assert_eq!(imported_child(job, 3), imported_child(job, 3));
        assert_ne!(imported_child(job, 3), imported_child(job, 4));
        assert_ne!(
            imported_child(job, 3),
            imported_child(JobId::from_uuid(Uuid::now_v7()), 3)
        );
    }
}
