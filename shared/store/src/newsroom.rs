//! What journalists do with the store: list sources, read a collection, star, mark
//! seen or unseen, delete items, data or whole sources, and administer accounts.

use std::path::PathBuf;

use postern_core::Designation;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{db, io};
use crate::files;
use crate::store::{JournalistRecord, SourceId, SourceRecord, Store, journalist_from_row, source_from_row};
use crate::{StoreError, sql};

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
    id: i64,
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

impl Store {
    /// Sources that submitted something, starred first, then by last activity, with
    /// the number of submissions `journalist` has not seen.
    pub fn sources_for_journalist(&self, journalist: i64) -> Result<Vec<SourceSummary>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(sql::LIST_SOURCES_FOR_JOURNALIST).map_err(db("list sources"))?;
        let rows = stmt
            .query_map([journalist], |r| {
                Ok(SourceSummary {
                    uuid: r.get(0)?,
                    designation: Designation::from_stored(r.get(1)?),
                    starred: r.get(2)?,
                    last_updated: r.get(3)?,
                    submissions: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    unread: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                })
            })
            .map_err(db("list sources"))?;
        rows.collect::<Result<_, _>>().map_err(db("list sources"))
    }

    /// The source with this UUID, if it exists.
    pub fn source_by_uuid(&self, uuid: &str) -> Result<Option<SourceRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_SOURCE_BY_UUID, [uuid], source_from_row)
            .optional()
            .map_err(db("find a source"))
    }

    /// The source with this UUID and all its items as `journalist` sees them.
    pub fn collection(&self, source_uuid: &str, journalist: i64) -> Result<Option<Collection>, StoreError> {
        let conn = self.lock()?;
        let Some(source) = conn
            .query_row(sql::FIND_SOURCE_BY_UUID, [source_uuid], source_from_row)
            .optional()
            .map_err(db("find a source"))?
        else {
            return Ok(None);
        };
        let items = self.items(&conn, &source, journalist)?;
        Ok(Some(Collection { source, items }))
    }

    fn items(
        &self,
        conn: &Connection,
        source: &SourceRecord,
        journalist: i64,
    ) -> Result<Vec<CollectionItem>, StoreError> {
        let dir = self.source_dir(source);
        let source_id = source.id.raw();
        let mut stmt = conn.prepare_cached(sql::LIST_SUBMISSIONS_SEEN_BY).map_err(db("list submissions"))?;
        let mut items = stmt
            .query_map(params![source_id, journalist], |r| {
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
            .query_map(params![source_id, journalist], |r| {
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

    /// Stars or unstars a source.
    pub fn set_starred(&self, source: SourceId, starred: bool) -> Result<(), StoreError> {
        self.lock()?
            .execute(sql::SET_SOURCE_STARRED, params![source.raw(), starred, source.uuid()])
            .map_err(db("star a source"))?;
        Ok(())
    }

    /// Marks the named items of `source` as seen (or not) by `journalist`; names that
    /// are not this source's items are ignored. Returns how many items matched.
    pub fn set_seen(
        &self,
        journalist: i64,
        source: &SourceRecord,
        filenames: &[String],
        seen: bool,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin marking items"))?;
        let chosen: Vec<CollectionItem> =
            self.items(&tx, source, journalist)?.into_iter().filter(|i| filenames.contains(&i.filename)).collect();
        for item in &chosen {
            match (item.kind, seen) {
                (ItemKind::Reply, true) => tx.execute(sql::INSERT_SEEN_REPLY, params![item.id, journalist]),
                (ItemKind::Reply, false) => tx.execute(sql::DELETE_SEEN_REPLY, params![item.id, journalist]),
                (_, true) => tx.execute(sql::INSERT_SEEN_SUBMISSION, params![item.id, journalist, source.id.raw()]),
                (_, false) => tx.execute(sql::DELETE_SEEN_SUBMISSION, params![item.id, journalist]),
            }
            .map_err(db("mark an item"))?;
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

    fn delete_items_where(
        &self,
        source: &SourceRecord,
        chosen: impl Fn(&CollectionItem) -> bool,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin deleting items"))?;
        let doomed: Vec<CollectionItem> = self.items(&tx, source, 0)?.into_iter().filter(chosen).collect();
        for item in &doomed {
            let query = if item.kind == ItemKind::Reply { sql::DELETE_REPLY } else { sql::DELETE_SUBMISSION };
            tx.execute(query, [item.id]).map_err(db("delete an item"))?;
        }
        let submissions = doomed.iter().filter(|i| i.kind != ItemKind::Reply).count() as i64;
        tx.execute(sql::SUBTRACT_SUBMISSIONS, params![source.id.raw(), submissions]).map_err(db("count deletions"))?;
        tx.commit().map_err(db("commit deleting items"))?;
        // Rows first: a crash here leaves an unlisted file, which the next start-up
        // sweep removes; never a listed item without its file.
        for item in &doomed {
            match std::fs::remove_file(&item.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io("remove a deleted item")(e)),
                _ => {}
            }
        }
        Ok(doomed.len())
    }

    /// Deletes a source account with everything stored for it.
    pub fn delete_source(&self, source: &SourceRecord) -> Result<(), StoreError> {
        self.lock()?
            .execute(sql::DELETE_SOURCE, params![source.id.raw(), source.id.uuid()])
            .map_err(db("delete a source"))?;
        match std::fs::remove_dir_all(self.source_dir(source)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove a source directory")(e)),
            _ => Ok(()),
        }
    }

    /// The journalist with this row id, if any.
    pub fn journalist_by_id(&self, id: i64) -> Result<Option<JournalistRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_JOURNALIST_BY_ID, [id], journalist_from_row)
            .optional()
            .map_err(db("find a journalist"))
    }

    /// Every account but the placeholder, by user name.
    pub fn journalists(&self) -> Result<Vec<JournalistRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_JOURNALISTS).map_err(db("list journalists"))?;
        let rows = stmt.query_map([], journalist_from_row).map_err(db("list journalists"))?;
        rows.collect::<Result<_, _>>().map_err(db("list journalists"))
    }

    /// Changes an account's user name, names and role. A taken (or reserved) user
    /// name is [`StoreError::UsernameTaken`]; returns false if there is no such account.
    pub fn update_journalist_profile(
        &self,
        id: i64,
        username: &str,
        first_name: &str,
        last_name: &str,
        is_admin: bool,
    ) -> Result<bool, StoreError> {
        if username == postern_core::RESERVED_USERNAME {
            return Err(StoreError::UsernameTaken);
        }
        let changed = self
            .lock()?
            .execute(sql::UPDATE_JOURNALIST_PROFILE, params![id, username, first_name, last_name, is_admin]);
        match changed {
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(StoreError::UsernameTaken)
            }
            other => Ok(other.map_err(db("edit a journalist"))? == 1),
        }
    }

    /// Changes an account's first and last names only.
    pub fn set_journalist_names(&self, id: i64, first_name: &str, last_name: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::UPDATE_JOURNALIST_NAMES, params![id, first_name, last_name])
            .map_err(db("change a journalist's names"))?;
        Ok(changed == 1)
    }

    /// Creates an account with names, in one transaction (a taken or reserved user name
    /// is [`StoreError::UsernameTaken`]).
    pub fn create_journalist_with_names(
        &self,
        new: &crate::NewJournalist<'_>,
        first_name: &str,
        last_name: &str,
    ) -> Result<JournalistRecord, StoreError> {
        if new.username == postern_core::RESERVED_USERNAME {
            return Err(StoreError::UsernameTaken);
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin creating a journalist"))?;
        crate::store::insert_journalist(&tx, new, self.now())?;
        let id = tx.last_insert_rowid();
        tx.execute(sql::UPDATE_JOURNALIST_NAMES, params![id, first_name, last_name])
            .map_err(db("name a new journalist"))?;
        let created =
            tx.query_row(sql::FIND_JOURNALIST_BY_ID, [id], journalist_from_row).map_err(db("read a new journalist"))?;
        tx.commit().map_err(db("commit a new journalist"))?;
        Ok(created)
    }

    /// Records a successful login.
    pub fn set_last_access(&self, journalist: i64) -> Result<(), StoreError> {
        self.lock()?.execute(sql::SET_LAST_ACCESS, params![journalist, self.now()]).map_err(db("record a login"))?;
        Ok(())
    }

    /// Whether the administrator uploaded a logo.
    pub fn has_logo(&self) -> bool {
        self.logo_path().is_file()
    }

    /// The instance logo (PNG) the administrator uploaded, if any.
    pub fn logo(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match std::fs::read(self.logo_path()) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read the logo")(e)),
        }
    }

    /// Replaces the instance logo atomically (the caller checked it is a PNG).
    pub fn set_logo(&self, png: &[u8]) -> Result<(), StoreError> {
        files::replace_file(&self.logo_path(), png, self.access.file_mode())
    }

    fn logo_path(&self) -> PathBuf {
        self.data_dir.join("logo.png")
    }

    /// Fills the store with sources numbered `first..first + sources`, each active with
    /// `items_per_source` tiny submissions, in one transaction and without fsync, for
    /// benchmarks only.
    #[doc(hidden)]
    pub fn populate_for_benchmark(
        &self,
        first: usize,
        sources: usize,
        items_per_source: usize,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin populating"))?;
        for n in first..first + sources {
            let lookup = {
                let mut id = [0u8; 32];
                id[..8].copy_from_slice(&(n as u64).to_le_bytes());
                id[8] = 0xbe;
                id
            };
            let designation = format!("bench {n}");
            let store_dir = format!("bench{n:06}");
            let dir = self.store_root.join(&store_dir);
            std::fs::create_dir_all(&dir).map_err(io("create a source directory"))?;
            tx.execute(
                sql::INSERT_SOURCE,
                params![crate::store::random_uuid(), &lookup[..], designation, store_dir, "pk", "fp", n as i64],
            )
            .map_err(db("insert a source"))?;
            let id = tx.last_insert_rowid();
            let prefix = designation.replace(' ', "_");
            for i in 1..=items_per_source {
                let (kind, suffix) = if i % 3 == 0 { ("doc", "doc.gz.gpg") } else { ("msg", "msg.gpg") };
                let name = format!("{i}-{prefix}-{suffix}");
                #[expect(clippy::disallowed_methods, reason = "benchmark filler, written by the store")]
                std::fs::write(dir.join(&name), b"ciphertext").map_err(io("write an item"))?;
                tx.execute(sql::INSERT_SUBMISSION, params![crate::store::random_uuid(), id, name, kind, 10])
                    .map_err(db("insert a submission"))?;
            }
            let count = i64::try_from(items_per_source).unwrap_or(i64::MAX);
            tx.execute(sql::TOUCH_SOURCE_AFTER_SUBMISSION, params![id, count, n as i64, count])
                .map_err(db("update a source"))?;
        }
        tx.commit().map_err(db("commit populating"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubmissionKind;
    use crate::store::tests::{blob, journalist_named, new_source};

    #[test]
    fn journalists_see_active_sources_starred_first_with_their_own_unread_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ada = store.create_journalist(&journalist_named("ada")).unwrap();
        let bo = store.create_journalist(&journalist_named("bo")).unwrap();
        let pending = new_source(&store, 1);
        let older = new_source(&store, 2);
        let newer = new_source(&store, 3);
        for s in [&older, &newer] {
            let items = vec![
                (SubmissionKind::Message, blob(&store, s, b"m")),
                (SubmissionKind::Document, blob(&store, s, b"d")),
            ];
            store.record_submission(s.id, items).unwrap();
        }
        let listed = store.sources_for_journalist(ada.id).unwrap();
        assert_eq!(listed.len(), 2, "the pending source is invisible");
        assert!(listed.iter().all(|l| l.uuid != pending.uuid && l.submissions == 2 && l.unread == 2));

        store.set_starred(older.id, true).unwrap();
        let older = store.source_by_uuid(&older.uuid).unwrap().unwrap();
        let names: Vec<String> =
            store.collection(&older.uuid, ada.id).unwrap().unwrap().items.iter().map(|i| i.filename.clone()).collect();
        assert_eq!(store.set_seen(ada.id, &older, &names[..1], true).unwrap(), 1);
        assert_eq!(store.set_seen(ada.id, &older, &["1-not-ours-msg.gpg".to_owned()], true).unwrap(), 0);
        let listed = store.sources_for_journalist(ada.id).unwrap();
        assert_eq!((listed[0].uuid.as_str(), listed[0].starred, listed[0].unread), (older.uuid.as_str(), true, 1));
        assert_eq!(store.sources_for_journalist(bo.id).unwrap()[0].unread, 2, "seen is per journalist");
        store.set_seen(ada.id, &older, &names[..1], false).unwrap();
        assert_eq!(store.sources_for_journalist(ada.id).unwrap()[0].unread, 2, "and can be undone");
    }

    #[test]
    fn collections_interleave_replies_and_deletions_remove_rows_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ada = store.create_journalist(&journalist_named("ada")).unwrap();
        let s = new_source(&store, 1);
        let other = new_source(&store, 2);
        store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"m"))]).unwrap();
        store.record_reply(s.id, Some(ada.id), blob(&store, &s, b"r")).unwrap();
        store.record_submission(s.id, vec![(SubmissionKind::Document, blob(&store, &s, b"d"))]).unwrap();
        store.record_submission(other.id, vec![(SubmissionKind::Message, blob(&store, &other, b"x"))]).unwrap();

        let c = store.collection(&s.uuid, ada.id).unwrap().unwrap();
        let kinds: Vec<ItemKind> = c.items.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [ItemKind::Message, ItemKind::Reply, ItemKind::Document]);
        assert!(c.items[1].seen && c.items[1].author.as_deref() == Some("ada"), "authors see their replies");
        assert!(!c.items[0].seen);

        let other_item = store.collection(&other.uuid, ada.id).unwrap().unwrap().items[0].filename.clone();
        let source = c.source.clone();
        let chosen = vec![c.items[0].filename.clone(), other_item];
        assert_eq!(store.delete_items(&source, &chosen).unwrap(), 1, "never another source's item");
        let listed = store.sources_for_journalist(ada.id).unwrap();
        let mine = listed.iter().find(|l| l.uuid == s.uuid).unwrap();
        assert_eq!((mine.submissions, mine.unread), (1, 1), "counts follow deletions");
        assert!(!c.items[0].path.exists());
        assert_eq!(store.collection(&other.uuid, ada.id).unwrap().unwrap().items.len(), 1);

        std::fs::remove_file(&c.items[2].path).unwrap();
        assert_eq!(store.delete_source_data(&source).unwrap(), 2, "a missing file is no error");
        assert!(store.collection(&s.uuid, ada.id).unwrap().unwrap().items.is_empty());
        assert!(store.source(s.id).unwrap().is_some(), "the account stays");

        store.delete_source(&source).unwrap();
        assert!(store.source(s.id).unwrap().is_none());
        assert!(!store.source_dir(&source).exists());
    }

    #[test]
    fn a_stale_source_id_never_names_the_source_that_reuses_its_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = new_source(&store, 1);
        store.record_submission(a.id, vec![(SubmissionKind::Message, blob(&store, &a, b"m"))]).unwrap();
        store.delete_source(&a).unwrap();
        let b = new_source(&store, 2);
        assert_eq!(b.id.raw(), a.id.raw(), "SQLite reuses the last row id");
        let reply = store.record_reply(b.id, None, blob(&store, &b, b"r")).unwrap();
        assert!(store.source(a.id).unwrap().is_none(), "A's id does not find B");
        assert!(!store.delete_reply_for_source(a.id, &reply).unwrap());
        assert_eq!(store.delete_all_replies_for_source(a.id).unwrap(), 0);
        assert!(matches!(store.source_public_key(a.id), Err(StoreError::NoSuchSource)));
        assert!(matches!(store.record_reply(a.id, None, blob(&store, &b, b"x")), Err(StoreError::NoSuchSource)));
        assert!(!store.replies(&b).unwrap()[0].deleted_by_source);
    }

    #[test]
    fn profiles_change_and_generations_move_with_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ada = store.create_journalist(&journalist_named("ada")).unwrap();
        store.create_journalist(&journalist_named("bo")).unwrap();
        assert!(store.update_journalist_profile(ada.id, "ada2", "Ada", "L", true).unwrap());
        assert!(matches!(store.update_journalist_profile(ada.id, "bo", "", "", false), Err(StoreError::UsernameTaken)));
        let ada = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!((ada.username.as_str(), ada.first_name.as_str(), ada.is_admin), ("ada2", "Ada", true));
        store.set_journalist_password("ada2", "$argon2id$new").unwrap();
        let after = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!(after.session_generation, ada.session_generation + 1);
        store.set_journalist_otp("ada2", crate::OtpKind::Totp, "ABC").unwrap();
        assert_eq!(store.journalist_by_id(ada.id).unwrap().unwrap().session_generation, ada.session_generation + 2);
        let names: Vec<String> = store.journalists().unwrap().into_iter().map(|j| j.username).collect();
        assert_eq!(names, ["ada2", "bo"]);
        assert!(store.set_journalist_names(ada.id, "A", "B").unwrap());
        let renamed = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!((renamed.first_name.as_str(), renamed.is_admin), ("A", true), "names only");
        let cy = store.create_journalist_with_names(&journalist_named("cy"), "C", "Y").unwrap();
        assert_eq!((cy.first_name.as_str(), cy.last_name.as_str()), ("C", "Y"));
        assert!(matches!(
            store.create_journalist_with_names(&journalist_named("cy"), "", ""),
            Err(StoreError::UsernameTaken)
        ));

        assert!(store.logo().unwrap().is_none());
        store.set_logo(b"\x89PNG fake").unwrap();
        assert_eq!(store.logo().unwrap().unwrap(), b"\x89PNG fake");
    }
}
