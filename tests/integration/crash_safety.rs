//! A crash mid-upload leaves nothing listed, and startup removes what it left.

use std::io::Write;

use postern_tests::{Running, wait_for};

use crate::postern_binary;

#[test]
fn serve_removes_leftover_temporary_and_unlisted_ciphertext_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let key = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let out = std::process::Command::new(postern_binary())
        .args(["init", "--dir"])
        .arg(dir.path())
        .arg("--submission-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = dir.path().join("postern.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("127.0.0.1:8080", "127.0.0.1:0");
    std::fs::write(&config, text).unwrap();

    // What a crash mid-upload leaves in a source's directory: a temporary ciphertext
    // being written, and a file renamed into place whose row never committed (their
    // writer is gone, so no one holds their locks).
    let store = postern_store::Store::open(&dir.path().join("data")).unwrap();
    let source = store
        .create_source(&postern_store::NewSource { lookup_id: &[1; 32], public_key: "pk", fingerprint: "fp" })
        .unwrap();
    // What the other process (this one, standing in for the journalist service) is
    // writing right now: the sweep must leave it alone. It makes the directory, too.
    let mut live = store.begin_blob(&source).unwrap();
    live.write_all(b"a reply being written").unwrap();
    let source_dir = store.source_dir(&source);
    std::fs::write(source_dir.join(".tmp-0123456789abcdef"), b"partial ciphertext").unwrap();
    std::fs::write(source_dir.join("1-x-doc.gz.gpg"), b"unrecorded ciphertext").unwrap();

    let server = Running::start(postern_binary(), &["serve", "source", "--config", config.to_str().unwrap()]);
    wait_for(|| (std::fs::read_dir(&source_dir).unwrap().count() == 1).then_some(()));
    let left: Vec<_> = std::fs::read_dir(&source_dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left[0].to_string_lossy().starts_with(".tmp-") && left[0] != ".tmp-0123456789abcdef", "{left:?}");
    let name = store.record_reply(source.id, None, live.finish().unwrap()).unwrap();
    assert_eq!(
        std::fs::read_dir(&source_dir).unwrap().flatten().map(|e| e.file_name()).collect::<Vec<_>>(),
        [name.as_str()]
    );
    assert!(server.stderr_text().is_empty(), "{}", server.stderr_text());
}
