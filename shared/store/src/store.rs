//! The store: one SQLite connection behind a mutex, and the ciphertext directories.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use postern_core::Clock;
use rand::RngCore;
use rand::rngs::OsRng;
use rusqlite::{Connection, params};

use crate::access::{DataAccess, ensure_mode, inherit_owner};
use crate::blobs::sweep_dir;
use crate::error::{db, io};
use crate::{StoreError, sql};

/// The persistent store of one instance.
pub struct Store {
    conn: Mutex<Connection>,
    pub(crate) store_root: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) access: DataAccess,
    /// The time of every timestamp the store writes or compares.
    pub(crate) clock: Clock,
}

/// The database file in the data directory, and the two files SQLite keeps beside it.
const DB_FILE: &str = "db.sqlite";
const DB_SIDE_FILES: [&str; 2] = ["db.sqlite-wal", "db.sqlite-shm"];

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, private to this user.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, DataAccess::Private)
    }

    /// Opens (creating if needed) the store in `data_dir`: `db.sqlite` and `store/`
    /// with the modes of `access`, whatever the umask and whether they existed, and
    /// runs pending migrations.
    pub fn open_with(data_dir: &Path, access: DataAccess) -> Result<Self, StoreError> {
        let dir = |p: &Path, what| {
            DirBuilder::new().recursive(true).mode(access.create_dir_mode()).create(p).map_err(io(what))?;
            ensure_mode(p, access.dir_mode(), what)
        };
        dir(data_dir, "the data directory")?;
        let store_root = data_dir.join("store");
        let new_store_root = !store_root.exists();
        dir(&store_root, "the store directory")?;
        let db_path = data_dir.join(DB_FILE);
        let new_db = !db_path.exists();
        // Created before SQLite opens it, so it never exists with SQLite's default 0644;
        // SQLite gives the -wal and -shm files the database file's mode (and, run as
        // root, its owner).
        let created = OpenOptions::new().write(true).create(true).mode(access.file_mode()).open(&db_path);
        drop(created.map_err(io("create the database file"))?);
        ensure_mode(&db_path, access.file_mode(), "the database file")?;
        for (new, path) in [(new_store_root, &store_root), (new_db, &db_path)] {
            if new {
                inherit_owner(path, data_dir)?;
            }
        }
        let mut conn = Connection::open(&db_path).map_err(db("open the database"))?;
        conn.execute_batch(sql::CONNECTION_PRAGMAS).map_err(db("set connection pragmas"))?;
        crate::versions::register_functions(&conn)?;
        migrate(&mut conn)?;
        for side in DB_SIDE_FILES {
            let path = data_dir.join(side);
            if path.exists() {
                ensure_mode(&path, access.file_mode(), "a database journal file")?;
            }
        }
        Ok(Self { conn: Mutex::new(conn), store_root, data_dir: data_dir.to_owned(), access, clock: Clock::system() })
    }

    /// Removes what an interrupted upload left: temporary ciphertext, and files no row
    /// references. Run once at start by the process that accepts submissions.
    pub fn sweep_incomplete(&self) -> Result<(), StoreError> {
        let conn = self.lock()?;
        let mut dirs = conn.prepare(sql::LIST_SOURCE_DIRS).map_err(db("list source directories"))?;
        let rows = dirs
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(db("list source directories"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list source directories"))?;
        let mut names = conn.prepare(sql::LIST_FILENAMES_FOR_SOURCE).map_err(db("list stored files"))?;
        for entry in std::fs::read_dir(&self.store_root).map_err(io("list the store"))? {
            let entry = entry.map_err(io("list the store"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !rows.iter().any(|(_, dir)| *dir == name) {
                // A directory no source owns: an interrupted create or purge left it.
                std::fs::remove_dir_all(entry.path()).map_err(io("remove an orphaned directory"))?;
            }
        }
        for (id, dir) in rows {
            let referenced = names
                .query_map([id], |r| r.get::<_, String>(0))
                .map_err(db("list stored files"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db("list stored files"))?;
            let mut is_stored = conn.prepare(sql::IS_FILENAME_STORED).map_err(db("look up a stored file"))?;
            sweep_dir(&self.store_root.join(dir), &referenced, |name| {
                is_stored.exists(params![id, name]).map_err(db("look up a stored file"))
            })?;
        }
        Ok(())
    }

    /// After a deletion has committed: the write-ahead log goes into the database
    /// (where `secure_delete` zeroed the deleted rows) and is truncated. If another
    /// process is reading, the checkpoint stops short; the next one after a deletion,
    /// or the restart of the log, finishes it.
    pub(crate) fn forget_deleted(conn: &Connection) -> Result<(), StoreError> {
        conn.query_row(sql::CHECKPOINT_TRUNCATE, [], |r| r.get::<_, i64>(0))
            .map_err(db("checkpoint after a deletion"))?;
        Ok(())
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        // A panic while the lock was held rolled its transaction back; the connection is fine.
        Ok(self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: u32 = conn.query_row(sql::GET_USER_VERSION, [], |r| r.get(0)).map_err(db("read schema version"))?;
    let supported = u32::try_from(sql::MIGRATIONS.len())
        .map_err(|_| StoreError::Bug(postern_core::internal!("too many migrations")))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let tx = conn.transaction().map_err(db("begin migrations"))?;
    for step in &sql::MIGRATIONS[found as usize..] {
        tx.execute_batch(step).map_err(db("run a migration"))?;
    }
    // PRAGMA takes no parameters; the value is our own constant.
    tx.execute_batch(&format!("PRAGMA user_version = {supported}")).map_err(db("record schema version"))?;
    tx.commit().map_err(db("commit migrations"))
}

impl Store {
    /// Uses `clock` for every timestamp from now on (tests move it instead of sleeping).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Seconds since the Unix epoch, by the store's clock.
    pub(crate) fn now(&self) -> i64 {
        i64::try_from(self.clock.unix_seconds()).unwrap_or(i64::MAX)
    }
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;
    use crate::blobs::FinishedBlob;
    use crate::records::{NewJournalist, NewSource, OtpKind, SourceRecord, SubmissionKind};

    pub(crate) fn journalist_named(username: &str) -> NewJournalist<'_> {
        NewJournalist {
            username,
            password_hash: "$argon2id$x",
            is_admin: false,
            otp_kind: OtpKind::Totp,
            otp_secret: "JBSWY3DPEHPK3PXP",
        }
    }

    /// A store in a new temporary directory, which lives as long as the guard.
    pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    pub(crate) fn new_source(store: &Store, tag: u8) -> SourceRecord {
        store.create_source(&NewSource { lookup_id: &[tag; 32], public_key: "pk", fingerprint: "FP" }).unwrap()
    }

    pub(crate) fn blob(store: &Store, s: &SourceRecord, data: &[u8]) -> FinishedBlob {
        let mut w = store.begin_blob(s).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    pub(crate) fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn opens_with_pragmas_and_schema() {
        let (_dir, store) = temp_store();
        let conn = store.lock().unwrap();
        let get = |p: &str| conn.query_row(p, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(get("PRAGMA foreign_keys"), 1);
        assert_eq!(get("PRAGMA secure_delete"), 1);
        assert_eq!(get("PRAGMA journal_size_limit"), 0);
        assert_eq!(get("PRAGMA user_version"), sql::MIGRATIONS.len() as i64);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        Connection::open(dir.path().join("db.sqlite")).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
        assert!(matches!(Store::open(dir.path()), Err(StoreError::SchemaTooNew { found: 999, .. })));
    }

    #[test]
    fn sweep_removes_temporary_and_unlisted_files_only() {
        let (dir, store) = temp_store();
        let s = new_source(&store, 3);
        let names = store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"kept"))]).unwrap();
        let sdir = dir.path().join("store").join(&s.store_dir);
        // What a crash leaves: a temporary file mid-write, and a renamed file whose row never committed.
        std::fs::write(sdir.join(".tmp-crashed"), b"ciphertext").unwrap();
        std::fs::write(sdir.join("2-x-msg.gpg"), b"ciphertext").unwrap();
        std::fs::create_dir(dir.path().join("store").join("0123abcd")).unwrap();
        std::fs::write(dir.path().join("store").join("0123abcd").join(".tmp-x"), b"ciphertext").unwrap();
        store.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir), names);
        assert_eq!(files_in(&dir.path().join("store")), vec![s.store_dir.clone()], "orphaned directories go");
    }

    #[test]
    fn the_sweep_spares_what_the_other_process_is_still_writing_or_recording() {
        let dir = tempfile::tempdir().unwrap();
        let source_process = Store::open(dir.path()).unwrap();
        let journalist_process = Store::open(dir.path()).unwrap();
        let s = new_source(&source_process, 6);
        let sdir = dir.path().join("store").join(&s.store_dir);
        let mut writing = journalist_process.begin_blob(&s).unwrap();
        writing.write_all(b"a reply being encrypted").unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir).len(), 1, "a temporary file being written stays");
        let finished = writing.finish().unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir).len(), 1, "a finished file waiting for its row stays");
        let name = journalist_process.record_reply(s.id, None, finished).unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir), vec![name], "a recorded file stays, and nothing else was left");
    }

    #[test]
    fn modes_are_enforced_on_an_existing_loose_directory_and_the_database_files() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("store")).unwrap();
        for d in [&data, &data.join("store")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(data.join("db.sqlite"), b"").unwrap();
        std::fs::set_permissions(data.join("db.sqlite"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::open(&data).unwrap();
        let s = new_source(&store, 7);
        store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"m"))]).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("store")), 0o700);
        assert_eq!(mode(&store.source_dir(&s)), 0o700);
        for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm"] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&store.submissions(&s).unwrap()[0].path), 0o600);
        drop(store);
        let shared = Store::open_with(&data, DataAccess::GroupShared).unwrap();
        let t = new_source(&shared, 8);
        shared.record_submission(t.id, vec![(SubmissionKind::Message, blob(&shared, &t, b"m"))]).unwrap();
        assert_eq!(mode(&data), 0o2770);
        assert_eq!(mode(&shared.source_dir(&t)), 0o2770);
        for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm"] {
            assert_eq!(mode(&data.join(f)), 0o660, "{f}");
        }
        assert_eq!(mode(&shared.submissions(&t).unwrap()[0].path), 0o660);
    }
}
