//! Source accounts: creating, finding, purging and deleting them.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use postern_core::Designation;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::access::ensure_mode;
use crate::error::{db, io};
use crate::records::{NewSource, SourceId, SourceRecord};
use crate::store::{Store, random_hex, random_uuid};
use crate::{StoreError, sql};

/// How often we redraw a designation that is already taken.
const DESIGNATION_ATTEMPTS: usize = 50;

impl Store {
    /// Creates a pending source with a fresh unique designation. Its private directory
    /// is made only when something is first stored for it ([`Store::begin_blob`]), so
    /// an account nobody uses costs a row and nothing else.
    pub fn create_source(&self, new: &NewSource<'_>) -> Result<SourceRecord, StoreError> {
        self.create_source_capped(new, u64::MAX)
    }

    /// [`Store::create_source`], refused with [`StoreError::TooManyPending`] (nothing
    /// stored) while `max_pending` sources or more have never submitted anything.
    pub fn create_source_capped(&self, new: &NewSource<'_>, max_pending: u64) -> Result<SourceRecord, StoreError> {
        let conn = self.lock()?;
        if pending_count_in(&conn)? >= max_pending {
            return Err(StoreError::TooManyPending);
        }
        let designation = unused_designation(&conn)?;
        let store_dir = random_hex(16);
        let uuid = random_uuid();
        let inserted = conn.execute(
            sql::INSERT_SOURCE,
            params![
                uuid,
                &new.lookup_id[..],
                designation.as_str(),
                store_dir,
                new.public_key,
                new.fingerprint,
                self.now()
            ],
        );
        inserted.map_err(db("insert a source"))?;
        let id = conn.last_insert_rowid();
        conn.query_row(sql::FIND_SOURCE_BY_ID, params![id, uuid], source_from_row).map_err(db("read a new source"))
    }

    /// The source whose codename derives to `lookup_id`, if any.
    pub fn find_source_by_lookup(&self, lookup_id: &[u8; 32]) -> Result<Option<SourceRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_SOURCE_BY_LOOKUP, [&lookup_id[..]], source_from_row)
            .optional()
            .map_err(db("find a source"))
    }

    /// The source with this id, if it still exists.
    pub fn source(&self, id: SourceId) -> Result<Option<SourceRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_SOURCE_BY_ID, params![id.raw(), id.uuid()], source_from_row)
            .optional()
            .map_err(db("read a source"))
    }

    /// The source with this UUID, if it exists.
    pub fn source_by_uuid(&self, uuid: &str) -> Result<Option<SourceRecord>, StoreError> {
        source_by_uuid_in(&*self.lock()?, uuid)
    }

    /// The directory holding a source's ciphertext.
    pub fn source_dir(&self, source: &SourceRecord) -> PathBuf {
        self.store_root.join(&source.store_dir)
    }

    /// The source's directory, made (private, or group-shared by the access mode) if
    /// this is the first thing stored for it.
    pub(crate) fn ensure_source_dir(&self, source: &SourceRecord) -> Result<PathBuf, StoreError> {
        let dir = self.source_dir(source);
        match DirBuilder::new().mode(self.access.create_dir_mode()).create(&dir) {
            Ok(()) => {
                if let Err(e) = ensure_mode(&dir, self.access.dir_mode(), "a source directory") {
                    // Gone, so the next try makes it again with the right mode.
                    let _ = std::fs::remove_dir(&dir);
                    return Err(e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("create a source directory")(e)),
        }
        Ok(dir)
    }

    /// The armoured public key of a source, to encrypt replies to.
    pub fn source_public_key(&self, source: SourceId) -> Result<String, StoreError> {
        self.lock()?
            .query_row(sql::GET_SOURCE_PUBLIC_KEY, params![source.raw(), source.uuid()], |r| r.get(0))
            .optional()
            .map_err(db("read a source key"))?
            .ok_or(StoreError::NoSuchSource)
    }

    /// Deletes sources that never submitted anything, keeping the newest `keep`
    /// (SecureDrop keeps 100): accounts nobody used must not pile up. Returns how many
    /// were deleted.
    /// Sources younger than `min_age` are never purged: one may be uploading right now.
    pub fn purge_pending_sources(&self, keep: usize, min_age: std::time::Duration) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let cutoff = self.now().saturating_sub(i64::try_from(min_age.as_secs()).unwrap_or(i64::MAX));
        let mut stmt = conn.prepare(sql::LIST_PENDING_SOURCES_BEYOND).map_err(db("list pending sources"))?;
        let stale = stmt
            .query_map(params![keep, cutoff], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(db("list pending sources"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list pending sources"))?;
        let mut deleted = 0;
        for (id, dir) in stale {
            // Only if it is still pending: it may have submitted since we listed it.
            if conn.execute(sql::DELETE_PENDING_SOURCE, [id]).map_err(db("delete a pending source"))? == 1 {
                let _ = std::fs::remove_dir_all(self.store_root.join(dir));
                deleted += 1;
            }
        }
        if deleted > 0 {
            Store::forget_deleted(&conn)?;
        }
        Ok(deleted)
    }

    /// How many sources have never submitted anything.
    pub fn pending_source_count(&self) -> Result<u64, StoreError> {
        let conn = self.lock()?;
        pending_count_in(&conn)
    }

    /// Deletes a source account with everything stored for it.
    pub fn delete_source(&self, source: &SourceRecord) -> Result<(), StoreError> {
        {
            let conn = self.lock()?;
            conn.execute(sql::DELETE_SOURCE, params![source.id.raw(), source.id.uuid()])
                .map_err(db("delete a source"))?;
            Store::forget_deleted(&conn)?;
        }
        match std::fs::remove_dir_all(self.source_dir(source)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove a source directory")(e)),
            _ => Ok(()),
        }
    }
}

/// The source with this UUID, if it exists, read on `conn` (inside a caller's transaction, say).
pub(crate) fn source_by_uuid_in(conn: &Connection, uuid: &str) -> Result<Option<SourceRecord>, StoreError> {
    conn.query_row(sql::FIND_SOURCE_BY_UUID, [uuid], source_from_row).optional().map_err(db("find a source"))
}

pub(crate) fn source_from_row(r: &Row<'_>) -> rusqlite::Result<SourceRecord> {
    Ok(SourceRecord {
        id: SourceId::new(r.get(0)?, &r.get::<_, String>(1)?),
        uuid: r.get(1)?,
        designation: Designation::from_stored(r.get(2)?),
        store_dir: r.get(3)?,
        fingerprint: r.get(4)?,
        interaction_count: r.get(5)?,
        pending: r.get(6)?,
        starred: r.get(7)?,
        last_updated: r.get(8)?,
    })
}

fn pending_count_in(conn: &Connection) -> Result<u64, StoreError> {
    let count: i64 =
        conn.query_row(sql::COUNT_PENDING_SOURCES, [], |r| r.get(0)).map_err(db("count pending sources"))?;
    Ok(count.unsigned_abs())
}

fn unused_designation(conn: &Connection) -> Result<Designation, StoreError> {
    for _ in 0..DESIGNATION_ATTEMPTS {
        let candidate = Designation::generate(&mut OsRng);
        let taken = conn
            .query_row(sql::DESIGNATION_EXISTS, [candidate.as_str()], |_| Ok(()))
            .optional()
            .map_err(db("check a designation"))?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(StoreError::DesignationsExhausted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::SubmissionKind;
    use crate::store::tests::{blob, new_source, temp_store};

    /// Whether `needle` is anywhere in the database file or its write-ahead log.
    fn on_disk(dir: &std::path::Path, needle: &[u8]) -> bool {
        ["db.sqlite", "db.sqlite-wal"].iter().any(|name| {
            std::fs::read(dir.join(name)).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
    }

    #[test]
    fn a_deleted_source_leaves_neither_the_database_nor_its_log() {
        let (dir, store) = temp_store();
        let lookup_id = [0x5a_u8; 32];
        let key = "-----BEGIN PGP PUBLIC KEY BLOCK----- a-public-key-canary-7f3e";
        let source =
            store.create_source(&NewSource { lookup_id: &lookup_id, public_key: key, fingerprint: "FP" }).unwrap();
        store.record_submission(source.id, vec![(SubmissionKind::Message, blob(&store, &source, b"ct"))]).unwrap();
        assert!(on_disk(dir.path(), key.as_bytes()), "the canary is findable while the source exists");
        let source = store.source(source.id).unwrap().unwrap();
        store.delete_source(&source).unwrap();
        assert!(!on_disk(dir.path(), key.as_bytes()), "the public key survived its deletion");
        assert!(!on_disk(dir.path(), &lookup_id), "the lookup id survived its deletion");
        let wal = std::fs::metadata(dir.path().join("db.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal, 0, "the log was truncated");
    }

    #[test]
    fn an_account_has_no_directory_until_something_is_stored_for_it() {
        let (_dir, store) = temp_store();
        let source = new_source(&store, 1);
        assert!(!store.source_dir(&source).exists(), "a new account made a directory");
        let ciphertext = blob(&store, &source, b"ct");
        assert!(store.source_dir(&source).is_dir());
        store.record_submission(source.id, vec![(SubmissionKind::Message, ciphertext)]).unwrap();
        let again = blob(&store, &source, b"ct2");
        drop(again);
        assert_eq!(std::fs::read_dir(store.source_dir(&source)).unwrap().count(), 1, "one stored file");

        let gone = new_source(&store, 2);
        store.delete_source(&gone).unwrap();
        assert!(matches!(store.begin_blob(&gone), Err(StoreError::NoSuchSource)));
        assert!(!store.source_dir(&gone).exists(), "no directory for a deleted source");
    }

    #[test]
    fn past_the_cap_on_unused_accounts_nothing_is_created() {
        let (_dir, store) = temp_store();
        const IDS: [[u8; 32]; 3] = [[1; 32], [2; 32], [3; 32]];
        let new = |n: usize| NewSource { lookup_id: &IDS[n - 1], public_key: "pk", fingerprint: "fp" };
        let first = store.create_source_capped(&new(1), 2).unwrap();
        store.create_source_capped(&new(2), 2).unwrap();
        assert!(matches!(store.create_source_capped(&new(3), 2), Err(StoreError::TooManyPending)));
        assert!(store.find_source_by_lookup(&[3; 32]).unwrap().is_none());
        assert_eq!(store.pending_source_count().unwrap(), 2, "count unchanged past the cap");
        store.record_submission(first.id, vec![(SubmissionKind::Message, blob(&store, &first, b"m"))]).unwrap();
        assert!(store.create_source_capped(&new(3), 2).is_ok(), "a used account no longer counts");
    }

    #[test]
    fn designations_are_unique_and_dirs_random() {
        let (_dir, store) = temp_store();
        let a = new_source(&store, 4);
        let b = new_source(&store, 5);
        assert_ne!(a.designation, b.designation);
        assert_ne!(a.store_dir, b.store_dir);
        assert_eq!(a.store_dir.len(), 32);
        assert!(store.find_source_by_lookup(&[4; 32]).unwrap().is_some());
        assert!(store.find_source_by_lookup(&[9; 32]).unwrap().is_none());
        assert!(store.create_source(&NewSource { lookup_id: &[4; 32], public_key: "", fingerprint: "" }).is_err());
    }

    #[test]
    fn purging_keeps_the_newest_pending_sources_and_every_active_one() {
        let (dir, store) = temp_store();
        let active = new_source(&store, 10);
        store.record_submission(active.id, vec![(SubmissionKind::Message, blob(&store, &active, b"m"))]).unwrap();
        let pending: Vec<SourceRecord> = (11..16).map(|t| new_source(&store, t)).collect();
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::from_secs(3600)).unwrap(), 0, "too young");
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::ZERO).unwrap(), 3);
        assert!(store.source(active.id).unwrap().is_some());
        let kept: Vec<bool> = pending.iter().map(|s| store.source(s.id).unwrap().is_some()).collect();
        assert_eq!(kept, [false, false, false, true, true]);
        assert!(!dir.path().join("store").join(&pending[0].store_dir).exists());
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::ZERO).unwrap(), 0);
    }

    #[test]
    fn a_stale_source_id_never_names_the_source_that_reuses_its_row() {
        let (_dir, store) = temp_store();
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
}
