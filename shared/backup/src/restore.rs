//! Putting a backup back: everything is staged beside its target and checked against
//! the manifest and the server's identity first; only then is each target replaced by
//! a rename. The services must be stopped (the playbook stops them).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::manifest::{FORMAT, Hashing, MAX_MANIFEST_BYTES, Manifest, VERSION};
use crate::members::{Member, classify};
use crate::{BackupError, Layout, Summary, io};

/// What the server says about itself, for [`restore`] to compare with the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreChecks {
    /// The fingerprint of the submission key the server is configured with.
    pub submission_key_fingerprint: String,
    /// The id of the instance this server holds, when it holds any source or account
    /// (a freshly installed server holds none, and may take any of its own backups).
    pub current_instance: Option<String>,
}

/// Restores the plain tar `archive` into `layout`. Nothing changes unless the whole
/// archive matches its manifest, its submission key is the server's and it is not
/// another instance's. Returns what was restored.
pub fn restore(layout: &Layout, archive: impl Read, checks: &RestoreChecks) -> Result<Summary, BackupError> {
    let targets = Targets::of(layout)?;
    targets.recover()?;
    let staging = Staging::create(&targets)?;
    let (manifest, seen) = stage(&targets, &staging, archive)?;
    verify(&manifest, &seen)?;
    if manifest.submission_key_fingerprint != checks.submission_key_fingerprint {
        return Err(BackupError::OtherInstance(format!(
            "its submission key is {}, this server's is {}",
            manifest.submission_key_fingerprint, checks.submission_key_fingerprint
        )));
    }
    if checks.current_instance.as_ref().is_some_and(|id| *id != manifest.instance_id) {
        return Err(BackupError::OtherInstance(
            "this server holds the sources and accounts of an instance with other secrets".to_owned(),
        ));
    }
    targets.place(&staging, &seen)?;
    Ok(Summary { files: seen.files.len(), bytes: seen.files.values().map(|(size, _)| size).sum() })
}

/// Who owns a restored tree and with which modes.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
    dir_mode: u32,
    file_mode: u32,
}

impl Owner {
    /// The owner and group of `existing`, or of `fallback` when `existing` is gone.
    fn like(existing: &Path, fallback: &Path, dir_mode: u32, file_mode: u32) -> Result<Self, BackupError> {
        let meta = std::fs::metadata(existing).or_else(|_| std::fs::metadata(fallback));
        let meta = meta.map_err(io("read the owner of a restore target"))?;
        Ok(Self { uid: meta.uid(), gid: meta.gid(), dir_mode, file_mode })
    }

    fn apply(&self, path: &Path, mode: u32) -> Result<(), BackupError> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).map_err(io("give a restored file its owner"))?;
        std::fs::set_permissions(path, Permissions::from_mode(mode)).map_err(io("give a restored file its mode"))
    }
}

/// The places a restore replaces, with their owners.
struct Targets {
    layout: Layout,
    data: Owner,
    secrets: Owner,
    tor: Owner,
    devices: Owner,
}

/// Leftover names of an interrupted restore, beside each target.
const NEW: &str = ".restore-new";
const OLD: &str = ".restore-old";

impl Targets {
    fn of(layout: &Layout) -> Result<Self, BackupError> {
        let l = layout;
        if !l.data_dir.is_dir() {
            return Err(BackupError::MissingTarget("the data directory (instance.data_dir)"));
        }
        // An instance that never ran an onion service has none yet; it is created
        // private, as `serve` would.
        DirBuilder::new().recursive(true).mode(0o700).create(&l.tor_state_dir).map_err(io("create tor.state_dir"))?;
        let (dir_mode, file_mode) = (l.access.dir_mode(), l.access.file_mode());
        let devices_mode = std::fs::metadata(&l.devices_dir).map_or(0o700, |m| m.mode() & 0o7777);
        let devices_parent = l.devices_dir.parent().unwrap_or(Path::new("/"));
        Ok(Self {
            data: Owner::like(&l.data_dir, &l.data_dir, dir_mode, file_mode)?,
            secrets: Owner::like(&l.secrets_file, &l.data_dir, 0o700, 0o600)?,
            tor: Owner::like(&l.tor_state_dir, &l.tor_state_dir, 0o700, 0o600)?,
            devices: Owner::like(&l.devices_dir, devices_parent, devices_mode, 0o640)?,
            layout: layout.clone(),
        })
    }

    /// The owner of a role's state: its directory's, or the Tor state directory's.
    fn tor_role(&self, role: &str) -> Result<Owner, BackupError> {
        let dir = self.layout.tor_state_dir.join(role);
        Owner::like(&dir, &self.layout.tor_state_dir, 0o700, 0o600)
    }

    /// Undoes what an interrupted restore left: a directory it had moved aside (with
    /// [`OLD`] after its name) comes back if nothing replaced it, and staging goes.
    fn recover(&self) -> Result<(), BackupError> {
        let l = &self.layout;
        let mut swapped = vec![l.data_dir.join("store"), l.devices_dir.clone()];
        for entry in std::fs::read_dir(&l.tor_state_dir).map_err(io("list the Tor state directory"))? {
            let name = entry.map_err(io("list the Tor state directory"))?.file_name();
            if let Some(role) = name.to_str().and_then(|n| n.strip_suffix(OLD)) {
                swapped.push(l.tor_state_dir.join(role));
            }
        }
        for target in swapped {
            let old = sibling(&target, OLD);
            if !old.exists() {
                continue;
            }
            if target.exists() {
                remove_tree(&old)?;
            } else {
                std::fs::rename(&old, &target).map_err(io("put back what an interrupted restore moved"))?;
            }
        }
        for staging in self.staging_dirs() {
            remove_tree(&staging)?;
        }
        Ok(())
    }

    fn staging_dirs(&self) -> [PathBuf; 4] {
        let l = &self.layout;
        [l.data_dir.join(NEW), l.tor_state_dir.join(NEW), sibling(&l.devices_dir, NEW), sibling(&l.secrets_file, NEW)]
    }

    /// Moves every staged piece into place.
    fn place(&self, staging: &Staging, seen: &Seen) -> Result<(), BackupError> {
        let l = &self.layout;
        // A journal left by the old database must never be applied to the new one.
        for side in ["db.sqlite-wal", "db.sqlite-shm"] {
            remove_file_if_present(&l.data_dir.join(side))?;
        }
        rename(&staging.data.join("db.sqlite"), &l.data_dir.join("db.sqlite"))?;
        swap(&staging.data.join("store"), &l.data_dir.join("store"))?;
        if seen.files.contains_key(crate::members::LOGO) {
            rename(&staging.data.join("logo.png"), &l.data_dir.join("logo.png"))?;
        } else {
            remove_file_if_present(&l.data_dir.join("logo.png"))?;
        }
        rename(&staging.secrets.join("instance-secrets.toml"), &l.secrets_file)?;
        for role in &seen.tor_roles {
            swap(&staging.tor.join(role), &l.tor_state_dir.join(role))?;
        }
        swap(&staging.devices, &l.devices_dir)?;
        Ok(())
    }
}

/// The staging directories, removed again when dropped (once placed, they are gone).
struct Staging {
    data: PathBuf,
    tor: PathBuf,
    devices: PathBuf,
    secrets: PathBuf,
}

impl Staging {
    fn create(targets: &Targets) -> Result<Self, BackupError> {
        let [data, tor, devices, secrets] = targets.staging_dirs();
        let staging = Self { data, tor, devices, secrets };
        for (dir, owner) in [
            (&staging.data, targets.data),
            (&staging.tor, targets.tor),
            (&staging.devices, targets.devices),
            (&staging.secrets, targets.secrets),
        ] {
            make_dir(dir, &owner)?;
        }
        make_dir(&staging.data.join("store"), &targets.data)?;
        Ok(staging)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for dir in [&self.data, &self.tor, &self.devices, &self.secrets] {
            let _ = remove_tree(dir);
        }
    }
}

/// What the archive held, as staged.
#[derive(Default)]
struct Seen {
    /// Path → (size, SHA-256).
    files: BTreeMap<String, (u64, String)>,
    dirs: BTreeSet<String>,
    tor_roles: BTreeSet<String>,
}

/// Reads the archive into the staging directories; returns its manifest and what it held.
fn stage(targets: &Targets, staging: &Staging, archive: impl Read) -> Result<(Manifest, Seen), BackupError> {
    let mut tar = tar::Archive::new(archive);
    let mut seen = Seen::default();
    let mut manifest = None;
    for entry in tar.entries().map_err(io("read the archive"))? {
        let mut entry = entry.map_err(|_| BackupError::Damaged("it is not a readable tar archive"))?;
        if manifest.is_some() {
            return Err(BackupError::Damaged("it holds members after its manifest"));
        }
        let is_dir = match entry.header().entry_type() {
            tar::EntryType::Regular => false,
            tar::EntryType::Directory => true,
            _ => return Err(BackupError::Damaged("it holds a link or a special file")),
        };
        let path = entry.path().map_err(|_| BackupError::Damaged("a member has an unreadable name"))?;
        let path = path.to_str().ok_or(BackupError::Damaged("a member has an unreadable name"))?.to_owned();
        let member = classify(&path, is_dir).ok_or(BackupError::Damaged("it holds a member no backup writes"))?;
        let key = path.trim_end_matches('/').to_owned();
        if seen.files.contains_key(&key) || seen.dirs.contains(&key) {
            return Err(BackupError::Damaged("it holds a member twice"));
        }
        if member == Member::Manifest {
            let mut text = Vec::new();
            entry.by_ref().take(MAX_MANIFEST_BYTES).read_to_end(&mut text).map_err(io("read the manifest"))?;
            manifest = Some(
                serde_json::from_slice::<Manifest>(&text)
                    .map_err(|_| BackupError::Damaged("its manifest is unreadable"))?,
            );
            continue;
        }
        let Some((dest, owner)) = destination(targets, staging, &member)? else {
            // Configuration members are only checked against the manifest.
            let (size, sha256, _) = drain(&mut entry)?;
            seen.files.insert(key, (size, sha256));
            continue;
        };
        if let Member::Tor(role, _) = member {
            seen.tor_roles.insert(role.to_owned());
        }
        if is_dir {
            make_dir(&dest, &owner)?;
            seen.dirs.insert(key);
        } else {
            let (size, sha256) = write_file(&dest, &owner, &mut entry)?;
            seen.files.insert(key, (size, sha256));
        }
    }
    let manifest = manifest.ok_or(BackupError::Damaged("it has no manifest: it was cut short"))?;
    Ok((manifest, seen))
}

/// Where a member is staged, and who owns it there; `None` for members not restored.
fn destination(
    targets: &Targets,
    staging: &Staging,
    member: &Member<'_>,
) -> Result<Option<(PathBuf, Owner)>, BackupError> {
    Ok(Some(match member {
        Member::Database => (staging.data.join("db.sqlite"), targets.data),
        Member::Logo => (staging.data.join("logo.png"), targets.data),
        Member::SourceDir(dir) => (staging.data.join("store").join(dir), targets.data),
        Member::Ciphertext(dir, file) => (staging.data.join("store").join(dir).join(file), targets.data),
        Member::Secrets => (staging.secrets.join("instance-secrets.toml"), targets.secrets),
        Member::Tor(role, rest) => {
            let dir = staging.tor.join(role);
            (if rest.is_empty() { dir } else { dir.join(rest) }, targets.tor_role(role)?)
        }
        Member::Device(name) => (staging.devices.join(name), targets.devices),
        Member::Config | Member::Manifest => return Ok(None),
    }))
}

/// The archive must hold exactly what its manifest lists, byte for byte.
fn verify(manifest: &Manifest, seen: &Seen) -> Result<(), BackupError> {
    if manifest.format != FORMAT {
        return Err(BackupError::Damaged("it is not a Postern backup"));
    }
    if manifest.version != VERSION {
        return Err(BackupError::Damaged("it was written by an unknown version of Postern"));
    }
    let listed: BTreeMap<&str, (u64, &str)> =
        manifest.files.iter().map(|f| (f.path.as_str(), (f.size, f.sha256.as_str()))).collect();
    if listed.len() != manifest.files.len() || listed.len() != seen.files.len() {
        return Err(BackupError::Damaged("its members are not those its manifest lists"));
    }
    for (path, (size, sha256)) in &seen.files {
        if listed.get(path.as_str()) != Some(&(*size, sha256.as_str())) {
            return Err(BackupError::Damaged("a member does not match its manifest (size or SHA-256)"));
        }
    }
    let dirs: BTreeSet<&str> = manifest.dirs.iter().map(String::as_str).collect();
    if dirs != seen.dirs.iter().map(String::as_str).collect() {
        return Err(BackupError::Damaged("its directories are not those its manifest lists"));
    }
    for required in [crate::members::DATABASE, crate::members::SECRETS] {
        if !seen.files.contains_key(required) {
            return Err(BackupError::Damaged("it lacks the database or the instance secrets"));
        }
    }
    Ok(())
}

fn make_dir(path: &Path, owner: &Owner) -> Result<(), BackupError> {
    match DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
        Err(e) => return Err(BackupError::Io { op: "create a staging directory", cause: e }),
    }
    owner.apply(path, owner.dir_mode)
}

/// Writes a staged file (private until it has its owner and mode); its size and hash.
fn write_file(path: &Path, owner: &Owner, data: &mut impl Read) -> Result<(u64, String), BackupError> {
    if let Some(parent) = path.parent().filter(|p| !p.exists()) {
        make_dir(parent, owner)?;
    }
    let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io("stage a file"))?;
    let mut hashing = Hashing::new(file);
    io::copy(data, &mut hashing).map_err(io("stage a file"))?;
    let (size, sha256, file) = hashing.finish();
    file.sync_all().map_err(io("stage a file"))?;
    owner.apply(path, owner.file_mode)?;
    Ok((size, sha256))
}

fn drain(data: &mut impl Read) -> Result<(u64, String, io::Sink), BackupError> {
    let mut hashing = Hashing::new(io::sink());
    io::copy(data, &mut hashing).map_err(io("read the archive"))?;
    Ok(hashing.finish())
}

/// `path` with `suffix` appended to its name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{name}{suffix}"))
}

fn rename(from: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::rename(from, to).map_err(io("move a restored file into place"))?;
    sync_parent(to)
}

/// Replaces directory `target` by `staged`: the old one is moved aside first, so an
/// interruption leaves one of them under a known name ([`Targets::recover`]).
fn swap(staged: &Path, target: &Path) -> Result<(), BackupError> {
    let old = sibling(target, OLD);
    if target.exists() {
        std::fs::rename(target, &old).map_err(io("move the old data aside"))?;
    }
    std::fs::rename(staged, target).map_err(io("move restored data into place"))?;
    sync_parent(target)?;
    remove_tree(&old)
}

fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    File::open(parent).and_then(|d| d.sync_all()).map_err(io("sync a restored directory"))
}

fn remove_tree(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::Io { op: "remove a staging directory", cause: e }),
    }
}

fn remove_file_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::Io { op: "remove a file the restore replaces", cause: e }),
    }
}
