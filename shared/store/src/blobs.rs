//! Ciphertext files: written under a temporary name, fsynced, then renamed into place.
//!
//! The source and journalist processes share the store, and the source process sweeps
//! what interrupted writes left when it starts. So that it never removes a file the
//! other process is still writing or recording, a writer holds an exclusive lock
//! (`flock`) on its file from creation until the file's row is committed or the file is
//! removed; the sweep takes only files whose lock it can take itself, which no live
//! writer holds: provably abandoned ones.

use std::fs::{File, FileTimes, OpenOptions, TryLockError};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::access::set_file_mode;
use crate::error::io;

/// Prefix of temporary ciphertext files; startup removes any it finds.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Buffer between the encryptor and the file: large writes, flat memory.
const WRITE_BUFFER: usize = 256 * 1024;

/// Once this much is written, a background thread starts writing it out to disk
/// (`fdatasync`) while encryption goes on, so the final fsync has little left to do:
/// without it a 1 GiB upload waited about 3 s for the disk after the last byte.
const SYNC_EVERY: u64 = 8 * 1024 * 1024;

/// A ciphertext file being written. Dropping it unfinished removes the file.
pub struct BlobWriter {
    file: Option<BufWriter<File>>,
    temp_path: PathBuf,
    dir: PathBuf,
    written: u64,
    syncer: Option<Syncer>,
    /// The digest of what was written, for the `checksum` column: computed in the one
    /// pass that writes the file, never by reading it back (SHA-256 runs at about
    /// 1.35 GB/s on this machine kind: some 8% of the pipeline's time per byte).
    digest: Sha256,
}

/// Writes a blob's data out to disk in the background as it grows.
struct Syncer {
    shared: Arc<SyncShared>,
    thread: std::thread::JoinHandle<()>,
    unparked_at: u64,
}

#[derive(Default)]
struct SyncShared {
    written: AtomicU64,
    stop: AtomicBool,
    failed: Mutex<Option<io::Error>>,
}

impl Syncer {
    fn start(file: &File) -> io::Result<Self> {
        let file = file.try_clone()?;
        let shared = Arc::new(SyncShared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("blob-sync".into()).spawn(move || {
            let mut synced = 0;
            while !theirs.stop.load(Ordering::SeqCst) {
                std::thread::park_timeout(std::time::Duration::from_millis(200));
                if theirs.stop.load(Ordering::SeqCst) {
                    break;
                }
                let written = theirs.written.load(Ordering::SeqCst);
                if written >= synced + SYNC_EVERY {
                    if let Err(e) = file.sync_data() {
                        *theirs.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                        return;
                    }
                    synced = written;
                }
            }
        })?;
        Ok(Self { shared, thread, unparked_at: 0 })
    }

    fn wrote(&mut self, total: u64) {
        self.shared.written.store(total, Ordering::SeqCst);
        if total >= self.unparked_at + SYNC_EVERY {
            self.unparked_at = total;
            self.thread.thread().unpark();
        }
    }

    /// Tells the thread to stop without waiting for it (it owns its own descriptor, so
    /// the file may be removed under it). For abandoned blobs, on an async worker.
    fn cancel(self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.thread.thread().unpark();
    }

    /// Stops the thread and waits for it; returns the error it met, if any.
    fn stop(self) -> io::Result<()> {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.thread.thread().unpark();
        let _ = self.thread.join();
        match self.shared.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl BlobWriter {
    /// Creates a new temporary file with `mode` (never an existing file) in `dir`, and
    /// locks it.
    pub(crate) fn create(dir: &Path, mode: u32) -> Result<Self, StoreError> {
        let (file, temp_path) = loop {
            let mut random = [0u8; 16];
            OsRng.fill_bytes(&mut random);
            let temp_path = dir.join(format!("{TEMP_PREFIX}{}", hex::encode(random)));
            let file = OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp_path).map_err(|e| {
                match e.kind() {
                    // The source's directory is gone: the source was deleted meanwhile.
                    io::ErrorKind::NotFound => StoreError::NoSuchSource,
                    _ => StoreError::Io { op: "create a temporary ciphertext file", cause: e },
                }
            })?;
            set_file_mode(&file, mode).map_err(io("set a ciphertext file's mode"))?;
            file.lock().map_err(io("lock a temporary ciphertext file"))?;
            // The other process's sweep may have taken the empty file in the instant
            // before it was locked; then it is unlinked, and we start again.
            if file.metadata().map_err(io("read a temporary ciphertext file"))?.nlink() > 0 {
                break (file, temp_path);
            }
        };
        Ok(Self {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            temp_path,
            dir: dir.to_owned(),
            written: 0,
            syncer: None,
            digest: Sha256::new(),
        })
    }

    /// Flushes and fsyncs the file, and sets its times to the epoch so the file system
    /// does not record when it arrived. The file keeps its temporary name until the
    /// store records it.
    pub fn finish(mut self) -> Result<FinishedBlob, StoreError> {
        // Until the end, the file stays in `self.file`, so that on any error `Drop`
        // removes it.
        if let Some(syncer) = self.syncer.take() {
            syncer.stop().map_err(io("write ciphertext to disk"))?;
        }
        let writer = self.file.as_mut().ok_or(StoreError::Bug(postern_core::internal!("blob finished twice")))?;
        writer.flush().map_err(io("flush ciphertext"))?;
        let epoch = FileTimes::new().set_accessed(UNIX_EPOCH).set_modified(UNIX_EPOCH);
        writer.get_ref().set_times(epoch).map_err(io("set ciphertext file times"))?;
        writer.get_ref().sync_all().map_err(io("fsync ciphertext"))?;
        let (file, _) =
            self.file.take().ok_or(StoreError::Bug(postern_core::internal!("blob finished twice")))?.into_parts();
        Ok(FinishedBlob {
            temp_path: Some(std::mem::take(&mut self.temp_path)),
            dir: std::mem::take(&mut self.dir),
            size: self.written,
            checksum: checksum_of(std::mem::take(&mut self.digest)),
            _locked: file,
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("blob already finished"))?;
        let n = file.write(buf)?;
        self.digest.update(&buf[..n]);
        self.written += n as u64;
        if self.written >= SYNC_EVERY {
            if self.syncer.is_none() {
                self.syncer = Some(Syncer::start(file.get_ref())?);
            }
            if let Some(syncer) = &mut self.syncer {
                syncer.wrote(self.written);
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(syncer) = self.syncer.take() {
            syncer.cancel();
        }
        // into_parts: drop the buffered ciphertext instead of flushing it into a file
        // we are about to remove.
        if let Some(writer) = self.file.take().map(BufWriter::into_parts) {
            drop(writer);
            // Incomplete ciphertext is worthless and must not linger.
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// A complete, fsynced ciphertext file waiting for its row, still locked. Dropping it
/// unrecorded removes the file; the lock goes with the last field.
pub struct FinishedBlob {
    temp_path: Option<PathBuf>,
    dir: PathBuf,
    size: u64,
    checksum: String,
    _locked: File,
}

impl FinishedBlob {
    /// Size of the ciphertext in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `sha256:<hex>` of the ciphertext, as the `checksum` column and the API's ETag
    /// carry it.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Renames the file to `name` in its directory; returns the final path.
    pub(crate) fn rename_to(&mut self, name: &str) -> Result<PathBuf, StoreError> {
        let temp = self.temp_path.as_ref().ok_or(StoreError::Bug(postern_core::internal!("blob renamed twice")))?;
        let target = self.dir.join(name);
        if target.exists() {
            return Err(StoreError::Bug(postern_core::internal!("a stored file name was about to be reused")));
        }
        std::fs::rename(temp, &target).map_err(io("rename ciphertext into place"))?;
        self.temp_path = None;
        Ok(target)
    }
}

/// `sha256:<hex>` of a finished digest.
pub(crate) fn checksum_of(digest: Sha256) -> String {
    format!("sha256:{}", hex::encode(digest.finalize()))
}

/// `sha256:<hex>` of a stored file, read in one streaming pass (for rows stored before
/// checksums were written).
pub(crate) fn checksum_file(path: &Path) -> io::Result<String> {
    let mut digest = Sha256::new();
    io::copy(&mut File::open(path)?, &mut digest)?;
    Ok(checksum_of(digest))
}

impl Drop for FinishedBlob {
    fn drop(&mut self) {
        if let Some(temp) = self.temp_path.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Removes abandoned temporary files, and abandoned files no row references, from a
/// source directory. A file is abandoned when no writer holds its lock; a file that
/// was unreferenced in `referenced` is looked up again with `now_referenced` once its
/// lock is ours, because its writer may have recorded it and let go meanwhile.
pub(crate) fn sweep_dir(
    dir: &Path,
    referenced: &[String],
    mut now_referenced: impl FnMut(&str) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io { op: "list a source directory", cause: e }),
    };
    for entry in entries {
        let entry = entry.map_err(io("list a source directory"))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let temporary = name.starts_with(TEMP_PREFIX);
        if !temporary && referenced.iter().any(|r| *r == name) {
            continue;
        }
        let file = match File::open(entry.path()) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::Io { op: "open leftover ciphertext", cause: e }),
        };
        match file.try_lock() {
            Ok(()) => {}
            // A live writer: not ours to judge.
            Err(TryLockError::WouldBlock) => continue,
            Err(TryLockError::Error(e)) => return Err(StoreError::Io { op: "lock leftover ciphertext", cause: e }),
        }
        if !temporary && now_referenced(&name)? {
            continue;
        }
        std::fs::remove_file(entry.path()).map_err(io("remove leftover ciphertext"))?;
    }
    Ok(())
}

/// fsyncs a directory so a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io("fsync a source directory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_takes_only_files_whose_lock_it_can_take_and_rechecks_them() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".tmp-live", "3-x-msg.gpg", ".tmp-dead", "4-x-msg.gpg", "5-x-msg.gpg"] {
            std::fs::write(dir.path().join(name), b"ciphertext").unwrap();
        }
        let live_temp = File::open(dir.path().join(".tmp-live")).unwrap();
        live_temp.lock().unwrap();
        let being_recorded = File::open(dir.path().join("3-x-msg.gpg")).unwrap();
        being_recorded.lock().unwrap();
        // 4 was recorded after the sweep listed the rows; 5 was never recorded.
        sweep_dir(dir.path(), &[], |name| Ok(name == "4-x-msg.gpg")).unwrap();
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [".tmp-live", "3-x-msg.gpg", "4-x-msg.gpg"]);
        drop((live_temp, being_recorded));
        sweep_dir(dir.path(), &["4-x-msg.gpg".to_owned()], |_| Ok(false)).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["4-x-msg.gpg"], "once their writers are gone, the leftovers go");
    }

    #[test]
    fn a_new_blob_is_locked_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlobWriter::create(dir.path(), 0o600).unwrap();
        w.write_all(b"x").unwrap();
        let probe = File::open(&w.temp_path).unwrap();
        assert!(matches!(probe.try_lock(), Err(TryLockError::WouldBlock)));
        let finished = w.finish().unwrap();
        assert!(matches!(probe.try_lock(), Err(TryLockError::WouldBlock)), "still locked once finished");
        drop(finished);
        probe.try_lock().unwrap();
    }
}
