//! `cubby admin centre ...`: the platform API's work on centres, for operators with shell
//! access, against the stores the settings configure. The operator is `cli` in the audit log.

use anyhow::Context;
use clap::Subcommand;
use cubby_app::App;
use cubby_app::platform::{NewCentre, Operator};
use cubby_domain::{Email, Tenant, TenantCode, TenantName, TenantStatus, TimeZone};
use cubby_ports::{PageRequest, SortDirection, TenantQuery};
use secrecy::ExposeSecret;

/// `cubby admin centre ...`.
#[derive(Debug, Subcommand)]
pub enum CentreCommand {
    /// Create a centre and invite its first owner (by mail)
    Create {
        /// The centre's code: 3 to 40 lowercase letters, digits and single hyphens
        #[arg(long)]
        code: String,
        /// The centre's name
        #[arg(long)]
        name: String,
        /// Its IANA time zone (Australia/Sydney)
        #[arg(long = "time-zone", value_name = "TZ")]
        time_zone: String,
        /// The address of its first owner, who is invited
        #[arg(long = "owner-email", value_name = "EMAIL")]
        owner_email: String,
    },
    /// List the centres, in code order
    List {
        /// Only centres whose code starts with this
        #[arg(long = "code-prefix", value_name = "PREFIX")]
        code_prefix: Option<String>,
        /// Only centres with this status (active or suspended)
        #[arg(long)]
        status: Option<String>,
    },
    /// Suspend a centre: its sessions and sign-ins are refused from now on
    Suspend {
        /// The centre's code
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// Resume a suspended centre: its members sign in again
    Resume {
        /// The centre's code
        #[arg(value_name = "CODE")]
        code: String,
    },
}

/// Runs `command` on `app`; in dev (`dev`), a new owner's invitation token is printed too.
///
/// # Errors
///
/// A value that is not valid, an unknown centre, a taken code, or a store failure.
pub async fn run(app: &App, dev: bool, command: CentreCommand) -> anyhow::Result<()> {
    let operator = Operator::command_line();
    let platform = &app.platform;
    match command {
        CentreCommand::Create {
            code,
            name,
            time_zone,
            owner_email,
        } => {
            let new = NewCentre {
                code: TenantCode::parse(&code).context("--code")?,
                name: TenantName::parse(&name).context("--name")?,
                time_zone: TimeZone::parse(&time_zone).context("--time-zone")?,
                owner_email: Email::parse(&owner_email).context("--owner-email")?,
            };
            let created = platform.create_centre(&operator, new).await?;
            let invitation = &created.invitation.invitation;
            report(&[
                describe(&created.centre),
                format!(
                    "owner invited: invitation {} ({}), expires {}",
                    invitation.id(),
                    invitation.status().as_str(),
                    invitation.expires_at()
                ),
            ]);
            if dev {
                report(&[format!(
                    "invitation token (dev only): {}",
                    created.invitation.token.expose_secret()
                )]);
            }
        }
        CentreCommand::List {
            code_prefix,
            status,
        } => {
            let status = status
                .map(|s| TenantStatus::parse(&s).context("--status is active or suspended"))
                .transpose()?;
            list(app, &operator, code_prefix, status).await?;
        }
        CentreCommand::Suspend { code } => {
            let centre = by_code(app, &operator, &code).await?;
            report(&[describe(&platform.suspend(&operator, centre.id()).await?)]);
        }
        CentreCommand::Resume { code } => {
            let centre = by_code(app, &operator, &code).await?;
            report(&[describe(&platform.resume(&operator, centre.id()).await?)]);
        }
    }
    Ok(())
}

/// Every centre the filters select, a page at a time.
async fn list(
    app: &App,
    operator: &Operator,
    code_prefix: Option<String>,
    status: Option<TenantStatus>,
) -> anyhow::Result<()> {
    let limit = cubby_ports::MAX_LIMIT;
    let mut offset = 0;
    loop {
        let query = TenantQuery {
            code_prefix: code_prefix.clone(),
            status,
            direction: SortDirection::Ascending,
            page: PageRequest::new(limit, offset)?,
        };
        let page = app.platform.centres(operator, &query).await?;
        report(&page.items.iter().map(describe).collect::<Vec<_>>());
        offset += u64::from(limit);
        if offset >= page.total || page.items.is_empty() {
            report(&[format!("{} centres", page.total)]);
            return Ok(());
        }
    }
}

/// The centre with the code `code`.
async fn by_code(app: &App, operator: &Operator, code: &str) -> anyhow::Result<Tenant> {
    let code = TenantCode::parse(code).context("CODE is a centre's code")?;
    app.platform
        .centre_by_code(operator, &code)
        .await
        .context("no such centre")
}

/// One line about a centre.
fn describe(centre: &Tenant) -> String {
    format!(
        "{} {} {} \"{}\" {}",
        centre.code(),
        centre.id(),
        centre.status().as_str(),
        centre.name().as_str(),
        centre.time_zone().name()
    )
}

/// Prints `lines` for the operator.
#[expect(
    clippy::print_stdout,
    reason = "an admin command reports to its operator"
)]
fn report(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
}
