//! The versions of API v2 records: SQL functions the schema's triggers call with a
//! record's columns, and the same columns read into the JSON that is served. One
//! function per record type writes both, so a served record is the hashed one.

use postern_core::UtcDateTime;
use postern_sync::{Item, Journalist, Reply, ReplyKind, SeenBy, Source, Submission, SubmissionKind, Version};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use crate::StoreError;
use crate::error::db;

/// What a record looks like at an API minor version: before minor version 2 items have
/// no `interaction_count` (and so other versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncShape {
    /// Minor version 2 and later: the versions kept in the store.
    Current,
    /// Minor versions 0 and 1: items without `interaction_count`, versions computed
    /// when asked.
    WithoutInteractionCount,
}

/// Registers the version functions the triggers call; on every connection, before
/// anything writes.
pub(crate) fn register_functions(conn: &Connection) -> Result<(), StoreError> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    let register = |name: &str, args: i32, json: fn(&Context<'_>) -> rusqlite::Result<Vec<u8>>| {
        conn.create_scalar_function(name, args, flags, move |ctx| Ok(Version::of_bytes(&json(ctx)?).to_string()))
            .map_err(db("register the sync version functions"))
    };
    register("sync_source_version", 8, |c| source_json(c))?;
    register("sync_submission_version", 7, |c| submission_json(c, SyncShape::Current))?;
    register("sync_reply_version", 7, |c| reply_json(c, SyncShape::Current))?;
    register("sync_journalist_version", 4, |c| journalist_json(c))?;
    rusqlite::vtab::array::load_module(conn).map_err(db("load the array module"))
}

/// Writes a record's JSON from a reader's row.
pub(crate) type RecordJson = fn(&Row<'_>, SyncShape) -> rusqlite::Result<Vec<u8>>;

/// A record's columns, from a function call (a trigger) or a row (a reader) alike.
pub(crate) trait Columns {
    fn column(&self, i: usize) -> rusqlite::Result<ValueRef<'_>>;

    fn text(&self, i: usize) -> rusqlite::Result<&str> {
        match self.column(i)? {
            ValueRef::Null => Ok(""),
            v => v.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e))),
        }
    }

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        let v = self.column(i)?;
        v.as_i64().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e)))
    }

    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        Ok(self.int(i)? != 0)
    }

    fn count(&self, i: usize) -> rusqlite::Result<u64> {
        Ok(u64::try_from(self.int(i)?).unwrap_or(0))
    }
}

impl Columns for Context<'_> {
    fn column(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        Ok(self.get_raw(i))
    }
}

impl Columns for Row<'_> {
    fn column(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        self.get_ref(i)
    }
}

/// The interaction number a SecureDrop file name starts with.
fn interaction_count(filename: &str, shape: SyncShape) -> Option<u64> {
    (shape == SyncShape::Current).then(|| filename.split('-').next().and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// `sync_source_columns!`.
pub(crate) fn source_json(c: &impl Columns) -> rusqlite::Result<Vec<u8>> {
    let last_updated = UtcDateTime::from_unix(c.int(5)?).api_timestamp();
    let fingerprint = c.text(7)?.to_ascii_uppercase();
    Ok(postern_sync::to_json(&Source {
        uuid: c.text(0)?,
        journalist_designation: c.text(1)?,
        is_starred: c.flag(2)?,
        is_seen: c.flag(3)?,
        has_attachment: c.flag(4)?,
        last_updated: &last_updated,
        public_key: c.text(6)?,
        fingerprint: &fingerprint,
    }))
}

/// `sync_submission_columns!`.
pub(crate) fn submission_json(c: &impl Columns, shape: SyncShape) -> rusqlite::Result<Vec<u8>> {
    Ok(postern_sync::to_json(&Item::Submission(Submission {
        uuid: c.text(0)?,
        source: c.text(1)?,
        kind: if c.text(2)? == "doc" { SubmissionKind::File } else { SubmissionKind::Message },
        size: c.count(3)?,
        is_read: c.flag(4)?,
        seen_by: SeenBy(c.text(5)?),
        interaction_count: interaction_count(c.text(6)?, shape),
    })))
}

/// `sync_reply_columns!`.
pub(crate) fn reply_json(c: &impl Columns, shape: SyncShape) -> rusqlite::Result<Vec<u8>> {
    Ok(postern_sync::to_json(&Item::Reply(Reply {
        uuid: c.text(0)?,
        source: c.text(1)?,
        size: c.count(2)?,
        is_deleted_by_source: c.flag(3)?,
        journalist_uuid: c.text(4)?,
        seen_by: SeenBy(c.text(5)?),
        interaction_count: interaction_count(c.text(6)?, shape),
        kind: ReplyKind::Reply,
    })))
}

/// `sync_journalist_columns!`; an empty name is `null`, as SecureDrop has it.
pub(crate) fn journalist_json(c: &impl Columns) -> rusqlite::Result<Vec<u8>> {
    let name = |i| c.text(i).map(|t| Some(t).filter(|t| !t.is_empty()));
    Ok(postern_sync::to_json(&Journalist {
        uuid: c.text(0)?,
        username: c.text(1)?,
        first_name: name(2)?,
        last_name: name(3)?,
    }))
}
