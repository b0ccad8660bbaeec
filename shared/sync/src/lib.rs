//! SecureDrop's Journalist API v2 records, and their versions.
//!
//! A record's version is BLAKE2s-256, in lower-case hex, of the record's JSON written
//! the way JavaScript's `JSON.stringify` writes it with every object's keys sorted and
//! no whitespace. SecureDrop Inbox recomputes every version from the records it
//! receives and compares them with the index, so the bytes hashed here must be exactly
//! the bytes served: each record type below declares its fields in sorted order, is
//! serialised once by one function, and that serialisation is what is hashed and what
//! is sent. Records hold integers only (no floats, whose JavaScript form differs).

#![forbid(unsafe_code)]

mod canonical;
mod index;
mod records;

pub use canonical::canonical_json;
pub use index::{Entry, Index};
pub use records::{Item, Journalist, Reply, ReplyKind, SeenBy, Source, Submission, SubmissionKind};

use blake2::{Blake2s256, Digest};
use serde::Serialize;

/// A content version: 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(String);

impl Version {
    /// The version of `bytes`, already canonical JSON.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(hex::encode(Blake2s256::digest(bytes)))
    }

    /// The version of a record, from its one serialisation.
    pub fn of<T: Serialize>(record: &T) -> Self {
        Self::of_bytes(&to_json(record))
    }

    /// A version as stored or sent, if it is 64 lower-case hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record's JSON: the bytes that are served and hashed.
pub fn to_json<T: Serialize>(record: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing our own record types into memory cannot fail: every key is a string.
    serde_json::to_writer(&mut out, record).unwrap_or_else(|_| out.clear());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn securedrops_test_vector_whatever_the_key_order() {
        let expected = "2231968214a50f92d216048c7fc624c061372a4225e9e94aca88bdfaca162087";
        for text in [r#"{"foo": "bar", "baz": "biz"}"#, r#"{"baz":"biz","foo":"bar"}"#] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(Version::of_bytes(canonical_json(&value).as_bytes()).as_str(), expected);
        }
    }

    #[test]
    fn the_empty_index_has_securedrops_version() {
        assert_eq!(
            Index::default().version(true).as_str(),
            "5a7c3a4312b8f8f09d297ea3e2f22ef69accdafb04a708e5af28952968bfc3c1"
        );
    }

    #[test]
    fn only_lower_case_hex_of_the_right_length_parses() {
        let good = "a".repeat(64);
        assert!(Version::parse(&good).is_some());
        for bad in ["A".repeat(64), "a".repeat(63), "a".repeat(65), "g".repeat(64), String::new()] {
            assert!(Version::parse(&bad).is_none(), "{bad}");
        }
    }
}
