//! The newsroom as journalist API clients see it: every source, submission and reply in
//! a few queries (not one per source: SecureDrop's clients froze at a few hundred
//! sources), items looked up by their source's UUID and their own, marking seen by UUID,
//! and the checksums served as ETags.

use std::collections::HashMap;
use std::sync::Arc;

use postern_core::{Designation, JournalistId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::blobs::checksum_file;
use crate::error::{db, io};
use crate::journalists::journalist_from_row;
use crate::records::{
    ClientAuthor, ClientReply, ClientSource, ClientSubmission, ItemKind, JournalistRecord, SeenTargetKind, SeenTargets,
    SourceRecord, StoredFile, SubmissionKind,
};
use crate::store::Store;
use crate::{StoreError, sql};

impl Store {
    /// Every source that submitted, oldest first.
    pub fn client_sources(&self) -> Result<Vec<ClientSource>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(sql::LIST_CLIENT_SOURCES).map_err(db("list sources"))?;
        let rows = stmt.query_map([], client_source_from_row).map_err(db("list sources"))?;
        rows.collect::<Result<_, _>>().map_err(db("list sources"))
    }

    /// The source `uuid` if it has submitted: the only sources clients see (pending ones
    /// are invisible to journalists).
    pub fn active_source(&self, uuid: &str) -> Result<Option<SourceRecord>, StoreError> {
        crate::sync::active_source_in(&*self.lock()?, uuid)
    }

    /// One source that submitted.
    pub fn client_source(&self, uuid: &str) -> Result<Option<ClientSource>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(sql::FIND_CLIENT_SOURCE, [uuid], client_source_from_row).optional().map_err(db("read a source"))
    }

    /// Every submission of sources that submitted, or those of the source `of`.
    pub fn client_submissions(&self, of: Option<&str>) -> Result<Vec<ClientSubmission>, StoreError> {
        let conn = self.lock()?;
        let (items, seers) = match of {
            None => (sql::LIST_CLIENT_SUBMISSIONS, sql::LIST_SUBMISSION_SEERS),
            Some(_) => (sql::LIST_CLIENT_SUBMISSIONS_OF, sql::LIST_SUBMISSION_SEERS_OF),
        };
        let mut seen = seers_in(&conn, seers, of)?;
        let mut stmt = conn.prepare_cached(items).map_err(db("list submissions"))?;
        let mut sources = Interned::default();
        let from_row = |r: &Row<'_>| client_submission_from_row(r, &mut sources);
        let rows = match of {
            None => stmt.query_map([], from_row),
            Some(uuid) => stmt.query_map([uuid], from_row),
        };
        let mut list: Vec<ClientSubmission> =
            rows.map_err(db("list submissions"))?.collect::<Result<_, _>>().map_err(db("list submissions"))?;
        for item in &mut list {
            item.seen_by = seen.remove(&item.id).unwrap_or_default();
        }
        Ok(list)
    }

    /// One submission, if it is the source's.
    pub fn client_submission(&self, source: &str, uuid: &str) -> Result<Option<ClientSubmission>, StoreError> {
        let conn = self.lock()?;
        let found = conn
            .query_row(sql::FIND_CLIENT_SUBMISSION, [source, uuid], |r| {
                client_submission_from_row(r, &mut Interned::default())
            })
            .optional()
            .map_err(db("read a submission"))?;
        let Some(mut item) = found else { return Ok(None) };
        item.seen_by = seers_of_item(&conn, sql::LIST_SUBMISSION_SEERS_OF_ITEM, item.id)?;
        Ok(Some(item))
    }

    /// The submissions of source `uuid`; `None` if no source that submitted has it.
    pub fn client_submissions_of(&self, uuid: &str) -> Result<Option<Vec<ClientSubmission>>, StoreError> {
        if self.active_source(uuid)?.is_none() {
            return Ok(None);
        }
        self.client_submissions(Some(uuid)).map(Some)
    }

    /// The replies to source `uuid`; `None` if no source that submitted has it.
    pub fn client_replies_of(&self, uuid: &str) -> Result<Option<Vec<ClientReply>>, StoreError> {
        if self.active_source(uuid)?.is_none() {
            return Ok(None);
        }
        self.client_replies(Some(uuid)).map(Some)
    }

    /// The file of submission `uuid` of source `source`, with its checksum; `None` if
    /// it is not the source's, or its file is missing.
    pub fn client_submission_file(&self, source: &str, uuid: &str) -> Result<Option<StoredFile>, StoreError> {
        let found = self
            .lock()?
            .query_row(sql::FIND_CLIENT_SUBMISSION, [source, uuid], |r| r.get::<_, i64>(0))
            .optional()
            .map_err(db("find a submission"))?;
        match found {
            Some(id) => self.stored_file(id, sql::GET_SUBMISSION_FILE, sql::SET_SUBMISSION_CHECKSUM),
            None => Ok(None),
        }
    }

    /// The file of reply `uuid` to source `source`, with its checksum; `None` if it is
    /// not to that source, or its file is missing.
    pub fn client_reply_file(&self, source: &str, uuid: &str) -> Result<Option<StoredFile>, StoreError> {
        let found = self
            .lock()?
            .query_row(sql::FIND_CLIENT_REPLY, [source, uuid], |r| r.get::<_, i64>(0))
            .optional()
            .map_err(db("find a reply"))?;
        match found {
            Some(id) => self.stored_file(id, sql::GET_REPLY_FILE, sql::SET_REPLY_CHECKSUM),
            None => Ok(None),
        }
    }

    /// Every reply to sources that submitted, or those to the source `of`.
    pub fn client_replies(&self, of: Option<&str>) -> Result<Vec<ClientReply>, StoreError> {
        let conn = self.lock()?;
        let (items, seers) = match of {
            None => (sql::LIST_CLIENT_REPLIES, sql::LIST_REPLY_SEERS),
            Some(_) => (sql::LIST_CLIENT_REPLIES_OF, sql::LIST_REPLY_SEERS_OF),
        };
        let mut seen = seers_in(&conn, seers, of)?;
        let mut stmt = conn.prepare_cached(items).map_err(db("list replies"))?;
        let mut sources = Interned::default();
        let from_row = |r: &Row<'_>| client_reply_from_row(r, &mut sources);
        let rows = match of {
            None => stmt.query_map([], from_row),
            Some(uuid) => stmt.query_map([uuid], from_row),
        };
        let mut list: Vec<ClientReply> =
            rows.map_err(db("list replies"))?.collect::<Result<_, _>>().map_err(db("list replies"))?;
        for item in &mut list {
            item.seen_by = seen.remove(&item.id).unwrap_or_default();
        }
        Ok(list)
    }

    /// One reply, if it is to the source.
    pub fn client_reply(&self, source: &str, uuid: &str) -> Result<Option<ClientReply>, StoreError> {
        let conn = self.lock()?;
        let found = conn
            .query_row(sql::FIND_CLIENT_REPLY, [source, uuid], |r| client_reply_from_row(r, &mut Interned::default()))
            .optional()
            .map_err(db("read a reply"))?;
        let Some(mut item) = found else { return Ok(None) };
        item.seen_by = seers_of_item(&conn, sql::LIST_REPLY_SEERS_OF_ITEM, item.id)?;
        Ok(Some(item))
    }

    /// Every account, the `deleted` placeholder too (clients resolve reply authors).
    pub fn all_journalists(&self) -> Result<Vec<JournalistRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(sql::LIST_ALL_JOURNALISTS).map_err(db("list journalists"))?;
        let rows = stmt.query_map([], journalist_from_row).map_err(db("list journalists"))?;
        rows.collect::<Result<_, _>>().map_err(db("list journalists"))
    }

    /// Marks every named item seen by `journalist`, in one transaction: if any UUID is
    /// not an item of that kind (of a source that submitted), nothing is marked and the
    /// first such UUID is returned.
    pub fn mark_seen_by_uuid(
        &self,
        journalist: JournalistId,
        targets: &SeenTargets,
    ) -> Result<Result<(), (SeenTargetKind, String)>, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin marking items seen"))?;
        let documents =
            [(SeenTargetKind::File, &targets.files, "doc"), (SeenTargetKind::Message, &targets.messages, "msg")];
        for (kind, uuids, column) in documents {
            for uuid in uuids {
                let found: Option<(i64, i64, String)> = tx
                    .query_row(sql::FIND_SUBMISSION_BY_UUID, [uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
                    .map_err(db("find a submission"))?;
                let Some((id, source, _)) = found.filter(|(_, _, k)| k == column) else {
                    return Ok(Err((kind, uuid.clone())));
                };
                tx.execute(sql::INSERT_SEEN_SUBMISSION, params![id, journalist.raw(), source])
                    .map_err(db("mark a submission seen"))?;
            }
        }
        for uuid in &targets.replies {
            let found: Option<i64> =
                tx.query_row(sql::FIND_REPLY_BY_UUID, [uuid], |r| r.get(0)).optional().map_err(db("find a reply"))?;
            let Some(id) = found else { return Ok(Err((SeenTargetKind::Reply, uuid.clone()))) };
            tx.execute(sql::INSERT_SEEN_REPLY, params![id, journalist.raw()]).map_err(db("mark a reply seen"))?;
        }
        tx.commit().map_err(db("commit marking items seen"))?;
        Ok(Ok(()))
    }

    /// A stored file by row id, with its checksum (computed from the file and kept now
    /// if the row predates checksums); `None` if the file is missing.
    fn stored_file(&self, id: i64, get: &str, set: &str) -> Result<Option<StoredFile>, StoreError> {
        let (checksum, dir, filename): (Option<String>, String, String) = self
            .lock()?
            .query_row(get, [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db("read a stored file's row"))?;
        let path = self.store_root.join(dir).join(&filename);
        if !path.is_file() {
            return Ok(None);
        }
        let checksum = match checksum {
            Some(c) => c,
            None => {
                // Hashed outside the lock: a large file must not stall every other request.
                let c = checksum_file(&path).map_err(io("read a stored file"))?;
                self.lock()?.execute(set, params![id, c]).map_err(db("record a checksum"))?;
                c
            }
        };
        Ok(Some(StoredFile { path, filename, checksum }))
    }

    /// Deletes the submission (or, with `reply`, the reply) `uuid` of `source`, row then
    /// file. Returns false if it is not one of the source's.
    pub fn delete_item_by_uuid(&self, source: &SourceRecord, uuid: &str, reply: bool) -> Result<bool, StoreError> {
        let deleted = self.delete_items_where(source, |i| i.uuid == uuid && (i.kind == ItemKind::Reply) == reply)?;
        Ok(deleted > 0)
    }
}

/// Who has seen one item: journalist UUIDs.
fn seers_of_item(conn: &Connection, query: &str, id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(query).map_err(db("list who has seen an item"))?;
    let rows = stmt.query_map([id], |r| r.get::<_, String>(1)).map_err(db("list who has seen an item"))?;
    rows.collect::<Result<_, _>>().map_err(db("list who has seen an item"))
}

/// Who has seen what: item row id → journalist UUIDs.
fn seers_in(conn: &Connection, query: &str, of: Option<&str>) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let mut stmt = conn.prepare_cached(query).map_err(db("list who has seen what"))?;
    let pair = |r: &Row<'_>| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?));
    let rows = match of {
        None => stmt.query_map([], pair),
        Some(uuid) => stmt.query_map([uuid], pair),
    }
    .map_err(db("list who has seen what"))?;
    let mut seen: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        let (id, journalist) = row.map_err(db("list who has seen what"))?;
        seen.entry(id).or_default().push(journalist);
    }
    Ok(seen)
}

fn count(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

fn client_source_from_row(r: &Row<'_>) -> rusqlite::Result<ClientSource> {
    Ok(ClientSource {
        uuid: r.get(0)?,
        designation: Designation::from_stored(r.get(1)?),
        starred: r.get(2)?,
        last_updated: r.get(3)?,
        interaction_count: r.get(4)?,
        public_key: r.get(5)?,
        fingerprint: r.get(6)?,
        documents: count(r, 7)?,
        messages: count(r, 8)?,
    })
}

/// Source UUIDs read once per listing: 100,000 items of 10,000 sources share 10,000
/// strings instead of allocating 100,000.
#[derive(Default)]
struct Interned(HashMap<Box<str>, Arc<str>>);

impl Interned {
    fn get(&mut self, r: &Row<'_>, i: usize) -> rusqlite::Result<Arc<str>> {
        let text = r.get_ref(i)?.as_str()?;
        if let Some(shared) = self.0.get(text) {
            return Ok(Arc::clone(shared));
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(text.into(), Arc::clone(&shared));
        Ok(shared)
    }
}

fn client_submission_from_row(r: &Row<'_>, sources: &mut Interned) -> rusqlite::Result<ClientSubmission> {
    Ok(ClientSubmission {
        id: r.get(0)?,
        uuid: r.get(1)?,
        source_uuid: sources.get(r, 2)?,
        filename: r.get(3)?,
        kind: if r.get_ref(4)?.as_str()? == "msg" { SubmissionKind::Message } else { SubmissionKind::Document },
        size: count(r, 5)?,
        seen_by: Vec::new(),
    })
}

fn client_reply_from_row(r: &Row<'_>, sources: &mut Interned) -> rusqlite::Result<ClientReply> {
    Ok(ClientReply {
        id: r.get(0)?,
        uuid: r.get(1)?,
        source_uuid: sources.get(r, 2)?,
        filename: r.get(3)?,
        size: count(r, 4)?,
        deleted_by_source: r.get(5)?,
        author: ClientAuthor { uuid: r.get(6)?, username: r.get(7)?, first_name: r.get(8)?, last_name: r.get(9)? },
        seen_by: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{blob, journalist_named, new_source, temp_store};

    #[test]
    fn clients_see_items_with_their_seers_checksums_and_owners() {
        let (_dir, store) = temp_store();
        let s = new_source(&store, 1);
        let other = new_source(&store, 2);
        let pending = new_source(&store, 3);
        let items = vec![
            (SubmissionKind::Message, blob(&store, &s, b"message")),
            (SubmissionKind::Document, blob(&store, &s, b"document")),
        ];
        store.record_submission(s.id, items).unwrap();
        store.record_submission(other.id, vec![(SubmissionKind::Message, blob(&store, &other, b"o"))]).unwrap();
        let ada = store.create_journalist(&journalist_named("ada")).unwrap();
        let uuid = "0a1b2c3d-0000-4000-8000-00000000abcd";
        let (got, name) = store.record_reply_as(s.id, Some(ada.id), blob(&store, &s, b"reply"), Some(uuid)).unwrap();
        assert_eq!((got.as_str(), name.starts_with("3-")), (uuid, true));
        assert!(matches!(
            store.record_reply_as(s.id, Some(ada.id), blob(&store, &s, b"again"), Some(uuid)),
            Err(StoreError::UuidTaken)
        ));
        assert_eq!(store.source(s.id).unwrap().unwrap().interaction_count, 3, "a refused reply takes no number");

        let sources = store.client_sources().unwrap();
        assert_eq!(sources.len(), 2, "pending sources are not listed");
        assert!(store.client_source(&pending.uuid).unwrap().is_none());
        assert!(
            store.active_source(&pending.uuid).unwrap().is_none() && store.active_source(&s.uuid).unwrap().is_some()
        );
        let listed = store.client_source(&s.uuid).unwrap().unwrap();
        assert_eq!((listed.documents, listed.messages, listed.interaction_count), (1, 1, 3));

        let all = store.client_submissions(None).unwrap();
        assert_eq!(all.len(), 3);
        let mine = store.client_submissions(Some(&s.uuid)).unwrap();
        assert_eq!(mine.len(), 2);
        let (msg, doc) = (&mine[0], &mine[1]);
        assert!(store.client_submission(&other.uuid, &msg.uuid).unwrap().is_none(), "not the other source's");

        let targets = SeenTargets { files: vec![msg.uuid.clone()], ..SeenTargets::default() };
        assert_eq!(store.mark_seen_by_uuid(ada.id, &targets).unwrap(), Err((SeenTargetKind::File, msg.uuid.clone())));
        let targets =
            SeenTargets { files: vec![doc.uuid.clone()], messages: vec![msg.uuid.clone()], replies: vec![uuid.into()] };
        assert_eq!(store.mark_seen_by_uuid(ada.id, &targets).unwrap(), Ok(()));
        assert_eq!(store.mark_seen_by_uuid(ada.id, &targets).unwrap(), Ok(()), "idempotent");
        let seen = store.client_submission(&s.uuid, &doc.uuid).unwrap().unwrap();
        assert_eq!(seen.seen_by, vec![ada.uuid.clone()]);
        let reply = store.client_reply(&s.uuid, uuid).unwrap().unwrap();
        assert_eq!((reply.author.username.as_str(), reply.seen_by.len()), ("ada", 1));

        let file = store.client_submission_file(&s.uuid, &doc.uuid).unwrap().unwrap();
        assert_eq!(file.checksum, checksum_file(&file.path).unwrap());
        assert_eq!(
            file.checksum, "sha256:43cc23fa52b87b4cc1d02b5b114154151d6adddb17c9fddc06b027fa99e24008",
            "SHA-256 of b\"document\""
        );
        // A row from before checksums gets one computed from its file, and keeps it.
        store.lock().unwrap().execute("UPDATE submissions SET checksum = NULL", []).unwrap();
        assert_eq!(store.client_submission_file(&s.uuid, &doc.uuid).unwrap().unwrap().checksum, file.checksum);
        assert!(store.client_submission_file(&other.uuid, &doc.uuid).unwrap().is_none(), "not the other's");
        std::fs::remove_file(&file.path).unwrap();
        assert!(store.client_submission_file(&s.uuid, &doc.uuid).unwrap().is_none(), "a missing file is no error");

        store.delete_journalist("ada").unwrap();
        let reply = store.client_reply(&s.uuid, uuid).unwrap().unwrap();
        assert_eq!(reply.author.username, "deleted", "a deleted author reads as the placeholder");
        assert!(store.all_journalists().unwrap().iter().any(|j| j.is_placeholder && j.uuid == reply.author.uuid));

        let source = store.source(s.id).unwrap().unwrap();
        assert!(!store.delete_item_by_uuid(&source, uuid, false).unwrap(), "a reply is not a submission");
        assert!(store.delete_item_by_uuid(&source, uuid, true).unwrap());
        assert!(store.client_reply(&s.uuid, uuid).unwrap().is_none());
    }
}
