//! The API's JSON: SecureDrop's objects, field for field (keys in its sorted order).
//! The legacy client derives a source's UUID from the last segment of `source_url` and
//! orders items by the number their file name starts with, so URLs and file names here
//! are load-bearing.

use postern_core::UtcDateTime;
use postern_store::{ClientReply, ClientSource, ClientSubmission, JournalistRecord, SubmissionKind};
use serde::Serialize;

/// A Unix time as SecureDrop's API writes it.
pub(crate) fn timestamp(unix: i64) -> String {
    UtcDateTime::from_unix(unix).api_timestamp()
}

/// An API path written straight into the JSON (no string built per item: a listing of
/// 100,000 items has 300,000 of them): `/api/v1/sources/<source>[/<kind>/<item>][/<tail>]`.
#[derive(Clone, Copy)]
pub(crate) struct Url<'a> {
    source: &'a str,
    item: Option<(&'static str, &'a str)>,
    tail: Option<&'static str>,
}

impl<'a> Url<'a> {
    fn source(source: &'a str) -> Self {
        Self { source, item: None, tail: None }
    }

    fn item(source: &'a str, kind: &'static str, item: &'a str) -> Self {
        Self { source, item: Some((kind, item)), tail: None }
    }

    fn then(self, tail: &'static str) -> Self {
        Self { tail: Some(tail), ..self }
    }
}

impl std::fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/api/v1/sources/{}", self.source)?;
        if let Some((kind, item)) = self.item {
            write!(f, "/{kind}/{item}")?;
        }
        if let Some(tail) = self.tail {
            write!(f, "/{tail}")?;
        }
        Ok(())
    }
}

impl Serialize for Url<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `GET /api/v1/`.
#[derive(Serialize)]
pub(crate) struct Endpoints {
    all_users_url: &'static str,
    auth_token_url: &'static str,
    current_user_url: &'static str,
    replies_url: &'static str,
    seen_url: &'static str,
    sources_url: &'static str,
    submissions_url: &'static str,
}

/// The endpoints the root lists.
pub(crate) const ENDPOINTS: Endpoints = Endpoints {
    all_users_url: "/api/v1/users",
    auth_token_url: "/api/v1/token",
    current_user_url: "/api/v1/user",
    replies_url: "/api/v1/replies",
    seen_url: "/api/v1/seen",
    sources_url: "/api/v1/sources",
    submissions_url: "/api/v1/submissions",
};

/// A new token.
#[derive(Serialize)]
pub(crate) struct Token<'a> {
    pub(crate) expiration: String,
    /// For API v2 clients (minor version 4 on): what a first sync will bring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hints: Option<crate::api::v2::cache::Hints>,
    pub(crate) journalist_first_name: &'a str,
    pub(crate) journalist_last_name: &'a str,
    pub(crate) journalist_uuid: &'a str,
    pub(crate) token: &'a str,
}

/// A source's public key, which clients encrypt replies to.
#[derive(Serialize)]
pub(crate) struct Key<'a> {
    fingerprint: String,
    public: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A source.
#[derive(Serialize)]
pub(crate) struct Source<'a> {
    add_star_url: Url<'a>,
    interaction_count: i64,
    is_flagged: bool,
    is_starred: bool,
    journalist_designation: &'a str,
    key: Key<'a>,
    last_updated: String,
    number_of_documents: u64,
    number_of_messages: u64,
    remove_star_url: Url<'a>,
    replies_url: Url<'a>,
    submissions_url: Url<'a>,
    url: Url<'a>,
    uuid: &'a str,
}

impl<'a> From<&'a ClientSource> for Source<'a> {
    fn from(s: &'a ClientSource) -> Self {
        let url = Url::source(&s.uuid);
        Self {
            add_star_url: url.then("add_star"),
            interaction_count: s.interaction_count,
            // Flagging for reply is obsolete (keys exist from the first visit), as in SecureDrop.
            is_flagged: false,
            is_starred: s.starred,
            journalist_designation: s.designation.as_str(),
            key: Key { fingerprint: s.fingerprint.to_uppercase(), public: &s.public_key, kind: "PGP" },
            last_updated: timestamp(s.last_updated),
            number_of_documents: s.documents,
            number_of_messages: s.messages,
            remove_star_url: url.then("remove_star"),
            replies_url: url.then("replies"),
            submissions_url: url.then("submissions"),
            uuid: &s.uuid,
            url,
        }
    }
}

/// A message or document.
#[derive(Serialize)]
pub(crate) struct Submission<'a> {
    download_url: Url<'a>,
    filename: &'a str,
    is_file: bool,
    is_message: bool,
    is_read: bool,
    seen_by: &'a [String],
    size: u64,
    source_url: Url<'a>,
    submission_url: Url<'a>,
    uuid: &'a str,
}

impl<'a> From<&'a ClientSubmission> for Submission<'a> {
    fn from(m: &'a ClientSubmission) -> Self {
        let submission_url = Url::item(&m.source_uuid, "submissions", &m.uuid);
        Self {
            download_url: submission_url.then("download"),
            filename: &m.filename,
            is_file: m.kind == SubmissionKind::Document,
            is_message: m.kind == SubmissionKind::Message,
            // SecureDrop's meaning: seen by anyone.
            is_read: !m.seen_by.is_empty(),
            seen_by: &m.seen_by,
            size: m.size,
            source_url: Url::source(&m.source_uuid),
            submission_url,
            uuid: &m.uuid,
        }
    }
}

/// A reply.
#[derive(Serialize)]
pub(crate) struct Reply<'a> {
    filename: &'a str,
    is_deleted_by_source: bool,
    journalist_first_name: &'a str,
    journalist_last_name: &'a str,
    journalist_username: &'a str,
    journalist_uuid: &'a str,
    reply_url: Url<'a>,
    seen_by: &'a [String],
    size: u64,
    source_url: Url<'a>,
    uuid: &'a str,
}

impl<'a> From<&'a ClientReply> for Reply<'a> {
    fn from(r: &'a ClientReply) -> Self {
        Self {
            filename: &r.filename,
            is_deleted_by_source: r.deleted_by_source,
            journalist_first_name: &r.author.first_name,
            journalist_last_name: &r.author.last_name,
            journalist_username: &r.author.username,
            journalist_uuid: &r.author.uuid,
            reply_url: Url::item(&r.source_uuid, "replies", &r.uuid),
            seen_by: &r.seen_by,
            size: r.size,
            source_url: Url::source(&r.source_uuid),
            uuid: &r.uuid,
        }
    }
}

/// A journalist in `/users`: exactly SecureDrop's four fields.
#[derive(Serialize)]
pub(crate) struct User<'a> {
    first_name: &'a str,
    last_name: &'a str,
    username: &'a str,
    uuid: &'a str,
}

impl<'a> From<&'a JournalistRecord> for User<'a> {
    fn from(j: &'a JournalistRecord) -> Self {
        Self { first_name: &j.first_name, last_name: &j.last_name, username: &j.username, uuid: &j.uuid }
    }
}

/// The journalist asking, in `/user`.
#[derive(Serialize)]
pub(crate) struct CurrentUser<'a> {
    first_name: &'a str,
    is_admin: bool,
    last_login: Option<String>,
    last_name: &'a str,
    username: &'a str,
    uuid: &'a str,
}

impl<'a> From<&'a JournalistRecord> for CurrentUser<'a> {
    fn from(j: &'a JournalistRecord) -> Self {
        Self {
            first_name: &j.first_name,
            is_admin: j.is_admin,
            last_login: j.last_access.map(timestamp),
            last_name: &j.last_name,
            username: &j.username,
            uuid: &j.uuid,
        }
    }
}

/// `{"message": …}`, and SecureDrop's few answers with more beside it.
#[derive(Serialize)]
pub(crate) struct Message<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filename: Option<&'a str>,
    pub(crate) message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uuid: Option<&'a str>,
}

impl Message<'_> {
    pub(crate) fn only(message: &'static str) -> Self {
        Self { message, uuid: None, filename: None }
    }
}

/// `{"<key>": [items]}`, serialised straight from the records (no intermediate JSON
/// tree: a listing of 100,000 items is one pass).
pub(crate) struct Listing<T>(pub(crate) &'static str, pub(crate) Vec<T>);

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}
