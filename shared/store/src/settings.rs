//! Instance-wide settings the administrator controls, and the instance logo.

use std::path::PathBuf;

use rusqlite::params;

use crate::error::{db, io};
use crate::files;
use crate::records::InstanceSettings;
use crate::store::Store;
use crate::{StoreError, sql};

impl Store {
    /// The current instance settings.
    pub fn instance_settings(&self) -> Result<InstanceSettings, StoreError> {
        self.lock()?
            .query_row(sql::GET_INSTANCE_CONFIG, [], |r| {
                Ok(InstanceSettings {
                    organization_name: r.get(0)?,
                    allow_document_uploads: r.get(1)?,
                    initial_message_min_len: r.get(2)?,
                    reject_message_with_codename: r.get(3)?,
                })
            })
            .map_err(db("read instance settings"))
    }

    /// Replaces the instance settings.
    pub fn set_instance_settings(&self, s: &InstanceSettings) -> Result<(), StoreError> {
        self.lock()?
            .execute(
                sql::UPDATE_INSTANCE_CONFIG,
                params![
                    s.organization_name,
                    s.allow_document_uploads,
                    s.initial_message_min_len,
                    s.reject_message_with_codename
                ],
            )
            .map_err(db("update instance settings"))?;
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
}

#[cfg(test)]
mod tests {
    use crate::store::tests::temp_store;

    #[test]
    fn a_new_instance_starts_with_the_default_organization_name() {
        let (_dir, store) = temp_store();
        assert_eq!(store.instance_settings().unwrap().organization_name, postern_core::DEFAULT_ORGANIZATION_NAME);
    }

    #[test]
    fn settings_round_trip() {
        let (_dir, store) = temp_store();
        let mut s = store.instance_settings().unwrap();
        assert!(s.allow_document_uploads);
        s.initial_message_min_len = 20;
        s.reject_message_with_codename = true;
        store.set_instance_settings(&s).unwrap();
        assert_eq!(store.instance_settings().unwrap(), s);
    }
}
