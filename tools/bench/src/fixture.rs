//! What the load scripts read, written to the `--out` directory (files readable by their owner
//! only: they hold access tokens and a password):
//!
//! - `tokens.txt`: one director access token a line, one line per sampled tenant;
//! - `targets.txt`: one child a line, `TOKEN_LINE CHILD_ID ROOM_ID CONTACT_ID` (the line of
//!   `tokens.txt`, from 1, of the child's tenant);
//! - `login.json`: the body of `POST /v1/auth/login` for the first tenant's director;
//! - `summary.json`: the data set's size and how long seeding took;
//! - `address`: the server's address, written last, once it listens.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use secrecy::ExposeSecret;

use crate::Options;
use crate::seed::Seeded;

/// Writes the fixture files but `address`.
pub(crate) fn write(options: &Options, seeded: &Seeded, seconds: f64) -> std::io::Result<()> {
    std::fs::create_dir_all(&options.out)?;
    let mut tokens = String::new();
    let mut targets = String::new();
    for (line, tenant) in seeded.tenants.iter().enumerate() {
        tokens.push_str(&tenant.token);
        tokens.push('\n');
        for child in &tenant.children {
            // Writing to a String cannot fail.
            let _ = writeln!(
                targets,
                "{} {} {} {}",
                line + 1,
                child.id,
                child.room,
                child.contact
            );
        }
    }
    private(&options.out.join("tokens.txt"), tokens.as_bytes())?;
    private(&options.out.join("targets.txt"), targets.as_bytes())?;
    let login = serde_json::json!({
        "tenant_code": seeded.login.tenant_code,
        "email": seeded.login.email,
        "password": seeded.login.password.expose_secret(),
    });
    private(
        &options.out.join("login.json"),
        login.to_string().as_bytes(),
    )?;
    let summary = serde_json::json!({
        "tenants": options.tenants,
        "children_per_tenant": options.children,
        "staff_per_tenant": options.staff,
        "days": options.days,
        "children": seeded.children,
        "attendance_events": seeded.events,
        "sampled_tenants": seeded.tenants.len(),
        "first_tenant_code": seeded.tenants.first().map(|t| t.code.as_str()),
        "seed_seconds": seconds,
    });
    private(
        &options.out.join("summary.json"),
        summary.to_string().as_bytes(),
    )
}

/// Writes `address`: the server listens.
pub(crate) fn ready(out: &Path, address: SocketAddr) -> std::io::Result<()> {
    let partial = out.join("address.partial");
    private(&partial, address.to_string().as_bytes())?;
    std::fs::rename(partial, out.join("address"))
}

/// Writes a file only its owner can read.
fn private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
