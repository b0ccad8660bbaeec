//! SecureDrop's Journalist API v2 over the store: record versions kept by triggers, the
//! index (whole or by shard), records by UUID as served and hashed, and sync events
//! applied once each.
//!
//! The version functions are registered on every connection and called by the
//! triggers of schema v5, so a version changes in the transaction that changes its
//! record, whichever process or page made the change.

use std::collections::BTreeSet;
use std::rc::Rc;

use postern_core::JournalistId;
use postern_sync::{Index, Version};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{db, io};
use crate::items::{NOBODY, mark_seen, remove_item_files};
use crate::records::{CollectionItem, ItemKind, SourceRecord};
use crate::selection::remove_source_dir;
use crate::sources::source_from_row;
use crate::store::Store;
pub use crate::versions::SyncShape;
use crate::versions::{RecordJson, journalist_json, reply_json, source_json, submission_json};
use crate::{StoreError, sql};

/// How long an applied event's ID is remembered, so that its resending is answered
/// 208 and changes nothing: 30 days. SecureDrop keeps 24 hours (its Redis TTL), long
/// enough for a client's immediate retries but not for one that was offline over a
/// weekend and resends a batch whose answer it never received — replaying a star or a
/// seen mark days later would undo a colleague's change. A month outlasts any offline
/// spell a newsroom workstation has in practice, and bounds the table (one small row
/// per event).
pub const SYNC_EVENT_RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The change count of every shard (first character of a source UUID; `*` for the
/// journalists, who are in every shard): equal stamps mean nothing in them changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStamp(Vec<(String, i64)>);

impl SyncStamp {
    /// The part of the stamp that covers sources starting with any of `prefixes` (all
    /// of it for `None`: the whole index).
    pub fn covering(&self, prefixes: Option<&[String]>) -> Self {
        let Some(prefixes) = prefixes else { return self.clone() };
        let wanted = |shard: &str| shard == "*" || prefixes.iter().any(|p| p.starts_with(shard) && !shard.is_empty());
        Self(self.0.iter().filter(|(shard, _)| wanted(shard)).cloned().collect())
    }
}

/// Which kind of record a UUID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRecordKind {
    /// A source.
    Source,
    /// A submission or a reply.
    Item,
    /// A journalist account.
    Journalist,
}

/// A record's UUID and its JSON, as served (and, at [`SyncShape::Current`], hashed).
pub type SyncRecord = (String, Vec<u8>);

/// What a sync event asks for; each names its target by UUID.
#[derive(Debug, Clone, Copy)]
pub enum SyncAction<'a> {
    /// Star or unstar a source.
    Star {
        /// The source.
        source: &'a str,
        /// Starred after.
        starred: bool,
    },
    /// Mark an item seen, or not seen, by the journalist.
    ItemSeen {
        /// The item.
        item: &'a str,
        /// Seen after.
        seen: bool,
    },
    /// Delete an item.
    ItemDeleted {
        /// The item.
        item: &'a str,
    },
    /// Delete a source and everything of it, if the client's version is current.
    SourceDeleted {
        /// The source.
        source: &'a str,
        /// The version the client holds.
        version: &'a str,
    },
    /// Delete a source's items, keeping the source, if the client's version is current.
    ConversationDeleted {
        /// The source.
        source: &'a str,
        /// The version the client holds.
        version: &'a str,
    },
    /// Delete a source's items up to and including interaction `upper_bound`.
    ConversationTruncated {
        /// The source.
        source: &'a str,
        /// The last interaction to delete.
        upper_bound: u64,
    },
    /// Mark a source's items up to and including `upper_bound` seen by the journalist.
    ConversationSeen {
        /// The source.
        source: &'a str,
        /// The last interaction to mark.
        upper_bound: u64,
    },
    /// Store a reply the client encrypted, under the client's UUID.
    ReplySent {
        /// The source.
        source: &'a str,
        /// The reply's UUID.
        uuid: &'a str,
        /// Its OpenPGP ciphertext (binary).
        ciphertext: &'a [u8],
    },
}

/// How an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    /// Applied now.
    Applied,
    /// Applied before (the same ID): nothing changed now.
    AlreadyApplied,
    /// The target does not exist (or no longer does).
    NoTarget,
    /// The client's version of the source is not the current one.
    Outdated {
        /// The current version.
        current: String,
    },
    /// The reply's UUID is taken.
    UuidTaken,
}

/// An event's status and the records it changed (read them after the batch: a
/// record no longer found was deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    /// How it ended.
    pub status: SyncStatus,
    /// Sources changed or deleted.
    pub sources: Vec<String>,
    /// Items changed or deleted.
    pub items: Vec<String>,
}

impl SyncOutcome {
    fn only(status: SyncStatus) -> Self {
        Self { status, sources: Vec::new(), items: Vec::new() }
    }
}

/// The half-open UUID range `[prefix, prefix + U+10FFFF)`: every string starting with
/// `prefix` (UUIDs are ASCII).
fn range_of(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}\u{10FFFF}"))
}

/// Every shard's change count, read on `conn`.
fn stamp_in(conn: &Connection) -> Result<SyncStamp, StoreError> {
    let mut stmt = conn.prepare_cached(sql::SYNC_SHARDS).map_err(db("read the sync shards"))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db("read the sync shards"))?;
    Ok(SyncStamp(rows.collect::<Result<_, _>>().map_err(db("read the sync shards"))?))
}

fn entries(
    conn: &Connection,
    query: &str,
    range: Option<&(String, String)>,
) -> Result<Vec<postern_sync::Entry>, StoreError> {
    let mut stmt = conn.prepare_cached(query).map_err(db("read the sync index"))?;
    let entry = |r: &Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?));
    let rows = match range {
        Some((from, to)) => stmt.query_map(params![from, to], entry),
        None => stmt.query_map([], entry),
    }
    .map_err(db("read the sync index"))?;
    let mut out = Vec::new();
    for row in rows {
        let (uuid, version) = row.map_err(db("read the sync index"))?;
        let version = version
            .as_deref()
            .and_then(Version::parse)
            .ok_or(StoreError::Bug(postern_core::internal!("a record has no version")))?;
        out.push((uuid, version));
    }
    Ok(out)
}

impl Store {
    /// Every shard's change count, read at once.
    pub fn sync_stamp(&self) -> Result<SyncStamp, StoreError> {
        stamp_in(&*self.lock()?)
    }

    /// The index of sources that submitted (those whose UUID starts with one of
    /// `prefixes`, if given; an empty prefix matches nothing), their items and every
    /// journalist, sorted, with the stamp it was read at.
    pub fn sync_index(&self, prefixes: Option<&[String]>, shape: SyncShape) -> Result<(Index, SyncStamp), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin reading the sync index"))?;
        let mut index = Index::default();
        match prefixes {
            None => {
                index.sources = entries(&tx, sql::SYNC_INDEX_SOURCES, None)?;
                index.items = entries(&tx, sql::SYNC_INDEX_ITEMS, None)?;
            }
            Some(prefixes) => {
                let distinct: BTreeSet<&str> = prefixes.iter().map(String::as_str).filter(|p| !p.is_empty()).collect();
                for prefix in distinct {
                    let range = range_of(prefix);
                    index.sources.extend(entries(&tx, sql::SYNC_INDEX_SOURCES_IN, Some(&range))?);
                    index.items.extend(entries(&tx, sql::SYNC_INDEX_ITEMS_IN, Some(&range))?);
                }
            }
        }
        index.journalists = entries(&tx, sql::SYNC_INDEX_JOURNALISTS, None)?;
        let stamp = stamp_in(&tx)?;
        drop(tx);
        drop(conn);
        let mut index = index.sorted();
        if shape == SyncShape::WithoutInteractionCount {
            let uuids: Vec<String> = index.items.iter().map(|(u, _)| u.clone()).collect();
            index.items = self
                .sync_records(SyncRecordKind::Item, &uuids, shape)?
                .into_iter()
                .map(|(uuid, json)| (uuid, Version::of_bytes(&json)))
                .collect();
            index = index.sorted();
        }
        Ok((index, stamp))
    }

    /// The records of `kind` with these UUIDs that exist (and, for sources and items,
    /// belong to sources that submitted), as served; unknown UUIDs are left out.
    pub fn sync_records(
        &self,
        kind: SyncRecordKind,
        uuids: &[String],
        shape: SyncShape,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.lock()?;
        let distinct: BTreeSet<&String> = uuids.iter().collect();
        let wanted = Rc::new(distinct.into_iter().cloned().map(Value::Text).collect::<Vec<_>>());
        let mut out = Vec::with_capacity(uuids.len());
        let queries: &[(&str, RecordJson)] = match kind {
            SyncRecordKind::Source => &[(sql::SYNC_SOURCES_IN, |r, _| source_json(r))],
            SyncRecordKind::Item => &[
                (sql::SYNC_SUBMISSIONS_IN, |r, s| submission_json(r, s)),
                (sql::SYNC_REPLIES_IN, |r, s| reply_json(r, s)),
            ],
            SyncRecordKind::Journalist => &[(sql::SYNC_JOURNALISTS_IN, |r, _| journalist_json(r))],
        };
        for (query, json) in queries {
            let mut stmt = conn.prepare_cached(query).map_err(db("read sync records"))?;
            let rows = stmt
                .query_map([Rc::clone(&wanted)], |r| Ok((r.get::<_, String>(0)?, json(r, shape)?)))
                .map_err(db("read sync records"))?;
            for row in rows {
                out.push(row.map_err(db("read sync records"))?);
            }
        }
        Ok(out)
    }

    /// Applies `journalist`'s event `event_id` once: if it was applied before, nothing
    /// happens ([`SyncStatus::AlreadyApplied`]); if it applies now, the change and the
    /// record of its ID are one transaction. An event that fails is not recorded, so
    /// the client may send it again.
    pub fn apply_sync_event(
        &self,
        journalist: JournalistId,
        event_id: &str,
        action: SyncAction<'_>,
    ) -> Result<SyncOutcome, StoreError> {
        if let SyncAction::ReplySent { source, uuid, ciphertext } = action {
            return self.apply_reply_event(journalist, event_id, source, uuid, ciphertext);
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin applying a sync event"))?;
        if applied_before(&tx, journalist, event_id)? {
            return Ok(SyncOutcome::only(SyncStatus::AlreadyApplied));
        }
        let (outcome, doomed, doomed_dir) = self.apply_in(&tx, journalist, action)?;
        if outcome.status == SyncStatus::Applied {
            self.record_event(&tx, journalist, event_id)?;
            tx.commit().map_err(db("commit a sync event"))?;
        } else {
            drop(tx);
        }
        if !doomed.is_empty() || doomed_dir.is_some() {
            Store::forget_deleted(&conn)?;
        }
        drop(conn);
        remove_item_files(&doomed)?;
        if let Some(dir) = doomed_dir {
            remove_source_dir(&dir)?;
        }
        Ok(outcome)
    }

    /// Records an applied event (and forgets those older than the retention).
    fn record_event(&self, tx: &Connection, journalist: JournalistId, event_id: &str) -> Result<(), StoreError> {
        let now = self.now();
        let horizon = now.saturating_sub(i64::try_from(SYNC_EVENT_RETENTION.as_secs()).unwrap_or(i64::MAX));
        tx.execute(sql::SYNC_FORGET_EVENTS_BEFORE, [horizon]).map_err(db("forget old sync events"))?;
        tx.execute(sql::SYNC_RECORD_EVENT, params![journalist.raw(), event_id, 200, now])
            .map_err(db("record a sync event"))?;
        Ok(())
    }

    /// One event's change inside `tx`: its outcome, the items whose files go once it
    /// commits, and the directory of a deleted source.
    fn apply_in(
        &self,
        tx: &Connection,
        journalist: JournalistId,
        action: SyncAction<'_>,
    ) -> Result<(SyncOutcome, Vec<CollectionItem>, Option<std::path::PathBuf>), StoreError> {
        let none = |status| Ok((SyncOutcome::only(status), Vec::new(), None));
        match action {
            SyncAction::Star { source, starred } => {
                let Some(record) = active_source_in(tx, source)? else { return none(SyncStatus::NoTarget) };
                tx.execute(sql::SET_SOURCE_STARRED, params![record.id.raw(), starred, record.id.uuid()])
                    .map_err(db("star a source"))?;
                Ok((changed(&record, Vec::new()), Vec::new(), None))
            }
            SyncAction::ItemSeen { item, seen } => {
                let Some((id, source_id, reply)) = find_item(tx, item)? else { return none(SyncStatus::NoTarget) };
                let kind = if reply { ItemKind::Reply } else { ItemKind::Message };
                mark_seen(tx, kind, id, source_id, journalist, seen)?;
                let record = source_by_row_in(tx, source_id)?;
                Ok((changed(&record, vec![item.to_owned()]), Vec::new(), None))
            }
            SyncAction::ItemDeleted { item } => {
                let Some((_, source_id, _)) = find_item(tx, item)? else { return none(SyncStatus::NoTarget) };
                let record = source_by_row_in(tx, source_id)?;
                let doomed = self.delete_item_rows(tx, &record, |i| i.uuid == item)?;
                Ok((changed(&record, vec![item.to_owned()]), doomed, None))
            }
            SyncAction::SourceDeleted { source, version } | SyncAction::ConversationDeleted { source, version } => {
                let Some(record) = active_source_in(tx, source)? else { return none(SyncStatus::NoTarget) };
                let current: String = tx
                    .query_row(sql::SYNC_SOURCE_VERSION, [record.id.raw()], |r| r.get(0))
                    .map_err(db("read a source's version"))?;
                if current != version {
                    return none(SyncStatus::Outdated { current });
                }
                if matches!(action, SyncAction::SourceDeleted { .. }) {
                    let items = self.items(tx, &record, NOBODY)?.into_iter().map(|i| i.uuid).collect();
                    tx.execute(sql::DELETE_SOURCE, params![record.id.raw(), record.id.uuid()])
                        .map_err(db("delete a source"))?;
                    Ok((changed(&record, items), Vec::new(), Some(self.source_dir(&record))))
                } else {
                    let doomed = self.delete_item_rows(tx, &record, |_| true)?;
                    let items = doomed.iter().map(|i| i.uuid.clone()).collect();
                    Ok((changed(&record, items), doomed, None))
                }
            }
            SyncAction::ConversationTruncated { source, upper_bound } => {
                let Some(record) = active_source_in(tx, source)? else { return none(SyncStatus::NoTarget) };
                let doomed = self.delete_item_rows(tx, &record, |i| i.number() <= upper_bound)?;
                let items = doomed.iter().map(|i| i.uuid.clone()).collect();
                Ok((changed(&record, items), doomed, None))
            }
            SyncAction::ConversationSeen { source, upper_bound } => {
                let Some(record) = active_source_in(tx, source)? else { return none(SyncStatus::NoTarget) };
                let chosen: Vec<CollectionItem> =
                    self.items(tx, &record, NOBODY)?.into_iter().filter(|i| i.number() <= upper_bound).collect();
                for item in &chosen {
                    mark_seen(tx, item.kind, item.id, record.id.raw(), journalist, true)?;
                }
                Ok((changed(&record, chosen.into_iter().map(|i| i.uuid).collect()), Vec::new(), None))
            }
            SyncAction::ReplySent { .. } => {
                Err(StoreError::Bug(postern_core::internal!("a reply event in a transaction")))
            }
        }
    }

    /// A reply event: its ciphertext is written first (outside the lock), then its row
    /// and the event's record are one transaction.
    fn apply_reply_event(
        &self,
        journalist: JournalistId,
        event_id: &str,
        source: &str,
        uuid: &str,
        ciphertext: &[u8],
    ) -> Result<SyncOutcome, StoreError> {
        {
            let conn = self.lock()?;
            if applied_before(&conn, journalist, event_id)? {
                return Ok(SyncOutcome::only(SyncStatus::AlreadyApplied));
            }
        }
        let Some(record) = self.active_source(source)? else { return Ok(SyncOutcome::only(SyncStatus::NoTarget)) };
        let mut blob = self.begin_blob(&record)?;
        std::io::Write::write_all(&mut blob, ciphertext).map_err(io("write a reply"))?;
        let blob = blob.finish()?;
        let item = crate::records::Item::Reply { journalist: Some(journalist), uuid: uuid.to_owned() };
        let recorded =
            self.record_items_then(record.id, vec![(item, blob)], &|tx| self.record_event(tx, journalist, event_id));
        match recorded {
            Ok(_) => Ok(changed(&record, vec![uuid.to_owned()])),
            Err(StoreError::UuidTaken) => {
                // The same event sent twice at once: the other one stored it.
                let twice = applied_before(&*self.lock()?, journalist, event_id)?;
                Ok(SyncOutcome::only(if twice { SyncStatus::AlreadyApplied } else { SyncStatus::UuidTaken }))
            }
            Err(StoreError::NoSuchSource) => Ok(SyncOutcome::only(SyncStatus::NoTarget)),
            Err(e) => Err(e),
        }
    }
}

fn changed(source: &SourceRecord, items: Vec<String>) -> SyncOutcome {
    SyncOutcome { status: SyncStatus::Applied, sources: vec![source.id.uuid().to_owned()], items }
}

fn applied_before(conn: &Connection, journalist: JournalistId, event_id: &str) -> Result<bool, StoreError> {
    conn.query_row(sql::SYNC_EVENT_APPLIED, params![journalist.raw(), event_id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(db("look up a sync event"))
}

/// The source `uuid` if it has submitted, read on `conn`.
pub(crate) fn active_source_in(conn: &Connection, uuid: &str) -> Result<Option<SourceRecord>, StoreError> {
    Ok(crate::sources::source_by_uuid_in(conn, uuid)?.filter(|s| !s.pending))
}

fn source_by_row_in(conn: &Connection, id: i64) -> Result<SourceRecord, StoreError> {
    conn.query_row(sql::FIND_SOURCE_BY_ROW, [id], source_from_row).map_err(db("read a source"))
}

/// An item of a source that submitted: (row id, source row id, is a reply).
fn find_item(conn: &Connection, uuid: &str) -> Result<Option<(i64, i64, bool)>, StoreError> {
    conn.query_row(sql::SYNC_FIND_ITEM, [uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(db("find an item"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::SubmissionKind as Kind;
    use crate::store::tests::{blob, journalist_named, new_source, temp_store};

    /// The whole index, and every record in it re-hashed as a client would.
    fn assert_consistent(store: &Store) -> Index {
        let (index, _) = store.sync_index(None, SyncShape::Current).unwrap();
        for (kind, list) in [
            (SyncRecordKind::Source, &index.sources),
            (SyncRecordKind::Item, &index.items),
            (SyncRecordKind::Journalist, &index.journalists),
        ] {
            let uuids: Vec<String> = list.iter().map(|(u, _)| u.clone()).collect();
            let mut served = store.sync_records(kind, &uuids, SyncShape::Current).unwrap();
            served.sort();
            assert_eq!(served.len(), list.len());
            for ((uuid, version), (served_uuid, json)) in list.iter().zip(&served) {
                assert_eq!(uuid, served_uuid);
                let value: serde_json::Value = serde_json::from_slice(json).unwrap();
                let canonical = postern_sync::canonical_json(&value);
                assert_eq!(&Version::of_bytes(canonical.as_bytes()), version, "{canonical}");
            }
        }
        index
    }

    fn version_of(index: &Index, uuid: &str) -> Option<Version> {
        [&index.sources, &index.items, &index.journalists]
            .into_iter()
            .flatten()
            .find(|(u, _)| u == uuid)
            .map(|(_, v)| v.clone())
    }

    fn submitted(store: &Store, tag: u8) -> SourceRecord {
        let source = new_source(store, tag);
        let items = vec![(Kind::Message, blob(store, &source, b"m")), (Kind::Document, blob(store, &source, b"d"))];
        store.record_submission(source.id, items).unwrap();
        store.source(source.id).unwrap().unwrap()
    }

    #[test]
    fn every_change_moves_the_versions_it_touches_in_its_own_transaction() {
        let (_dir, store) = temp_store();
        let j = store.create_journalist(&journalist_named("dellsberg")).unwrap();
        let pending = new_source(&store, 9);
        let source = submitted(&store, 1);
        let uuid = source.id.uuid().to_owned();
        let before = assert_consistent(&store);
        assert!(version_of(&before, pending.id.uuid()).is_none(), "pending sources are not synced");
        assert_eq!((before.sources.len(), before.items.len(), before.journalists.len()), (1, 2, 1));
        let items = store.items(&store.lock().unwrap(), &source, NOBODY).unwrap();

        store.set_starred_all(std::slice::from_ref(&uuid), true).unwrap();
        let starred = assert_consistent(&store);
        assert_ne!(version_of(&starred, &uuid), version_of(&before, &uuid));
        assert_eq!(version_of(&starred, &items[0].uuid), version_of(&before, &items[0].uuid));

        store.set_seen(j.id, &source, &[items[0].filename.clone()], true).unwrap();
        let seen = assert_consistent(&store);
        assert_ne!(version_of(&seen, &items[0].uuid), version_of(&starred, &items[0].uuid));
        assert_eq!(version_of(&seen, &items[1].uuid), version_of(&starred, &items[1].uuid));

        store.set_journalist_names(j.id, "Daniel", "Ellsberg").unwrap();
        let named = assert_consistent(&store);
        assert_ne!(version_of(&named, &j.uuid), version_of(&seen, &j.uuid));

        store.record_reply(source.id, Some(j.id), blob(&store, &source, b"r")).unwrap();
        assert_eq!(assert_consistent(&store).items.len(), 3);
        store.delete_journalist("dellsberg").unwrap();
        let gone = assert_consistent(&store);
        assert!(version_of(&gone, &j.uuid).is_none());
        store.delete_sources(&[uuid]).unwrap();
        let empty = assert_consistent(&store);
        assert!(empty.sources.is_empty() && empty.items.is_empty());
    }

    #[test]
    fn a_change_moves_only_its_shards_stamp_and_shards_partition_the_index() {
        let (_dir, store) = temp_store();
        let sources: Vec<SourceRecord> = (1..=12).map(|t| submitted(&store, t)).collect();
        let (whole, _) = store.sync_index(None, SyncShape::Current).unwrap();
        let halves = [
            ["0", "1", "2", "3", "4", "5", "6", "7"].map(String::from).to_vec(),
            ["8", "9", "a", "b", "c", "d", "e", "f"].map(String::from).to_vec(),
        ];
        let mut union = Index::default();
        for half in &halves {
            let (part, _) = store.sync_index(Some(half), SyncShape::Current).unwrap();
            assert_eq!(part.journalists, whole.journalists);
            union.sources.extend(part.sources);
            union.items.extend(part.items);
        }
        let union = union.sorted();
        assert_eq!((union.sources, union.items), (whole.sources.clone(), whole.items.clone()));
        let (nothing, _) = store.sync_index(Some(&["".into(), "x".into()]), SyncShape::Current).unwrap();
        assert!(nothing.sources.is_empty() && nothing.items.is_empty());

        let target = &sources[0];
        let first = target.id.uuid()[..1].to_owned();
        let other = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
            .into_iter()
            .find(|s| *s != first)
            .unwrap()
            .to_owned();
        let before = store.sync_stamp().unwrap();
        store.set_starred_all(&[target.id.uuid().to_owned()], true).unwrap();
        let after = store.sync_stamp().unwrap();
        let mine = Some(std::slice::from_ref(&first));
        let theirs = [other];
        assert_ne!(before.covering(mine), after.covering(mine));
        assert_eq!(before.covering(Some(&theirs)), after.covering(Some(&theirs)));
    }

    #[test]
    fn events_apply_once_even_across_a_restart_and_failures_are_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let j = store.create_journalist(&journalist_named("j")).unwrap();
        let source = submitted(&store, 1);
        let uuid = source.id.uuid().to_owned();
        let star = SyncAction::Star { source: &uuid, starred: true };
        assert_eq!(store.apply_sync_event(j.id, "17", star).unwrap().status, SyncStatus::Applied);
        store.set_starred_all(std::slice::from_ref(&uuid), false).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let again = store.apply_sync_event(j.id, "17", star).unwrap();
        assert_eq!(again, SyncOutcome::only(SyncStatus::AlreadyApplied));
        assert!(!store.source(source.id).unwrap().unwrap().starred, "a resent event changes nothing");

        let stale = "a".repeat(64);
        let delete = SyncAction::SourceDeleted { source: &uuid, version: &stale };
        let refused = store.apply_sync_event(j.id, "18", delete).unwrap();
        let SyncStatus::Outdated { current } = refused.status else { panic!("{refused:?}") };
        let delete = SyncAction::SourceDeleted { source: &uuid, version: &current };
        let done = store.apply_sync_event(j.id, "18", delete).unwrap();
        assert_eq!(done.status, SyncStatus::Applied, "a refused event may be sent again");
        assert_eq!(done.items.len(), 2);
        assert!(store.source(source.id).unwrap().is_none());
        assert_eq!(store.apply_sync_event(j.id, "19", delete).unwrap().status, SyncStatus::NoTarget);
    }

    #[test]
    fn truncation_and_seen_marks_stop_at_the_upper_bound() {
        let (_dir, store) = temp_store();
        let j = store.create_journalist(&journalist_named("j")).unwrap();
        let source = submitted(&store, 1);
        store.record_reply(source.id, Some(j.id), blob(&store, &source, b"r")).unwrap();
        let uuid = source.id.uuid().to_owned();
        let items = store.items(&store.lock().unwrap(), &source, NOBODY).unwrap();
        assert_eq!(items.iter().map(CollectionItem::number).collect::<Vec<_>>(), [1, 2, 3]);

        let seen = store.apply_sync_event(j.id, "1", SyncAction::ConversationSeen { source: &uuid, upper_bound: 1 });
        assert_eq!(seen.unwrap().items, [items[0].uuid.clone()]);
        let marks = store.items(&store.lock().unwrap(), &source, j.id).unwrap();
        assert_eq!(marks.iter().map(|i| i.seen).collect::<Vec<_>>(), [true, false, true]);

        let cut = SyncAction::ConversationTruncated { source: &uuid, upper_bound: 2 };
        assert_eq!(store.apply_sync_event(j.id, "2", cut).unwrap().items.len(), 2);
        let left = store.items(&store.lock().unwrap(), &source, NOBODY).unwrap();
        assert_eq!(left.iter().map(|i| i.uuid.clone()).collect::<Vec<_>>(), [items[2].uuid.clone()]);
        assert!(!items[0].path.exists() && items[2].path.exists());
        assert_consistent(&store);
    }

    #[test]
    fn a_reply_event_stores_once_under_the_clients_uuid() {
        let (_dir, store) = temp_store();
        let j = store.create_journalist(&journalist_named("j")).unwrap();
        let source = submitted(&store, 1);
        let uuid = source.id.uuid().to_owned();
        let reply = "5d1f6a2c-7a3b-4f0e-9c1d-2e3f4a5b6c7d";
        let send = SyncAction::ReplySent { source: &uuid, uuid: reply, ciphertext: b"ciphertext" };
        let sent = store.apply_sync_event(j.id, "5", send).unwrap();
        assert_eq!((sent.status, sent.items), (SyncStatus::Applied, vec![reply.to_owned()]));
        assert_eq!(store.apply_sync_event(j.id, "5", send).unwrap().status, SyncStatus::AlreadyApplied);
        assert_eq!(store.apply_sync_event(j.id, "6", send).unwrap().status, SyncStatus::UuidTaken);
        assert_eq!(store.replies(&source).unwrap().len(), 1);
        let served = store.sync_records(SyncRecordKind::Item, &[reply.to_owned()], SyncShape::Current).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&served[0].1).unwrap();
        assert_eq!(value["journalist_uuid"], j.uuid.as_str());
        assert_eq!(value["seen_by"], serde_json::json!([j.uuid]));
        assert_eq!(value["interaction_count"], 3);
    }

    #[test]
    fn before_minor_version_2_items_have_no_interaction_count_and_other_versions() {
        let (_dir, store) = temp_store();
        submitted(&store, 1);
        let (current, _) = store.sync_index(None, SyncShape::Current).unwrap();
        let (old, _) = store.sync_index(None, SyncShape::WithoutInteractionCount).unwrap();
        assert_eq!(current.sources, old.sources);
        assert_ne!(current.items, old.items);
        let uuids: Vec<String> = old.items.iter().map(|(u, _)| u.clone()).collect();
        for (uuid, json) in
            store.sync_records(SyncRecordKind::Item, &uuids, SyncShape::WithoutInteractionCount).unwrap()
        {
            assert!(!String::from_utf8(json.clone()).unwrap().contains("interaction_count"));
            assert_eq!(version_of(&old, &uuid), Some(Version::of_bytes(&json)));
        }
    }
}
