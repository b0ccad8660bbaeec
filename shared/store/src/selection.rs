//! What a journalist does to a selection of sources, each in one transaction: the whole
//! selection changes, or none of it does.

use postern_core::JournalistId;
use rusqlite::{Connection, params};

use crate::error::{db, io};
use crate::items::remove_item_files;
use crate::records::{Collection, SourceRecord};
use crate::sources::source_by_uuid_in;
use crate::store::Store;
use crate::{StoreError, sql};

impl Store {
    /// Stars (or unstars) the sources of `uuids` that exist; how many there were.
    pub fn set_starred_all(&self, uuids: &[String], starred: bool) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin starring sources"))?;
        let sources = existing(&tx, uuids)?;
        for source in &sources {
            tx.execute(sql::SET_SOURCE_STARRED, params![source.id.raw(), starred, source.id.uuid()])
                .map_err(db("star a source"))?;
        }
        tx.commit().map_err(db("commit starring sources"))?;
        Ok(sources.len())
    }

    /// Deletes the sources of `uuids` that exist, with everything stored for them; how
    /// many there were.
    pub fn delete_sources(&self, uuids: &[String]) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin deleting sources"))?;
        let doomed = existing(&tx, uuids)?;
        for source in &doomed {
            tx.execute(sql::DELETE_SOURCE, params![source.id.raw(), source.id.uuid()])
                .map_err(db("delete a source"))?;
        }
        tx.commit().map_err(db("commit deleting sources"))?;
        Store::forget_deleted(&conn)?;
        drop(conn);
        // Rows first: a crash here leaves directories no source owns, which the next
        // start-up sweep removes.
        for source in &doomed {
            remove_source_dir(&self.source_dir(source))?;
        }
        Ok(doomed.len())
    }

    /// Deletes every message, file and reply of the sources of `uuids`, keeping their
    /// accounts; how many items went.
    pub fn delete_sources_data(&self, uuids: &[String]) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin deleting items"))?;
        let mut doomed = Vec::new();
        for source in existing(&tx, uuids)? {
            doomed.extend(self.delete_item_rows(&tx, &source, |_| true)?);
        }
        tx.commit().map_err(db("commit deleting items"))?;
        Store::forget_deleted(&conn)?;
        drop(conn);
        remove_item_files(&doomed)?;
        Ok(doomed.len())
    }

    /// The collections of the sources of `uuids` that exist, as `journalist` sees them,
    /// read at one moment (a download of several sources is one consistent picture).
    pub fn collections(&self, uuids: &[String], journalist: JournalistId) -> Result<Vec<Collection>, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin reading collections"))?;
        let mut out = Vec::new();
        for source in existing(&tx, uuids)? {
            let items = self.items(&tx, &source, journalist)?;
            out.push(Collection { source, items });
        }
        Ok(out)
    }
}

/// The sources of `uuids` that exist, in order, each once.
/// Removes a deleted source's directory, once its row is gone; already gone is fine.
pub(crate) fn remove_source_dir(dir: &std::path::Path) -> Result<(), StoreError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove a source directory")(e)),
        _ => Ok(()),
    }
}

fn existing(conn: &Connection, uuids: &[String]) -> Result<Vec<SourceRecord>, StoreError> {
    let mut found: Vec<SourceRecord> = Vec::new();
    for uuid in uuids {
        if found.iter().any(|s| s.id.uuid() == uuid.as_str()) {
            continue;
        }
        found.extend(source_by_uuid_in(conn, uuid)?);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use postern_core::JournalistId;

    use crate::store::tests::{blob, files_in, new_source, temp_store};
    use crate::{Store, SubmissionKind};

    fn submit(store: &Store, source: &crate::SourceRecord) {
        let finished = blob(store, source, b"ciphertext");
        store.record_submission(source.id, vec![(SubmissionKind::Document, finished)]).unwrap();
    }

    #[test]
    fn a_selection_is_starred_deleted_and_emptied_as_one() {
        let (_dir, store) = temp_store();
        let (a, b) = (new_source(&store, 1), new_source(&store, 2));
        submit(&store, &a);
        submit(&store, &b);
        let uuids =
            vec![a.id.uuid().to_owned(), "no-such-source".to_owned(), b.id.uuid().to_owned(), a.id.uuid().to_owned()];

        assert_eq!(store.set_starred_all(&uuids, true).unwrap(), 2, "each existing source once");
        assert!(store.sources_for_journalist(JournalistId::new(0)).unwrap().iter().all(|s| s.starred));

        let read = store.collections(&uuids, JournalistId::new(0)).unwrap();
        assert_eq!(read.iter().map(|c| c.items.len()).collect::<Vec<_>>(), [1, 1]);

        assert_eq!(store.delete_sources_data(&uuids).unwrap(), 2);
        assert!(
            store.collections(&uuids, JournalistId::new(0)).unwrap().iter().all(|c| c.items.is_empty()),
            "accounts stay"
        );
        assert!(files_in(&store.source_dir(&a)).is_empty() && files_in(&store.source_dir(&b)).is_empty());

        assert_eq!(store.delete_sources(&uuids).unwrap(), 2);
        assert!(
            store.source_by_uuid(a.id.uuid()).unwrap().is_none()
                && store.source_by_uuid(b.id.uuid()).unwrap().is_none()
        );
        assert!(!store.source_dir(&a).exists());
    }

    #[test]
    fn a_failure_midway_changes_nothing() {
        let (_dir, store) = temp_store();
        let a = new_source(&store, 1);
        let b = new_source(&store, 2);
        store.record_submission(a.id, vec![(SubmissionKind::Message, blob(&store, &a, b"m"))]).unwrap();
        // A trigger refusing the second source's row stands in for a disk error midway.
        store
            .lock()
            .unwrap()
            .execute_batch(&format!(
                "CREATE TRIGGER refuse BEFORE DELETE ON sources WHEN old.uuid = '{}' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
                b.id.uuid()
            ))
            .unwrap();
        let uuids = vec![a.id.uuid().to_owned(), b.id.uuid().to_owned()];
        assert!(store.delete_sources(&uuids).is_err());
        assert!(store.source_by_uuid(a.id.uuid()).unwrap().is_some(), "the first source was not deleted alone");
        assert!(store.source_dir(&a).exists());
    }
}
