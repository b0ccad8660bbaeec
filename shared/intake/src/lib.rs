#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests damage files on purpose"))]

mod document;
mod error;
mod reply;

pub use document::{CleaningResult, DocumentWriter, Finished, record_submission, write_message};
pub use error::IntakeError;
pub use reply::{OpenedReply, open_replies, store_encrypted_reply, store_reply};
