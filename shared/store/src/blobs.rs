//! Ciphertext files: written under a temporary name, fsynced, then renamed into place.

use std::fs::{File, FileTimes, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use rand::RngCore;
use rand::rngs::OsRng;

use crate::StoreError;
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
    /// Creates a new temporary file (mode 0600, never an existing file) in `dir`.
    pub(crate) fn create(dir: &Path) -> Result<Self, StoreError> {
        let mut random = [0u8; 16];
        OsRng.fill_bytes(&mut random);
        let temp_path = dir.join(format!("{TEMP_PREFIX}{}", hex::encode(random)));
        let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp_path).map_err(|e| match e
            .kind()
        {
            // The source's directory is gone: the source was deleted meanwhile.
            io::ErrorKind::NotFound => StoreError::NoSuchSource,
            _ => StoreError::Io { op: "create a temporary ciphertext file", cause: e },
        })?;
        Ok(Self {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            temp_path,
            dir: dir.to_owned(),
            written: 0,
            syncer: None,
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
        let writer = self.file.as_mut().ok_or(StoreError::Bug("blob finished twice"))?;
        writer.flush().map_err(io("flush ciphertext"))?;
        let epoch = FileTimes::new().set_accessed(UNIX_EPOCH).set_modified(UNIX_EPOCH);
        writer.get_ref().set_times(epoch).map_err(io("set ciphertext file times"))?;
        writer.get_ref().sync_all().map_err(io("fsync ciphertext"))?;
        self.file = None;
        Ok(FinishedBlob {
            temp_path: Some(std::mem::take(&mut self.temp_path)),
            dir: std::mem::take(&mut self.dir),
            size: self.written,
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("blob already finished"))?;
        let n = file.write(buf)?;
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

/// A complete, fsynced ciphertext file waiting for its row. Dropping it unrecorded
/// removes the file.
pub struct FinishedBlob {
    temp_path: Option<PathBuf>,
    dir: PathBuf,
    size: u64,
}

impl FinishedBlob {
    /// Size of the ciphertext in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Renames the file to `name` in its directory; returns the final path.
    pub(crate) fn rename_to(&mut self, name: &str) -> Result<PathBuf, StoreError> {
        let temp = self.temp_path.as_ref().ok_or(StoreError::Bug("blob renamed twice"))?;
        let target = self.dir.join(name);
        if target.exists() {
            return Err(StoreError::Bug("a stored file name was about to be reused"));
        }
        std::fs::rename(temp, &target).map_err(io("rename ciphertext into place"))?;
        self.temp_path = None;
        Ok(target)
    }
}

impl Drop for FinishedBlob {
    fn drop(&mut self) {
        if let Some(temp) = self.temp_path.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Removes temporary files, and files no row references, from a source directory.
pub(crate) fn sweep_dir(dir: &Path, referenced: &[String]) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io { op: "list a source directory", cause: e }),
    };
    for entry in entries {
        let entry = entry.map_err(io("list a source directory"))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) || !referenced.iter().any(|r| *r == name) {
            std::fs::remove_file(entry.path()).map_err(io("remove leftover ciphertext"))?;
        }
    }
    Ok(())
}

/// fsyncs a directory so a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io("fsync a source directory"))
}
