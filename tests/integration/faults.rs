//! Faults the server must survive: a disk that fills up under it, and comes back.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The instance's server again, on the port its configuration names.
fn serve_again(inst: &Path, host: &str) -> postern_tests::Running {
    crate::cli::serve_config(&inst.join("postern.toml"), host)
}

/// What GnuPG decrypts from every stored item, in order.
fn decrypted(inst: &Path) -> Vec<Vec<u8>> {
    let gpg = postern_tests::Gpg::with_fixture_secret();
    stored(inst).iter().map(|(f, _)| gpg.decrypt(f).unwrap()).collect()
}

/// The status and page of a `GET /` over a new connection.
fn front_page(host: &str) -> (u16, String) {
    postern_tests::http_get(&format!("http://{host}/"), "/").unwrap()
}

/// An ext4 filesystem on a loop device that turns read-only on its first error, as a
/// production data disk is mounted (`errors=remount-ro`), for the length of a test.
struct Ext4 {
    image: PathBuf,
    at: PathBuf,
}

impl Ext4 {
    fn mount(image: &Path, at: &Path) -> Self {
        postern_tests::require_tool("ext4");
        let sized = std::fs::File::create(image).unwrap().set_len(64 * 1024 * 1024);
        sized.unwrap();
        run("mkfs.ext4", &["-q", "-F", image.to_str().unwrap()]);
        let disk = Self { image: image.to_owned(), at: at.to_owned() };
        disk.mount_again();
        disk
    }

    fn mount_again(&self) {
        run("mount", &["-o", "loop,errors=remount-ro", self.image.to_str().unwrap(), self.at.to_str().unwrap()]);
    }

    /// An I/O error as the kernel would report it: ext4 remounts itself read-only at once.
    fn fail(&self) {
        let out = std::process::Command::new("findmnt").args(["-n", "-o", "SOURCE"]).arg(&self.at).output().unwrap();
        let device = String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("/dev/").to_owned();
        std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "1").unwrap();
        assert!(std::fs::write(self.at.join("probe"), b"x").is_err(), "the filesystem is read-only now");
    }

    /// What an administrator does: unmount, check, mount again.
    fn repair(&self) {
        run("umount", &[self.at.to_str().unwrap()]);
        run("e2fsck", &["-fy", self.image.to_str().unwrap()]);
        self.mount_again();
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

fn run(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program).args(args).output().unwrap();
    // e2fsck exits 1 when it corrected something: that is a repair, not a failure.
    let ok = out.status.success() || (program == "e2fsck" && out.status.code() == Some(1));
    assert!(ok, "{program} {args:?} (the test runs as root): {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_store_that_turns_read_only_refuses_clearly_loses_nothing_and_serves_again_after_repair() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("disk");
    std::fs::create_dir(&at).unwrap();
    let disk = Ext4::mount(&dir.path().join("disk.img"), &at);
    let (server, host, inst) = serve_instance(&at, 64 * 1024 * 1024);
    let source = RawSource::create(&host).unwrap();
    assert!(upload(&source, &host, 64 * 1024, b'1').starts_with("HTTP/1.1 303"));
    let before = stored(&inst);

    disk.fail();
    let refused = upload(&source, &host, 1024 * 1024, b'2');
    let status = refused.lines().next().unwrap_or_default().to_owned();
    assert!(status.starts_with("HTTP/1.1 503"), "{status}");
    assert!(refused.contains("Please try again later; nothing you sent was stored half-way"), "{refused}");
    let create = RawSource::create(&host);
    assert!(create.is_err(), "no account can be created on a read-only store");
    assert_eq!(front_page(&host).0, 200, "the pages that need no writing still answer");
    assert_eq!(stored(&inst), before, "the earlier submission is intact and nothing partial is left");
    drop(server);

    disk.repair();
    let _server = serve_again(&inst, &host);
    assert_eq!(stored(&inst), before, "what was stored before the fault is there after the repair");
    let source = RawSource::log_in(&host, &source.codename).unwrap();
    assert!(upload(&source, &host, 64 * 1024, b'3').starts_with("HTTP/1.1 303"), "and service resumes");
    let items = decrypted(&inst);
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| !i.is_empty()));
}

/// `sqlite3 DB` with a write transaction open until it is told to end it.
struct Locker(std::process::Child);

impl Locker {
    fn lock(db: &Path) -> Self {
        postern_tests::require_tool("sqlite3");
        let mut child = std::process::Command::new("sqlite3")
            .arg(db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.as_mut().unwrap();
        stdin.write_all(b"BEGIN EXCLUSIVE;\nSELECT 'locked';\n").unwrap();
        let mut line = [0u8; 7];
        child.stdout.as_mut().unwrap().read_exact(&mut line).unwrap();
        assert_eq!(&line, b"locked\n", "sqlite3 holds the write lock");
        Self(child)
    }

    fn release(mut self) {
        self.0.stdin.as_mut().unwrap().write_all(b"COMMIT;\n.quit\n").unwrap();
        assert!(self.0.wait().unwrap().success());
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

#[test]
fn a_database_locked_by_another_process_refuses_clearly_loses_nothing_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 64 * 1024 * 1024);
    let source = RawSource::create(&host).unwrap();
    assert!(upload(&source, &host, 64 * 1024, b'1').starts_with("HTTP/1.1 303"));
    let before = stored(&inst);

    let locker = Locker::lock(&inst.join("data/db.sqlite"));
    let refused = upload(&source, &host, 256 * 1024, b'2');
    let status = refused.lines().next().unwrap_or_default().to_owned();
    assert!(status.starts_with("HTTP/1.1 503"), "{status}");
    assert!(refused.contains("Please try again later; nothing you sent was stored half-way"), "{refused}");
    assert!(RawSource::create(&host).is_err(), "no account is created while the lock is held");
    assert_eq!(stored(&inst), before, "nothing partial is left, the earlier submission intact");

    locker.release();
    assert!(upload(&source, &host, 256 * 1024, b'3').starts_with("HTTP/1.1 303"), "service resumes");
    assert!(RawSource::create(&host).is_ok());
    assert_eq!(decrypted(&inst).len(), 2);
}

#[test]
fn a_submission_key_file_removed_or_replaced_while_running_changes_no_submission() {
    let dir = tempfile::tempdir().unwrap();
    let (server, host, inst) = serve_instance(dir.path(), 64 * 1024 * 1024);
    let key_file = inst.join("submission-key.asc");
    let key = std::fs::read(&key_file).unwrap();
    let source = RawSource::create(&host).unwrap();
    // The file is looked at every 10 s, and a change told when two looks agree.
    let logged = |server: &postern_tests::Running, what: &str| {
        postern_tests::wait_for_long(Duration::from_secs(60), || server.stderr_text().contains(what).then_some(()));
    };

    std::fs::remove_file(&key_file).unwrap();
    logged(
        &server,
        "the submission key file cannot be read: submissions are still encrypted to the key loaded at start",
    );
    assert!(upload(&source, &host, 64 * 1024, b'1').starts_with("HTTP/1.1 303"), "sources are not turned away");
    std::fs::write(&key_file, &key).unwrap();
    logged(&server, "the submission key file holds the served key again");
    std::fs::write(&key_file, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n").unwrap();
    logged(&server, "the submission key file no longer holds a usable key");
    assert!(upload(&source, &host, 64 * 1024, b'2').starts_with("HTTP/1.1 303"));
    assert_eq!(decrypted(&inst).len(), 2, "both encrypted to the key loaded at start");
    assert!(!server.stderr_text().contains(&source.codename));
    drop(server);

    // Restarted with the broken file, the service is offline, and says so.
    let server = serve_again(&inst, &host);
    let (status, offline) = front_page(&host);
    assert!(status == 503 && offline.contains("this service is offline"), "{status} {offline}");
    assert!(server.stderr_text().contains("submission key unusable, the source interface is offline"));
    drop(server);
    std::fs::write(&key_file, &key).unwrap();
    let _server = serve_again(&inst, &host);
    assert_eq!(front_page(&host).0, 200, "fixed, it serves again");
    let source = RawSource::log_in(&host, &source.codename).unwrap();
    assert!(upload(&source, &host, 64 * 1024, b'3').starts_with("HTTP/1.1 303"));
    assert_eq!(decrypted(&inst).len(), 3, "nothing was lost");
}
