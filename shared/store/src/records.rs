//! The plain records the store reads and writes: sources, items, journalists, settings.

use std::path::PathBuf;

use postern_core::{Designation, JournalistId};

pub use postern_core::SourceId;

/// What the store knows of a source.
#[derive(Clone)]
pub struct SourceRecord {
    /// Row id.
    pub id: SourceId,
    /// Random UUID, used by the journalist API.
    pub uuid: String,
    /// Journalist-facing pseudonym.
    pub designation: Designation,
    /// Fingerprint of the source's derived public key.
    pub fingerprint: String,
    /// The per-source counter shared by submissions and replies.
    pub interaction_count: i64,
    /// Never submitted anything yet.
    pub pending: bool,
    /// A journalist starred it.
    pub starred: bool,
    /// Unix seconds of the last submission (or creation).
    pub last_updated: i64,
    pub(crate) store_dir: String,
}

impl std::fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceRecord([redacted])")
    }
}

/// A new source's derived, storable facts.
pub struct NewSource<'a> {
    /// The argon2id lookup id of the codename.
    pub lookup_id: &'a [u8; 32],
    /// The derived public key, armoured.
    pub public_key: &'a str,
    /// Its fingerprint.
    pub fingerprint: &'a str,
}

/// A message or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// `N-designation-msg.gpg`
    Message,
    /// `N-designation-doc.gz.gpg`
    Document,
}

impl SubmissionKind {
    fn suffix(self) -> &'static str {
        match self {
            Self::Message => "msg.gpg",
            Self::Document => "doc.gz.gpg",
        }
    }

    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Message => "msg",
            Self::Document => "doc",
        }
    }
}

/// What a stored file is.
pub(crate) enum Item {
    Submission(SubmissionKind),
    /// `uuid`: the one a client chose, else a random one.
    Reply {
        journalist: Option<JournalistId>,
        uuid: String,
    },
}

impl Item {
    pub(crate) fn suffix(&self) -> &'static str {
        match self {
            Self::Submission(kind) => kind.suffix(),
            Self::Reply { .. } => "reply.gpg",
        }
    }
}

/// A stored reply.
#[derive(Clone)]
pub struct ReplyRecord {
    /// Random UUID.
    pub uuid: String,
    /// `N-designation-reply.gpg`.
    pub filename: String,
    /// Row id of the journalist who wrote it (`None`: account deleted).
    pub journalist: Option<JournalistId>,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// The source deleted it from its view.
    pub deleted_by_source: bool,
    /// Absolute path of the ciphertext.
    pub path: PathBuf,
}

/// A journalist's second factor, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// An authenticator app (RFC 6238).
    Totp,
    /// A YubiKey-style counter (RFC 4226).
    Hotp,
}

impl OtpKind {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Hotp => "hotp",
        }
    }
}

/// A new journalist account.
pub struct NewJournalist<'a> {
    /// Unique user name.
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// May administer the instance.
    pub is_admin: bool,
    /// TOTP or HOTP.
    pub otp_kind: OtpKind,
    /// Base32 secret.
    pub otp_secret: &'a str,
}

/// What the store knows of a journalist. `Debug` is redacted (hash and OTP secret).
#[derive(Clone)]
pub struct JournalistRecord {
    /// Row id.
    pub id: JournalistId,
    /// Random UUID (journalist API).
    pub uuid: String,
    /// User name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// May administer the instance.
    pub is_admin: bool,
    /// TOTP or HOTP.
    pub otp_kind: OtpKind,
    /// Base32 secret.
    pub otp_secret: String,
    /// Next HOTP counter.
    pub hotp_counter: u64,
    /// Last accepted TOTP step.
    pub last_totp_step: Option<u64>,
    /// Optional first name.
    pub first_name: String,
    /// Optional last name.
    pub last_name: String,
    /// Changes whenever the password or second factor does: sessions that recorded an
    /// older value are over.
    pub session_generation: i64,
    /// The `deleted` account that inherits replies; it can never log in.
    pub is_placeholder: bool,
    /// Unix seconds of the last login, if any.
    pub last_access: Option<i64>,
}

impl std::fmt::Debug for JournalistRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalistRecord([redacted])")
    }
}

/// A stored submission.
#[derive(Clone)]
pub struct SubmissionRecord {
    /// Random UUID.
    pub uuid: String,
    /// `N-designation-msg.gpg` or `N-designation-doc.gz.gpg`.
    pub filename: String,
    /// Message or document.
    pub kind: SubmissionKind,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// Absolute path of the ciphertext.
    pub path: PathBuf,
}

/// Instance-wide settings the administrator controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Shown in titles (1–64 characters).
    pub organization_name: String,
    /// Whether sources may upload files.
    pub allow_document_uploads: bool,
    /// Minimum length of a message-only first submission (0: no minimum).
    pub initial_message_min_len: u32,
    /// Refuse a first message that is exactly the source's codename.
    pub reject_message_with_codename: bool,
}

/// One line of the journalists' source list.
#[derive(Clone)]
pub struct SourceSummary {
    /// Random UUID (journalist URLs).
    pub uuid: String,
    /// Journalist-facing pseudonym.
    pub designation: Designation,
    /// Starred by a journalist.
    pub starred: bool,
    /// Unix seconds of the last submission.
    pub last_updated: i64,
    /// Submissions stored.
    pub submissions: u64,
    /// Submissions the asking journalist has not seen.
    pub unread: u64,
}

/// What a stored item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A source's message.
    Message,
    /// A source's file.
    Document,
    /// A journalist's reply.
    Reply,
}

/// One message, file or reply of a collection.
#[derive(Clone)]
pub struct CollectionItem {
    pub(crate) id: i64,
    /// Random UUID.
    pub uuid: String,
    /// `N-designation-kind.gpg`.
    pub filename: String,
    /// Message, document or reply.
    pub kind: ItemKind,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// The asking journalist has seen (downloaded) it.
    pub seen: bool,
    /// For replies: the author's user name (`deleted` once the account is gone).
    pub author: Option<String>,
    /// For replies: the source deleted it from its own view.
    pub deleted_by_source: bool,
    /// Absolute path of the ciphertext.
    pub path: PathBuf,
}

impl CollectionItem {
    /// The interaction number `N` at the start of the file name.
    pub fn number(&self) -> u64 {
        self.filename.split('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
    }
}

/// A source with everything stored for it, in interaction order.
pub struct Collection {
    /// The source.
    pub source: SourceRecord,
    /// Its messages, files and replies, oldest first.
    pub items: Vec<CollectionItem>,
}

/// A source as journalist API clients see it (only sources that submitted).
#[derive(Debug, Clone)]
pub struct ClientSource {
    /// Random UUID.
    pub uuid: String,
    /// Two-word designation.
    pub designation: Designation,
    /// Starred by a journalist.
    pub starred: bool,
    /// Unix seconds of the last submission.
    pub last_updated: i64,
    /// Items stored so far (the next file's number minus one).
    pub interaction_count: i64,
    /// The source's derived public key, armoured: clients encrypt replies to it.
    pub public_key: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Documents stored.
    pub documents: u64,
    /// Messages stored.
    pub messages: u64,
}

/// A submission as journalist API clients see it.
#[derive(Debug, Clone)]
pub struct ClientSubmission {
    /// Row id (for the store's own use).
    pub(crate) id: i64,
    /// Random UUID.
    pub uuid: String,
    /// Its source's UUID (shared by the source's items in a listing).
    pub source_uuid: std::sync::Arc<str>,
    /// SecureDrop file name.
    pub filename: String,
    /// Message or document.
    pub kind: SubmissionKind,
    /// Ciphertext bytes.
    pub size: u64,
    /// UUIDs of the journalists who have seen it.
    pub seen_by: Vec<String>,
}

/// A reply's author as journalist API clients see it: a deleted account reads as the
/// `deleted` placeholder.
#[derive(Debug, Clone)]
pub struct ClientAuthor {
    /// Account UUID (empty if neither the author nor the placeholder exists).
    pub uuid: String,
    /// User name.
    pub username: String,
    /// First name, possibly empty.
    pub first_name: String,
    /// Last name, possibly empty.
    pub last_name: String,
}

/// A reply as journalist API clients see it.
#[derive(Debug, Clone)]
pub struct ClientReply {
    /// Row id (for the store's own use).
    pub(crate) id: i64,
    /// UUID, random or the client's.
    pub uuid: String,
    /// Its source's UUID (shared by the source's items in a listing).
    pub source_uuid: std::sync::Arc<str>,
    /// SecureDrop file name.
    pub filename: String,
    /// Ciphertext bytes.
    pub size: u64,
    /// Who wrote it.
    pub author: ClientAuthor,
    /// The source deleted it from its own view.
    pub deleted_by_source: bool,
    /// UUIDs of the journalists who have seen it.
    pub seen_by: Vec<String>,
}

/// A stored ciphertext to serve: where it is and the digest of its bytes.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Its path.
    pub path: PathBuf,
    /// SecureDrop file name.
    pub filename: String,
    /// `sha256:<hex>` of the file.
    pub checksum: String,
}

/// What a journalist marks seen at once, by UUID.
#[derive(Debug, Clone, Default)]
pub struct SeenTargets {
    /// Documents.
    pub files: Vec<String>,
    /// Messages.
    pub messages: Vec<String>,
    /// Replies.
    pub replies: Vec<String>,
}

/// Which list of [`SeenTargets`] named something that is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenTargetKind {
    /// A document.
    File,
    /// A message.
    Message,
    /// A reply.
    Reply,
}
