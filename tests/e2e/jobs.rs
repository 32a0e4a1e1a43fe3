//! Background jobs over HTTP, with the worker driven in-process: the attendance report and
//! the roster import, retries, the dead-letter queue, and that effects happen once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cubby_domain::{FileId, Queue, Role, TimeZone};
use cubby_ports::{
    DeadLetter, Delivery, JobEnvelope, JobQueue, QueueDepth, RepoError, TenantScope,
};
use cubby_tests::objects::FailingObjects;
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::children::{add_contact, child, contact, room};

crate::on_both_hosts!(
    an_attendance_report_is_written_from_the_events_and_downloadable,
    a_roster_with_one_bad_row_imports_nothing_and_a_clean_one_imports_every_row_once,
    another_tenant_gets_404_and_roles_without_the_permission_403,
);

mod flaky {
    use super::*;
    crate::on_both_hosts_of!(flaky_world; a_job_that_fails_twice_then_succeeds_writes_its_report_once);
}

mod broken {
    use super::*;
    crate::on_both_hosts_of!(broken_world; a_job_that_always_fails_is_dead_lettered_after_its_attempts);
}

fn system(world: &World) -> TenantScope {
    cubby_ports::contract::scope_in(world.a.tenant.id())
}

/// Runs the worker until both queues are empty.
async fn work(world: &World) {
    for _ in 0..50 {
        let mut took = 0;
        for queue in Queue::ALL {
            took += world.app().jobs.work_once(queue).await.unwrap();
        }
        if took == 0 {
            let mut busy = false;
            for queue in Queue::ALL {
                let depth = world.app().ports().jobs.depth(queue).await.unwrap();
                busy |= depth.waiting > 0 || depth.in_flight > 0;
            }
            if !busy {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}

/// The request for the attendance report of one day.
pub(crate) fn report_of(day: &str) -> Call {
    Call::post("/v1/reports/attendance").json(&json!({ "from": day, "to": day }))
}

async fn job(host: &impl Host, token: &str, id: &str) -> Value {
    let reply = host
        .send(Call::get(&format!("/v1/jobs/{id}")).bearer(token))
        .await;
    reply.expect(200);
    reply.json()
}

fn yesterday() -> (String, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    let offset = TimeZone::parse("Europe/Helsinki").unwrap().offset_at(now);
    let day = now.to_offset(offset).date().previous_day().unwrap();
    let text = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    (text, day.with_hms(8, 0, 0).unwrap().assume_offset(offset))
}

fn at(moment: OffsetDateTime) -> String {
    moment
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A room with a child who was in care from 08:00 to 11:00 yesterday; answers the day.
async fn a_day_of_care(host: &impl Host, token: &str) -> String {
    let koalas = room(host, token, "Koalas").await;
    let aino = child(host, token, "Aino", Some(&koalas)).await;
    let aino = add_contact(
        host,
        token,
        &aino,
        &contact("Maria", None, &["may_pick_up"]),
    )
    .await;
    let (day, morning) = yesterday();
    let event = |kind: &str, when: OffsetDateTime| {
        json!({
            "id": cubby_domain::AttendanceEventId::from_uuid(Uuid::now_v7()).to_string(),
            "kind": kind, "child_id": aino["id"], "contact_id": aino["contacts"][0]["id"], "at": at(when),
        })
    };
    for body in [
        event("check_in", morning),
        event("check_out", morning + time::Duration::hours(3)),
    ] {
        host.send(Call::post("/v1/attendance").bearer(token).json(&body))
            .await
            .expect(201);
    }
    day
}

async fn report_body(world: &World, file: &str) -> String {
    let id: FileId = file.parse().unwrap();
    let scope = system(world);
    let record = world.app().files.get(&scope, id).await.unwrap();
    let bytes = world
        .app()
        .ports()
        .objects
        .get(&scope, record.key(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn an_attendance_report_is_written_from_the_events_and_downloadable(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let day = a_day_of_care(host, token).await;
    let reply = host.send(report_of(&day).bearer(token)).await;
    reply.expect(202);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.json()["status"], "queued");
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/jobs/{id}").as_str())
    );

    work(world).await;
    let done = job(host, token, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"], json!({ "done": 1, "total": 1 }));
    let file = done["result_file_id"].as_str().unwrap().to_owned();
    let csv = report_body(world, &file).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "record,date,subject,name,room_id,from,to,minutes,detail"
    );
    let presence: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("presence,"))
        .collect();
    assert_eq!(presence.len(), 1, "{csv}");
    assert!(
        presence[0].contains(&format!(",{day},child:child_")),
        "{csv}"
    );
    assert!(presence[0].contains(",Aino Virtanen,"), "{csv}");
    assert!(presence[0].contains(",180,"), "three hours in care: {csv}");
    // Nobody clocked in: the check-in was a breach, and the report lists it.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("breach,")).count(),
        1,
        "{csv}"
    );

    let download = host
        .send(
            Call::post("/v1/files/presign")
                .bearer(token)
                .json(&json!({ "operation": "download", "file_id": file })),
        )
        .await;
    download.expect(200);
    assert_eq!(download.json()["file"]["purpose"], "report");
    assert_eq!(download.json()["file"]["content_type"], "text/csv");
}

async fn import(host: &impl Host, world: &World, csv: &'static str) -> (String, String, Value) {
    let token = &world.a.director;
    let reply = host
        .send(Call::post("/v1/files/presign").bearer(token).json(&json!({
            "operation": "upload", "purpose": "roster_import", "content_type": "text/csv", "size": csv.len(),
        })))
        .await;
    reply.expect(201);
    let file = reply.json()["file"]["id"].as_str().unwrap().to_owned();
    let scope = system(world);
    let record = world
        .app()
        .files
        .get(&scope, file.parse().unwrap())
        .await
        .unwrap();
    world
        .app()
        .ports()
        .objects
        .put(
            &scope,
            record.key(),
            "text/csv",
            Bytes::from_static(csv.as_bytes()),
        )
        .await
        .unwrap();
    host.send(Call::post(&format!("/v1/files/{file}/confirm")).bearer(token))
        .await
        .expect(200);
    let started = host
        .send(
            Call::post("/v1/imports/roster")
                .bearer(token)
                .json(&json!({ "file_id": file })),
        )
        .await;
    started.expect(202);
    let id = started.json()["id"].as_str().unwrap().to_owned();
    work(world).await;
    (id.clone(), file, job(host, token, &id).await)
}

async fn children_total(host: &impl Host, token: &str) -> u64 {
    host.send(Call::get("/v1/children").bearer(token))
        .await
        .json()["total"]
        .as_u64()
        .unwrap()
}

async fn a_roster_with_one_bad_row_imports_nothing_and_a_clean_one_imports_every_row_once(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    room(host, token, "Koalas").await;
    let (_, _, failed) = import(
        host,
        world,
        "given_name,family_name,date_of_birth,room,enrolment_status,starts_on,photo_consent\n\
         Aino,Virtanen,2024-03-31,Koalas,enrolled,2025-08-01,yes\n\
         Eero,Korhonen,2024-13-40,Koalas,enrolled,2025-08-01,no\n\
         Mia,Lahti,2023-06-01,Koalas,enrolled,2025-08-01,no\n",
    )
    .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["errors"],
        json!(["row 3, date_of_birth: not a date (YYYY-MM-DD)"])
    );
    assert_eq!(children_total(host, token).await, 0, "nothing half-applied");

    let (id, file, done) = import(
        host,
        world,
        "given_name,family_name,date_of_birth,room,enrolment_status,starts_on,photo_consent\n\
         Aino,Virtanen,2024-03-31,Koalas,enrolled,2025-08-01,yes\n\
         Eero,Korhonen,2023-11-02,,waitlisted,2026-01-10,no\n",
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"], json!({ "done": 2, "total": 2 }));
    assert_eq!(children_total(host, token).await, 2);

    // The same job run again (as after a crash before its status was saved) imports nothing.
    let scope = system(world);
    let job_id: cubby_domain::JobId = id.parse().unwrap();
    let mut record = world
        .app()
        .ports()
        .job_records
        .get(&scope, job_id)
        .await
        .unwrap()
        .into_parts();
    record.status = cubby_domain::JobStatus::Running;
    let record = cubby_domain::JobRecord::restore(record);
    world
        .app()
        .ports()
        .job_records
        .update(&scope, &record)
        .await
        .unwrap();
    let envelope = cubby_ports::JobEnvelope {
        id: job_id,
        tenant: world.a.tenant.id(),
        kind: "roster_import".to_owned(),
        payload: json!({ "kind": "roster_import", "file": file }).to_string(),
        attempt: 0,
        traceparent: None,
    };
    world
        .app()
        .ports()
        .jobs
        .enqueue(Queue::Bulk, &envelope, Duration::ZERO)
        .await
        .unwrap();
    work(world).await;
    assert_eq!(job(host, token, &id).await["status"], "succeeded");
    assert_eq!(children_total(host, token).await, 2, "imported once");
}

async fn another_tenant_gets_404_and_roles_without_the_permission_403(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let (day, _) = yesterday();
    let started = host.send(report_of(&day).bearer(token)).await;
    let id = started.json()["id"].as_str().unwrap().to_owned();
    host.send(Call::get(&format!("/v1/jobs/{id}")).bearer(&world.b.owner))
        .await
        .expect_error(404, "not_found");
    let koalas = room(host, token, "Koalas").await;
    host.send(
        Call::post("/v1/reports/attendance")
            .bearer(&world.b.owner)
            .json(&json!({ "from": day, "to": day, "room_id": koalas })),
    )
    .await
    .expect_error(404, "not_found");
    for (token, call) in [
        (&world.a.teacher, report_of(&day)),
        (&world.a.guardian, Call::get(&format!("/v1/jobs/{id}"))),
        (
            &world.a.teacher,
            Call::post("/v1/imports/roster")
                .json(&json!({ "file_id": "file_01j00000000000000000000000" })),
        ),
    ] {
        host.send(call.bearer(token))
            .await
            .expect_error(403, "forbidden");
    }
    host.send(
        Call::post("/v1/reports/attendance")
            .bearer(token)
            .json(&json!({ "from": day, "to": "2020-01-01" })),
    )
    .await
    .expect_field_error("attendance.invalid_span");
    host.send(
        Call::post("/v1/imports/roster")
            .bearer(token)
            .json(&json!({ "file_id": "file_01j00000000000000000000000" })),
    )
    .await
    .expect_error(404, "not_found");
}

async fn world_with_failures(failures: u32) -> World {
    let mut ports = cubby_adapters_memory::embedded_ports();
    let budget = AtomicU32::new(failures);
    ports.objects = Arc::new(FailingObjects::new(ports.objects.clone(), move |_| {
        budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }));
    World::on(ports, test_config(), test_api_config()).await
}

async fn flaky_world() -> World {
    world_with_failures(2).await
}

async fn broken_world() -> World {
    world_with_failures(u32::MAX).await
}

async fn a_job_that_fails_twice_then_succeeds_writes_its_report_once(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let day = a_day_of_care(host, token).await;
    let started = host.send(report_of(&day).bearer(token)).await;
    let id = started.json()["id"].as_str().unwrap().to_owned();
    work(world).await;
    let done = job(host, token, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 3);
    assert_eq!(done["errors"], json!([]));
    let file = done["result_file_id"].as_str().unwrap();
    let csv = report_body(world, file).await;
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("presence,")).count(),
        1,
        "{csv}"
    );
}

async fn a_job_that_always_fails_is_dead_lettered_after_its_attempts(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let (day, _) = yesterday();
    let started = host.send(report_of(&day).bearer(token)).await;
    let id = started.json()["id"].as_str().unwrap().to_owned();
    work(world).await;
    let dead = job(host, token, &id).await;
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["attempts"], 3, "the test policy allows three attempts");
    assert_eq!(dead["errors"], json!(["a store was unavailable"]));
    let letters = world
        .app()
        .ports()
        .jobs
        .dead_letters(Queue::Bulk, 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].envelope.id.to_string(), id);
    assert_eq!(
        world
            .app()
            .ports()
            .jobs
            .depth(Queue::Bulk)
            .await
            .unwrap()
            .dead,
        1
    );
}

mod scheduled {
    use super::*;
    use cubby_app::jobs::{Schedule, Task};

    crate::on_both_hosts!(
        two_schedulers_start_each_run_once_per_centre,
        retention_removes_uploads_never_confirmed_after_a_day,
        children_still_in_after_closing_are_reminded_once_per_room_and_day,
    );

    async fn children_still_in_after_closing_are_reminded_once_per_room_and_day(
        host: &impl Host,
        world: &World,
    ) {
        let token = &world.a.director;
        let koalas = room(host, token, "Koalas").await;
        let aino = child(host, token, "Aino", Some(&koalas)).await;
        let check_in = json!({
            "id": cubby_domain::AttendanceEventId::from_uuid(Uuid::now_v7()).to_string(),
            "kind": "check_in", "child_id": aino["id"],
        });
        host.send(Call::post("/v1/attendance").bearer(token).json(&check_in))
            .await
            .expect(201);
        let reminders = || async {
            let audit = host
                .send(
                    Call::get("/v1/audit?action=attendance.still_in_after_closing")
                        .bearer(&world.a.owner),
                )
                .await;
            audit.expect(200);
            audit.json()["items"].as_array().unwrap().clone()
        };
        let every_minute =
            vec![Schedule::new("closing_reminder", Task::ClosingReminder, "0 * * * * *").unwrap()];
        let now = OffsetDateTime::now_utc();
        // No closing time set: nothing to remind of.
        world
            .app()
            .jobs
            .fire_due(&every_minute, now - time::Duration::minutes(1), now)
            .await
            .unwrap();
        work(world).await;
        assert!(reminders().await.is_empty());

        let centre = host
            .send(Call::get("/v1/centre").bearer(&world.a.owner))
            .await
            .json();
        host.send(
            Call::patch("/v1/centre")
                .bearer(&world.a.owner)
                .if_match(centre["version"].as_u64().unwrap())
                .json(&json!({ "closing_time": "00:00" })),
        )
        .await
        .expect(200);
        let since = now - time::Duration::minutes(3);
        world
            .app()
            .jobs
            .fire_due(&every_minute, since, now)
            .await
            .unwrap();
        work(world).await;
        let found = reminders().await;
        assert_eq!(
            found.len(),
            1,
            "once per room and day, over several runs: {found:?}"
        );
        assert_eq!(found[0]["target"], koalas.as_str());
        assert!(
            !serde_json::to_string(&found).unwrap().contains("Aino"),
            "no names"
        );
        // The owner and the director are mailed once each, with the count and no names.
        let outbox = host.send(Call::get("/dev/outbox")).await;
        outbox.expect(200);
        let mut reminded: Vec<String> = outbox.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|mail| {
                mail["subject"]
                    == format!(
                        "1 child is still checked in after closing at {}",
                        world.a.tenant.name().as_str()
                    )
            })
            .map(|mail| mail["to"].as_str().unwrap().to_owned())
            .collect();
        reminded.sort();
        let mut expected: Vec<String> = [Role::Owner, Role::Director]
            .into_iter()
            .map(|role| world.a.member(role).email.clone())
            .collect();
        expected.sort();
        assert_eq!(reminded, expected);
        assert!(!outbox.text().contains("Aino"), "no names in mail");
    }

    async fn two_schedulers_start_each_run_once_per_centre(_host: &impl Host, world: &World) {
        let every_minute =
            vec![Schedule::new("upload_retention", Task::UploadRetention, "0 * * * * *").unwrap()];
        let now = OffsetDateTime::now_utc();
        let since = now - time::Duration::minutes(3);
        let periods = every_minute[0].periods(since, now).len();
        assert!((3..=4).contains(&periods), "{periods}");
        let jobs = &world.app().jobs;
        let (first, second) = tokio::join!(
            jobs.fire_due(&every_minute, since, now),
            jobs.fire_due(&every_minute, since, now),
        );
        let started = first.unwrap() + second.unwrap();
        let centres = world.centres().await;
        assert_eq!(
            started,
            periods * centres,
            "each run once per centre, whichever scheduler"
        );
        // A later tick over the same window starts nothing.
        assert_eq!(jobs.fire_due(&every_minute, since, now).await.unwrap(), 0);
        let depth = world.app().ports().jobs.depth(Queue::Bulk).await.unwrap();
        assert_eq!(
            depth.waiting as usize, started,
            "retention runs on the bulk queue"
        );
        work(world).await;
    }

    async fn retention_removes_uploads_never_confirmed_after_a_day(
        host: &impl Host,
        world: &World,
    ) {
        let token = &world.a.director;
        let mut files = Vec::new();
        for _ in 0..2 {
            let reply = presign(host, token, &json!({ "operation": "upload", "purpose": "document", "content_type": "application/pdf", "size": 4 })).await;
            reply.expect(201);
            files.push(reply.json()["file"]["id"].as_str().unwrap().to_owned());
        }
        // One arrives and is confirmed; the other never does.
        let scope = system(world);
        let kept: FileId = files[0].parse().unwrap();
        let record = world.app().files.get(&scope, kept).await.unwrap();
        world
            .app()
            .ports()
            .objects
            .put(
                &scope,
                record.key(),
                "application/pdf",
                Bytes::from_static(b"%PDF"),
            )
            .await
            .unwrap();
        host.send(Call::post(&format!("/v1/files/{kept}/confirm")).bearer(token))
            .await
            .expect(200);

        world.clock.advance(time::Duration::days(2));
        let hourly =
            vec![Schedule::new("upload_retention", Task::UploadRetention, "0 0 * * * *").unwrap()];
        let now = world.app().ports().clock.now();
        let started = world
            .app()
            .jobs
            .fire_due(&hourly, now - time::Duration::hours(1), now)
            .await
            .unwrap();
        assert_eq!(started, 2, "one run per centre");
        work(world).await;
        assert!(
            world.app().files.get(&scope, kept).await.is_ok(),
            "a stored file stays"
        );
        let gone: FileId = files[1].parse().unwrap();
        assert!(
            matches!(
                world.app().files.get(&scope, gone).await,
                Err(cubby_app::AppError::NotFound)
            ),
            "the stale pending upload is removed"
        );
    }

    async fn presign(host: &impl Host, token: &str, body: &Value) -> cubby_tests::Reply {
        host.send(Call::post("/v1/files/presign").bearer(token).json(body))
            .await
    }
}

/// A job queue whose enqueues fail while `down` is set.
struct Unreachable {
    inner: Arc<dyn JobQueue>,
    down: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl JobQueue for Unreachable {
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(RepoError::Unavailable("the queue is down".into()));
        }
        self.inner.enqueue(queue, job, delay).await
    }
    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        self.inner.receive(queue, max, visibility).await
    }
    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError> {
        self.inner.ack(queue, delivery).await
    }
    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError> {
        self.inner.retry(queue, delivery, delay).await
    }
    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError> {
        self.inner.dead_letter(queue, delivery, reason).await
    }
    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError> {
        self.inner.dead_letters(queue, max).await
    }
    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError> {
        self.inner.depth(queue).await
    }
}

#[tokio::test]
async fn a_run_whose_queue_failed_is_marked_failed_and_started_by_the_next_tick() {
    use cubby_app::jobs::{Schedule, Task};
    let mut ports = cubby_adapters_memory::embedded_ports();
    let down = Arc::new(AtomicBool::new(true));
    ports.jobs = Arc::new(Unreachable {
        inner: ports.jobs.clone(),
        down: down.clone(),
    });
    let world = World::on(ports, test_config(), test_api_config()).await;
    let host = cubby_tests::LambdaHost::start(&world);
    let jobs = &world.app().jobs;
    let hourly =
        vec![Schedule::new("upload_retention", Task::UploadRetention, "0 0 * * * *").unwrap()];
    let now = OffsetDateTime::now_utc();
    let since = now - time::Duration::hours(1);

    // A report asked for while the queue is down: 503 (its record is marked failed, not left
    // waiting).
    let (day, _) = yesterday();
    host.send(report_of(&day).bearer(&world.a.director))
        .await
        .expect_error(503, "unavailable");

    // A tick while the queue is down fails; its runs are marked, not lost.
    assert!(jobs.fire_due(&hourly, since, now).await.is_err());
    down.store(false, Ordering::SeqCst);
    let started = jobs.fire_due(&hourly, since, now).await.unwrap();
    let centres = world.centres().await;
    assert_eq!(
        started, centres,
        "the next tick starts the run the failed one claimed, and the others"
    );
    assert_eq!(
        jobs.fire_due(&hourly, since, now).await.unwrap(),
        0,
        "and only once"
    );
    let depth = world.app().ports().jobs.depth(Queue::Bulk).await.unwrap();
    assert_eq!(depth.waiting as usize, started);
    work(&world).await;
}

/// The container worker takes no more jobs once told to stop, even with jobs waiting.
#[tokio::test]
async fn the_worker_stops_between_batches_when_told() {
    let app = Arc::new(
        cubby_app::App::new(cubby_adapters_memory::embedded_ports(), test_config()).unwrap(),
    );
    let waiting = JobEnvelope {
        id: cubby_domain::JobId::from_uuid(Uuid::now_v7()),
        tenant: cubby_domain::TenantId::from_uuid(Uuid::now_v7()),
        kind: "upload_retention".to_owned(),
        payload: r#"{"kind":"upload_retention"}"#.to_owned(),
        attempt: 0,
        traceparent: None,
    };
    let jobs = app.ports().jobs.clone();
    jobs.enqueue(Queue::Bulk, &waiting, Duration::ZERO)
        .await
        .unwrap();
    cubby_host_actix::worker::run(app.clone(), std::future::ready(())).await;
    assert_eq!(
        jobs.depth(Queue::Bulk).await.unwrap().waiting,
        1,
        "stopped first"
    );

    // Not told to stop yet: it takes the job (without a record, dropped), then stops.
    cubby_host_actix::worker::run(app, tokio::time::sleep(Duration::from_millis(200))).await;
    let depth = jobs.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight), (0, 0));
}
