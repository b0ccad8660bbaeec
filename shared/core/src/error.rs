//! Coarse error kinds: what the receiver of an error should do about it.

use std::fmt;

/// What kind of failure happened, split by who must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client sent something we refuse. Never logged above debug.
    BadInput,
    /// The thing asked for does not exist (or is not the client's).
    NotFound,
    /// The client is not logged in, or its session ended.
    Unauthorized,
    /// The request body is larger than the configured limit.
    TooLarge,
    /// Too many requests of this kind are waiting; try again later.
    RateLimited,
    /// The disk is full: the operator must act.
    DiskFull,
    /// The database or blob store failed: the operator must act.
    StoreUnavailable,
    /// The submission key is missing or unusable: the operator must act.
    KeyMissing,
    /// The configuration is invalid: the operator must act.
    ConfigInvalid,
    /// An invariant was violated: a bug.
    Internal,
}

impl ErrorKind {
    /// Whether an operator must act (and so the failure is logged at `error`).
    pub fn needs_operator(self) -> bool {
        matches!(
            self,
            Self::DiskFull | Self::StoreUnavailable | Self::KeyMissing | Self::ConfigInvalid | Self::Internal
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadInput => "bad-input",
            Self::NotFound => "not-found",
            Self::Unauthorized => "unauthorized",
            Self::TooLarge => "too-large",
            Self::RateLimited => "rate-limited",
            Self::DiskFull => "disk-full",
            Self::StoreUnavailable => "store-unavailable",
            Self::KeyMissing => "key-missing",
            Self::ConfigInvalid => "config-invalid",
            Self::Internal => "internal",
        })
    }
}

/// Implemented by every Postern error type.
pub trait HasKind {
    /// The coarse kind of this error.
    fn kind(&self) -> ErrorKind;
}

/// An invariant that did not hold: a bug in Postern, never the client's fault, kept
/// with where it was found. Made with [`internal!`](crate::internal), in place of
/// borrowing another error type's variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error at {file}:{line}: {what}")]
pub struct Bug {
    what: &'static str,
    file: &'static str,
    line: u32,
}

impl Bug {
    /// Use [`internal!`](crate::internal), which fills in the place.
    #[doc(hidden)]
    pub fn new(what: &'static str, file: &'static str, line: u32) -> Self {
        Self { what, file, line }
    }
}

impl HasKind for Bug {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }
}

/// A [`Bug`] saying what did not hold, here: `internal!("a blob finished twice")`.
#[macro_export]
macro_rules! internal {
    ($what:literal) => {
        $crate::Bug::new($what, file!(), line!())
    };
}
