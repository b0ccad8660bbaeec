//! What journalists see of the sources: the source list, a source's collection, stars.

use postern_core::{Designation, JournalistId};
use rusqlite::params;

use crate::error::{db, io};
use crate::records::{Collection, SourceId, SourceSummary};
use crate::sources::source_by_uuid_in;
use crate::store::Store;
use crate::{StoreError, sql};

impl Store {
    /// Sources that submitted something, starred first, then by last activity, with
    /// the number of submissions `journalist` has not seen.
    pub fn sources_for_journalist(&self, journalist: JournalistId) -> Result<Vec<SourceSummary>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(sql::LIST_SOURCES_FOR_JOURNALIST).map_err(db("list sources"))?;
        let rows = stmt
            .query_map([journalist.raw()], |r| {
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

    /// The source with this UUID and all its items as `journalist` sees them.
    pub fn collection(&self, source_uuid: &str, journalist: JournalistId) -> Result<Option<Collection>, StoreError> {
        let conn = self.lock()?;
        let Some(source) = source_by_uuid_in(&conn, source_uuid)? else { return Ok(None) };
        let items = self.items(&conn, &source, journalist)?;
        Ok(Some(Collection { source, items }))
    }

    /// Stars or unstars a source.
    pub fn set_starred(&self, source: SourceId, starred: bool) -> Result<(), StoreError> {
        self.lock()?
            .execute(sql::SET_SOURCE_STARRED, params![source.raw(), starred, source.uuid()])
            .map_err(db("star a source"))?;
        Ok(())
    }

    /// Fills the store with sources numbered `first..first + sources`, each active with
    /// `items_per_source` tiny submissions and `public_key` as its key, in one
    /// transaction and without fsync, for benchmarks only.
    #[doc(hidden)]
    pub fn populate_for_benchmark(
        &self,
        first: usize,
        sources: usize,
        items_per_source: usize,
        public_key: &str,
    ) -> Result<(), StoreError> {
        let filler = b"ciphertext";
        let checksum = {
            use sha2::Digest;
            crate::blobs::checksum_of(sha2::Sha256::new_with_prefix(filler))
        };
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
                params![crate::store::random_uuid(), &lookup[..], designation, store_dir, public_key, "fp", n as i64],
            )
            .map_err(db("insert a source"))?;
            let id = tx.last_insert_rowid();
            let prefix = designation.replace(' ', "_");
            for i in 1..=items_per_source {
                let (kind, suffix) = if i % 3 == 0 { ("doc", "doc.gz.gpg") } else { ("msg", "msg.gpg") };
                let name = format!("{i}-{prefix}-{suffix}");
                #[expect(clippy::disallowed_methods, reason = "benchmark filler, written by the store")]
                std::fs::write(dir.join(&name), filler).map_err(io("write an item"))?;
                let size = filler.len() as i64;
                tx.execute(
                    sql::INSERT_SUBMISSION,
                    params![crate::store::random_uuid(), id, name, kind, size, checksum],
                )
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
    use crate::store::tests::{blob, journalist_named, new_source, temp_store};
    use crate::{ItemKind, SubmissionKind};

    #[test]
    fn journalists_see_active_sources_starred_first_with_their_own_unread_counts() {
        let (_dir, store) = temp_store();
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
        let (_dir, store) = temp_store();
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
}
