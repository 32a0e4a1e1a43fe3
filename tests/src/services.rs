//! Real services for end-to-end tests: the shared ones `scripts/test` starts, and private
//! MongoDB stand-in and Redis processes a test can stop and start again on the same port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cubby_adapters_mongo::Mongo;
use cubby_adapters_redis::Redis;
use cubby_ports::contract::services::required;

/// A fresh database with every index on the shared MongoDB-compatible server.
pub async fn fresh_mongo(uri: &str) -> Mongo {
    let name = format!("cubby_e2e_{}", uuid::Uuid::now_v7().simple());
    let mongo = Mongo::connect_to(uri, Some(&name)).await.unwrap();
    mongo.ensure_indexes().await.unwrap();
    mongo
}

/// A Redis adapter in a namespace of its own.
pub fn fresh_redis(url: &str) -> Redis {
    Redis::connect(url, &format!("cubby-e2e-{}", uuid::Uuid::now_v7())).unwrap()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, up: bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let open = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if open == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "port {port} did not become {}",
        if up { "open" } else { "closed" }
    );
}

/// A service process of this test's own, on a fixed port, that can be stopped and started.
pub struct Private {
    command: Vec<String>,
    port: u16,
    child: Option<Child>,
}

impl Private {
    /// A private MongoDB stand-in, when `CUBBY_TEST_MONGO_PYTHON` names the interpreter of its
    /// environment (`scripts/test` does); `None` (or a failure under `CUBBY_REQUIRE_SERVICES`)
    /// otherwise.
    pub fn mongo() -> Option<Private> {
        let python = configured("CUBBY_TEST_MONGO_PYTHON")?;
        let launcher = format!(
            "{}/../scripts/services/mongo-standin.py",
            env!("CARGO_MANIFEST_DIR")
        );
        let port = free_port();
        Some(Self::start(
            vec![
                python,
                launcher,
                "--host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                port.to_string(),
            ],
            port,
        ))
    }

    /// A private Redis server, when `CUBBY_TEST_REDIS_SERVER` names its binary.
    pub fn redis() -> Option<Private> {
        let server = configured("CUBBY_TEST_REDIS_SERVER")?;
        let port = free_port();
        let command = [
            server.as_str(),
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ];
        Some(Self::start(
            command.iter().map(|s| (*s).to_owned()).collect(),
            port,
        ))
    }

    fn start(command: Vec<String>, port: u16) -> Private {
        let mut private = Private {
            command,
            port,
            child: None,
        };
        private.restart();
        private
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the process and waits until its port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        wait_for_port(self.port, false);
    }

    /// Starts the process again on the same port and waits until it listens.
    pub fn restart(&mut self) {
        let child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.port, true);
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn configured(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            assert!(
                !required(),
                "{variable} is not set and CUBBY_REQUIRE_SERVICES=1: run scripts/test"
            );
            eprintln!("skipped: {variable} is not set (scripts/test sets it)");
            None
        }
    }
}
