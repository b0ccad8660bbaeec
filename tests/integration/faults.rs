//! Faults the server must survive: a disk that fills up under it, and comes back.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use postern_tests::RawSource;

use crate::cli::serve_instance;

/// A small tmpfs mounted on a directory for the length of a test.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(at)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a tmpfs (the test runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Uploads `size` bytes as one file; the server's status line and page.
fn upload(source: &RawSource, host: &str, size: usize, fill: u8) -> String {
    let (mut stream, tail) = source.start_upload(host, size as u64).unwrap();
    let _ = stream.write_all(&vec![fill; size]);
    let _ = stream.write_all(tail.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Every file under the store, with its size.
fn stored(inst: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(inst.join("data/store")).unwrap().flatten() {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            out.push((file.path(), file.metadata().unwrap().len()));
        }
    }
    out.sort();
    out
}

/// Writes zeros to `file` until the filesystem is full.
fn fill_up(file: &Path) {
    let mut f = std::fs::File::create(file).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_refuses_with_a_clear_page_keeps_what_was_stored_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let _disk = Tmpfs::mount(dir.path(), "24m");
    let (_server, host, inst) = serve_instance(dir.path(), 64 * 1024 * 1024);
    let source = RawSource::create(&host).unwrap();
    let first = upload(&source, &host, 64 * 1024, b'1');
    assert!(first.starts_with("HTTP/1.1 303"), "{}", first.lines().next().unwrap_or_default());
    let before = stored(&inst);
    assert_eq!(before.len(), 1);

    let filler = dir.path().join("filler");
    fill_up(&filler);
    let refused = upload(&source, &host, 4 * 1024 * 1024, b'2');
    assert!(refused.starts_with("HTTP/1.1 503"), "{}", refused.lines().next().unwrap_or_default());
    assert!(refused.contains("could not be stored right now") && refused.contains("try again later"), "{refused}");
    assert_eq!(stored(&inst), before, "the earlier submission is intact and nothing partial is left");

    std::fs::remove_file(&filler).unwrap();
    let again = upload(&source, &host, 1024 * 1024, b'3');
    assert!(
        again.starts_with("HTTP/1.1 303"),
        "service resumes when space returns: {}",
        again.lines().next().unwrap_or_default()
    );
    let after = stored(&inst);
    assert_eq!(after.len(), 2);
    assert!(after.contains(&before[0]), "the first submission unchanged");
    assert!(after.iter().all(|(f, _)| !f.file_name().unwrap().to_string_lossy().starts_with(".tmp-")));
}
