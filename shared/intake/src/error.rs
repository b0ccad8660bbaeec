//! Why a submission or a reply was not stored.

use postern_core::{Bug, ErrorKind, HasKind};
use postern_crypto::{CryptoError, KeyProblem};
use postern_store::StoreError;

/// Why intake work failed; nothing half-written is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encryption failed, or the ciphertext could not be written.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// An invariant did not hold.
    #[error(transparent)]
    Bug(#[from] Bug),
}

impl From<KeyProblem> for IntakeError {
    fn from(problem: KeyProblem) -> Self {
        Self::Crypto(problem.into())
    }
}

impl From<std::io::Error> for IntakeError {
    /// Our writers only fail on the ciphertext sink.
    fn from(e: std::io::Error) -> Self {
        Self::Crypto(CryptoError::Sink(e))
    }
}

impl HasKind for IntakeError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(e) => e.kind(),
            Self::Crypto(e) => e.kind(),
            Self::Bug(e) => e.kind(),
        }
    }
}
