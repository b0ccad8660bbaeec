//! Small private files the `postern` binary writes at setup (config, keys, secrets):
//! written whole to a temporary name, fsynced, then renamed, so a crash never leaves
//! half a file.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::StoreError;
use crate::access::set_file_mode;
use crate::error::io;

/// Writes `contents` to `path` with `mode` (for example 0o600), refusing to replace
/// an existing file.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), StoreError> {
    if path.exists() {
        return Err(StoreError::Io {
            op: "write a new file",
            cause: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        });
    }
    replace_file(path, contents, mode)
}

/// Writes `contents` to `path` with `mode`, replacing any existing file atomically.
pub fn replace_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), StoreError> {
    let dir = path.parent().ok_or(StoreError::Bug(postern_core::internal!("a file path without a directory")))?;
    let name = path.file_name().ok_or(StoreError::Bug(postern_core::internal!("a file path without a name")))?;
    let temp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    // A stale temporary file (a crash) would keep its old mode: start from none.
    let _ = std::fs::remove_file(&temp);
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp).map_err(io("create a file"))?;
    // The umask may have narrowed `mode`; the file gets exactly it.
    let written = set_file_mode(&file, mode).and_then(|()| file.write_all(contents)).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(StoreError::Io { op: "write a file", cause: e });
    }
    std::fs::rename(&temp, path).map_err(io("rename a file into place"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_private_files_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret");
        write_new_file(&p, b"one", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(write_new_file(&p, b"two", 0o600).is_err());
        replace_file(&p, b"three", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
