//! Submissions and replies: writing, recording, listing, marking seen and deleting them.

use std::path::PathBuf;

use postern_core::{JournalistId, journalist_filename};

/// No journalist: every item reads as not seen.
pub(crate) const NOBODY: JournalistId = JournalistId::new(0);
use rusqlite::{Connection, OptionalExtension, params};

use crate::blobs::{BlobWriter, FinishedBlob, sync_dir};
use crate::error::{db, io};
use crate::records::{
    CollectionItem, Item, ItemKind, ReplyRecord, SourceId, SourceRecord, SubmissionKind, SubmissionRecord,
};
use crate::sources::source_from_row;
use crate::store::{Store, random_uuid};
use crate::{StoreError, sql};

impl Store {
    /// Starts a ciphertext file in the source's directory, made now if this is the
    /// first thing stored for the source. [`StoreError::NoSuchSource`] if the source
    /// was deleted meanwhile (a deletion racing this leaves at most an empty directory,
    /// which the start-up sweep removes).
    pub fn begin_blob(&self, source: &SourceRecord) -> Result<BlobWriter, StoreError> {
        if self.source(source.id)?.is_none() {
            return Err(StoreError::NoSuchSource);
        }
        BlobWriter::create(&self.ensure_source_dir(source)?, self.access.file_mode())
    }

    /// Records finished ciphertexts as one submission, in order: each gets the next
    /// interaction number and its SecureDrop file name, is renamed into place and gets
    /// its row, all in one transaction. On failure nothing is recorded and the files
    /// are removed. Returns the stored file names.
    pub fn record_submission(
        &self,
        source: SourceId,
        items: Vec<(SubmissionKind, FinishedBlob)>,
    ) -> Result<Vec<String>, StoreError> {
        let items = items.into_iter().map(|(kind, blob)| (Item::Submission(kind), blob)).collect();
        self.record_items_then(source, items, &|_| Ok(()))
    }

    /// Records a finished reply ciphertext (`N-designation-reply.gpg`) by `journalist`
    /// (`None` for a deleted account), with the next interaction number. Returns its
    /// file name.
    pub fn record_reply(
        &self,
        source: SourceId,
        journalist: Option<JournalistId>,
        blob: FinishedBlob,
    ) -> Result<String, StoreError> {
        self.record_reply_as(source, journalist, blob, None).map(|(_, name)| name)
    }

    /// Records a reply as [`Store::record_reply`] does, under the UUID a client chose
    /// if it gave one ([`StoreError::UuidTaken`] if an item has it). Returns its UUID
    /// and file name.
    pub fn record_reply_as(
        &self,
        source: SourceId,
        journalist: Option<JournalistId>,
        blob: FinishedBlob,
        uuid: Option<&str>,
    ) -> Result<(String, String), StoreError> {
        let uuid = uuid.map_or_else(random_uuid, str::to_owned);
        let item = Item::Reply { journalist, uuid: uuid.clone() };
        let mut names = self.record_items_then(source, vec![(item, blob)], &|_| Ok(()))?;
        let name = names.pop().ok_or(StoreError::Bug(postern_core::internal!("a recorded reply has no name")))?;
        Ok((uuid, name))
    }

    /// Records items as [`Store::record_submission`] says, running `also` in the same
    /// transaction before it commits.
    pub(crate) fn record_items_then(
        &self,
        source: SourceId,
        items: Vec<(Item, FinishedBlob)>,
        also: &dyn Fn(&Connection) -> Result<(), StoreError>,
    ) -> Result<Vec<String>, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin recording items"))?;
        let record = tx
            .query_row(sql::FIND_SOURCE_BY_ID, params![source.raw(), source.uuid()], source_from_row)
            .optional()
            .map_err(db("read a source"))?
            .ok_or(StoreError::NoSuchSource)?;
        let prefix = journalist_filename(&record.designation);
        let dir = self.source_dir(&record);
        let mut count = record.interaction_count;
        let mut from_source: i64 = 0;
        let mut placed: Vec<PathBuf> = Vec::new();
        // Renamed blobs keep their locks until the rows are committed (or the files
        // removed): until then the other process's sweep must leave them alone.
        let mut held: Vec<FinishedBlob> = Vec::new();
        let result = (|| {
            let mut names = Vec::new();
            for (item, mut blob) in items {
                if blob.dir() != dir {
                    return Err(StoreError::Bug(postern_core::internal!("a blob was written for another source")));
                }
                count += 1;
                let name = format!("{count}-{prefix}-{}", item.suffix());
                let size = size_column(blob.size())?;
                match item {
                    Item::Submission(kind) => {
                        from_source += 1;
                        tx.execute(
                            sql::INSERT_SUBMISSION,
                            params![random_uuid(), source.raw(), name, kind.column(), size, blob.checksum()],
                        )
                        .map_err(db("insert a submission"))?;
                    }
                    Item::Reply { journalist, uuid } => {
                        if tx
                            .query_row(sql::ITEM_UUID_IN_USE, [&uuid], |_| Ok(()))
                            .optional()
                            .map_err(db("check a UUID"))?
                            .is_some()
                        {
                            return Err(StoreError::UuidTaken);
                        }
                        let journalist_raw = journalist.map(JournalistId::raw);
                        tx.execute(
                            sql::INSERT_REPLY,
                            params![uuid, source.raw(), journalist_raw, name, size, blob.checksum()],
                        )
                        .map_err(db("insert a reply"))?;
                        // The author has seen what they wrote.
                        if let Some(author) = journalist {
                            tx.execute(sql::INSERT_SEEN_REPLY, params![tx.last_insert_rowid(), author.raw()])
                                .map_err(db("mark a reply seen"))?;
                        }
                    }
                }
                placed.push(blob.rename_to(&name)?);
                held.push(blob);
                names.push(name);
            }
            if from_source > 0 {
                tx.execute(sql::TOUCH_SOURCE_AFTER_SUBMISSION, params![source.raw(), count, self.now(), from_source])
            } else {
                tx.execute(sql::SET_INTERACTION_COUNT, params![source.raw(), count])
            }
            .map_err(db("update the source"))?;
            also(&tx)?;
            sync_dir(&dir)?;
            tx.commit().map_err(db("commit recorded items"))?;
            Ok(names)
        })();
        if result.is_err() {
            for path in placed {
                let _ = std::fs::remove_file(path);
            }
        }
        drop(held);
        result
    }

    /// A source's replies, oldest first, including those the source deleted.
    pub fn replies(&self, source: &SourceRecord) -> Result<Vec<ReplyRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_REPLIES_FOR_SOURCE).map_err(db("list replies"))?;
        let dir = self.source_dir(source);
        let rows = stmt
            .query_map([source.id.raw()], |r| {
                let filename: String = r.get(1)?;
                Ok(ReplyRecord {
                    uuid: r.get(0)?,
                    path: dir.join(&filename),
                    filename,
                    journalist: r.get::<_, Option<i64>>(2)?.map(JournalistId::new),
                    size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    deleted_by_source: r.get(4)?,
                })
            })
            .map_err(db("list replies"))?;
        rows.collect::<Result<_, _>>().map_err(db("list replies"))
    }

    /// Hides one of `source`'s own replies from it (journalists still see it). Returns
    /// false if `filename` is not an undeleted reply of this source.
    pub fn delete_reply_for_source(&self, source: SourceId, filename: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::MARK_REPLY_DELETED_BY_SOURCE, params![source.raw(), filename, source.uuid()])
            .map_err(db("mark a reply deleted"))?;
        Ok(changed == 1)
    }

    /// Hides all of `source`'s replies from it. Returns how many were hidden.
    pub fn delete_all_replies_for_source(&self, source: SourceId) -> Result<usize, StoreError> {
        self.lock()?
            .execute(sql::MARK_ALL_REPLIES_DELETED_BY_SOURCE, params![source.raw(), source.uuid()])
            .map_err(db("mark replies deleted"))
    }

    /// A source's submissions, oldest first.
    pub fn submissions(&self, source: &SourceRecord) -> Result<Vec<SubmissionRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_SUBMISSIONS_FOR_SOURCE).map_err(db("list submissions"))?;
        let dir = self.source_dir(source);
        let rows = stmt
            .query_map([source.id.raw()], |r| {
                let filename: String = r.get(1)?;
                Ok(SubmissionRecord {
                    uuid: r.get(0)?,
                    path: dir.join(&filename),
                    filename,
                    kind: if r.get::<_, String>(2)? == "msg" {
                        SubmissionKind::Message
                    } else {
                        SubmissionKind::Document
                    },
                    size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                })
            })
            .map_err(db("list submissions"))?;
        rows.collect::<Result<_, _>>().map_err(db("list submissions"))
    }

    pub(crate) fn items(
        &self,
        conn: &Connection,
        source: &SourceRecord,
        journalist: JournalistId,
    ) -> Result<Vec<CollectionItem>, StoreError> {
        let dir = self.source_dir(source);
        let source_id = source.id.raw();
        let mut stmt = conn.prepare_cached(sql::LIST_SUBMISSIONS_SEEN_BY).map_err(db("list submissions"))?;
        let mut items = stmt
            .query_map(params![source_id, journalist.raw()], |r| {
                let filename: String = r.get(2)?;
                Ok(CollectionItem {
                    id: r.get(0)?,
                    uuid: r.get(1)?,
                    path: dir.join(&filename),
                    filename,
                    kind: if r.get::<_, String>(3)? == "msg" { ItemKind::Message } else { ItemKind::Document },
                    size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    seen: r.get(5)?,
                    author: None,
                    deleted_by_source: false,
                })
            })
            .map_err(db("list submissions"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list submissions"))?;
        let mut stmt = conn.prepare_cached(sql::LIST_REPLIES_SEEN_BY).map_err(db("list replies"))?;
        let replies = stmt
            .query_map(params![source_id, journalist.raw()], |r| {
                let filename: String = r.get(2)?;
                let placeholder: bool = r.get(7)?;
                Ok(CollectionItem {
                    id: r.get(0)?,
                    uuid: r.get(1)?,
                    path: dir.join(&filename),
                    filename,
                    kind: ItemKind::Reply,
                    size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    deleted_by_source: r.get(4)?,
                    seen: r.get(5)?,
                    author: Some(if placeholder {
                        postern_core::RESERVED_USERNAME.to_owned()
                    } else {
                        r.get::<_, Option<String>>(6)?.unwrap_or_default()
                    }),
                })
            })
            .map_err(db("list replies"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list replies"))?;
        items.extend(replies);
        items.sort_by_key(CollectionItem::number);
        Ok(items)
    }

    /// Marks the named items of `source` as seen (or not) by `journalist`; names that
    /// are not this source's items are ignored. Returns how many items matched.
    pub fn set_seen(
        &self,
        journalist: JournalistId,
        source: &SourceRecord,
        filenames: &[String],
        seen: bool,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin marking items"))?;
        let chosen: Vec<CollectionItem> =
            self.items(&tx, source, journalist)?.into_iter().filter(|i| filenames.contains(&i.filename)).collect();
        for item in &chosen {
            mark_seen(&tx, item.kind, item.id, source.id.raw(), journalist, seen)?;
        }
        tx.commit().map_err(db("commit marking items"))?;
        Ok(chosen.len())
    }

    /// Deletes the named items of `source` (rows, then files); names that are not this
    /// source's items are ignored, and an already missing file is no error. Returns how
    /// many items were deleted.
    pub fn delete_items(&self, source: &SourceRecord, filenames: &[String]) -> Result<usize, StoreError> {
        self.delete_items_where(source, |item| filenames.contains(&item.filename))
    }

    /// Deletes every message, file and reply of `source`, keeping the account.
    pub fn delete_source_data(&self, source: &SourceRecord) -> Result<usize, StoreError> {
        self.delete_items_where(source, |_| true)
    }

    pub(crate) fn delete_items_where(
        &self,
        source: &SourceRecord,
        chosen: impl Fn(&CollectionItem) -> bool,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin deleting items"))?;
        let doomed = self.delete_item_rows(&tx, source, chosen)?;
        tx.commit().map_err(db("commit deleting items"))?;
        Store::forget_deleted(&conn)?;
        drop(conn);
        remove_item_files(&doomed)?;
        Ok(doomed.len())
    }

    /// Deletes the rows of `source`'s items that are `chosen`, inside the caller's
    /// transaction, and returns them; their files go once it commits.
    pub(crate) fn delete_item_rows(
        &self,
        tx: &Connection,
        source: &SourceRecord,
        chosen: impl Fn(&CollectionItem) -> bool,
    ) -> Result<Vec<CollectionItem>, StoreError> {
        let doomed: Vec<CollectionItem> = self.items(tx, source, NOBODY)?.into_iter().filter(chosen).collect();
        for item in &doomed {
            let query = if item.kind == ItemKind::Reply { sql::DELETE_REPLY } else { sql::DELETE_SUBMISSION };
            tx.execute(query, [item.id]).map_err(db("delete an item"))?;
        }
        let submissions = doomed.iter().filter(|i| i.kind != ItemKind::Reply).count() as i64;
        tx.execute(sql::SUBTRACT_SUBMISSIONS, params![source.id.raw(), submissions]).map_err(db("count deletions"))?;
        Ok(doomed)
    }
}

/// Marks item `id` (of source row `source`) seen, or not, by `journalist`, inside the
/// caller's transaction.
pub(crate) fn mark_seen(
    tx: &Connection,
    kind: ItemKind,
    id: i64,
    source: i64,
    journalist: JournalistId,
    seen: bool,
) -> Result<(), StoreError> {
    match (kind, seen) {
        (ItemKind::Reply, true) => tx.execute(sql::INSERT_SEEN_REPLY, params![id, journalist.raw()]),
        (ItemKind::Reply, false) => tx.execute(sql::DELETE_SEEN_REPLY, params![id, journalist.raw()]),
        (_, true) => tx.execute(sql::INSERT_SEEN_SUBMISSION, params![id, journalist.raw(), source]),
        (_, false) => tx.execute(sql::DELETE_SEEN_SUBMISSION, params![id, journalist.raw()]),
    }
    .map_err(db("mark an item"))?;
    Ok(())
}

/// Removes the files of items whose rows are gone. Rows first: a crash before this
/// leaves unlisted files, which the next start-up sweep removes; never a listed item
/// without its file.
pub(crate) fn remove_item_files(doomed: &[CollectionItem]) -> Result<(), StoreError> {
    for item in doomed {
        match std::fs::remove_file(&item.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io("remove a deleted item")(e)),
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn size_column(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Bug(postern_core::internal!("a file size does not fit the database")))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::store::tests::{blob, files_in, journalist_named, new_source, temp_store};

    #[test]
    fn submissions_get_securedrop_names_in_order() {
        let (_dir, store) = temp_store();
        let s = new_source(&store, 1);
        assert!(s.pending);
        let items = vec![
            (SubmissionKind::Message, blob(&store, &s, b"m")),
            (SubmissionKind::Document, blob(&store, &s, b"dd")),
        ];
        let names = store.record_submission(s.id, items).unwrap();
        let prefix = journalist_filename(&s.designation);
        assert_eq!(names, vec![format!("1-{prefix}-msg.gpg"), format!("2-{prefix}-doc.gz.gpg")]);
        let s = store.source(s.id).unwrap().unwrap();
        assert_eq!(s.interaction_count, 2);
        assert!(!s.pending);
        let listed = store.submissions(&s).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].size, 2);
        assert_eq!(std::fs::read(&listed[0].path).unwrap(), b"m");
        let meta = std::fs::metadata(&listed[0].path).unwrap();
        assert_eq!(meta.modified().unwrap(), std::time::UNIX_EPOCH);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn large_blobs_are_written_out_while_they_grow_and_read_back_whole() {
        let (dir, store) = temp_store();
        let s = new_source(&store, 7);
        let data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let mut w = store.begin_blob(&s).unwrap();
        for chunk in data.chunks(100_000) {
            w.write_all(chunk).unwrap();
        }
        let names = store.record_submission(s.id, vec![(SubmissionKind::Document, w.finish().unwrap())]).unwrap();
        let path = dir.path().join("store").join(&s.store_dir).join(&names[0]);
        assert_eq!(std::fs::read(path).unwrap(), data);
        // An abandoned large blob stops its background thread and leaves no file.
        let mut w = store.begin_blob(&s).unwrap();
        w.write_all(&data).unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path().join("store").join(&s.store_dir)).unwrap().count(), 1);
    }

    #[test]
    fn replies_share_the_counter_and_only_their_source_hides_them() {
        let (_dir, store) = temp_store();
        let s = new_source(&store, 20);
        let other = new_source(&store, 21);
        store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"m"))]).unwrap();
        let author = store.create_journalist(&journalist_named("ada")).unwrap();
        let name = store.record_reply(s.id, Some(author.id), blob(&store, &s, b"reply")).unwrap();
        let prefix = journalist_filename(&s.designation);
        assert_eq!(name, format!("2-{prefix}-reply.gpg"));
        let after = store.source(s.id).unwrap().unwrap();
        assert_eq!(after.interaction_count, 2);
        assert!(!after.pending);
        assert!(store.source_public_key(s.id).unwrap() == "pk");
        // A reply to a pending source does not make it active.
        store.record_reply(other.id, None, blob(&store, &other, b"r")).unwrap();
        assert!(store.source(other.id).unwrap().unwrap().pending);

        assert!(!store.delete_reply_for_source(other.id, &name).unwrap(), "not the other source's");
        assert!(store.delete_reply_for_source(s.id, &name).unwrap());
        assert!(!store.delete_reply_for_source(s.id, &name).unwrap(), "already hidden");
        let replies = store.replies(&after).unwrap();
        assert_eq!(replies.len(), 1);
        assert!(replies[0].deleted_by_source && replies[0].path.exists(), "journalists keep it");
        assert_eq!(replies[0].journalist, Some(author.id));
        assert_eq!(store.delete_all_replies_for_source(other.id).unwrap(), 1);
    }

    #[test]
    fn unfinished_and_unrecorded_blobs_leave_no_file() {
        let (dir, store) = temp_store();
        let s = new_source(&store, 2);
        let sdir = dir.path().join("store").join(&s.store_dir);
        let mut w = store.begin_blob(&s).unwrap();
        w.write_all(b"partial").unwrap();
        assert_eq!(files_in(&sdir).len(), 1);
        drop(w);
        drop(blob(&store, &s, b"finished but never recorded"));
        assert!(files_in(&sdir).is_empty());
    }
}
