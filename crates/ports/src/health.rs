//! Readiness probes of the dependencies a process needs.

use async_trait::async_trait;

/// Why a probe failed; the text is for operators and names no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(pub String);

/// A check that one dependency (MongoDB, Redis, S3, ...) answers.
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// The dependency's name as reported by `/readyz` (`mongodb`, `redis`, ...).
    fn name(&self) -> &'static str;

    /// Answers `Ok` when the dependency answers.
    ///
    /// # Errors
    ///
    /// [`ProbeError`] describing the failure. Callers bound the time it may take.
    async fn check(&self) -> Result<(), ProbeError>;
}
