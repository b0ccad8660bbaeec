//! Nothing a source sent reaches the logs (at TRACE) or the disk in plaintext.

use axum::http::StatusCode;
use postern_fixtures::LogCapture;
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
    // A file where its directory would be made: writing ciphertext there fails (ENOTDIR).
    let unlucky_dir = stack.instance.store.source_dir(&unlucky_record);
    std::fs::write(&unlucky_dir, b"not a directory").unwrap();
    let res = unlucky.submit(&[Part::Text("msg", &message), Part::File("fh", &filename, content.as_bytes())]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!res.text().contains(&filename) && !res.text().contains("temporary ciphertext"), "no detail to the client");

    let out = logs.contents();
    assert!(out.contains("postern-log-canary"), "the capture works");
    assert!(
        out.contains("unable to receive a submission: file operation failed: create a temporary ciphertext file"),
        "{out}"
    );
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

#[tokio::test]
async fn the_journalist_side_leaks_nothing_to_logs_or_disk() {
    let logs = LogCapture::global();
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    assert_eq!(source.submit(&[Part::Text("msg", "hello")]).await.status, StatusCode::SEE_OTHER);
    let record = stack.instance.source_of(&source.codename).unwrap();
    let mut account = stack.add_journalist(&unique("j").replace('-', ""), true, postern_store::OtpKind::Hotp);
    // A failed login (wrong passphrase and code), then a good one.
    let mut failed = stack.journalist_client();
    failed.get("/login").await;
    let (user, wrong_password) = (account.username.clone(), unique("wrong passphrase "));
    failed.post_csrf("/login", &[("username", &user), ("password", &wrong_password), ("token", "123456")]).await;
    let mut j = stack.log_in(&mut account).await;
    let reply = unique("reply text ");
    j.get(&format!("/col/{}", record.uuid)).await;
    let res = j.post_csrf("/reply", &[("filesystem_id", &record.uuid), ("message", &reply)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // The source reads it.
    let lookup = source.client.get("/lookup").await;
    assert!(lookup.text().contains(&reply));
    // A reply to a source whose directory is broken fails, logged without data.
    let mut unlucky = stack.new_source().await;
    assert_eq!(unlucky.submit(&[Part::Text("msg", "hi")]).await.status, StatusCode::SEE_OTHER);
    let unlucky_record = stack.instance.source_of(&unlucky.codename).unwrap();
    let dir = stack.instance.store.source_dir(&unlucky_record);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"not a directory").unwrap();
    j.get(&format!("/col/{}", unlucky_record.uuid)).await;
    let res = j.post_csrf("/reply", &[("filesystem_id", &unlucky_record.uuid), ("message", &reply)]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);

    let out = logs.contents();
    assert!(out.contains("unable to store a reply"), "{out}");
    for secret in [
        account.username.as_str(),
        account.password.as_str(),
        wrong_password.as_str(),
        reply.as_str(),
        record.uuid.as_str(),
        record.designation.as_str(),
        unlucky_record.uuid.as_str(),
    ] {
        assert!(!out.contains(secret), "a secret reached the logs");
    }
    for file in stack.instance.all_files() {
        assert!(!contains(&std::fs::read(&file).unwrap(), reply.as_bytes()), "reply plaintext on disk");
    }
}
