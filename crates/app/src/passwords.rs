//! Password hashing with argon2id, off the async threads.
//!
//! Hashing costs tens of milliseconds of CPU by design; it runs on the blocking pool so that it
//! never stalls other requests, inside the caller's tracing span.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use cubby_domain::PasswordHash;
use secrecy::{ExposeSecret, SecretString};

use crate::AppError;

/// The longest password accepted, in bytes (longer ones are refused before hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The shortest password a person may choose, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The longest password a person may choose, in characters: at most four bytes each, so that
/// any password chosen stays within [`MAX_PASSWORD_BYTES`] and signs in.
pub const MAX_NEW_PASSWORD_CHARS: usize = MAX_PASSWORD_BYTES / 4;

/// Whether `password` may be chosen as a new one (accepting an invitation as a new user,
/// resetting or changing a password): from [`MIN_PASSWORD_CHARS`] to
/// [`MAX_NEW_PASSWORD_CHARS`] characters, as the OpenAPI document states. That is the whole
/// rule: no rule on kinds of characters, which only annoys (NIST SP
/// 800-63B advises against it), and no breached-password check, for no such list ships with
/// Cubby to be read offline.
pub fn acceptable(password: &SecretString) -> bool {
    (MIN_PASSWORD_CHARS..=MAX_NEW_PASSWORD_CHARS)
        .contains(&password.expose_secret().chars().count())
}

/// argon2id costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordParams {
    /// The costs the settings ask for.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Self {
        Self {
            memory_kib: settings.argon2_memory_kib,
            iterations: settings.argon2_iterations,
            parallelism: settings.argon2_parallelism,
        }
    }

    /// Tiny costs for tests, where hashing speed matters more than strength.
    pub fn for_tests() -> Self {
        Self {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// Hashes and checks passwords.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// How many verifications ran (shared by clones), to show that every sign-in does the same
    /// work whatever is wrong with it.
    verifications: Arc<AtomicU64>,
    /// A hash of a random password, checked when there is no user, so that an unknown address
    /// costs the same time as a wrong password. Computed when first needed, off the async
    /// threads, not at start: an argon2 hash would add its time (about 20 ms) and memory
    /// (19 MiB) to every cold start of a Lambda function. (The first unknown address a process
    /// sees therefore costs two hashes: one request of the process's life.)
    decoy: Arc<tokio::sync::OnceCell<String>>,
    /// One permit per core: argon2 runs at most this many at once (shared by clones). Each run
    /// takes the memory cost (19 MiB by default) and a core for its whole time, so a burst of
    /// sign-ins queues here instead of growing the blocking pool and the process's memory.
    running: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

impl Passwords {
    /// Hashing with `params`.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] when the costs are not valid for argon2.
    pub fn new(params: PasswordParams) -> Result<Self, AppError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}").into()))?;
        Ok(Self {
            params,
            verifications: Arc::new(AtomicU64::new(0)),
            decoy: Arc::default(),
            running: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            )),
        })
    }

    /// The decoy hash (of a random password), computed the first time it is asked for.
    async fn decoy(&self) -> Result<String, AppError> {
        self.decoy
            .get_or_try_init(|| async {
                let password: [u8; 32] = rand::random();
                let password: String = hex::encode(password);
                let hash = self.hash(SecretString::from(password)).await?;
                Ok::<_, AppError>(hash.as_str().to_owned())
            })
            .await
            .cloned()
    }

    /// How many password verifications have run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// The argon2id hash of `password`, with a fresh salt.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if hashing fails.
    pub async fn hash(&self, password: SecretString) -> Result<PasswordHash, AppError> {
        let params = self.params.clone();
        let phc = self
            .off_thread(move || {
                argon2(&params)
                    .hash_password(password.expose_secret().as_bytes())
                    .map(|hash| hash.to_string())
            })
            .await?
            .map_err(|e| AppError::Internal(format!("argon2: {e}").into()))?;
        PasswordHash::parse(&phc).map_err(|e| AppError::Internal(Box::new(e)))
    }

    /// Whether `password` matches `hash`; with no hash, checks against the decoy (and answers
    /// false) so that the time taken says nothing.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if the blocking pool fails.
    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, AppError> {
        let (phc, real) = match hash {
            Some(hash) => (hash.as_str().to_owned(), true),
            None => (self.decoy().await?, false),
        };
        let params = self.params.clone();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matched = self
            .off_thread(move || {
                let bytes = password.expose_secret().as_bytes();
                bytes.len() <= MAX_PASSWORD_BYTES
                    && argon2(&params).verify_password(bytes, phc.as_str()).is_ok()
            })
            .await?;
        Ok(real && matched)
    }

    /// Runs `work` on the blocking pool inside the current tracing span, once one of the
    /// [`Passwords::running`] permits is free.
    async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .running
            .acquire()
            .await
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work))
            .await
            .map_err(|e| AppError::Internal(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let passwords = Passwords::new(PasswordParams::for_tests()).unwrap();
        let hash = passwords
            .hash(secret("correct horse battery staple"))
            .await
            .unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$"));
        assert!(
            passwords
                .verify(secret("correct horse battery staple"), Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(secret("correct horse battery stapler"), Some(&hash))
                .await
                .unwrap()
        );
        let again = passwords
            .hash(secret("correct horse battery staple"))
            .await
            .unwrap();
        assert_ne!(again, hash, "every hash has its own salt");
    }

    #[tokio::test]
    async fn without_a_hash_nothing_verifies() {
        let passwords = Passwords::new(PasswordParams::for_tests()).unwrap();
        assert!(!passwords.verify(secret(""), None).await.unwrap());
        assert!(!passwords.verify(secret("anything"), None).await.unwrap());
    }

    #[tokio::test]
    async fn an_oversized_password_never_verifies() {
        let passwords = Passwords::new(PasswordParams::for_tests()).unwrap();
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        let hash = passwords.hash(secret(&long)).await.unwrap();
        assert!(!passwords.verify(secret(&long), Some(&hash)).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        use std::sync::atomic::AtomicUsize;
        let passwords = Passwords::new(PasswordParams::for_tests()).unwrap();
        let cores = passwords.running.available_permits();
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let runs = (0..cores * 4).map(|_| {
            let (passwords, now, most) = (passwords.clone(), now.clone(), most.clone());
            tokio::spawn(async move {
                passwords
                    .off_thread(move || {
                        let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(running, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            })
        });
        for run in futures::future::join_all(runs).await {
            run.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), cores);
        assert_eq!(passwords.running.available_permits(), cores);
    }
}
