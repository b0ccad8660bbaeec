//! Submission rules, several files, limits, and that refused submissions store nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bytes::Bytes;
use postern_store::SubmissionKind;
use postern_tests::{BOUNDARY, Part, Stack, multipart_body, test_config};

#[tokio::test]
async fn message_and_several_files_become_ordered_items() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let res = source
        .submit(&[
            Part::Text("msg", "first words"),
            Part::File("fh", "one.txt", b"one"),
            Part::File("fh", "two.bin", &[0u8, 1, 2, 255]),
            Part::File("fh", "three.pdf", b"%PDF-1.4"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let items = stack.instance.submissions_of(&source.codename);
    let kinds: Vec<SubmissionKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [SubmissionKind::Message, SubmissionKind::Document, SubmissionKind::Document, SubmissionKind::Document]
    );
    let record = stack.instance.source_of(&source.codename).unwrap();
    let prefix = postern_core::journalist_filename(&record.designation);
    for (n, item) in items.iter().enumerate() {
        let suffix = if n == 0 { "msg.gpg" } else { "doc.gz.gpg" };
        assert_eq!(item.filename, format!("{}-{prefix}-{suffix}", n + 1));
        assert!(item.path.exists());
    }
    assert_eq!(record.interaction_count, 4);
    assert!(!record.pending);
    let page = source.client.get("/lookup").await.text();
    assert!(page.contains("Thank you for sending this information to us"));

    // The second submission continues the counter and gets the shorter thanks.
    let res = source.submit(&[Part::Text("msg", "more")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(stack.instance.submissions_of(&source.codename)[4].filename, format!("5-{prefix}-msg.gpg"));
    assert!(source.client.get("/lookup").await.text().contains("Thanks! We received your message."));
}

#[tokio::test]
async fn empty_submissions_are_refused() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    // An empty message and a file input with no file chosen, as a browser sends them.
    let res = source.submit(&[Part::Text("msg", "  \r\n "), Part::File("fh", "", b"")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("You must enter a message or choose a file"));
    assert!(stack.instance.stored_files().is_empty());
}

#[tokio::test]
async fn messages_are_limited_to_100000_characters() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let too_long = "é".repeat(100_001);
    let res = source.submit(&[Part::Text("msg", &too_long)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("Message text too long"));
    assert!(stack.instance.stored_files().is_empty());
    let just_right = "é".repeat(100_000);
    assert_eq!(source.submit(&[Part::Text("msg", &just_right)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(stack.instance.stored_files().len(), 1);
}

#[tokio::test]
async fn first_message_minimum_applies_to_message_only_first_submissions() {
    let stack = Stack::new();
    stack.set_settings(|s| s.initial_message_min_len = 20);
    let mut source = stack.new_source().await;
    assert!(source.client.get("/lookup").await.text().contains("at least 20 characters"));
    let res = source.submit(&[Part::Text("msg", "too short")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("at least 20 characters"));
    assert!(stack.instance.stored_files().is_empty());
    // With a file, a short message is fine; afterwards the rule no longer applies.
    let res = source.submit(&[Part::Text("msg", "short"), Part::File("fh", "a.txt", b"a")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(source.submit(&[Part::Text("msg", "hi")]).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn submitting_the_codename_as_first_message_is_refused_when_enabled() {
    let stack = Stack::new();
    stack.set_settings(|s| s.reject_message_with_codename = true);
    let mut source = stack.new_source().await;
    let codename = source.codename.clone();
    let res = source.submit(&[Part::Text("msg", &format!("  {}  ", codename.to_uppercase()))]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("Please do not submit your codename!"));
    assert!(stack.instance.stored_files().is_empty());
    // Another source's codename is just text.
    let other = stack.new_source().await;
    assert_eq!(source.submit(&[Part::Text("msg", &other.codename)]).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn files_are_ignored_when_uploads_are_disabled() {
    let stack = Stack::new();
    stack.set_settings(|s| s.allow_document_uploads = false);
    let mut source = stack.new_source().await;
    let page = source.client.get("/lookup").await.text();
    assert!(!page.contains("type=\"file\""));
    let res = source.submit(&[Part::File("fh", "a.txt", b"data")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "a file-only submission is empty");
    let res = source.submit(&[Part::Text("msg", "hello"), Part::File("fh", "a.txt", b"data")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let items = stack.instance.submissions_of(&source.codename);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, SubmissionKind::Message);
}

#[tokio::test]
async fn honeypot_is_refused_with_403() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let csrf = source.lookup_csrf().await;
    let res = source
        .client
        .post_multipart(
            "/submit",
            &[Part::Text("csrf_token", &csrf), Part::Text("text", "spam"), Part::Text("msg", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(stack.instance.stored_files().is_empty());
}

fn small_limit_stack() -> Stack {
    let mut config = test_config();
    config.max_upload_bytes = 64 * 1024;
    Stack::with(config, Ok(postern_fixtures::submission_key()))
}

#[tokio::test]
async fn oversize_upload_gets_413_explaining_the_limit_and_stores_nothing() {
    let stack = small_limit_stack();
    let mut source = stack.new_source().await;
    let big = vec![7u8; 100 * 1024];
    let res = source.submit(&[Part::Text("msg", "with a big file"), Part::File("fh", "big.bin", &big)]).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().contains("64 KiB"), "{}", res.text());
    assert!(res.text().contains("nothing was stored"));
    assert!(stack.instance.stored_files().is_empty());
    assert!(stack.instance.submissions_of(&source.codename).is_empty());
    // The session survives: a smaller submission goes through.
    assert_eq!(source.submit(&[Part::File("fh", "small.bin", &big[..1000])]).await.status, StatusCode::SEE_OTHER);
}

/// A chunked body (no Content-Length) that may end in a transport error.
fn streamed(csrf: &str, file: &[u8], chunks: usize, fail: bool) -> Request<Body> {
    let body =
        multipart_body(&[Part::Text("csrf_token", csrf), Part::Text("msg", "m"), Part::File("fh", "f.bin", file)]);
    let step = body.len().div_ceil(chunks);
    let mut pieces: Vec<Result<Bytes, std::io::Error>> =
        body.chunks(step).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    if fail {
        pieces.truncate(chunks / 2);
        pieces.push(Err(std::io::Error::other("client went away")));
    }
    Request::post("/submit")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from_stream(futures_util::stream::iter(pieces)))
        .unwrap()
}

#[tokio::test]
async fn oversize_streamed_upload_without_length_is_cut_off_with_413() {
    let stack = small_limit_stack();
    let mut source = stack.new_source().await;
    let csrf = source.lookup_csrf().await;
    let res = source.client.send(streamed(&csrf, &vec![1u8; 200 * 1024], 40, false)).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(stack.instance.stored_files().is_empty(), "no partial or temporary ciphertext remains");
}

#[tokio::test]
async fn an_upload_cut_off_mid_stream_leaves_nothing() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let csrf = source.lookup_csrf().await;
    let res = source.client.send(streamed(&csrf, &vec![3u8; 512 * 1024], 64, true)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(stack.instance.stored_files().is_empty());
    assert!(stack.instance.submissions_of(&source.codename).is_empty());
    // A complete streamed upload of the same shape is stored.
    let csrf = source.lookup_csrf().await;
    let res = source.client.send(streamed(&csrf, &vec![3u8; 512 * 1024], 64, false)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(stack.instance.submissions_of(&source.codename).len(), 2);
}

#[tokio::test]
async fn more_than_100_files_are_refused_and_nothing_is_stored() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let names: Vec<String> = (0..101).map(|i| format!("f{i}.txt")).collect();
    let parts: Vec<Part<'_>> = names.iter().map(|n| Part::File("fh", n, b"x")).collect();
    let res = source.submit(&parts).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("at most 100 files"), "{}", res.text());
    assert!(stack.instance.stored_files().is_empty());
    assert_eq!(source.submit(&parts[..100]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(stack.instance.stored_files().len(), 100);
}

#[tokio::test]
async fn a_part_header_that_never_ends_is_refused_without_buffering_it() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let csrf = source.lookup_csrf().await;
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n--{BOUNDARY}\r\nX-Filler: "
    )
    .into_bytes();
    body.resize(body.len() + 8 * 1024 * 1024, b'a');
    let req = Request::post("/submit")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let res = source.client.send(req).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text().contains("could not be read"));
    assert!(stack.instance.stored_files().is_empty());
}

#[tokio::test]
async fn a_source_deleted_during_its_session_is_logged_out_not_shown_an_error() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let record = stack.instance.source_of(&source.codename).unwrap();
    let csrf = source.lookup_csrf().await;
    // What the purge of an unused account does, while its page is open.
    stack.instance.store.delete_source(&record).unwrap();
    let parts = [Part::Text("csrf_token", &csrf), Part::File("fh", "a.txt", b"data")];
    let res = source.client.post_multipart("/submit", &parts).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), Some("/"));
    assert!(source.client.get("/").await.text().contains("logged out"));
}

/// Mangled multipart bodies: every answer is a clear refusal or a success, never a 500,
/// and nothing half-written remains.
#[tokio::test]
async fn mangled_multipart_bodies_never_break_the_server_or_leave_partial_files() {
    use rand::{Rng, SeedableRng};
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for round in 0..150 {
        let csrf = source.lookup_csrf().await;
        let file: Vec<u8> = (0..rng.gen_range(0..20_000)).map(|_| rng.r#gen()).collect();
        let mut body = multipart_body(&[
            Part::Text("csrf_token", &csrf),
            Part::Text("text", ""),
            Part::Text("msg", "mangled"),
            Part::File("fh", "f.bin", &file),
        ]);
        match round % 5 {
            0 => body.truncate(rng.gen_range(0..body.len())),
            1 => {
                for _ in 0..rng.gen_range(1..20) {
                    let i = rng.gen_range(0..body.len());
                    body[i] = rng.r#gen();
                }
            }
            2 => {
                let i = rng.gen_range(0..body.len());
                body.splice(i..i, format!("\r\n--{BOUNDARY}\r\n").bytes());
            }
            3 => {
                let i = rng.gen_range(0..body.len());
                body.splice(i..i, b"\r\n\r\nContent-Disposition: form-data; name=\"fh\"".iter().copied());
            }
            _ => {}
        }
        let req = Request::post("/submit")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(body))
            .unwrap();
        let status = source.client.send(req).await.status;
        assert!(
            [StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN].contains(&status),
            "round {round}: {status}"
        );
        if status == StatusCode::FORBIDDEN {
            // A mangled CSRF token ends the session; start a new one.
            source = stack.new_source().await;
        }
    }
    // No temporary file remains, and every file on disk has its row: the start-up sweep,
    // which removes anything unlisted, finds nothing to remove.
    let files = stack.instance.stored_files();
    assert!(files.iter().all(|f| !f.file_name().unwrap().to_string_lossy().starts_with(".tmp-")));
    assert!(!files.is_empty(), "some rounds succeeded");
    stack.instance.store.sweep_incomplete().unwrap();
    assert_eq!(stack.instance.stored_files(), files);
}
