//! The architecture invariants of docs/ARCHITECTURE.md, checked on the source tree.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file under `dir`, with its path relative to the workspace root.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap().trim();
            names.push(name.to_owned());
        }
    }
    names
}

/// Every constructor of a scope (and of the verified session one is made from), with the only
/// files that may call it. None grants every permission: see `crates/ports/src/scope.rs`.
const SCOPE_CONSTRUCTORS: &[(&str, &[&str])] = &[
    (
        "VerifiedSession::establish(",
        &["crates/app/src/session.rs"],
    ),
    (
        "TenantScope::from_verified_session(",
        &["crates/app/src/session.rs"],
    ),
    ("TenantScope::for_job(", &["crates/app/src/jobs/worker.rs"]),
    (
        "TenantScope::for_schedule(",
        &["crates/app/src/jobs/schedules.rs"],
    ),
    ("TenantScope::for_sign_in(", &["crates/app/src/audit.rs"]),
    (
        "TenantScope::for_permission_lookup(",
        &["crates/app/src/cache/permissions.rs"],
    ),
    (
        "TenantScope::for_invitee(",
        &["crates/app/src/auth/invitation.rs"],
    ),
    (
        "TenantScope::for_provisioning(",
        &["crates/compose/src/demo.rs", "tools/bench/src/seed.rs"],
    ),
    (
        "TenantScope::for_platform_mail(",
        &["crates/app/src/mail.rs"],
    ),
    (
        "TenantScope::for_operator(",
        &[
            "crates/app/src/platform.rs",
            "crates/host-actix/src/main.rs",
        ],
    ),
];

/// Every source file of the workspace but this one, with its path.
fn workspace_sources() -> Vec<(String, String)> {
    ["crates", "tools", "tests"]
        .into_iter()
        .map(|dir| root().join(dir))
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| sources(&dir))
        .filter(|(path, _)| !path.ends_with("e2e/architecture.rs"))
        .collect()
}

/// `text` without its unit tests (a trailing `#[cfg(test)] mod tests`).
fn without_unit_tests(text: &str) -> &str {
    text.split("\n#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or(text)
}

/// Whether the file at `path` is a module's unit tests of their own: a `tests.rs` that its
/// parent module declares as `#[cfg(test)] mod tests;`.
fn is_unit_test_file(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/tests.rs") else {
        return false;
    };
    ["", "/mod", "/lib", "/main"]
        .into_iter()
        .filter_map(|parent| std::fs::read_to_string(root().join(format!("{dir}{parent}.rs"))).ok())
        .any(|parent| parent.contains("\n#[cfg(test)]\nmod tests;"))
}

/// The files whose code (unit tests aside) calls `constructor` (written `Type::name(`; the
/// definition is `fn name(`).
fn callers_of(constructor: &str, sources: &[(String, String)]) -> Vec<String> {
    sources
        .iter()
        .filter(|(path, _)| !is_unit_test_file(path))
        .filter(|(_, text)| without_unit_tests(text).contains(constructor))
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
fn each_scope_constructor_is_called_only_from_its_listed_files() {
    let sources = workspace_sources();
    for (constructor, allowed) in SCOPE_CONSTRUCTORS {
        assert_eq!(
            callers_of(constructor, &sources),
            allowed.to_vec(),
            "the callers of {constructor}"
        );
    }
}

#[test]
fn every_scope_constructor_is_listed_and_none_grants_everything() {
    let file = std::fs::read_to_string(root().join("crates/ports/src/scope.rs")).unwrap();
    let definition = without_unit_tests(&file);
    let listed: Vec<&str> = SCOPE_CONSTRUCTORS
        .iter()
        .map(|(constructor, _)| constructor.split_once("::").unwrap().1)
        .collect();
    // Every public function of scope.rs that answers a new value is a constructor to list.
    for line in definition.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("pub fn ") else {
            continue;
        };
        let name = &rest[..rest.find(['(', '<']).unwrap() + 1];
        let returns_new = definition
            .split(line)
            .nth(1)
            .and_then(|after| after.split('{').next())
            .is_some_and(|signature| {
                signature.contains("-> Self") || signature.contains("Result<Self")
            });
        let takes_self = rest.contains("self");
        if returns_new && !takes_self && name != "for_test(" {
            assert!(listed.contains(&name), "scope.rs: {name} is not listed");
        }
    }
    assert!(
        !definition.contains("PermissionSet::all()"),
        "a scope constructor grants every permission"
    );
}

#[test]
fn test_scopes_stay_in_tests_and_benchmarks() {
    for (path, text) in workspace_sources()
        .into_iter()
        .filter(|(path, _)| !path.starts_with("tests/"))
    {
        let Some(first_use) = text.find("TenantScope::for_test(") else {
            continue;
        };
        let allowed = path.starts_with("crates/ports/src/contract/")
            || path.contains("/benches/")
            || is_unit_test_file(&path)
            || text[..first_use].contains("#[cfg(test)]");
        assert!(allowed, "{path} builds a test scope outside tests");
    }
}

#[test]
fn the_domain_has_no_io_async_or_serialization_dependency() {
    let deps = dependencies(&root().join("crates/domain/Cargo.toml"));
    assert_eq!(deps, ["jiff", "thiserror", "time", "uuid"]);
    for (path, text) in sources(&root().join("crates/domain/src")) {
        for word in ["serde", "async fn", "tokio", "std::fs", "std::net"] {
            assert!(!text.contains(word), "{path} mentions {word}");
        }
    }
}

#[test]
fn only_adapters_know_drivers_and_only_hosts_know_frameworks() {
    let drivers = [
        "mongodb",
        "redis",
        "aws-sdk-s3",
        "aws-sdk-sqs",
        "aws-sdk-sesv2",
        "aws-config",
        "lettre",
        "aws-sigv4",
    ];
    let frameworks = [
        "actix-web",
        "lambda_http",
        "lambda_runtime",
        "aws_lambda_events",
    ];
    for dir in crate_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        for dep in dependencies(&dir.join("Cargo.toml")) {
            if drivers.contains(&dep.as_str()) {
                assert!(
                    name.starts_with("adapters-"),
                    "{name} depends on the driver {dep}"
                );
            }
            if frameworks.contains(&dep.as_str()) {
                assert!(
                    name.starts_with("host-"),
                    "{name} depends on the framework {dep}"
                );
            }
            // Only the tools (tools/bench) and the tests build on a host.
            if dep.starts_with("cubby-host") {
                panic!("{name} depends on a host");
            }
            if name.starts_with("adapters-") {
                assert!(
                    !["cubby-app", "cubby-api"].contains(&dep.as_str()),
                    "{name} depends on {dep}"
                );
                // Below the ports: the domain, and the AWS configuration the S3, SQS and SES
                // adapters share. Never the settings, which the composition root maps.
                if dep.starts_with("cubby-") {
                    assert!(
                        ["cubby-ports", "cubby-domain", "cubby-adapters-aws"]
                            .contains(&dep.as_str()),
                        "{name} depends on {dep}"
                    );
                }
            }
        }
    }
    // Every adapter crate is held to the rules above by its name; the identity verifier is one.
    let jwks = dependencies(&root().join("crates/adapters-jwks/Cargo.toml"));
    assert!(jwks.contains(&"cubby-ports".to_owned()), "{jwks:?}");
    let core = ["domain", "ports", "app", "api"];
    for name in core {
        for dep in dependencies(&root().join("crates").join(name).join("Cargo.toml")) {
            assert!(
                !dep.starts_with("cubby-adapters"),
                "{name} depends on {dep}"
            );
        }
    }
}

#[test]
fn the_core_makes_no_outbound_calls_and_the_use_cases_know_no_backend() {
    // Fetching over HTTPS (the Supabase JWK Set) is an adapter's work (`adapters-jwks`), reached
    // through the `IdentityVerifier` port; exporting traces is telemetry's, reached through
    // `cubby_ports::trace`; reading the environment is the settings crate's.
    let clients = [
        "reqwest",
        "rustls",
        "webpki-roots",
        "hyper",
        "ureq",
        "lettre",
    ];
    let backends = [
        "dotenvy",
        "opentelemetry",
        "tracing-",
        "sentry",
        "metrics-exporter",
        "mongodb",
        "redis",
        "aws-",
        "actix",
        "lambda",
        "cubby-adapters",
        "cubby-telemetry",
        "cubby-compose",
        "cubby-host",
    ];
    for name in ["domain", "ports", "app", "api"] {
        for dep in dependencies(&root().join("crates").join(name).join("Cargo.toml")) {
            assert!(
                !clients.contains(&dep.as_str()),
                "{name} depends on the HTTP or TLS client {dep}"
            );
            if name == "app" {
                assert!(
                    !backends.iter().any(|backend| dep.starts_with(backend)),
                    "app depends on {dep}"
                );
            }
        }
    }
}

#[test]
fn every_tenant_owned_port_method_takes_the_scope_first() {
    // Platform-level and infrastructure traits that are deliberately not tenant-owned: the
    // lookups that run before a session exists (tenants, users, memberships, invitations being
    // accepted, session state, sign-in throttling), the cache, whose keys carry their tenant
    // because only tenant-naming constructors build them, and the request gate, which reads
    // those three before the session exists; the in-memory store's object endpoint, which
    // serves anonymous requests whose signed grant (made under a scope) names the key; the
    // identity verifier, which checks a provider's token before any session exists; the
    // mailer, which hands on a message already rendered and addressed (by a job that ran under
    // a scope), and the dev outbox listing what it was given; and the trace context, which
    // reads the tracing dispatcher and no data.
    let unscoped = [
        "TenantDirectory",
        "UserDirectory",
        "MembershipDirectory",
        "InvitationDirectory",
        "TokenStore",
        "RateLimiter",
        "HealthProbe",
        "Clock",
        "IdGenerator",
        "Cache",
        "RequestGate",
        "LocalObjects",
        "JobQueue",
        "IdentityVerifier",
        "Mailer",
        "MailOutbox",
        "TraceContext",
        "Mailer",
        "MailOutbox",
    ];
    let mut checked = 0;
    for (path, text) in sources(&root().join("crates/ports/src")) {
        if path.contains("/contract/") {
            continue;
        }
        let mut rest = text.as_str();
        while let Some(start) = rest.find("pub trait ") {
            let body_start = rest[start..].find('{').unwrap() + start;
            let body_end = rest[body_start..].find("\n}").unwrap() + body_start;
            let name = rest[start + "pub trait ".len()..]
                .split([':', ' ', '<', '{'])
                .next()
                .unwrap();
            let body = &rest[body_start..body_end];
            for signature in body.split(';').filter(|item| item.contains("fn ")) {
                let signature: String = signature[signature.find("fn ").unwrap()..]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if unscoped.contains(&name) {
                    continue;
                }
                assert!(
                    signature
                        .replace("( ", "(")
                        .contains("(&self, scope: &TenantScope"),
                    "{path}: {name}::{signature} does not take &TenantScope first"
                );
                checked += 1;
            }
            rest = &rest[body_end..];
        }
    }
    assert!(
        checked >= 12,
        "found only {checked} scoped methods; is the check still reading the traits?"
    );
}

#[test]
fn mongo_collection_helpers_take_only_filters_that_name_their_tenant() {
    let dir = root().join("crates/adapters-mongo/src");
    let lib = std::fs::read_to_string(dir.join("lib.rs")).unwrap();
    for helper in [
        "one_of",
        "all_of",
        "page_of",
        "exists",
        "missed",
        "replace_versioned",
    ] {
        let start = lib
            .find(&format!("pub(crate) async fn {helper}<"))
            .unwrap_or_else(|| panic!("lib.rs has no helper {helper}"));
        let signature = &lib[start..start + lib[start..].find('{').unwrap()];
        assert!(
            signature.contains("filter: Filter"),
            "{helper} takes a filter that is not a Filter"
        );
    }
    for (path, text) in sources(&dir) {
        let builds_one = text.contains("Filter(") && !path.ends_with("/filter.rs");
        assert!(!builds_one, "{path} builds a Filter itself");
        if text.contains("platform(") {
            let platform_level = [
                "tenants.rs",
                "users.rs",
                "memberships.rs",
                "invitations.rs",
                "filter.rs",
            ];
            assert!(
                platform_level.iter().any(|file| path.ends_with(file)),
                "{path} makes a platform-level filter"
            );
        }
    }
}

/// The MongoDB driver calls that take a filter as their first argument.
const MONGO_FILTERED_CALLS: [&str; 12] = [
    ".find(",
    ".find_one(",
    ".count_documents(",
    ".update_one(",
    ".update_many(",
    ".replace_one(",
    ".delete_one(",
    ".delete_many(",
    ".find_one_and_update(",
    ".find_one_and_replace(",
    ".find_one_and_delete(",
    ".distinct(",
];

/// The first argument of a call whose text starts just after its `(`: up to the `,` or `)` that
/// closes it at depth 0.
fn first_argument(text: &str) -> &str {
    let mut depth = 0_i32;
    for (at, c) in text.char_indices() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' if depth == 0 => return &text[..at],
            ')' | '}' | ']' => depth -= 1,
            ',' if depth == 0 => return &text[..at],
            _ => {}
        }
    }
    text
}

#[test]
fn mongo_driver_calls_outside_tests_are_given_a_filter_that_names_its_tenant() {
    // A driver call's filter is a `Filter` (made only by `scoped`, `in_tenant` or `platform`,
    // `platform` being confined to the platform-level files by the test above) turned into a
    // document where it is passed: never a raw `doc!` or a document built beside it. Closures
    // are `Iterator::find`s, not driver calls.
    let mut checked = 0;
    for (path, text) in sources(&root().join("crates/adapters-mongo/src")) {
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for call in MONGO_FILTERED_CALLS {
            for (at, _) in code.match_indices(call) {
                let argument = first_argument(&code[at + call.len()..]).trim();
                if argument.starts_with('|') {
                    continue;
                }
                let line = code[..at].lines().count();
                let made_here = ["scoped(", "in_tenant(", "platform("]
                    .iter()
                    .any(|constructor| argument.starts_with(constructor));
                assert!(
                    (made_here && argument.ends_with(".into()"))
                        || argument.ends_with(".into_document()"),
                    "{path}:{line}: `{call}` is given `{argument}`, not a Filter"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 15,
        "found only {checked} driver calls; is the check still reading the adapter?"
    );
}

#[test]
fn in_memory_tenant_owned_tables_are_reached_through_a_scope() {
    for (path, text) in sources(&root().join("crates/adapters-memory/src")) {
        if path.ends_with("/partitioned.rs") {
            continue;
        }
        // The tenant directory is keyed by tenant id by nature; every other table partitions:
        // no field of a table names a tenant id itself (a map keyed by one, a set of pairs
        // with one, a value that carries one).
        if !path.ends_with("/tenants.rs") {
            let mut in_struct = false;
            for (number, line) in text.lines().enumerate() {
                if line.contains("struct ") && line.trim_end().ends_with('{') {
                    in_struct = true;
                } else if in_struct && line.starts_with('}') {
                    in_struct = false;
                } else if in_struct {
                    assert!(
                        !line.contains("TenantId"),
                        "{path}:{}: a table keyed by tenant by hand: {line}",
                        number + 1
                    );
                }
            }
        }
        for lookup in [".get(&scope.tenant_id())", ".get_mut(&scope.tenant_id())"] {
            assert!(!text.contains(lookup), "{path} looks a tenant up by hand");
        }
    }
}

/// The most lines a source file of `crates/app/src` may have (unit tests included): a use case
/// that outgrows it becomes a directory of submodules, one per step.
const MAX_APP_FILE_LINES: usize = 600;

#[test]
fn no_app_source_file_is_over_600_lines() {
    let long: Vec<String> = sources(&root().join("crates/app/src"))
        .into_iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, lines)| *lines > MAX_APP_FILE_LINES)
        .map(|(path, lines)| format!("{path} ({lines} lines)"))
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_APP_FILE_LINES} lines, split by use case or step: {}",
        long.join(", ")
    );
}
