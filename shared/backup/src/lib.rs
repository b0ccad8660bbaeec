#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod manifest;
mod members;
mod restore;
mod write;

use std::path::PathBuf;

use postern_store::{DataAccess, StoreError};

pub use manifest::{FORMAT, Manifest, VERSION};
pub use restore::{RestoreChecks, restore};
pub use write::{Identity, back_up};

/// Where an instance keeps what a backup holds (from its configuration).
#[derive(Debug, Clone)]
pub struct Layout {
    /// `instance.data_dir`: `db.sqlite`, `store/`, `logo.png`.
    pub data_dir: PathBuf,
    /// The store's file modes.
    pub access: DataAccess,
    /// `instance.secrets_file`.
    pub secrets_file: PathBuf,
    /// `tor.state_dir`: one directory per onion service role.
    pub tor_state_dir: PathBuf,
    /// `tor.journalist_devices_dir`.
    pub devices_dir: PathBuf,
    /// The configuration file and the submission key: archived for reference, never
    /// restored (the deployment writes them).
    pub config_file: PathBuf,
    /// See [`Layout::config_file`].
    pub submission_key_file: PathBuf,
}

/// What a backup or a restore handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files archived or restored.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Why a backup or a restore failed. Messages never name a source's files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A file operation failed.
    #[error("unable to {op}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The cause.
        #[source]
        cause: std::io::Error,
    },
    /// The store refused an operation.
    #[error("unable to {op}")]
    Store {
        /// What we were doing.
        op: &'static str,
        /// The cause.
        #[source]
        cause: StoreError,
    },
    /// The archive does not match its manifest, or holds something it must not.
    #[error("the archive is damaged or not a Postern backup: {0}; nothing was changed")]
    Damaged(&'static str),
    /// The archive belongs to another instance.
    #[error("the archive belongs to another instance: {0}; nothing was changed")]
    OtherInstance(String),
    /// Something the restore replaces is missing and must be created first.
    #[error("{0} does not exist; run the site playbook (or postern init) first")]
    MissingTarget(&'static str),
}

impl postern_core::HasKind for BackupError {
    fn kind(&self) -> postern_core::ErrorKind {
        use postern_core::ErrorKind;
        match self {
            Self::Io { cause, .. } if cause.kind() == std::io::ErrorKind::StorageFull => ErrorKind::DiskFull,
            Self::Io { .. } => ErrorKind::StoreUnavailable,
            Self::Store { cause, .. } => cause.kind(),
            // The operator named an archive that cannot be restored here.
            Self::Damaged(_) | Self::OtherInstance(_) => ErrorKind::BadInput,
            Self::MissingTarget(_) => ErrorKind::ConfigInvalid,
        }
    }
}

pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> BackupError {
    move |cause| BackupError::Io { op, cause }
}

pub(crate) fn store_err(op: &'static str) -> impl FnOnce(StoreError) -> BackupError {
    move |cause| BackupError::Store { op, cause }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use postern_store::{NewSource, Store, SubmissionKind};

    use super::*;

    const FINGERPRINT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

    /// An instance in `root` with one source, a submission, a reply, secrets, Tor
    /// state (and a cache), a device and a logo.
    fn instance(root: &Path) -> (Layout, Store) {
        let layout = Layout {
            data_dir: root.join("data"),
            access: postern_store::DataAccess::Private,
            secrets_file: root.join("secrets.toml"),
            tor_state_dir: root.join("tor"),
            devices_dir: root.join("devices"),
            config_file: root.join("postern.toml"),
            submission_key_file: root.join("key.asc"),
        };
        let store = Store::open(&layout.data_dir).unwrap();
        let source =
            store.create_source(&NewSource { lookup_id: &[7; 32], public_key: "pk", fingerprint: "fp" }).unwrap();
        for (i, text) in [b"first ciphertext".as_slice(), b"second"].into_iter().enumerate() {
            let mut blob = store.begin_blob(&source).unwrap();
            blob.write_all(text).unwrap();
            let blob = blob.finish().unwrap();
            if i == 0 {
                store.record_submission(source.id, vec![(SubmissionKind::Message, blob)]).unwrap();
            } else {
                store.record_reply(source.id, None, blob).unwrap();
            }
        }
        store.set_logo(b"\x89PNG logo").unwrap();
        std::fs::write(&layout.secrets_file, "the secrets").unwrap();
        std::fs::create_dir_all(root.join("tor/source/state/keystore")).unwrap();
        std::fs::write(root.join("tor/source/state/keystore/hs_id"), "onion key").unwrap();
        std::fs::create_dir_all(root.join("tor/source/cache")).unwrap();
        std::fs::write(root.join("tor/source/cache/consensus"), "rebuilt by arti").unwrap();
        std::fs::create_dir_all(&layout.devices_dir).unwrap();
        std::fs::write(layout.devices_dir.join("laptop.auth"), "descriptor:x25519:KEY").unwrap();
        std::fs::write(&layout.config_file, "[instance]\n").unwrap();
        std::fs::write(&layout.submission_key_file, "key").unwrap();
        (layout, store)
    }

    fn identity() -> Identity {
        Identity { instance_id: "instance-a".to_owned(), submission_key_fingerprint: FINGERPRINT.to_owned() }
    }

    fn checks(current: Option<&str>) -> RestoreChecks {
        RestoreChecks {
            submission_key_fingerprint: FINGERPRINT.to_owned(),
            current_instance: current.map(str::to_owned),
        }
    }

    fn backup_of(layout: &Layout, store: &Store) -> Vec<u8> {
        let (archive, summary) = back_up(layout, store, &identity(), Vec::new()).unwrap();
        assert_eq!(summary.files, 9, "db, 2 ciphertexts, logo, secrets, a key, a device, config, key");
        archive
    }

    /// Every file under `dir`, relative, with its content.
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(base, &path, out);
                } else {
                    let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                    out.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    #[test]
    fn a_backup_restores_onto_a_wiped_instance_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, store) = instance(dir.path());
        let archive = backup_of(&layout, &store);
        let store_before = tree(&layout.data_dir.join("store"));
        drop(store);
        // The disaster: the store, the database, the secrets and the onion keys are gone.
        std::fs::remove_dir_all(layout.data_dir.join("store")).unwrap();
        for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm", "logo.png"] {
            let _ = std::fs::remove_file(layout.data_dir.join(f));
        }
        std::fs::remove_file(&layout.secrets_file).unwrap();
        std::fs::remove_dir_all(layout.tor_state_dir.join("source")).unwrap();
        std::fs::write(layout.devices_dir.join("stolen.auth"), "revoked since").unwrap();

        let summary = restore(&layout, &archive[..], &checks(None)).unwrap();
        assert_eq!(summary.files, 9);
        assert_eq!(tree(&layout.data_dir.join("store")), store_before);
        assert_eq!(std::fs::read_to_string(&layout.secrets_file).unwrap(), "the secrets");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&layout.secrets_file), 0o600);
        assert_eq!(std::fs::read_to_string(dir.path().join("tor/source/state/keystore/hs_id")).unwrap(), "onion key");
        assert_eq!(mode(&dir.path().join("tor/source")), 0o700);
        assert!(!dir.path().join("tor/source/cache").exists(), "arti's cache is not part of a backup");
        assert_eq!(tree(&layout.devices_dir), vec![("laptop.auth".to_owned(), b"descriptor:x25519:KEY".to_vec())]);
        let store = Store::open(&layout.data_dir).unwrap();
        let source = store.find_source_by_lookup(&[7; 32]).unwrap().unwrap();
        assert_eq!(store.submissions(&source).unwrap().len(), 1);
        assert_eq!(store.replies(&source).unwrap().len(), 1);
        assert_eq!(store.logo().unwrap().as_deref(), Some(&b"\x89PNG logo"[..]));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".restore-"))
            .collect();
        assert!(leftovers.is_empty(), "no staging is left");
    }

    #[test]
    fn a_file_deleted_before_it_was_archived_is_not_listed_after_restore() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, store) = instance(dir.path());
        let source = store.find_source_by_lookup(&[7; 32]).unwrap().unwrap();
        std::fs::remove_file(&store.submissions(&source).unwrap()[0].path).unwrap();
        let (archive, _) = back_up(&layout, &store, &identity(), Vec::new()).unwrap();
        drop(store);
        restore(&layout, &archive[..], &checks(None)).unwrap();
        let store = Store::open(&layout.data_dir).unwrap();
        let source = store.find_source_by_lookup(&[7; 32]).unwrap().unwrap();
        assert!(store.submissions(&source).unwrap().is_empty());
        assert_eq!(store.replies(&source).unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_cut_short_or_foreign_archive_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, store) = instance(dir.path());
        let archive = backup_of(&layout, &store);
        std::fs::write(&layout.secrets_file, "newer secrets").unwrap();
        let before = (tree(dir.path()), std::fs::read(&layout.secrets_file).unwrap());

        let at = archive.windows(16).position(|w| w == b"first ciphertext").unwrap();
        let mut damaged = archive.clone();
        damaged[at] ^= 1;
        let cut = &archive[..archive.len() / 2];
        let cases: [(&[u8], RestoreChecks); 4] = [
            (&damaged, checks(None)),
            (cut, checks(None)),
            (&archive, checks(Some("instance-b"))),
            (&archive, RestoreChecks { submission_key_fingerprint: "F".repeat(40), current_instance: None }),
        ];
        for (i, (bytes, checks)) in cases.into_iter().enumerate() {
            let err = restore(&layout, bytes, &checks).unwrap_err();
            assert!(matches!(err, BackupError::Damaged(_) | BackupError::OtherInstance(_)), "case {i}: {err}");
            assert!(err.to_string().contains("nothing was changed"), "case {i}: {err}");
            assert_eq!((tree(dir.path()), std::fs::read(&layout.secrets_file).unwrap()), before, "case {i}");
        }
        drop(store);
        restore(&layout, &archive[..], &checks(Some("instance-a"))).unwrap();
        assert_eq!(std::fs::read_to_string(&layout.secrets_file).unwrap(), "the secrets", "its own instance is fine");
    }

    #[test]
    fn a_hostile_member_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (layout, store) = instance(dir.path());
        drop(store);
        for path in ["tor/../../escaped", "data/store/x/../../../escaped"] {
            let mut raw = Vec::new();
            {
                let mut tar = tar::Builder::new(&mut raw);
                let mut header = tar::Header::new_gnu();
                header.set_size(4);
                header.set_entry_type(tar::EntryType::Regular);
                // Written as raw bytes: the tar crate refuses `..` in set_path.
                let name = path.as_bytes();
                header.as_old_mut().name[..name.len()].copy_from_slice(name);
                header.set_cksum();
                tar.append(&header, &b"evil"[..]).unwrap();
                tar.finish().unwrap();
            }
            let err = restore(&layout, &raw[..], &checks(None)).unwrap_err();
            assert!(matches!(err, BackupError::Damaged(_)), "{path}: {err}");
            assert!(!dir.path().parent().unwrap().join("escaped").exists());
        }
        let mut raw = Vec::new();
        {
            let mut tar = tar::Builder::new(&mut raw);
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            tar.append_link(&mut header, "data/db.sqlite", "/etc/shadow").unwrap();
            tar.finish().unwrap();
        }
        assert!(matches!(restore(&layout, &raw[..], &checks(None)), Err(BackupError::Damaged(_))));
    }
}
