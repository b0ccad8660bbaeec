//! Who may read the instance's files: the service user alone, or also the data
//! directory's group when the source and journalist processes run as two users (the
//! Ansible deployment). Modes are set explicitly after creation, so neither the umask
//! nor a directory that already existed decides them.

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::StoreError;

/// The permissions of the data directory, the database and every stored file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataAccess {
    /// Directories 0700, files 0600.
    #[default]
    Private,
    /// Directories 2770 (new entries keep the directory's group), files 0660.
    GroupShared,
}

/// The mode asked of `mkdir`: never with setgid, which systemd's `RestrictSUIDSGID=`
/// refuses; a directory made inside a setgid directory inherits the bit from it.
const SETGID: u32 = 0o2000;

impl DataAccess {
    /// The mode of every directory under the data directory, and its own.
    pub fn dir_mode(self) -> u32 {
        match self {
            Self::Private => 0o700,
            Self::GroupShared => 0o2770,
        }
    }

    /// The mode to create a directory with (see [`DataAccess::dir_mode`]).
    pub fn create_dir_mode(self) -> u32 {
        self.dir_mode() & !SETGID
    }

    /// The mode of every file under the data directory.
    pub fn file_mode(self) -> u32 {
        match self {
            Self::Private => 0o600,
            Self::GroupShared => 0o660,
        }
    }
}

/// Gives `path` exactly `mode` (permission and setgid bits). A path that already has
/// it is left alone; one this user may not change is an error that names both modes.
pub(crate) fn ensure_mode(path: &Path, mode: u32, what: &'static str) -> Result<(), StoreError> {
    let meta = std::fs::metadata(path).map_err(|cause| StoreError::Io { op: what, cause })?;
    let found = meta.mode() & 0o7777;
    if found == mode {
        return Ok(());
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode)).map_err(|_| StoreError::WrongMode {
        what,
        found,
        wanted: mode,
    })
}

/// Gives `path`, just created, the owner and group of `dir` when they differ: an
/// administrator running a command as root must not leave files the service users
/// cannot open. (Only root may change a file's owner; anyone else already is it.)
pub(crate) fn inherit_owner(path: &Path, dir: &Path) -> Result<(), StoreError> {
    let (meta, dir_meta) = match (std::fs::metadata(path), std::fs::metadata(dir)) {
        (Ok(m), Ok(d)) => (m, d),
        (Err(cause), _) | (_, Err(cause)) => return Err(StoreError::Io { op: "read a file's owner", cause }),
    };
    if (meta.uid(), meta.gid()) == (dir_meta.uid(), dir_meta.gid()) {
        return Ok(());
    }
    std::os::unix::fs::chown(path, Some(dir_meta.uid()), Some(dir_meta.gid()))
        .map_err(|cause| StoreError::Io { op: "give a new file the data directory's owner", cause })
}

/// Sets the mode of a file just created through its descriptor (the umask narrowed it).
pub(crate) fn set_file_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    file.set_permissions(Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_loose_directory_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, Permissions::from_mode(0o755)).unwrap();
        ensure_mode(&d, 0o700, "the data directory").unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o7777, 0o700);
        ensure_mode(&d, 0o2770, "the data directory").unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o7777, 0o2770);
    }

    #[test]
    fn modes_never_give_others_anything() {
        for access in [DataAccess::Private, DataAccess::GroupShared] {
            assert_eq!(access.dir_mode() & 0o007, 0);
            assert_eq!(access.file_mode() & 0o007, 0);
        }
    }
}
