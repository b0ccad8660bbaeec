#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod access;
mod blobs;
mod clients;
mod error;
pub mod files;
mod items;
mod journalists;
mod newsroom;
mod records;
mod selection;
mod settings;
mod snapshot;
mod sources;
mod sql;
mod store;
mod sync;
mod versions;

pub use access::DataAccess;
pub use blobs::{BlobWriter, FinishedBlob};
pub use error::StoreError;
pub use records::{
    ClientAuthor, ClientReply, ClientSource, ClientSubmission, Collection, CollectionItem, InstanceSettings, ItemKind,
    JournalistRecord, NewJournalist, NewSource, OtpKind, ReplyRecord, SeenTargetKind, SeenTargets, SourceId,
    SourceRecord, SourceSummary, StoredFile, SubmissionKind, SubmissionRecord,
};
pub use snapshot::{ListedFile, Snapshot};
pub use store::Store;
pub use sync::{
    SYNC_EVENT_RETENTION, SyncAction, SyncOutcome, SyncRecord, SyncRecordKind, SyncShape, SyncStamp, SyncStatus,
};
