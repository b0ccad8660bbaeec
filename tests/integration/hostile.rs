//! Attacks on the door itself: clients that hold upload slots with trickles, floods
//! of codename guesses, account creation without end, and bodies refused before they
//! are read. Each shows that other sources are still served.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use postern_core::Codename;
use postern_store::OtpKind;
use postern_tests::{BOUNDARY, Part, RawSource, Stack, input_value_of, tab_id_of, test_config};
use rand::rngs::OsRng;

use crate::cli::serve_instance;

/// Reads what the server sent on `stream` within `limit`; empty if nothing came.
fn answer_within(stream: &mut std::net::TcpStream, limit: Duration) -> String {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn trickling_uploads_cannot_lock_other_sources_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 512 * 1024 * 1024);

    // One account opens 16 uploads that send a byte now and then: two are taken, and the
    // other fourteen are told at once, before their bodies.
    let greedy = RawSource::create(&host).unwrap();
    let mut streams = Vec::new();
    let mut refused = 0;
    for _ in 0..16 {
        let (mut stream, _tail) = greedy.start_upload(&host, 64 * 1024 * 1024).unwrap();
        stream.write_all(b"x").unwrap();
        let answer = answer_within(&mut stream, Duration::from_millis(500));
        if answer.is_empty() {
            streams.push(stream);
        } else {
            assert!(answer.starts_with("HTTP/1.1 429"), "{}", answer.lines().next().unwrap_or_default());
            assert!(answer.contains("already sending two submissions"));
            refused += 1;
        }
    }
    assert_eq!((streams.len(), refused), (2, 14), "one account holds two upload slots");

    // Seven more accounts open fourteen more: every slot is a trickle, and six wait.
    for _ in 0..7 {
        let account = RawSource::create(&host).unwrap();
        for _ in 0..2 {
            let (mut stream, _tail) = account.start_upload(&host, 64 * 1024 * 1024).unwrap();
            stream.write_all(b"x").unwrap();
            streams.push(stream);
        }
    }
    std::thread::sleep(Duration::from_secs(11));

    // A real source still uploads 1 MiB: a trickle gives up its slot.
    let real = RawSource::create(&host).unwrap();
    let started = Instant::now();
    let (mut stream, tail) = real.start_upload(&host, 1024 * 1024).unwrap();
    stream.write_all(&vec![b'r'; 1024 * 1024]).unwrap();
    stream.write_all(tail.as_bytes()).unwrap();
    let answer = answer_within(&mut stream, Duration::from_secs(30));
    assert!(answer.starts_with("HTTP/1.1 303"), "{}", answer.lines().next().unwrap_or_default());
    assert!(answer.to_ascii_lowercase().contains("location: /lookup"));
    eprintln!("the real 1 MiB upload took {:?} with 16 trickles running", started.elapsed());
    let stored: usize = std::fs::read_dir(inst.join("data/store"))
        .unwrap()
        .flatten()
        .map(|d| {
            std::fs::read_dir(d.path())
                .unwrap()
                .filter(|f| f.as_ref().unwrap().file_name().to_string_lossy().ends_with(".gpg"))
                .count()
        })
        .sum();
    assert_eq!(stored, 1, "the real upload, and nothing of the trickles");
    let cut = streams
        .iter_mut()
        .map(|s| answer_within(s, Duration::from_millis(200)))
        .filter(|a| a.contains("HTTP/1.1 408"))
        .count();
    assert!(cut >= 1, "a trickle was told it was too slow");
}

#[test]
fn a_body_over_the_limit_is_answered_before_it_is_sent_and_curl_reads_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 1024 * 1024);
    let source = RawSource::create(&host).unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![b'b'; 64 * 1024 * 1024]).unwrap();
    // As a browser does it: no `Expect: 100-continue`, the body sent at once.
    let out = std::process::Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--http1.1",
            "-H",
            "Expect:",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{size_upload}",
        ])
        .args(["-H", &format!("Cookie: {}", source.cookie)])
        .args(["-F", &format!("csrf_token={}", source.csrf), "-F", &format!("fh=@{}", big.display())])
        .arg(format!("http://{host}/submit"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (page, summary) = text.rsplit_once('\n').unwrap();
    let (code, uploaded) = summary.split_once(' ').unwrap();
    assert_eq!(code, "413", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(page.contains("1 MiB") && page.contains("nothing was stored"), "{page}");
    let uploaded: u64 = uploaded.parse().unwrap();
    assert!(uploaded < 16 * 1024 * 1024, "curl sent {uploaded} bytes of 64 MiB before it read the answer");
    assert_eq!(std::fs::read_dir(inst.join("data/store")).unwrap().count(), 0, "nothing stored");
}

#[tokio::test]
async fn a_flood_of_codename_guesses_from_one_session_costs_one_derivation_and_others_still_log_in() {
    let stack = Stack::new();
    let mut real = stack.new_source().await;
    let csrf = real.lookup_csrf().await;
    real.client.post_form("/logout", &[("csrf_token", &csrf)]).await;
    let before = stack.state.derivation_count();

    let mut flooder = stack.client();
    flooder.get("/login").await;
    let csrf = flooder.csrf.clone();
    let guesses: Vec<String> = (0..40).map(|_| Codename::generate(&mut OsRng).expose_secret().to_owned()).collect();
    let flood =
        futures_util::future::join_all(
            guesses.iter().map(|guess| {
                // Forty requests of one browser: its cookie, its token.
                let mut browser = stack.client();
                browser.set_cookie(flooder.cookie().map(str::to_owned));
                let csrf = csrf.clone();
                async move {
                    browser.post_form("/login", &[("csrf_token", csrf.as_str()), ("codename", guess.as_str())]).await
                }
            }),
        );
    let real_login = async {
        real.client.get("/login").await;
        let csrf = real.client.csrf.clone();
        let res = real.client.post_form("/login", &[("csrf_token", &csrf), ("codename", &real.codename)]).await;
        (res.status, res.location().map(str::to_owned))
    };
    let (answers, (status, location)) = tokio::join!(flood, real_login);
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/lookup")), "the real source got in");
    let busy = answers.iter().filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE).count();
    let wrong = answers.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    assert_eq!(busy + wrong, guesses.len());
    assert!(wrong >= 1 && busy >= guesses.len() - 4, "{wrong} guesses were tried, {busy} refused at once");
    let derived = stack.state.derivation_count() - before;
    // A wrong guess costs the lookup id's argon2 run, the real login that and the key's.
    assert_eq!(derived, wrong as u64 + 2, "refused guesses cost no derivation");
}

#[tokio::test]
async fn past_the_cap_on_unused_accounts_creation_is_refused_with_a_page_and_nothing_is_made() {
    let stack = Stack::with(
        source_interface::SourceAppConfig { max_pending_sources: 2, ..test_config() },
        Ok(postern_fixtures::submission_key()),
    );
    let mut first = stack.new_source().await;
    stack.new_source().await;
    let mut third = stack.client();
    let codename = third.generate_codename().await;
    let (csrf, tab) = (third.csrf.clone(), tab_id_of(&third.last_body));
    let res = third.post_form("/create", &[("csrf_token", &csrf), ("tab_id", &tab)]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().contains("cannot create new accounts"), "{}", res.text());
    assert_eq!(stack.instance.store.pending_source_count().unwrap(), 2, "count unchanged past the cap");
    assert!(stack.instance.source_of(&codename).is_none());
    assert_eq!(std::fs::read_dir(stack.instance.data_dir().join("store")).unwrap().count(), 0, "no directory either");

    // A first submission frees a place: the same tab's codename now works.
    assert_eq!(first.submit(&[Part::Text("msg", "hello")]).await.status, StatusCode::SEE_OTHER);
    let res = third.post_form("/create", &[("csrf_token", &csrf), ("tab_id", &tab)]).await;
    assert_eq!(res.location(), Some("/lookup"), "{}", res.text());
    assert!(stack.instance.source_of(&codename).is_some());
}

// ---------------------------------------------------------------------------------
// Hostile inputs to the source interface: each kind gets its exact answer, and
// nothing stored changes.
// ---------------------------------------------------------------------------------

/// What a refused request must leave as it was: every file under the store with its
/// size, and the number of accounts that never submitted.
fn stored_state(stack: &Stack) -> (Vec<(std::path::PathBuf, u64)>, u64) {
    let files = stack.instance.stored_files().into_iter().map(|f| {
        let size = std::fs::metadata(&f).unwrap().len();
        (f, size)
    });
    (files.collect(), stack.instance.store.pending_source_count().unwrap())
}

/// A multipart body from raw parts: `(headers, content)` each, our boundary.
fn raw_multipart(parts: &[(String, Vec<u8>)], close: bool) -> Vec<u8> {
    let mut body = Vec::new();
    for (headers, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    if close {
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    }
    body
}

fn field(name: &str, value: &[u8]) -> (String, Vec<u8>) {
    (format!("Content-Disposition: form-data; name=\"{name}\""), value.to_vec())
}

fn file_field(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let headers = format!(
        "Content-Disposition: form-data; name=\"fh\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream"
    );
    (headers, content.to_vec())
}

/// Makes a request body from the session's CSRF token.
type BodyOf = Box<dyn Fn(&str) -> Vec<u8>>;

/// One hostile submission: what is sent after the CSRF token, and what must come back.
struct Hostile {
    kind: &'static str,
    content_type: Option<String>,
    /// The body, given the session's CSRF token.
    body: BodyOf,
    status: StatusCode,
    says: &'static str,
}

fn multipart_type() -> Option<String> {
    Some(format!("multipart/form-data; boundary={BOUNDARY}"))
}

fn hostile_submissions() -> Vec<Hostile> {
    let malformed = "could not be read";
    let case = |kind, status, says, body: BodyOf| Hostile { kind, content_type: multipart_type(), body, status, says };
    let with = |parts: Vec<(String, Vec<u8>)>| -> BodyOf {
        Box::new(move |csrf| {
            let mut all = vec![field("csrf_token", csrf.as_bytes())];
            all.extend(parts.iter().cloned());
            raw_multipart(&all, true)
        })
    };
    let long_message = "m".repeat(100_001);
    let mut cases = vec![
        case(
            "truncated multipart body",
            StatusCode::BAD_REQUEST,
            malformed,
            Box::new(|csrf| {
                let mut body = raw_multipart(&[field("csrf_token", csrf.as_bytes()), field("msg", b"cut short")], true);
                body.truncate(body.len() - 30);
                body
            }),
        ),
        case(
            "no closing boundary",
            StatusCode::BAD_REQUEST,
            malformed,
            Box::new(|csrf| {
                raw_multipart(&[field("csrf_token", csrf.as_bytes()), field("msg", b"never closed")], false)
            }),
        ),
        case(
            "a part header of 2 MiB",
            StatusCode::BAD_REQUEST,
            malformed,
            Box::new(|csrf| {
                let mut body = raw_multipart(&[field("csrf_token", csrf.as_bytes())], false);
                body.extend_from_slice(format!("--{BOUNDARY}\r\nX-Long: {}", "h".repeat(2 * 1024 * 1024)).as_bytes());
                body
            }),
        ),
        case(
            "5,000 tiny parts",
            StatusCode::BAD_REQUEST,
            "at most 100 files",
            Box::new(|csrf| {
                let mut parts = vec![field("csrf_token", csrf.as_bytes())];
                parts.extend((0..5000).map(|_| field("x", b"")));
                raw_multipart(&parts, true)
            }),
        ),
        case("101 files", StatusCode::BAD_REQUEST, "at most 100 files", {
            let files: Vec<_> = (0..101).map(|i| file_field(&format!("f{i}.txt"), b"x")).collect();
            with(files)
        }),
        case("a file part with no file name", StatusCode::BAD_REQUEST, "enter a message or choose a file", {
            with(vec![(String::from("Content-Disposition: form-data; name=\"fh\""), b"nameless".to_vec())])
        }),
        case("a message of 100,001 characters", StatusCode::BAD_REQUEST, "at most 100000 characters", {
            with(vec![field("msg", long_message.as_bytes())])
        }),
        case("a message of 100,001 four-byte characters", StatusCode::BAD_REQUEST, "at most 100000 characters", {
            with(vec![field("msg", "😀".repeat(100_001).as_bytes())])
        }),
        case(
            "a message that is not UTF-8",
            StatusCode::BAD_REQUEST,
            malformed,
            with(vec![field("msg", b"\xff\xfe\xfd")]),
        ),
        case("a message of only whitespace", StatusCode::BAD_REQUEST, "enter a message or choose a file", {
            with(vec![field("msg", b" \t\r\n \xc2\xa0 ")])
        }),
        case("an empty submission", StatusCode::BAD_REQUEST, "enter a message or choose a file", with(vec![])),
        case("the honeypot filled", StatusCode::FORBIDDEN, "refused", {
            with(vec![field("text", b"i am a bot"), field("msg", b"spam")])
        }),
        // Larger than multer may hold before a field takes it: malformed, not a token.
        case(
            "a CSRF token of 2 MiB",
            StatusCode::BAD_REQUEST,
            malformed,
            Box::new(|_| raw_multipart(&[field("csrf_token", &vec![b'a'; 2 * 1024 * 1024]), field("msg", b"x")], true)),
        ),
        case(
            "a forged CSRF token",
            StatusCode::FORBIDDEN,
            "logged out",
            Box::new(|_| raw_multipart(&[field("csrf_token", b"forged"), field("msg", b"x")], true)),
        ),
        case(
            "no CSRF token",
            StatusCode::FORBIDDEN,
            "logged out",
            Box::new(|_| raw_multipart(&[field("msg", b"x")], true)),
        ),
        case(
            "the CSRF token after the message",
            StatusCode::FORBIDDEN,
            "logged out",
            Box::new(|csrf| raw_multipart(&[field("msg", b"first"), field("csrf_token", csrf.as_bytes())], true)),
        ),
        case(
            "a part with no Content-Disposition",
            StatusCode::BAD_REQUEST,
            "enter a message or choose a file",
            Box::new(|csrf| {
                raw_multipart(
                    &[field("csrf_token", csrf.as_bytes()), (String::from("X-Other: 1"), b"x".to_vec())],
                    true,
                )
            }),
        ),
        case("a file name with control characters", StatusCode::BAD_REQUEST, malformed, {
            with(vec![file_field("control\u{1}\u{7f}\u{1b}[31m.txt", b"x")])
        }),
        case(
            "a file name with a NUL byte",
            StatusCode::BAD_REQUEST,
            malformed,
            with(vec![file_field("nul\u{0}byte.txt", b"x")]),
        ),
        case(
            "a CSRF token of 5 KiB",
            StatusCode::FORBIDDEN,
            "logged out",
            Box::new(|_| raw_multipart(&[field("csrf_token", &vec![b'a'; 5 * 1024]), field("msg", b"x")], true)),
        ),
        case(
            "binary garbage",
            StatusCode::BAD_REQUEST,
            malformed,
            Box::new(|_| (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect()),
        ),
    ];
    cases.push(Hostile {
        kind: "multipart without a boundary parameter",
        content_type: Some("multipart/form-data".to_owned()),
        body: with(vec![field("msg", b"x")]),
        status: StatusCode::BAD_REQUEST,
        says: malformed,
    });
    cases.push(Hostile {
        kind: "a form that is not multipart",
        content_type: Some("application/x-www-form-urlencoded".to_owned()),
        body: Box::new(|csrf| format!("csrf_token={csrf}&msg=hello").into_bytes()),
        status: StatusCode::BAD_REQUEST,
        says: malformed,
    });
    cases.push(Hostile {
        kind: "no Content-Type",
        content_type: None,
        body: with(vec![field("msg", b"x")]),
        status: StatusCode::BAD_REQUEST,
        says: malformed,
    });
    cases.push(Hostile {
        kind: "a boundary that never appears",
        content_type: Some("multipart/form-data; boundary=not-the-one-used".to_owned()),
        body: with(vec![field("msg", b"x")]),
        status: StatusCode::BAD_REQUEST,
        says: malformed,
    });
    cases
}

#[tokio::test]
async fn hostile_submissions_get_their_exact_answer_and_change_nothing_stored() {
    let stack = Stack::new();
    let cases = hostile_submissions();
    assert!(cases.len() >= 25);
    for case in &cases {
        let mut source = stack.new_source().await;
        let csrf = source.lookup_csrf().await;
        let before = stored_state(&stack);
        let mut req = axum::http::Request::post("/submit");
        if let Some(t) = &case.content_type {
            req = req.header(axum::http::header::CONTENT_TYPE, t);
        }
        let res = source.client.send(req.body(axum::body::Body::from((case.body)(&csrf))).unwrap()).await;
        assert_eq!(res.status, case.status, "{}: {}", case.kind, res.text());
        assert!(res.text().contains(case.says), "{}: {}", case.kind, res.text());
        assert_eq!(res.headers.get("connection").and_then(|v| v.to_str().ok()), Some("close"), "{}", case.kind);
        assert_eq!(stored_state(&stack), before, "{} changed what is stored", case.kind);
    }
}

#[tokio::test]
async fn hostile_file_names_are_stored_under_our_name_only() {
    let stack = Stack::new();
    let names = [
        "../../../etc/passwd".to_owned(),
        "/absolute/path.txt".to_owned(),
        "a\\windows\\path.txt".to_owned(),
        "percent%00%01%1b-escaped.txt".to_owned(),
        "right-to-left\u{202e}txt.exe".to_owned(),
        "x".repeat(10_000),
        "<script>alert(1)</script>.html".to_owned(),
    ];
    for name in &names {
        let mut source = stack.new_source().await;
        let csrf = source.lookup_csrf().await;
        let body = raw_multipart(&[field("csrf_token", csrf.as_bytes()), file_field(name, b"content")], true);
        let req = axum::http::Request::post("/submit")
            .header(axum::http::header::CONTENT_TYPE, multipart_type().unwrap())
            .body(axum::body::Body::from(body))
            .unwrap();
        let res = source.client.send(req).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name:?}: {}", res.text());
        let record = stack.instance.source_of(&source.codename).unwrap();
        let stored: Vec<_> = std::fs::read_dir(stack.instance.store.source_dir(&record)).unwrap().flatten().collect();
        assert_eq!(stored.len(), 1, "{name:?}");
        let on_disk = stored[0].file_name().to_string_lossy().into_owned();
        assert!(on_disk.starts_with("1-") && on_disk.ends_with("-doc.gz.gpg"), "{name:?} stored as {on_disk}");
    }
    let everything: Vec<_> = stack.instance.all_files();
    assert!(everything.iter().all(|f| f.starts_with(stack.instance.data_dir())), "nothing escaped the data directory");
}

#[tokio::test]
async fn forged_replayed_and_junk_cookies_reach_no_account_and_sql_in_a_codename_is_just_wrong() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let real = source.client.cookie().unwrap().to_owned();
    let (name, value) = real.split_once('=').unwrap();
    let (id, pad) = value.split_once('.').unwrap();
    let forged_pad = "0".repeat(pad.len());
    let forgeries = [
        format!("{name}={}", "ab".repeat(32)),
        format!("{name}={}.{pad}", "cd".repeat(32)),
        format!("{name}={}", "x".repeat(10_000)),
        format!("{name}=../../etc/passwd"),
    ];
    for cookie in &forgeries {
        let mut forger = stack.client();
        forger.set_cookie(Some(cookie.clone()));
        let res = forger.get("/lookup").await;
        assert!(matches!(res.location(), Some("/") | Some("/login")), "{cookie:.40}: {:?}", res.status);
        assert!(!res.text().contains(&source.codename));
    }
    // The right id with a forged or malformed pad is logged in (the id alone is the
    // session) but sees no codename and reads no reply: those need the real pad.
    for pad in [forged_pad.as_str(), "zz"] {
        let mut half = stack.client();
        half.set_cookie(Some(format!("{name}={id}.{pad}")));
        let page = half.get("/lookup").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text().contains(&source.codename), "the codename needs the real pad");
    }

    // After logout the old cookie is dead.
    let csrf = source.lookup_csrf().await;
    source.client.post_form("/logout", &[("csrf_token", &csrf)]).await;
    let mut replay = stack.client();
    replay.set_cookie(Some(real));
    assert_eq!(replay.get("/lookup").await.location(), Some("/"), "a replayed cookie after logout");

    // A codename field of SQL or markup is a wrong codename, costs no derivation, and is not echoed.
    let before = stack.state.derivation_count();
    for attempt in ["' OR 1=1 --", "\"; DROP TABLE sources; --", "<img src=x onerror=alert(1)>", &"a ".repeat(80)] {
        let mut c = stack.client();
        c.get("/login").await;
        let csrf = c.csrf.clone();
        let res = c.post_form("/login", &[("csrf_token", &csrf), ("codename", attempt)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{attempt}");
        assert!(!res.text().contains("DROP TABLE") && !res.text().contains("onerror"), "{attempt} echoed");
    }
    assert_eq!(stack.state.derivation_count(), before);
    assert_eq!(stack.instance.store.pending_source_count().unwrap(), 1, "the one real account, untouched");
}

/// Sends `head` (and `body`) on a new connection to `host`, then reads the answer.
fn raw_exchange(host: &str, head: &str, body: &[u8], half_close: bool) -> String {
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    if half_close {
        stream.shutdown(std::net::Shutdown::Write).unwrap();
    }
    answer_within(&mut stream, Duration::from_secs(20))
}

#[test]
fn absurd_lengths_and_slow_headers_get_an_answer_with_our_headers_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 1024 * 1024);
    let source = RawSource::create(&host).unwrap();
    let head = |length: &str| {
        format!(
            "POST /submit HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n",
            source.cookie
        )
    };
    let body = raw_multipart(&[field("csrf_token", source.csrf.as_bytes()), field("msg", b"hello")], true);
    for (what, length) in [
        ("a negative length", "Content-Length: -1\r\n".to_owned()),
        ("a length past u64", "Content-Length: 99999999999999999999999\r\n".to_owned()),
        ("two different lengths", format!("Content-Length: {}\r\nContent-Length: 5\r\n", body.len())),
        ("a length that is not a number", "Content-Length: lots\r\n".to_owned()),
    ] {
        let answer = raw_exchange(&host, &head(&length), &body, false);
        assert!(answer.starts_with("HTTP/1.1 400"), "{what}: {}", answer.lines().next().unwrap_or_default());
        assert!(answer.to_ascii_lowercase().contains("content-security-policy:"), "{what}: our headers");
    }
    // A length larger than what is sent, the form cut short, and then the client stops.
    let cut = &body[..body.len() - 40];
    let answer = raw_exchange(&host, &head(&format!("Content-Length: {}\r\n", body.len() + 1000)), cut, true);
    assert!(answer.starts_with("HTTP/1.1 400"), "{}", answer.lines().next().unwrap_or_default());
    assert!(answer.contains("could not be read"));
    // A length over the limit: 413 at once, the body never sent.
    let answer = raw_exchange(&host, &head("Content-Length: 1099511627776\r\n"), b"", false);
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", answer.lines().next().unwrap_or_default());
    assert_eq!(std::fs::read_dir(inst.join("data/store")).unwrap().count(), 0, "nothing stored");

    // Headers dripped a byte a second are cut off at the header timeout, and others are
    // served meanwhile.
    let started = Instant::now();
    let mut slow = std::net::TcpStream::connect(&host).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let drip = format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: {}", "a".repeat(100));
    let mut closed = false;
    for byte in drip.bytes() {
        if slow.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 1024];
        match slow.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {
                closed = true;
                break;
            }
            Err(_) => {}
        }
        if started.elapsed() < Duration::from_secs(3) {
            assert!(postern_tests::http_get(&format!("http://{host}/"), "/").unwrap().0 == 200, "others are served");
        }
    }
    assert!(closed, "the dripping client was never cut off");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(45), "cut off after {took:?}");
    eprintln!("a client dripping its headers was cut off after {took:?}");
}

/// What an administrator's forms can change: the settings, the accounts, the logo.
fn admin_state(stack: &Stack) -> (postern_store::InstanceSettings, Vec<String>, Option<Vec<u8>>) {
    let store = &stack.instance.store;
    let users = store.journalists().unwrap().into_iter().map(|u| format!("{u:?}")).collect();
    (store.instance_settings().unwrap(), users, store.logo().unwrap())
}

use postern_tests::png::image as png;

/// A form post: its path, its fields, where it sends the administrator, what it says.
type AdminCase<'a> = (String, Vec<(&'a str, &'a str)>, String, &'a str);

#[tokio::test]
async fn every_admin_form_refuses_out_of_range_values_one_by_one_and_changes_nothing() {
    let stack = Stack::new();
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let other = stack.add_journalist("other", false, OtpKind::Totp);
    let mut root = stack.log_in(&mut root_account).await;
    assert_eq!(root.get("/").await.status, StatusCode::OK);
    let other_id = stack.instance.store.journalist("other").unwrap().unwrap().id.raw();
    let edit = format!("/admin/edit/{other_id}");
    let names = "Names have at most 100 characters and no control or direction-override characters.";
    let username = "A user name has 3 to 64 characters (letters, digits, '.', '_' or '-'), and 'deleted' is reserved.";
    let org = "The organization name has 1 to 64 characters, and no control or direction-override characters.";
    let min = "The minimum message length must be a whole number from 0 to 100000.";
    let long_name = "n".repeat(101);
    let long_org = "o".repeat(65);
    let long_user = "u".repeat(65);
    let huge = "9".repeat(10_000);
    let mut cases: Vec<AdminCase<'_>> = Vec::new();
    for value in [
        "",
        "   ",
        long_org.as_str(),
        huge.as_str(),
        "Tribune\u{0}",
        "Tribune\u{7}",
        "\u{202e}enubirT",
        "Trib\u{2066}une",
    ] {
        cases.push(("/admin/update-org-name".into(), vec![("organization_name", value)], "/admin/config".into(), org));
    }
    for value in ["-1", "100001", "4294967296", "1e3", "", "abc", "٣", "0x10", "2.5", huge.as_str()] {
        let fields = vec![("prevent_short_messages", "y"), ("min_message_length", value)];
        cases.push(("/admin/update-submission-preferences".into(), fields, "/admin/config".into(), min));
    }
    for value in ["ab", long_user.as_str(), "deleted", "a b", "<script>", "ro\u{0}ot", "Ωmega", ""] {
        let fields = vec![("username", value), ("first_name", ""), ("last_name", "")];
        cases.push((edit.clone(), fields, edit.clone(), username));
    }
    for (first, last) in [(long_name.as_str(), ""), ("", long_name.as_str()), ("Ann\u{0}", ""), ("", "\u{202e}nosnhoJ")]
    {
        let fields = vec![("username", "other"), ("first_name", first), ("last_name", last)];
        cases.push((edit.clone(), fields, edit.clone(), names));
    }
    let before = admin_state(&stack);
    for (path, fields, to, says) in &cases {
        let res = root.post_csrf(path, fields).await;
        assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, Some(to.as_str())), "{path} {fields:?}");
        let shown = root.get(to).await.text();
        assert!(shown.contains(&says.replace('\'', "&#39;")) || shown.contains(says), "{path} {fields:?}: {shown}");
        assert_eq!(admin_state(&stack), before, "{path} {fields:?} changed nothing");
    }
    // The add form, one bad value at a time beside otherwise good ones.
    let (hex39, hex41) = ("a".repeat(39), "a".repeat(41));
    let add_cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("username", "ab")], username),
        (vec![("username", long_user.as_str())], username),
        (vec![("first_name", long_name.as_str())], names),
        (vec![("last_name", "\u{202e}x")], names),
        (
            vec![("is_hotp", "y"), ("otp_secret", "zz")],
            "A YubiKey HOTP secret is 40 hexadecimal digits. Nothing was created.",
        ),
        (
            vec![("is_hotp", "y"), ("otp_secret", hex39.as_str())],
            "A YubiKey HOTP secret is 40 hexadecimal digits. Nothing was created.",
        ),
        (
            vec![("is_hotp", "y"), ("otp_secret", hex41.as_str())],
            "A YubiKey HOTP secret is 40 hexadecimal digits. Nothing was created.",
        ),
        (
            vec![("password", "not the shown one")],
            "The passphrase must be the one the form showed. Nothing was created.",
        ),
    ];
    for (bad, says) in &add_cases {
        let form = root.get("/admin/add").await.text();
        let shown = input_value_of(&form, "password").unwrap();
        let mut fields: Vec<(&str, &str)> =
            vec![("username", "newcomer"), ("first_name", "New"), ("last_name", "Comer"), ("password", &shown)];
        for (k, v) in bad {
            fields.retain(|(name, _)| name != k);
            fields.push((k, v));
        }
        let res = root.post_csrf("/admin/add", &fields).await;
        assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, Some("/admin/add")), "{bad:?}");
        let shown = root.get("/admin/add").await.text();
        assert!(shown.contains(&says.replace('\'', "&#39;")) || shown.contains(says), "{bad:?}: {shown}");
        assert_eq!(admin_state(&stack), before, "{bad:?} created nothing");
    }
    // Ids that are no journalist's: a page that says so, nothing changed.
    for bad in ["/col/%ff%fe", "/col/x/%c3%28", "/col/%ff/1-x-msg.gpg"] {
        let res = root.get(bad).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(res.text().contains("<html") && !res.text().contains("%ff"), "{bad}: a page of ours");
    }
    for id in ["0", "-1", "999999", "99999999999999999999", "abc", "1.5"] {
        for path in
            [format!("/admin/edit/{id}"), format!("/admin/edit/{id}/new-password"), format!("/admin/delete/{id}")]
        {
            let res = if path.ends_with(id) && path.starts_with("/admin/edit") {
                root.get(&path).await
            } else {
                root.post_csrf(&path, &[("password", "x")]).await
            };
            assert!(matches!(res.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST), "{path}: {}", res.status);
            assert!(res.text().contains("<html"), "{path}: a page of ours: {}", res.text());
            assert_eq!(admin_state(&stack), before, "{path}");
        }
    }
    drop(other);
}

/// Uploads `logo` on the configuration page; the page the administrator is sent back to.
async fn upload_logo(client: &mut postern_tests::Client, logo: &[u8]) -> String {
    let csrf = client.csrf.clone();
    let parts = [Part::Text("csrf_token", &csrf), Part::File("logo", "logo.png", logo)];
    let res = client.post_multipart("/admin/config", &parts).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, Some("/admin/config")));
    client.get("/admin/config").await.text()
}

#[tokio::test]
async fn logos_that_are_not_pngs_or_would_decode_to_gigabytes_are_refused_and_metadata_is_removed() {
    let stack = Stack::new();
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let mut root = stack.log_in(&mut root_account).await;
    assert_eq!(root.get("/").await.status, StatusCode::OK);
    let good = png(64, 32, &[]);
    let page = upload_logo(&mut root, &good).await;
    assert!(page.contains("Logo updated."), "{page}");
    assert_eq!(stack.instance.store.logo().unwrap(), Some(good.clone()));
    let not_png = "The logo must be a PNG image of at most 1 MiB. Nothing was changed.";
    let too_big = "The logo may be at most 4096 pixels wide or high, and 4 megapixels in all. Nothing was changed.";
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 20);
    let jpeg = postern_scrub::fixtures::PHOTO_JPEG.to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a JPEG", jpeg, not_png),
        ("a GIF", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), not_png),
        ("text", b"<svg onload=alert(1)>".to_vec(), not_png),
        ("empty", Vec::new(), not_png),
        ("only a signature", b"\x89PNG\r\n\x1a\n".to_vec(), not_png),
        ("truncated", truncated, not_png),
        ("an unknown critical chunk", png(64, 32, &[(b"ABCD", b"?")]), not_png),
        ("zero pixels wide", png(0, 10, &[]), not_png),
        ("over 1 MiB", png(64, 32, &[(b"tEXt", &vec![b'a'; 1024 * 1024])]), not_png),
        ("100000 × 100000 (a decompression bomb)", png(100_000, 100_000, &[]), too_big),
        ("4097 wide", png(4097, 1, &[]), too_big),
        ("4096 × 1025 (over 4 megapixels)", png(4096, 1025, &[]), too_big),
        (
            "an animated PNG",
            png(64, 32, &[(b"acTL", &[0, 0, 0, 60, 0, 0, 0, 0])]),
            "The logo must be a still image, not an animated PNG. Nothing was changed.",
        ),
    ];
    for (what, logo, says) in cases {
        let page = upload_logo(&mut root, &logo).await;
        assert!(page.contains(says), "{what}: {page}");
        assert_eq!(stack.instance.store.logo().unwrap(), Some(good.clone()), "{what}: the old logo stays");
    }
    // A logo with a maker's name and a date in its text chunks is kept without them.
    let tagged = png(64, 32, &[(b"tEXt", b"Author\0Jane Designer"), (b"tIME", &[7, 234, 1, 2, 3, 4, 5])]);
    let page = upload_logo(&mut root, &tagged).await;
    assert!(page.contains("Logo updated."), "{page}");
    let stored = stack.instance.store.logo().unwrap().unwrap();
    assert!(!stored.windows(13).any(|w| w == b"Jane Designer") && !stored.windows(4).any(|w| w == b"tIME"));
    assert!(stored.windows(4).any(|w| w == b"IDAT"), "the image itself is kept");
}
