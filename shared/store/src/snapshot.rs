//! Consistent copies of the database for backups, taken while both services run: a
//! snapshot is one read transaction (`VACUUM INTO`), the files it lists are archived
//! from it, and rows whose files vanished before they were read (deleted meanwhile)
//! are forgotten in the copy, so the archive's database and files agree.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use crate::error::{db, io};
use crate::{Store, StoreError, sql};

/// A database snapshot file (mode 0600), removed when dropped.
pub struct Snapshot {
    path: PathBuf,
    conn: Connection,
}

/// A ciphertext file a snapshot lists: the source's directory and the file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The source's directory under `store/`.
    pub store_dir: String,
    /// The file's name in it.
    pub filename: String,
}

impl Store {
    /// Takes a snapshot of the database into a new file `path` (which must not exist).
    pub fn snapshot_to(&self, path: &Path) -> Result<Snapshot, StoreError> {
        // VACUUM INTO keeps an empty file's mode: create it private first.
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io("create a snapshot file"))?;
        let removed_on_error = Removing(path);
        self.lock()?.execute(sql::VACUUM_INTO, [path.to_string_lossy()]).map_err(db("snapshot the database"))?;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(db("open the snapshot"))?;
        // Forgetting files deletes rows, which fires the version triggers.
        crate::versions::register_functions(&conn)?;
        std::mem::forget(removed_on_error);
        Ok(Snapshot { path: path.to_owned(), conn })
    }

    /// Whether the store holds any source or any journalist account (beyond the
    /// placeholder that inherits deleted journalists' replies).
    pub fn holds_anything(&self) -> Result<bool, StoreError> {
        self.lock()?.query_row(sql::HOLDS_ANYTHING, [], |r| r.get(0)).map_err(db("look for sources and accounts"))
    }
}

impl Snapshot {
    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every source's directory under `store/`.
    pub fn source_dirs(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(sql::LIST_SOURCE_DIRS).map_err(db("list source directories"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(1)).map_err(db("list source directories"))?;
        rows.collect::<Result<_, _>>().map_err(db("list source directories"))
    }

    /// Every ciphertext file the snapshot lists, submissions and replies.
    pub fn files(&self) -> Result<Vec<ListedFile>, StoreError> {
        let mut stmt = self.conn.prepare(sql::LIST_ALL_STORED_FILES).map_err(db("list stored files"))?;
        let rows = stmt
            .query_map([], |r| Ok(ListedFile { store_dir: r.get(0)?, filename: r.get(1)? }))
            .map_err(db("list stored files"))?;
        rows.collect::<Result<_, _>>().map_err(db("list stored files"))
    }

    /// Forgets the rows of files that were deleted before they could be archived.
    pub fn forget(&mut self, missing: &[ListedFile]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(db("begin forgetting files"))?;
        for file in missing {
            for statement in [sql::FORGET_SUBMISSION_FILE, sql::FORGET_REPLY_FILE] {
                tx.execute(statement, params![file.store_dir, file.filename]).map_err(db("forget a file"))?;
            }
        }
        tx.execute(sql::RECOUNT_SUBMISSIONS, []).map_err(db("recount submissions"))?;
        tx.commit().map_err(db("commit forgotten files"))
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes a half-made snapshot file unless forgotten.
struct Removing<'a>(&'a Path);

impl Drop for Removing<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::{NewSource, SubmissionKind};

    #[test]
    fn a_snapshot_lists_what_was_stored_and_forgets_what_vanished() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data")).unwrap();
        assert!(!store.holds_anything().unwrap());
        let new = NewSource { lookup_id: &[1; 32], public_key: "pk", fingerprint: "fp" };
        let source = store.create_source(&new).unwrap();
        let mut blob = store.begin_blob(&source).unwrap();
        blob.write_all(b"ciphertext").unwrap();
        let names =
            store.record_submission(source.id, vec![(SubmissionKind::Message, blob.finish().unwrap())]).unwrap();
        assert!(store.holds_anything().unwrap());
        let path = dir.path().join("snap.sqlite");
        let mut snapshot = store.snapshot_to(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(snapshot.source_dirs().unwrap(), vec![source.store_dir.clone()]);
        let listed = snapshot.files().unwrap();
        assert_eq!(listed, vec![ListedFile { store_dir: source.store_dir.clone(), filename: names[0].clone() }]);
        snapshot.forget(&listed).unwrap();
        assert!(snapshot.files().unwrap().is_empty());
        assert_eq!(store.submissions(&source).unwrap().len(), 1, "the live store is untouched");
        drop(snapshot);
        assert!(!path.exists());
    }
}
