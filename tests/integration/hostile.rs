//! Attacks on the door itself: clients that hold upload slots with trickles, floods
//! of codename guesses, account creation without end, and bodies refused before they
//! are read. Each shows that other sources are still served.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use postern_core::Codename;
use postern_tests::{Part, RawSource, Stack, tab_id_of, test_config};
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

    // Seven more accounts take the other fourteen: the server is full of trickles.
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
    assert!(answer.contains("location: /lookup"));
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
    assert_eq!(derived, wrong as u64 + 1, "refused guesses cost no derivation");
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
