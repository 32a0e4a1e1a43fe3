//! The platform operators' use cases: the people who run the service create centres (each
//! with an invitation of its first owner), list them, and suspend and resume them. They act on
//! a centre as a whole, never inside one: what a centre holds is its members' business.
//!
//! An operator is proven by an [`Operator`], which only [`OperatorKeys::identify`] (an
//! operator API key, checked against the digests `CUBBY_PLATFORM_KEYS` holds) and
//! [`Operator::command_line`] (the `cubby admin centre` commands, run with the service's own
//! settings) make. Every action is in the centre's audit log, by the operator's id: the key's
//! name or the first characters of its digest, never the key.

use std::net::IpAddr;
use std::sync::Arc;

use cubby_domain::{
    AuditAction, Email, ErrorCode, OperatorId, Tenant, TenantCode, TenantId, TenantName,
    TenantStatus, TimeZone,
};
use cubby_ports::{
    Clock, IdGenerator, LimitKey, Page, RateLimiter, RepoError, TenantDirectory, TenantQuery,
    TenantScope,
};
use cubby_settings::{PlatformKey, Settings};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::AppError;
use crate::audit::AuditTrail;
use crate::members::{InvitationSent, Members};

/// A platform operator, proven: by a configured operator key, or at the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    id: OperatorId,
}

impl Operator {
    /// The operator at the command line (`cubby admin centre ...`), named `cli` in the audit
    /// log. Only the host's command line calls it: whoever runs it holds the service's
    /// settings, and with them every store.
    pub fn command_line() -> Self {
        Self {
            id: known_id("cli"),
        }
    }

    /// How the audit log names them.
    pub fn id(&self) -> &OperatorId {
        &self.id
    }

    /// Their scope in `tenant`: no permission, the operator as actor.
    fn scope(&self, tenant: TenantId) -> TenantScope {
        TenantScope::for_operator(tenant, &self.id)
    }
}

/// An id the code spells, which [`OperatorId::parse`] accepts (the tests hold it).
fn known_id(id: &'static str) -> OperatorId {
    OperatorId::parse(id).unwrap_or_else(|_| unreachable!("{id} is an operator id"))
}

/// The operator API keys the platform API accepts: SHA-256 digests only, each with its id.
/// None turns the platform API off (it is then 404).
#[derive(Clone, Default)]
pub struct OperatorKeys {
    digests: Vec<(OperatorId, [u8; 32])>,
    /// The key generated in dev, to be shown to the developer (it is in no setting).
    generated: Option<SecretString>,
}

impl std::fmt::Debug for OperatorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.digests.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("OperatorKeys")
            .field("ids", &ids)
            .finish_non_exhaustive()
    }
}

impl OperatorKeys {
    /// No key: the platform API is off.
    pub fn none() -> Self {
        Self::default()
    }

    /// The keys whose SHA-256 digests are `digests`, each known by its id.
    pub fn from_digests(digests: Vec<(OperatorId, [u8; 32])>) -> Self {
        Self {
            digests,
            generated: None,
        }
    }

    /// The keys `CUBBY_PLATFORM_KEYS` lists.
    ///
    /// # Errors
    ///
    /// A problem naming `CUBBY_PLATFORM_KEYS` for an id that is not an operator id (the
    /// settings check the same rule, so only a settings value built by hand fails).
    pub fn from_settings(settings: &Settings) -> Result<Self, cubby_settings::SettingsError> {
        let digests = settings
            .platform_keys
            .iter()
            .map(|PlatformKey { id, digest }| {
                OperatorId::parse(id).map(|id| (id, *digest)).map_err(|_| {
                    cubby_settings::SettingsError {
                        problems: vec![(
                            "CUBBY_PLATFORM_KEYS".to_owned(),
                            "a key's name is 1 to 32 lowercase letters, digits or `_`".to_owned(),
                        )],
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::from_digests(digests))
    }

    /// One new random key (32 random bytes in hex), known as `dev`: what a dev process
    /// accepts when no key is configured, shown to the developer by [`OperatorKeys::generated`].
    pub fn generate() -> Self {
        let key = hex::encode(rand::random::<[u8; 32]>());
        Self {
            digests: vec![(known_id("dev"), digest(&key))],
            generated: Some(SecretString::from(key)),
        }
    }

    /// Whether any key is accepted (otherwise the platform API is off).
    pub fn is_enabled(&self) -> bool {
        !self.digests.is_empty()
    }

    /// The key [`OperatorKeys::generate`] made, to show the developer.
    pub fn generated(&self) -> Option<&SecretString> {
        self.generated.as_ref()
    }

    /// The operator holding `key`, if it is one of the keys. Its digest is compared with
    /// every configured digest, each comparison in constant time and none skipped, so the
    /// time taken says nothing about which key, or which bytes, came close.
    pub fn identify(&self, key: &str) -> Option<Operator> {
        let presented = digest(key);
        let mut found = None;
        for (id, stored) in &self.digests {
            if same_digest(&presented, stored) && found.is_none() {
                found = Some(Operator { id: id.clone() });
            }
        }
        found
    }
}

/// A counter store that did not answer.
fn failed(error: RepoError) -> OperatorRefused {
    OperatorRefused::Failed(error.into())
}

/// The SHA-256 digest of `key`.
fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Whether two digests are equal, in a time that depends on neither.
fn same_digest(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y));
    // Read through black_box so the compiler cannot turn the fold into an early exit.
    std::hint::black_box(difference) == 0
}

/// A centre to create.
#[derive(Clone, Debug)]
pub struct NewCentre {
    /// Its code, unique among centres.
    pub code: TenantCode,
    /// Its name.
    pub name: TenantName,
    /// Its time zone.
    pub time_zone: TimeZone,
    /// The address of its first owner, who is invited.
    pub owner_email: Email,
}

/// A centre just created, with its owner's invitation (whose token is shown once).
#[derive(Debug)]
pub struct CentreCreated {
    /// The centre.
    pub centre: Tenant,
    /// The owner's invitation and its token.
    pub invitation: InvitationSent,
}

/// Why a request of the platform API was not admitted as an operator's.
#[derive(Debug, thiserror::Error)]
pub enum OperatorRefused {
    /// No key was sent.
    #[error("no operator key")]
    Missing,
    /// The key is not one of the configured keys.
    #[error("not an operator key")]
    Invalid,
    /// Too many wrong keys came from this address; try again after the wait.
    #[error("too many wrong operator keys")]
    Throttled {
        /// How long until the address may try again.
        retry_after: std::time::Duration,
    },
    /// The counters of wrong keys did not answer.
    #[error("the counters of wrong keys did not answer")]
    Failed(#[source] AppError),
}

/// How many wrong operator keys one address may send per [`KEY_FAILURE_WINDOW`] before every
/// key it sends, right or wrong, is refused until the window ends.
pub const MAX_KEY_FAILURES: u32 = 10;
/// The window wrong operator keys are counted over.
pub const KEY_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The platform operators' use cases.
pub struct Platform {
    pub(crate) tenants: Arc<dyn TenantDirectory>,
    /// The counters of wrong operator keys, per client address.
    pub(crate) limits: Arc<dyn RateLimiter>,
    pub(crate) members: Members,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) keys: OperatorKeys,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// How many times a suspension or resumption reads the centre again after losing a race.
const STATUS_ATTEMPTS: usize = 3;

impl Platform {
    /// The operator keys accepted.
    pub fn keys(&self) -> &OperatorKeys {
        &self.keys
    }

    /// The operator holding `key`, sent from `client`. An address that sent
    /// [`MAX_KEY_FAILURES`] wrong keys within [`KEY_FAILURE_WINDOW`] is refused whatever key it
    /// sends until the window ends (a request without one is told it needs one), so keys cannot
    /// be guessed at speed; a right key leaves the
    /// count as it is (an operator sharing an address with a guesser waits too).
    ///
    /// # Errors
    ///
    /// [`OperatorRefused`]: no key, a wrong one, too many wrong ones, or counters that do not
    /// answer (the request is refused: the platform API fails closed).
    pub async fn authenticate(
        &self,
        key: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Operator, OperatorRefused> {
        // No key is no guess: it is told so, whatever the address sent before.
        let key = key.ok_or(OperatorRefused::Missing)?;
        let counter = client.map(LimitKey::failed_operator_keys_from);
        if let Some(counter) = &counter {
            let window = self.limits.current(counter).await.map_err(failed)?;
            if window.count >= MAX_KEY_FAILURES {
                return Err(OperatorRefused::Throttled {
                    retry_after: window.resets_in.max(std::time::Duration::from_secs(1)),
                });
            }
        }
        if let Some(operator) = self.keys.identify(key) {
            return Ok(operator);
        }
        if let Some(counter) = &counter {
            self.limits
                .hit(counter, KEY_FAILURE_WINDOW)
                .await
                .map_err(failed)?;
        }
        // A security event: never sampled, and without the key or the address.
        tracing::warn!("a wrong operator key was refused");
        Err(OperatorRefused::Invalid)
    }

    /// Creates a centre (its settings the defaults, its roles the built-in ones) and invites
    /// its first owner at `new.owner_email`: the answer holds the invitation's token, once.
    ///
    /// # Errors
    ///
    /// [`AppError::Conflict`] (`centre.code_taken`) when another centre has the code; store
    /// failures. A failure after the centre is stored leaves it without an owner's invitation,
    /// which [`Platform::invite_owner`] then sends.
    pub async fn create_centre(
        &self,
        operator: &Operator,
        new: NewCentre,
    ) -> Result<CentreCreated, AppError> {
        let centre = Tenant::create(
            TenantId::from_uuid(self.ids.uuid()),
            new.code,
            new.name,
            new.time_zone,
            operator.id.actor(),
            self.clock.now(),
        );
        self.tenants.insert(&centre).await.map_err(|e| match e {
            RepoError::Conflict("tenant.code") => AppError::Conflict {
                code: ErrorCode::CentreCodeTaken,
                message: format!("another centre has the code {}", centre.code()),
            },
            other => other.into(),
        })?;
        let scope = operator.scope(centre.id());
        self.record(&scope, AuditAction::CentreCreated, &centre)
            .await;
        let invitation = self.members.invite_owner(&scope, new.owner_email).await?;
        Ok(CentreCreated { centre, invitation })
    }

    /// A page of the centres `query` selects, in code order.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn centres(
        &self,
        _operator: &Operator,
        query: &TenantQuery,
    ) -> Result<Page<Tenant>, AppError> {
        Ok(self.tenants.list_tenants(query).await?)
    }

    /// The centre with this id.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`]; store failures.
    pub async fn centre(&self, _operator: &Operator, id: TenantId) -> Result<Tenant, AppError> {
        Ok(self.tenants.by_id(id).await?)
    }

    /// The centre with this code.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`]; store failures.
    pub async fn centre_by_code(
        &self,
        _operator: &Operator,
        code: &TenantCode,
    ) -> Result<Tenant, AppError> {
        Ok(self.tenants.by_code(code).await?)
    }

    /// Invites the owner of centre `id` at `email` again: the owner whose mail never came, or
    /// whose invitation expired, gets a new token by mail (a pending invitation of that address
    /// is sent again with it, and its old token stops working); an address not yet invited
    /// gets a new owner's invitation. This is also how a centre whose first invitation failed
    /// to be stored gets its owner.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`] for no such centre; [`AppError::Conflict`]
    /// (`invitations.already_member`) when the address belongs to a member who joined; store
    /// failures.
    pub async fn invite_owner(
        &self,
        operator: &Operator,
        id: TenantId,
        email: Email,
    ) -> Result<InvitationSent, AppError> {
        let centre = self.tenants.by_id(id).await?;
        self.members
            .reinvite_owner(&operator.scope(centre.id()), email)
            .await
    }

    /// Suspends a centre: its sessions are refused from their next request (the directory's
    /// cached entries are dropped with the change, in the cache every process shares), and so
    /// are its sign-ins, refreshes and invitations. Nothing is deleted. Suspending a suspended
    /// centre changes nothing.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`]; store failures.
    pub async fn suspend(&self, operator: &Operator, id: TenantId) -> Result<Tenant, AppError> {
        self.set_status(operator, id, TenantStatus::Suspended).await
    }

    /// Resumes a suspended centre: its members may sign in again (sessions still within their
    /// lifetime work again too). Resuming an active centre changes nothing.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`]; store failures.
    pub async fn resume(&self, operator: &Operator, id: TenantId) -> Result<Tenant, AppError> {
        self.set_status(operator, id, TenantStatus::Active).await
    }

    /// Puts the centre in `status`, reading it again when another change won the race (the
    /// cached copy it read may be older than the store's: a lost race drops it).
    async fn set_status(
        &self,
        operator: &Operator,
        id: TenantId,
        status: TenantStatus,
    ) -> Result<Tenant, AppError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let stored = self.tenants.by_id(id).await?;
            if stored.status() == status {
                return Ok(stored);
            }
            let changed = stored.with_status(status, operator.id.actor(), self.clock.now());
            match self.tenants.update(&changed, stored.version()).await {
                Ok(()) => {
                    let action = match status {
                        TenantStatus::Suspended => AuditAction::CentreSuspended,
                        TenantStatus::Active => AuditAction::CentreResumed,
                    };
                    self.record(&operator.scope(id), action, &changed).await;
                    return Ok(changed);
                }
                Err(RepoError::StaleVersion) if attempts < STATUS_ATTEMPTS => {}
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Records a platform action on `centre` in its audit log.
    async fn record(&self, scope: &TenantScope, action: AuditAction, centre: &Tenant) {
        let details = [("code", centre.code().to_string())];
        self.audit
            .record(scope, action, Some(centre.id().to_string()), &details)
            .await;
    }
}

#[cfg(test)]
mod tests;
