#![doc = include_str!("../README.md")]

mod blobs;
mod error;
pub mod files;
mod sql;
mod store;

pub use blobs::{BlobWriter, FinishedBlob};
pub use error::StoreError;
pub use store::{
    InstanceSettings, JournalistRecord, NewJournalist, NewSource, OtpKind, ReplyRecord, SourceId, SourceRecord, Store,
    SubmissionKind, SubmissionRecord,
};
