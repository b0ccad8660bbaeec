//! Writing a backup while both services run: the database snapshot first, then exactly
//! the files it lists, then the rest, then the manifest.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use postern_store::{ListedFile, Store};
use rand::RngCore;

use crate::manifest::{FORMAT, FileEntry, Hashing, MANIFEST_PATH, Manifest, VERSION};
use crate::members::{self, is_safe_name};
use crate::{BackupError, Layout, Summary, io, store_err};

/// Whose backup it is: what a restore checks before it changes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The instance's id, derived from its secrets.
    pub instance_id: String,
    /// The fingerprint of its submission key.
    pub submission_key_fingerprint: String,
}

/// Files a backup reads whole, because a running service may replace them (arti's
/// state, device keys, secrets, configuration); larger ones are refused.
const MAX_SMALL_FILE: u64 = 16 * 1024 * 1024;

/// Writes the backup of the instance in `layout` (whose store is `store`) to `out`, a
/// plain tar; returns `out` and what was archived. Safe while the services run.
pub fn back_up<W: Write>(
    layout: &Layout,
    store: &Store,
    identity: &Identity,
    out: W,
) -> Result<(W, Summary), BackupError> {
    let created_unix = postern_core::Clock::system().unix_seconds();
    let mut archive = Archive {
        tar: tar::Builder::new(out),
        manifest: Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_unix,
            instance_id: identity.instance_id.clone(),
            submission_key_fingerprint: identity.submission_key_fingerprint.clone(),
            dirs: Vec::new(),
            files: Vec::new(),
        },
        summary: Summary::default(),
    };
    archive_store(&mut archive, layout, store)?;
    match File::open(layout.data_dir.join("logo.png")) {
        Ok(logo) => archive.add_small(members::LOGO, logo)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(BackupError::Io { op: "read the logo", cause: e }),
    }
    let secrets = File::open(&layout.secrets_file).map_err(io("read the instance secrets"))?;
    archive.add_small(members::SECRETS, secrets)?;
    archive_tor(&mut archive, &layout.tor_state_dir)?;
    archive_devices(&mut archive, &layout.devices_dir)?;
    for (path, file) in
        [(members::CONFIG_FILE, &layout.config_file), (members::SUBMISSION_KEY, &layout.submission_key_file)]
    {
        archive.add_small(path, File::open(file).map_err(io("read the configuration"))?)?;
    }
    let manifest = serde_json::to_vec_pretty(&archive.manifest)
        .map_err(|e| BackupError::Io { op: "write the manifest", cause: e.into() })?;
    archive.write_member(MANIFEST_PATH, manifest.len() as u64, &manifest[..])?;
    let summary = archive.summary;
    let out = archive.tar.into_inner().map_err(io("finish the archive"))?;
    Ok((out, summary))
}

/// The snapshot, the source directories and the ciphertexts it lists. A file deleted
/// before it could be read is forgotten in the snapshot, which is archived last.
fn archive_store<W: Write>(archive: &mut Archive<W>, layout: &Layout, store: &Store) -> Result<(), BackupError> {
    let mut random = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let snapshot_path = layout.data_dir.join(format!(".backup-{}.sqlite", hex::encode(random)));
    let mut snapshot = store.snapshot_to(&snapshot_path).map_err(store_err("snapshot the database"))?;
    for dir in snapshot.source_dirs().map_err(store_err("list source directories"))? {
        archive.add_dir(&format!("{}/{dir}", members::STORE))?;
    }
    let mut missing: Vec<ListedFile> = Vec::new();
    for listed in snapshot.files().map_err(store_err("list stored files"))? {
        let path = layout.data_dir.join("store").join(&listed.store_dir).join(&listed.filename);
        match File::open(&path) {
            Ok(file) => {
                // Recorded ciphertexts never change: stream them, whatever their size.
                let size = file.metadata().map_err(io("read a ciphertext"))?.len();
                let member = format!("{}/{}/{}", members::STORE, listed.store_dir, listed.filename);
                archive.append(&member, size, file)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(listed),
            Err(e) => return Err(BackupError::Io { op: "read a ciphertext", cause: e }),
        }
    }
    snapshot.forget(&missing).map_err(store_err("forget deleted files in the snapshot"))?;
    let db = File::open(snapshot.path()).map_err(io("read the snapshot"))?;
    let size = db.metadata().map_err(io("read the snapshot"))?.len();
    archive.append(members::DATABASE, size, db)
}

/// Each role's state and keys, without arti's cache.
fn archive_tor<W: Write>(archive: &mut Archive<W>, state_dir: &Path) -> Result<(), BackupError> {
    if !state_dir.is_dir() {
        return Ok(()); // no onion service has run here
    }
    for role in sorted_entries(state_dir)? {
        let path = state_dir.join(&role);
        if is_safe_name(&role) && path.is_dir() {
            archive_tree(archive, &path, &format!("{}/{role}", members::TOR), 0)?;
        }
    }
    Ok(())
}

fn archive_tree<W: Write>(archive: &mut Archive<W>, dir: &Path, member: &str, depth: usize) -> Result<(), BackupError> {
    archive.add_dir(member)?;
    for name in sorted_entries(dir)? {
        let path = dir.join(&name);
        // Lock files, sockets and the like stay behind, as does the cache.
        if !is_safe_name(&name) || (depth == 0 && name == members::TOR_CACHE) {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(io("read the Tor state"))?;
        if meta.is_dir() {
            archive_tree(archive, &path, &format!("{member}/{name}"), depth + 1)?;
        } else if meta.is_file() {
            archive.add_small(&format!("{member}/{name}"), File::open(&path).map_err(io("read the Tor state"))?)?;
        }
    }
    Ok(())
}

fn archive_devices<W: Write>(archive: &mut Archive<W>, dir: &Path) -> Result<(), BackupError> {
    if !dir.is_dir() {
        return Ok(());
    }
    for name in sorted_entries(dir)? {
        if is_safe_name(&name) && name.ends_with(".auth") {
            let file = File::open(dir.join(&name)).map_err(io("read a device key"))?;
            archive.add_small(&format!("{}/{name}", members::DEVICES), file)?;
        }
    }
    Ok(())
}

/// The names in `dir`, sorted (archives of the same instance list members alike).
fn sorted_entries(dir: &Path) -> Result<Vec<String>, BackupError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list a directory to archive"))? {
        let entry = entry.map_err(io("list a directory to archive"))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// A tar being written, and its manifest.
struct Archive<W: Write> {
    tar: tar::Builder<W>,
    manifest: Manifest,
    summary: Summary,
}

impl<W: Write> Archive<W> {
    fn add_dir(&mut self, path: &str) -> Result<(), BackupError> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o700);
        header.set_size(0);
        header.set_mtime(0);
        self.tar.append_data(&mut header, format!("{path}/"), io::empty()).map_err(io("write the archive"))?;
        self.manifest.dirs.push(path.to_owned());
        Ok(())
    }

    /// Reads a small file whole, then archives it (it may be replaced meanwhile).
    fn add_small(&mut self, path: &str, file: File) -> Result<(), BackupError> {
        let mut data = Vec::new();
        file.take(MAX_SMALL_FILE + 1).read_to_end(&mut data).map_err(io("read a file to archive"))?;
        if data.len() as u64 > MAX_SMALL_FILE {
            return Err(BackupError::Io { op: "archive a file", cause: io::Error::other("unexpectedly large") });
        }
        self.append(path, data.len() as u64, &data[..])
    }

    /// Archives exactly `size` bytes of `data` as file `path`, listed in the manifest.
    fn append(&mut self, path: &str, size: u64, data: impl Read) -> Result<(), BackupError> {
        let sha256 = self.write_member(path, size, data)?;
        self.manifest.files.push(FileEntry { path: path.to_owned(), size, sha256 });
        self.summary.files += 1;
        self.summary.bytes += size;
        Ok(())
    }

    /// Writes exactly `size` bytes of `data` as file `path` (fewer is an error); their
    /// SHA-256.
    fn write_member(&mut self, path: &str, size: u64, data: impl Read) -> Result<String, BackupError> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o600);
        header.set_size(size);
        header.set_mtime(0);
        let mut hashing = Hashing::new(data.take(size));
        self.tar.append_data(&mut header, path, &mut hashing).map_err(io("write the archive"))?;
        let (count, sha256, _) = hashing.finish();
        if count != size {
            return Err(BackupError::Io { op: "archive a file", cause: io::Error::other("it shrank while read") });
        }
        Ok(sha256)
    }
}
