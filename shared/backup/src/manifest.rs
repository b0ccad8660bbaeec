//! `manifest.json`, the archive's last member: what the archive must hold, and whose it
//! is.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `format` of every Postern backup manifest.
pub const FORMAT: &str = "postern-backup";
/// The manifest version this build writes and reads.
pub const VERSION: u32 = 1;

/// The archive's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// When the backup was made (Unix seconds).
    pub created_unix: u64,
    /// The instance's id, derived from its secrets (which codenames need).
    pub instance_id: String,
    /// The submission key's fingerprint.
    pub submission_key_fingerprint: String,
    /// Every directory member, in archive order.
    pub dirs: Vec<String>,
    /// Every file member, in archive order.
    pub files: Vec<FileEntry>,
}

/// One file member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Its path in the archive.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// The manifest's path in the archive.
pub(crate) const MANIFEST_PATH: &str = "manifest.json";
/// The largest manifest read back (a few hundred bytes per file: millions of files).
pub(crate) const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// Passes bytes through, counting and hashing them.
pub(crate) struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    count: u64,
}

impl<T> Hashing<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner, hasher: Sha256::new(), count: 0 }
    }

    /// The bytes seen and their SHA-256 (hex), and the inner reader or writer.
    pub(crate) fn finish(self) -> (u64, String, T) {
        (self.count, hex::encode(self.hasher.finalize()), self.inner)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_counts_and_hashes_what_passes() {
        let mut h = Hashing::new(&b"abc"[..]);
        let mut out = Vec::new();
        h.read_to_end(&mut out).unwrap();
        let (n, sha, _) = h.finish();
        assert_eq!((n, out.as_slice()), (3, &b"abc"[..]));
        assert_eq!(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn unknown_manifest_fields_are_refused() {
        let text = r#"{"format":"postern-backup","version":1,"created_unix":0,"instance_id":"x",
            "submission_key_fingerprint":"y","dirs":[],"files":[],"extra":1}"#;
        assert!(serde_json::from_str::<Manifest>(text).is_err());
    }
}
