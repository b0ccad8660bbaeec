//! The newsroom's round trip through both interfaces: a source submits, a journalist
//! logs in with password and TOTP, downloads and GnuPG decrypts, replies, and the
//! source reads the reply after logging in again with its codename.

use axum::http::StatusCode;
use postern_store::OtpKind;
use postern_tests::{Gpg, Part, Stack, gunzip_restoring_name};

/// `/col/<uuid>` links of the source list.
fn collection_links(html: &str) -> Vec<String> {
    html.match_indices("href=\"/col/")
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Download links (`/col/<uuid>/<file>`) of a collection page.
fn download_links(html: &str, col: &str) -> Vec<String> {
    let prefix = format!("href=\"{col}/");
    html.match_indices(&prefix)
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn submit_download_decrypt_reply_and_the_source_reads_it() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let codename = source.codename.clone();
    let file = b"%PDF-1.4 the evidence".to_vec();
    let res = source.submit(&[Part::Text("msg", "first message"), Part::File("fh", "evidence.pdf", &file)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let mut account = stack.add_journalist("ada", false, OtpKind::Totp);
    let mut j = stack.log_in(&mut account).await;
    let index = j.get("/").await;
    assert_eq!(index.status, StatusCode::OK);
    let cols = collection_links(&index.text());
    assert_eq!(cols.len(), 1, "one source listed");
    let designation = stack.instance.source_of(&codename).unwrap().designation;
    assert!(index.text().contains(designation.as_str()));

    let col = j.get(&cols[0]).await;
    assert_eq!(col.status, StatusCode::OK);
    let downloads = download_links(&col.text(), &cols[0]);
    assert_eq!(downloads.len(), 2);
    assert!(col.text().matches("unread").count() >= 2);

    let gpg = Gpg::with_fixture_secret();
    let dir = tempfile::tempdir().unwrap();
    let mut plaintexts = Vec::new();
    for link in &downloads {
        let res = j.get(link).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.headers["content-type"], "application/pgp-encrypted");
        assert!(res.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\""));
        let path = dir.path().join(link.rsplit('/').next().unwrap());
        std::fs::write(&path, &res.body).unwrap();
        plaintexts.push((link.clone(), gpg.decrypt(&path).unwrap()));
    }
    assert_eq!(plaintexts[0].1, b"first message");
    assert!(plaintexts[1].0.ends_with("-doc.gz.gpg"));
    assert_eq!(gunzip_restoring_name(&plaintexts[1].1), ("evidence.pdf".to_owned(), file));
    let col = j.get(&cols[0]).await;
    assert!(!col.text().contains("<td>unread"), "downloads mark items read for this journalist");

    // Reply: encrypted to the source and the submission key; the text is never stored.
    let uuid = cols[0].trim_start_matches("/col/").to_owned();
    let reply_text = "Thank you. <b>We</b> will be in touch — ünïcode.";
    let res = j.post_csrf("/reply", &[("filesystem_id", &uuid), ("message", reply_text)]).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, Some(cols[0].as_str())));
    let col = j.get(&cols[0]).await;
    assert!(col.text().contains("reply by ada"));
    let reply_link = download_links(&col.text(), &cols[0]).into_iter().find(|l| l.ends_with("-reply.gpg")).unwrap();
    assert!(reply_link.ends_with(&format!("3-{}-reply.gpg", postern_core::journalist_filename(&designation))));
    let reply_ct = j.get(&reply_link).await.body;
    let reply_path = dir.path().join("reply.gpg");
    std::fs::write(&reply_path, &reply_ct).unwrap();
    assert_eq!(gpg.decrypt(&reply_path).unwrap(), reply_text.as_bytes(), "the submission key decrypts replies");
    for stored in stack.instance.all_files() {
        let bytes = std::fs::read(&stored).unwrap();
        assert!(!bytes.windows(9).any(|w| w == b"Thank you"), "no plaintext reply on disk");
    }

    // The source logs in again on a new browser and reads it.
    let mut again = stack.client();
    let login = again.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csrf = again.csrf.clone();
    let res = again.post_form("/login", &[("csrf_token", &csrf), ("codename", &codename)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let lookup = again.get("/lookup").await;
    assert!(
        lookup.text().contains("Thank you. &lt;b&gt;We&lt;/b&gt; will be in touch — ünïcode."),
        "{}",
        lookup.text()
    );

    // The source deletes it: hidden from the source, still listed for journalists.
    let filename = reply_link.rsplit('/').next().unwrap().to_owned();
    let res = again.post_csrf("/delete", &[("reply_filename", &filename)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let lookup = again.get("/lookup").await;
    assert!(!lookup.text().contains("Thank you."));
    assert!(lookup.text().contains("Reply deleted."));
    let col = j.get(&cols[0]).await;
    assert!(col.text().contains("deleted by source"));
    assert!(stack.instance.store.replies(&stack.instance.source_of(&codename).unwrap()).unwrap()[0].path.exists());
}

#[tokio::test]
async fn a_damaged_or_missing_reply_does_not_break_the_source_page() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    assert_eq!(source.submit(&[Part::Text("msg", "hello")]).await.status, StatusCode::SEE_OTHER);
    let record = stack.instance.source_of(&source.codename).unwrap();
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut j = stack.log_in(&mut account).await;
    j.get(&format!("/col/{}", record.uuid)).await;
    for text in ["first reply", "second reply", "third reply"] {
        let res = j.post_csrf("/reply", &[("filesystem_id", &record.uuid), ("message", text)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let replies = stack.instance.store.replies(&record).unwrap();
    std::fs::write(&replies[0].path, b"-----BEGIN PGP MESSAGE-----\ngarbage\n").unwrap();
    std::fs::remove_file(&replies[1].path).unwrap();

    let lookup = source.client.get("/lookup").await;
    assert_eq!(lookup.status, StatusCode::OK);
    let text = lookup.text();
    assert!(text.contains("third reply"));
    assert_eq!(text.matches("This reply could not be decrypted").count(), 2, "{text}");
    // Newest first.
    assert!(text.find("third reply").unwrap() < text.find("This reply could not be decrypted").unwrap());

    // A session cookie without the key half (as from an older server) shows the
    // replies as undecryptable instead of failing.
    let cookie = source.client.cookie().unwrap().to_owned();
    source.client.set_cookie(Some(cookie.split('.').next().unwrap().to_owned()));
    let lookup = source.client.get("/lookup").await;
    assert_eq!(lookup.status, StatusCode::OK);
    assert_eq!(lookup.text().matches("This reply could not be decrypted").count(), 3);
}
