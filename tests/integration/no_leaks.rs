//! Nothing a source sent reaches the logs (at TRACE) or the disk in plaintext.

use axum::http::StatusCode;
use postern_testing::LogCapture;
use postern_tests::{Part, Stack};
use rand::RngCore;

fn unique(tag: &str) -> String {
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{tag}{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_whole_flow_leaks_nothing_to_logs_or_disk() {
    let logs = LogCapture::global();
    tracing::info!("capture canary {}", "postern-log-canary");
    let marker = unique("MARKER-");
    let filename = format!("{}.pdf", unique("secret-file-name-"));
    let message = unique("message text ");

    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let content = format!("header\n{marker}\nfooter").repeat(1000);
    let res = source.submit(&[Part::Text("msg", &message), Part::File("fh", &filename, content.as_bytes())]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Log in again, fail a login, and log out, so those paths run too.
    let mut again = stack.client();
    again.get("/login").await;
    let csrf = again.csrf.clone();
    again.post_form("/login", &[("csrf_token", &csrf), ("codename", &source.codename)]).await;
    let mut wrong = stack.client();
    wrong.get("/login").await;
    let csrf = wrong.csrf.clone();
    let wrong_codename = postern_core::Codename::generate(&mut rand::rngs::OsRng);
    wrong.post_form("/login", &[("csrf_token", &csrf), ("codename", wrong_codename.expose_secret())]).await;
    let csrf = source.lookup_csrf().await;
    source.client.post_form("/logout", &[("csrf_token", &csrf)]).await;

    // A second source whose store directory is broken: its submission fails and the
    // failure is logged at error level, with what we were doing and nothing it sent.
    let mut unlucky = stack.new_source().await;
    let unlucky_record = stack.instance.source_of(&unlucky.codename).unwrap();
    // Its directory replaced by a file: writing ciphertext there fails (ENOTDIR).
    let unlucky_dir = stack.instance.store.source_dir(&unlucky_record);
    std::fs::remove_dir_all(&unlucky_dir).unwrap();
    std::fs::write(&unlucky_dir, b"not a directory").unwrap();
    let res = unlucky.submit(&[Part::Text("msg", &message), Part::File("fh", &filename, content.as_bytes())]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!res.text().contains(&filename) && !res.text().contains("temporary ciphertext"), "no detail to the client");

    let out = logs.contents();
    assert!(out.contains("postern-log-canary"), "the capture works");
    assert!(out.contains("request failed: file operation failed: create a temporary ciphertext file"), "{out}");
    let record = stack.instance.source_of(&source.codename).unwrap();
    let identity = postern_crypto::derive_source_identity(
        &postern_core::Codename::parse(&source.codename).unwrap(),
        &stack.instance.secrets(),
    )
    .unwrap();
    let lookup_hex: String = identity.lookup_id.iter().map(|b| format!("{b:02x}")).collect();
    for secret in [
        source.codename.as_str(),
        wrong_codename.expose_secret(),
        &filename,
        &message,
        &marker,
        record.designation.as_str(),
        &record.uuid,
        unlucky.codename.as_str(),
        unlucky_record.designation.as_str(),
        &lookup_hex,
    ] {
        assert!(!out.contains(secret), "a source secret reached the logs");
    }
    for word in source.codename.split(' ').filter(|w| w.len() > 6) {
        assert!(!out.contains(&format!(" {word} ")), "a codename word reached the logs");
    }

    let files = stack.instance.all_files();
    assert!(files.iter().any(|f| f.ends_with("db.sqlite")));
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [marker.as_bytes(), filename.as_bytes(), message.as_bytes(), source.codename.as_bytes()] {
            assert!(!contains(&bytes, secret), "plaintext reached {}", file.display());
        }
    }
}
