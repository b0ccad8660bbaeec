//! Errors of the OpenPGP layer. Messages name the operation, never data.

use postern_core::{ErrorKind, HasKind};

/// An opaque foreign cause, keeping sequoia's error type out of our API.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ForeignError(anyhow::Error);

/// Why a submission key is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    /// Not an OpenPGP certificate at all.
    #[error("the file is not an OpenPGP public key")]
    NotOpenPgp,
    /// More than one certificate in the file.
    #[error("the file holds more than one key; give exactly one")]
    SeveralKeys,
    /// Secret key material is present.
    #[error("the file contains secret key material; export only the public key")]
    HasSecret,
    /// Refused by sequoia's standard policy (weak algorithms, SHA-1 self-signatures, ...).
    #[error("the key is not acceptable under the standard OpenPGP policy (weak algorithm or signature)")]
    Policy,
    /// Expired.
    #[error("the key has expired")]
    Expired,
    /// Revoked.
    #[error("the key is revoked")]
    Revoked,
    /// No usable encryption (sub)key.
    #[error("the key has no valid encryption subkey")]
    NoEncryptionKey,
}

/// An error from the OpenPGP layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The submission key is unusable.
    #[error("submission key rejected: {0}")]
    Key(#[from] KeyProblem),
    /// Encrypting failed in sequoia.
    #[error("unable to {op}")]
    Encrypt {
        /// The operation.
        op: &'static str,
        /// The cause.
        #[source]
        cause: ForeignError,
    },
    /// Writing ciphertext to the sink failed.
    #[error("unable to write ciphertext")]
    Sink(#[source] std::io::Error),
    /// Decrypting failed.
    #[error("unable to decrypt")]
    Decrypt(#[source] ForeignError),
    /// Key derivation failed.
    #[error("unable to derive source keys")]
    Derive,
    /// An OTP secret is malformed.
    #[error("{0}")]
    OtpSecret(&'static str),
    /// A password is longer than we hash.
    #[error("the password is too long")]
    PasswordTooLong,
    /// Instance secrets are malformed.
    #[error("instance secrets file is malformed: {0}")]
    Secrets(&'static str),
}

impl CryptoError {
    pub(crate) fn encrypt(op: &'static str) -> impl FnOnce(anyhow::Error) -> Self {
        move |cause| Self::Encrypt { op, cause: ForeignError(cause) }
    }

    pub(crate) fn decrypt(cause: anyhow::Error) -> Self {
        Self::Decrypt(ForeignError(cause))
    }
}

impl HasKind for CryptoError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Key(_) => ErrorKind::KeyMissing,
            Self::Sink(e) if e.kind() == std::io::ErrorKind::StorageFull => ErrorKind::DiskFull,
            Self::Sink(_) => ErrorKind::StoreUnavailable,
            Self::Secrets(_) => ErrorKind::ConfigInvalid,
            Self::Decrypt(_) | Self::OtpSecret(_) | Self::PasswordTooLong => ErrorKind::BadInput,
            Self::Encrypt { .. } | Self::Derive => ErrorKind::Internal,
        }
    }
}
