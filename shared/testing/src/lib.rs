#![doc = include_str!("../README.md")]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod logs;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postern_crypto::{InstanceSecrets, KeyProblem, SubmissionKey};
use postern_store::Store;

pub use logs::LogCapture;

/// The fixture submission public key (GnuPG 2.2, Cv25519).
pub const GPG_PUBLIC_KEY: &str = include_str!("../data/gpg-submission-public.asc");
/// Its secret half, unprotected.
pub const GPG_SECRET_KEY: &str = include_str!("../data/gpg-submission-secret.asc");
/// An RSA-1024 key sequoia's standard policy refuses.
pub const WEAK_PUBLIC_KEY: &str = include_str!("../data/weak-rsa1024-public.asc");
/// A key that expired in 2020.
pub const EXPIRED_PUBLIC_KEY: &str = include_str!("../data/expired-public.asc");

/// Path of a fixture file in `data/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// The fixture submission key, validated.
pub fn submission_key() -> SubmissionKey {
    SubmissionKey::from_armored(GPG_PUBLIC_KEY).unwrap()
}

/// A temporary instance: a data directory with a fresh, migrated SQLite store.
/// Set `POSTERN_TEST_KEEP=1` to keep the directory for debugging.
pub struct TempInstance {
    dir: tempfile::TempDir,
    /// The store, opened on `data/`.
    pub store: Arc<Store>,
    secrets_text: String,
}

impl TempInstance {
    /// A new instance in a new temporary directory.
    pub fn new() -> Self {
        let mut dir = tempfile::Builder::new().prefix("postern-test-").tempdir().unwrap();
        if std::env::var_os("POSTERN_TEST_KEEP").is_some() {
            dir.disable_cleanup(true);
        }
        let store = Arc::new(Store::open(&dir.path().join("data")).unwrap());
        let secrets_text = InstanceSecrets::generate(&mut rand::rngs::OsRng).to_file_text().to_string();
        Self { dir, store, secrets_text }
    }

    /// The instance directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory (database and ciphertext store).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// This instance's secrets (the same every call).
    pub fn secrets(&self) -> InstanceSecrets {
        InstanceSecrets::from_file_text(&self.secrets_text).unwrap()
    }

    /// The stored record of the source with `codename`, found as the server finds it.
    pub fn source_of(&self, codename: &str) -> Option<postern_store::SourceRecord> {
        let codename = postern_core::Codename::parse(codename).ok()?;
        let identity = postern_crypto::derive_source_identity(&codename, &self.secrets()).unwrap();
        self.store.find_source_by_lookup(&identity.lookup_id).unwrap()
    }

    /// The stored submissions of the source with `codename`.
    pub fn submissions_of(&self, codename: &str) -> Vec<postern_store::SubmissionRecord> {
        self.source_of(codename).map(|s| self.store.submissions(&s).unwrap()).unwrap_or_default()
    }

    /// The fixture key as the server would load it.
    pub fn key(&self) -> Result<SubmissionKey, KeyProblem> {
        Ok(submission_key())
    }

    /// Every regular file under the data directory, recursively.
    pub fn all_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.data_dir(), &mut out);
        out.sort();
        out
    }

    /// Ciphertext files under `data/store/`.
    pub fn stored_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.data_dir().join("store"), &mut out);
        out.sort();
        out
    }
}

impl Default for TempInstance {
    fn default() -> Self {
        Self::new()
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
