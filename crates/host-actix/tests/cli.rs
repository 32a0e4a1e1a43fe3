//! The `cubby` binary as the README shows it: with no settings, it serves the API on the
//! in-memory store with the demo data set; on MongoDB it keeps that data set across restarts;
//! it manages indexes; and it refuses bad settings with a clear message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary with no `CUBBY_*` variable inherited from the test's environment.
fn cubby() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cubby"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CUBBY_") {
            command.env_remove(key);
        }
    }
    command
}

/// `cubby` serving in dev on port 0 with `settings`: the process, the base URL, the banner's
/// first line and the demo tokens.
fn serve(settings: &[(&str, &str)]) -> (Running, String, String, Value) {
    let tokens_file = std::env::temp_dir().join(format!("cubby-cli-{}.json", uuid::Uuid::now_v7()));
    let mut command = cubby();
    command
        .env("CUBBY_BIND", "127.0.0.1:0")
        .env("CUBBY_DEMO_TOKENS_FILE", &tokens_file);
    for (key, value) in settings {
        command.env(key, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    // The banner names the address; the logs come before it on the same stream. The stream is
    // drained to its end so that the process never writes into a closed pipe.
    let (found, banner) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut headline = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("Cubby is running") {
                headline = line.clone();
            }
            if let Some(address) = line
                .trim()
                .strip_prefix("API:")
                .and_then(|rest| rest.split_whitespace().next())
            {
                let _ = found.send((address.trim_end_matches("/v1").to_owned(), headline.clone()));
            }
        }
    });
    let (base, headline) = banner
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the banner names the API address");
    // The tokens file is written before the banner is printed.
    let tokens: Value = serde_json::from_slice(&std::fs::read(&tokens_file).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tokens_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the tokens file is readable by others");
    }
    let _ = std::fs::remove_file(&tokens_file);
    (running, base, headline, tokens)
}

fn client() -> reqwest::Client {
    cubby_compose::install_default_tls_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn room_count(base: &str, tokens: &Value) -> u64 {
    let token = tokens["sunny-days"]["director"].as_str().unwrap();
    let rooms: Value = client()
        .get(format!("{base}/v1/rooms"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    rooms["total"].as_u64().unwrap()
}

#[tokio::test]
async fn with_no_settings_it_serves_the_demo_data_set() {
    let (running, base, headline, tokens) = serve(&[]);
    assert!(headline.contains("in-memory"), "{headline}");
    let client = client();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    for tenant in ["sunny-days", "maple-grove"] {
        for role in ["owner", "director", "teacher", "guardian"] {
            assert!(
                tokens[tenant][role].is_string(),
                "no {role} token for {tenant}"
            );
        }
    }
    let director = tokens["sunny-days"]["director"].as_str().unwrap();

    // The README's examples.
    let rooms: Value = client
        .get(format!("{base}/v1/rooms"))
        .bearer_auth(director)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = rooms["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(rooms["total"], 3);
    assert!(names.contains(&"Koalas"), "{names:?}");

    // A day under way: children, the guardian's own child, a live ratio, an announcement.
    let get = |path: String, token: String| {
        let request = client.get(format!("{base}{path}")).bearer_auth(token);
        async move {
            let reply = request.send().await.unwrap();
            assert_eq!(reply.status(), 200, "{path}");
            reply.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        get("/v1/children".into(), director.into()).await["total"],
        6
    );
    let guardian = tokens["sunny-days"]["guardian"].as_str().unwrap();
    let own = get("/v1/children".into(), guardian.into()).await;
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["access"], "guardian");
    let teacher = tokens["sunny-days"]["teacher"].as_str().unwrap();
    let theirs = get("/v1/children".into(), teacher.into()).await;
    assert_eq!(theirs["total"], 2, "the teacher's room has two children");
    let first_room = theirs["items"][0]["room_id"].as_str().unwrap().to_owned();
    let ratio = get(format!("/v1/rooms/{first_room}/ratio"), teacher.into()).await;
    assert_eq!(
        (ratio["children"].as_u64(), ratio["staff"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(ratio["complies"], true);
    assert_eq!(
        get("/v1/announcements".into(), guardian.into()).await["total"],
        1
    );

    let created = client
        .post(format!("{base}/v1/rooms"))
        .bearer_auth(director)
        .header("idempotency-key", "readme-possums")
        .json(&json!({ "name": "Possums", "age_range": { "min_months": 24, "max_months": 48 }, "capacity": 16, "ratio": "1:8" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let room: Value = created.json().await.unwrap();
    let id = room["id"].as_str().unwrap();

    let changed = client
        .patch(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(director)
        .header("if-match", "\"1\"")
        .json(&json!({ "capacity": 18 }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);

    let archived = client
        .delete(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(director)
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 200);

    // The platform operator key of this process, printed and written under "platform".
    let key = tokens["platform"].as_str().unwrap();
    let centres = client
        .get(format!("{base}/platform/v1/centres"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(centres.status(), 200);
    assert_eq!(centres.json::<Value>().await.unwrap()["total"], 2);
    let refused = client
        .get(format!("{base}/platform/v1/centres"))
        .bearer_auth(director)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let other_centre = tokens["maple-grove"]["director"].as_str().unwrap();
    let hidden = client
        .get(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(other_centre)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    drop(running);
}

/// A fresh database on the test MongoDB server, as a connection string.
fn fresh_database() -> Option<String> {
    let uri = cubby_ports::contract::services::mongodb_uri()?;
    let name = format!("cubby_cli_{}", uuid::Uuid::now_v7().simple());
    Some(match uri.split_once("/?") {
        Some((server, options)) => format!("{server}/{name}?{options}"),
        None => format!("{}/{name}", uri.trim_end_matches('/')),
    })
}

#[test]
fn ensure_indexes_creates_every_index_and_says_so() {
    let Some(uri) = fresh_database() else { return };
    for _ in 0..2 {
        let output = cubby()
            .args(["admin", "ensure-indexes"])
            .env("CUBBY_MONGODB_URI", &uri)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed = String::from_utf8_lossy(&output.stdout);
        for index in [
            "tenants: tenants_code_unique",
            "rooms: rooms_tenant_active_name_unique",
            "rooms: rooms_tenant_created",
        ] {
            assert!(listed.contains(index), "{listed}");
        }
    }
    let output = cubby().args(["admin", "ensure-indexes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CUBBY_MONGODB_URI is not set"));
}

#[tokio::test]
async fn in_dev_on_mongodb_the_demo_data_set_is_stored_once() {
    let Some(uri) = fresh_database() else { return };
    let (running, base, headline, tokens) = serve(&[("CUBBY_MONGODB_URI", &uri)]);
    assert!(headline.contains("MongoDB"), "{headline}");
    assert_eq!(room_count(&base, &tokens).await, 3);
    drop(running);

    let (_running, base, _, tokens) = serve(&[("CUBBY_MONGODB_URI", &uri)]);
    assert_eq!(
        room_count(&base, &tokens).await,
        3,
        "a restart seeds nothing twice"
    );
}

#[test]
fn bad_settings_stop_it_with_a_message_naming_each_variable() {
    let output = cubby()
        .env("CUBBY_ENV", "production")
        .env("CUBBY_ACCESS_TOKEN_TTL_MINUTES", "90")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(78));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("CUBBY_ENV: must be dev, staging or prod"),
        "{message}"
    );
    assert!(
        message.contains("CUBBY_ACCESS_TOKEN_TTL_MINUTES"),
        "{message}"
    );
}

#[test]
fn prod_refuses_to_start_on_the_in_memory_store_or_without_keys() {
    let output = cubby()
        .env("CUBBY_ENV", "prod")
        .env("CUBBY_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(78));
    let message = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "CUBBY_MONGODB_URI: is required in prod",
        "CUBBY_REDIS_URL: is required in prod",
        "CUBBY_S3_BUCKET: is required in prod",
        "CUBBY_JWT_KEYS: is required in prod",
        "CUBBY_CSRF_SECRET: is required in prod",
        "CUBBY_SMTP_URL: a mail transport is required in prod",
        "CUBBY_JWT_HS256_SECRET: HS256 is for dev only",
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing from: {message}"
        );
    }
}

#[test]
fn an_unknown_command_or_flag_is_refused_with_the_usage() {
    for args in [
        &["serv"][..],
        &["admin"],
        &["admin", "drop-everything"],
        &["admin", "job", "sunny-days"],
        &["--verbose"],
        &["serve", "--port", "8080"],
        &["worker", "extra"],
        &["admin", "jobs", "--all"],
    ] {
        let output = cubby().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains("Usage: cubby"), "{args:?}: {message}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let output = cubby().arg("serv").output().unwrap();
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("unrecognized subcommand 'serv'") && message.contains("'serve'"),
        "{message}"
    );
    let output = cubby().args(["serve", "--port", "8080"]).output().unwrap();
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("unexpected argument '--port'"),
        "{message}"
    );
}

/// Help needs no settings: it is printed even when they are broken.
fn help(args: &[&str]) -> String {
    let output = cubby()
        .args(args)
        .env("CUBBY_ENV", "production")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_command_has_its_help() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let text = help(args);
        assert!(text.starts_with("Cubby, the daycare backend"), "{text}");
        assert!(text.contains("Usage: cubby [COMMAND]"), "{text}");
        for command in ["serve", "worker", "scheduler", "health", "admin", "help"] {
            assert!(
                text.contains(&format!("\n  {command} ")),
                "{command}: {text}"
            );
        }
        assert!(text.contains("CUBBY_* environment variables"), "{text}");
    }
    for (args, usage, says) in [
        (
            &["serve", "--help"][..],
            "Usage: cubby serve",
            "Serve the API on CUBBY_BIND",
        ),
        (
            &["worker", "--help"],
            "Usage: cubby worker",
            "Run background jobs",
        ),
        (
            &["scheduler", "--help"],
            "Usage: cubby scheduler",
            "Start scheduled jobs",
        ),
        (&["health", "--help"], "Usage: cubby health", "/health/live"),
        (
            &["help", "worker"],
            "Usage: cubby worker",
            "Run background jobs",
        ),
        (
            &["admin", "--help"],
            "Usage: cubby admin <COMMAND>",
            "ensure-indexes",
        ),
        (
            &["admin", "ensure-indexes", "--help"],
            "Usage: cubby admin ensure-indexes",
            "MongoDB indexes",
        ),
        (
            &["admin", "jobs", "--help"],
            "Usage: cubby admin jobs",
            "dead letters",
        ),
        (
            &["admin", "job", "--help"],
            "Usage: cubby admin job <CENTRE> <JOB_ID>",
            "The centre's code",
        ),
        (
            &["admin", "help", "job"],
            "Usage: cubby admin job",
            "JOB_ID",
        ),
        (
            &["admin", "centre", "--help"],
            "Usage: cubby admin centre <COMMAND>",
            "suspend",
        ),
        (
            &["admin", "centre", "create", "--help"],
            "Usage: cubby admin centre create --code <CODE> --name <NAME> --time-zone <TZ> --owner-email <EMAIL>",
            "invite its first owner",
        ),
        (
            &["admin", "centre", "list", "--help"],
            "Usage: cubby admin centre list",
            "--code-prefix",
        ),
        (
            &["admin", "centre", "suspend", "--help"],
            "Usage: cubby admin centre suspend <CODE>",
            "refused",
        ),
        (
            &["admin", "centre", "resume", "--help"],
            "Usage: cubby admin centre resume <CODE>",
            "sign in again",
        ),
    ] {
        let text = help(args);
        assert!(text.contains(usage), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
    }
}

#[test]
fn admin_shows_the_queues_and_a_job() {
    let output = cubby().args(["admin", "jobs"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    for line in [
        "critical: 0 waiting, 0 in flight, 0 dead",
        "bulk: 0 waiting, 0 in flight, 0 dead",
    ] {
        assert!(text.contains(line), "{text}");
    }
    let output = cubby()
        .args([
            "admin",
            "job",
            "sunny-days",
            "job_01j00000000000000000000000",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no such centre"),
        "{output:?}"
    );
}

/// `cubby admin centre ...` with `settings`: its exit status, stdout and stderr.
fn admin_centre(args: &[&str], settings: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = cubby();
    command.args(["admin", "centre"]).args(args);
    for (key, value) in settings {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn admin_creates_a_centre_with_its_owner_invited_and_refuses_what_is_not_valid() {
    // In memory (dev), each command has a store of its own: one that creates says so.
    let create = [
        "create",
        "--code",
        "wattle-tree",
        "--name",
        "Wattle Tree Kindergarten",
        "--time-zone",
        "Australia/Perth",
        "--owner-email",
        "owner@wattle-tree.example",
    ];
    let (status, out, err) = admin_centre(&create, &[]);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("wattle-tree tenant_"), "{out}");
    assert!(
        out.contains("active \"Wattle Tree Kindergarten\" Australia/Perth"),
        "{out}"
    );
    assert!(out.contains("owner invited: invitation inv_"), "{out}");
    assert!(out.contains("invitation token (dev only): inv_"), "{out}");
    let (status, out, _) = admin_centre(&["list"], &[]);
    assert_eq!((status, out.trim()), (Some(0), "0 centres"));
    let (status, _, err) = admin_centre(&["suspend", "nowhere"], &[]);
    assert_eq!(status, Some(1));
    assert!(err.contains("no such centre"), "{err}");
    let mut bad = create;
    bad[6] = "Mars/Olympus_Mons";
    let (status, _, err) = admin_centre(&bad, &[]);
    assert_eq!(status, Some(1));
    assert!(err.contains("--time-zone"), "{err}");
}

#[test]
fn admin_suspends_and_resumes_a_centre_on_mongodb() {
    let Some(uri) = fresh_database() else { return };
    let mongo = [("CUBBY_MONGODB_URI", uri.as_str())];
    for code in ["wattle-tree", "wattle-grove"] {
        let email = format!("owner@{code}.example");
        let (status, out, err) = admin_centre(
            &[
                "create",
                "--code",
                code,
                "--name",
                "Wattle",
                "--time-zone",
                "Australia/Perth",
                "--owner-email",
                &email,
            ],
            &mongo,
        );
        assert_eq!(status, Some(0), "{err}");
        assert!(out.contains(code), "{out}");
    }
    let (status, out, _) = admin_centre(&["suspend", "wattle-tree"], &mongo);
    assert_eq!(status, Some(0));
    assert!(
        out.contains("wattle-tree tenant_") && out.contains(" suspended "),
        "{out}"
    );
    let (_, out, _) = admin_centre(&["list", "--status", "suspended"], &mongo);
    assert!(
        out.contains("wattle-tree") && !out.contains("wattle-grove"),
        "{out}"
    );
    assert!(out.contains("1 centres"), "{out}");
    let (status, out, _) = admin_centre(&["resume", "wattle-tree"], &mongo);
    assert_eq!(status, Some(0));
    assert!(out.contains(" active "), "{out}");
    let (_, out, _) = admin_centre(&["list", "--code-prefix", "wattle-"], &mongo);
    assert!(out.contains("2 centres"), "{out}");
}

#[tokio::test]
async fn the_demo_users_sign_in_with_the_demo_password() {
    let (_running, base, _, _) = serve(&[("CUBBY_DEMO_PASSWORD", "demo-password-for-tests")]);
    let client = client();
    let login = |email: &'static str, password: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/v1/auth/login"))
                .json(&json!({ "tenant_code": "sunny-days", "email": email, "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    let session = login("director@sunny-days.example", "demo-password-for-tests").await;
    assert_eq!(session.status(), 200);
    let session: Value = session.json().await.unwrap();
    let rooms = client
        .get(format!("{base}/v1/rooms"))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rooms.status(), 200);
    assert_eq!(
        login("director@sunny-days.example", "not-it")
            .await
            .status(),
        401
    );
    assert_eq!(
        login("guardian@maple-grove.example", "demo-password-for-tests")
            .await
            .status(),
        401,
        "wrong centre"
    );
}

/// The address `cubby` says it serves on, from its JSON log line, for environments without
/// the dev banner.
fn serving_address(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(log) = serde_json::from_str::<Value>(&line)
                && log["message"] == "cubby is serving"
            {
                let _ = found.send(format!("http://{}", log["listen"].as_str().unwrap()));
            }
        }
    });
    address
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("cubby logs the address it serves on")
}

#[tokio::test]
async fn staging_starts_with_an_eddsa_key_set_and_publishes_its_public_key() {
    let Some(uri) = fresh_database() else { return };
    let Some(redis) = cubby_ports::contract::services::redis_url() else {
        return;
    };
    let keys = json!([{
        "kid": "staging-1",
        "alg": "EdDSA",
        "private_key_pem": include_str!("../../../tests/fixtures/keys/ed25519-a.private.pem"),
    }]);
    let mut child = cubby()
        .env("CUBBY_ENV", "staging")
        .env("CUBBY_BIND", "127.0.0.1:0")
        .env("CUBBY_MONGODB_URI", &uri)
        .env("CUBBY_REDIS_URL", &redis)
        .env("CUBBY_S3_BUCKET", "cubby-staging")
        .env("CUBBY_APP_URL", "https://app.staging.example")
        .env("AWS_ACCESS_KEY_ID", "staging-test-key")
        .env("AWS_SECRET_ACCESS_KEY", "staging-test-secret")
        .env("CUBBY_JWT_KEYS", keys.to_string())
        .env("CUBBY_JWT_SIGNING_KID", "staging-1")
        .env(
            "CUBBY_CSRF_SECRET",
            "a-csrf-secret-of-thirty-two-bytes-or-more",
        )
        // Nothing connects before the first message: a port nothing listens on will do.
        .env("CUBBY_SMTP_URL", "smtp://127.0.0.1:9")
        .env(
            "CUBBY_MAIL_FROM",
            "Cubby Staging <no-reply@staging.cubby.test>",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = serving_address(&mut child);
    let _running = Running(child);
    let client = client();
    let jwks: Value = client
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "staging-1");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert!(jwks["keys"][0].get("d").is_none());
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // No demo data exists outside dev: nobody can sign in.
    let login = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "tenant_code": "sunny-days", "email": "director@sunny-days.example", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
}

#[test]
fn a_broken_key_set_stops_it_with_a_message_naming_the_key() {
    let output = cubby()
        .env(
            "CUBBY_JWT_KEYS",
            json!([{ "kid": "bad-1", "alg": "EdDSA", "private_key_pem": "not a pem" }]).to_string(),
        )
        .env("CUBBY_JWT_SIGNING_KID", "bad-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(78));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("CUBBY_JWT_KEYS") && message.contains("bad-1"),
        "{message}"
    );
    assert!(!message.contains("not a pem"), "{message}");
}
