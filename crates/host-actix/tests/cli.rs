//! The `cubby` binary as the README shows it: with no settings, it serves the API on the
//! in-memory store with the demo data set, and refuses bad settings with a clear message.
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

fn cubby() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cubby"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CUBBY_") {
            command.env_remove(key);
        }
    }
    command
}

#[tokio::test]
async fn with_no_settings_it_serves_the_demo_data_set() {
    let tokens_file = std::env::temp_dir().join(format!("cubby-cli-{}.json", std::process::id()));
    let mut child = cubby()
        .env("CUBBY_BIND", "127.0.0.1:0")
        .env("CUBBY_DEMO_TOKENS_FILE", &tokens_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    // The banner names the address; the logs come before it on the same stream.
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.trim()
                .strip_prefix("API:")
                .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the banner names the API address");
    let base = base.trim_end_matches("/v1").to_owned();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let tokens: Value = serde_json::from_slice(&std::fs::read(&tokens_file).unwrap()).unwrap();
    for tenant in ["sunny-days", "maple-grove"] {
        for role in ["owner", "director", "teacher", "guardian"] {
            assert!(
                tokens[tenant][role].is_string(),
                "no {role} token for {tenant}"
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tokens_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the tokens file is readable by others");
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

    let created = client
        .post(format!("{base}/v1/rooms"))
        .bearer_auth(director)
        .json(&json!({ "name": "Possums", "age_range": { "min_months": 24, "max_months": 48 }, "capacity": 16, "ratio": "1:8" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let room: Value = created.json().await.unwrap();
    let id = room["id"].as_str().unwrap();

    let renamed = client
        .patch(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(director)
        .header("if-match", "\"1\"")
        .json(&json!({ "capacity": 18 }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);

    let archived = client
        .delete(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(director)
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 200);

    let other_centre = tokens["maple-grove"]["director"].as_str().unwrap();
    let hidden = client
        .get(format!("{base}/v1/rooms/{id}"))
        .bearer_auth(other_centre)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);

    drop(running);
    let _ = std::fs::remove_file(&tokens_file);
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
fn prod_refuses_to_start_on_the_in_memory_store() {
    let output = cubby().env("CUBBY_ENV", "prod").output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("CUBBY_MONGODB_URI: is required in prod"),
        "{message}"
    );
    assert!(
        message.contains("CUBBY_REDIS_URL: is required in prod"),
        "{message}"
    );
}

#[test]
fn an_unknown_command_is_refused_with_the_usage() {
    let output = cubby().arg("serv").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: cubby"));
}
