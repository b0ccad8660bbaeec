//! Errors of the store. Messages name the operation, never data.

use postern_core::{ErrorKind, HasKind};

/// Keeps `rusqlite` out of our public API.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(rusqlite::Error);

/// An error from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A database operation failed.
    #[error("database operation failed: {op}")]
    Db {
        /// What we were doing.
        op: &'static str,
        /// The cause.
        #[source]
        cause: DbError,
    },
    /// The database was written by a newer version than this binary understands.
    #[error("store schema v{found} is newer than supported v{supported}")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Newest version this binary knows.
        supported: u32,
    },
    /// A file-system operation failed.
    #[error("file operation failed: {op}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The cause.
        #[source]
        cause: std::io::Error,
    },
    /// A file or directory has looser (or other) permissions than the store needs,
    /// and this user may not change them.
    #[error("{what} has mode {found:o}, but must be {wanted:o}; run as its owner or fix it with chmod")]
    WrongMode {
        /// Which one.
        what: &'static str,
        /// Its mode now.
        found: u32,
        /// The mode it needs.
        wanted: u32,
    },
    /// No unused designation was found after many tries.
    #[error("could not find an unused designation")]
    DesignationsExhausted,
    /// The journalist user name is taken.
    #[error("that user name is taken")]
    UsernameTaken,
    /// The source does not exist (any more).
    #[error("source not found")]
    NoSuchSource,
    /// A client chose a UUID that an item already has.
    #[error("that UUID is already in use")]
    UuidTaken,
    /// As many sources as the instance allows have never submitted anything.
    #[error("too many accounts have never been used")]
    TooManyPending,
    /// An internal invariant was violated.
    #[error(transparent)]
    Bug(#[from] postern_core::Bug),
}

pub(crate) fn db(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |cause| StoreError::Db { op, cause: DbError(cause) }
}

pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    move |cause| StoreError::Io { op, cause }
}

impl HasKind for StoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Io { cause, .. } if cause.kind() == std::io::ErrorKind::StorageFull => ErrorKind::DiskFull,
            Self::Db { cause: DbError(rusqlite::Error::SqliteFailure(e, _)), .. }
                if e.code == rusqlite::ErrorCode::DiskFull =>
            {
                ErrorKind::DiskFull
            }
            Self::Db { .. }
            | Self::SchemaTooNew { .. }
            | Self::Io { .. }
            | Self::WrongMode { .. }
            | Self::DesignationsExhausted => ErrorKind::StoreUnavailable,
            Self::NoSuchSource => ErrorKind::Unauthorized,
            Self::TooManyPending => ErrorKind::RateLimited,
            Self::UsernameTaken | Self::UuidTaken => ErrorKind::BadInput,
            Self::Bug(_) => ErrorKind::Internal,
        }
    }
}
