#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod access;
mod blobs;
mod error;
pub mod files;
mod newsroom;
mod snapshot;
mod sql;
mod store;

pub use access::DataAccess;
pub use blobs::{BlobWriter, FinishedBlob};
pub use error::StoreError;
pub use newsroom::{Collection, CollectionItem, ItemKind, SourceSummary};
pub use snapshot::{ListedFile, Snapshot};
pub use store::{
    InstanceSettings, JournalistRecord, NewJournalist, NewSource, OtpKind, ReplyRecord, SourceId, SourceRecord, Store,
    SubmissionKind, SubmissionRecord,
};
