//! The four record types, field for field as SecureDrop Inbox's schemas read them (its
//! parser drops any other field before hashing, so an extra one would make every
//! version differ). Fields are declared in sorted order: serde writes them so.

use serde::Serialize;
use serde::ser::SerializeSeq;

/// A source.
#[derive(Debug, Serialize)]
pub struct Source<'a> {
    /// Its key's fingerprint, upper-case hex.
    pub fingerprint: &'a str,
    /// Any of its submissions is a document.
    pub has_attachment: bool,
    /// Every one of its submissions has been seen by someone.
    pub is_seen: bool,
    /// Starred.
    pub is_starred: bool,
    /// Two lower-case words.
    pub journalist_designation: &'a str,
    /// When it last submitted, as the v1 API writes times.
    pub last_updated: &'a str,
    /// Its public key, armoured.
    pub public_key: &'a str,
    /// Its UUID.
    pub uuid: &'a str,
}

/// A message or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmissionKind {
    /// A document.
    File,
    /// A message.
    Message,
}

/// Journalist UUIDs, comma-separated in any order (as SQLite's `group_concat` gives
/// them), written as a JSON array sorted: the same set is always the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct SeenBy<'a>(pub &'a str);

impl SeenBy<'_> {
    fn uuids(&self) -> Vec<&str> {
        let mut uuids: Vec<&str> = self.0.split(',').filter(|u| !u.is_empty()).collect();
        uuids.sort_unstable();
        uuids.dedup();
        uuids
    }
}

impl Serialize for SeenBy<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for uuid in self.uuids() {
            seq.serialize_element(uuid)?;
        }
        seq.end()
    }
}

/// A submission.
#[derive(Debug, Serialize)]
pub struct Submission<'a> {
    /// Its place in the conversation (API minor version 2 on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_count: Option<u64>,
    /// Seen by anyone.
    pub is_read: bool,
    /// Message or document.
    pub kind: SubmissionKind,
    /// Who has seen it.
    pub seen_by: SeenBy<'a>,
    /// Ciphertext bytes.
    pub size: u64,
    /// Its source's UUID.
    pub source: &'a str,
    /// Its UUID.
    pub uuid: &'a str,
}

/// A reply.
#[derive(Debug, Serialize)]
pub struct Reply<'a> {
    /// Its place in the conversation (API minor version 2 on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_count: Option<u64>,
    /// The source deleted it from its own view.
    pub is_deleted_by_source: bool,
    /// Its author (the `deleted` placeholder's for a deleted account).
    pub journalist_uuid: &'a str,
    /// Always `reply`.
    pub kind: ReplyKind,
    /// Who has seen it.
    pub seen_by: SeenBy<'a>,
    /// Ciphertext bytes.
    pub size: u64,
    /// Its source's UUID.
    pub source: &'a str,
    /// Its UUID.
    pub uuid: &'a str,
}

/// The `kind` of every reply.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyKind {
    /// `"reply"`.
    #[default]
    Reply,
}

/// A submission or a reply: the index's and the batch's "items".
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Item<'a> {
    /// From the source.
    Submission(Submission<'a>),
    /// To the source.
    Reply(Reply<'a>),
}

/// A journalist account.
#[derive(Debug, Serialize)]
pub struct Journalist<'a> {
    /// First name, `null` if none was given.
    pub first_name: Option<&'a str>,
    /// Last name, `null` if none was given.
    pub last_name: Option<&'a str>,
    /// User name.
    pub username: &'a str,
    /// Its UUID.
    pub uuid: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Version, canonical_json, to_json};

    /// Each type's own serialisation is already canonical: it is what gets hashed.
    fn assert_canonical<T: Serialize>(record: &T) {
        let written = String::from_utf8(to_json(record)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(written, canonical_json(&value));
        assert_eq!(Version::of(record), Version::of_bytes(canonical_json(&value).as_bytes()));
    }

    const A: &str = "0d6f6dba-8d9c-4bd6-9d55-19f4d9bd1b71";
    const B: &str = "9f1e1d34-3e0c-4c5e-8f4d-2b2d5b3f4a10";

    #[test]
    fn every_record_type_writes_sorted_keys() {
        assert_canonical(&Source {
            fingerprint: "ABCD",
            has_attachment: true,
            is_seen: false,
            is_starred: true,
            journalist_designation: "quiet otter",
            last_updated: "2026-12-04T10:00:00.000000Z",
            public_key: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsBN\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n",
            uuid: A,
        });
        let seen = format!("{A},{B}");
        for interaction_count in [Some(3), None] {
            assert_canonical(&Item::Submission(Submission {
                interaction_count,
                is_read: true,
                kind: SubmissionKind::File,
                seen_by: SeenBy(&seen),
                size: 1234,
                source: A,
                uuid: B,
            }));
            assert_canonical(&Item::Reply(Reply {
                interaction_count,
                is_deleted_by_source: false,
                journalist_uuid: B,
                kind: ReplyKind::Reply,
                seen_by: SeenBy(""),
                size: 99,
                source: A,
                uuid: B,
            }));
        }
        assert_canonical(&Journalist { first_name: Some("José"), last_name: None, username: "j", uuid: A });
    }

    #[test]
    fn seen_by_is_a_sorted_array_whatever_the_stored_order() {
        for stored in [format!("{B},{A}"), format!("{A},{B}"), format!("{B},{A},{B}")] {
            assert_eq!(String::from_utf8(to_json(&SeenBy(&stored))).unwrap(), format!("[\"{A}\",\"{B}\"]"));
        }
        assert_eq!(to_json(&SeenBy("")), b"[]");
    }

    #[test]
    fn kinds_are_securedrops_words() {
        assert_eq!(to_json(&SubmissionKind::File), br#""file""#);
        assert_eq!(to_json(&SubmissionKind::Message), br#""message""#);
        assert_eq!(to_json(&ReplyKind::Reply), br#""reply""#);
    }
}
