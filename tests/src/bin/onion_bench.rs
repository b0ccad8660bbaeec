//! Onion benchmark: starts the project's private Tor network, then `postern serve source`
//! with its onion service on, and reports the time from process start to the first
//! successful fetch through the C-tor client, and the latency of each source page over
//! Tor (median and p95 of several rounds).
//!
//! ```sh
//! cargo build --release -p postern -p postern-tests
//! target/release/onion-bench          # 10 rounds
//! target/release/onion-bench 30
//! ```
#![expect(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a benchmark's report")]
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postern_tests::tor::{PrivateTor, onion_request};
use postern_tests::{BOUNDARY, Part, codename_of, input_value_of, multipart_body};

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(10, |a| a.parse().expect("rounds"));
    let bin_dir = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let work = tempfile::Builder::new().prefix("postern-onion-bench-").tempdir_in("/var/tmp").unwrap();
    let t = Instant::now();
    let tor = PrivateTor::start();
    println!("private network ready in {:.1} s", t.elapsed().as_secs_f64());

    let instance = work.path().join("instance");
    let key =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/data/gpg-submission-public.asc");
    let init = Command::new(bin_dir.join("postern"))
        .args(["init", "--onion", "--dir", instance.to_str().unwrap(), "--submission-key", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let config = instance.join("postern.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("127.0.0.1:8080", "127.0.0.1:0");
    std::fs::write(&config, text).unwrap();

    let started = Instant::now();
    let mut server = Command::new(bin_dir.join("postern"))
        .args(["serve", "source", "--config", config.to_str().unwrap()])
        .arg("--tor-network")
        .arg(tor.arti_network())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let onion =
        line.trim().trim_start_matches("Source interface onion service: http://").trim_end_matches('/').to_owned();
    let printed = started.elapsed();
    let socks = tor.socks_port;
    loop {
        if onion_request(socks, &onion, "GET", "/", &mut String::new(), "text/plain", b"")
            .is_ok_and(|r| r.status == 200)
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "no fetch within 180 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "postern serve source: onion address printed after {:.2} s, first successful fetch after {:.2} s",
        printed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let mut pages: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut record = |name: &'static str, d: Duration| match pages.iter_mut().find(|(n, _)| *n == name) {
        Some((_, v)) => v.push(d),
        None => pages.push((name, vec![d])),
    };
    let file = vec![0x5au8; 100 * 1024];
    for _ in 0..rounds {
        let mut cookie = String::new();
        let mut timed = |name: &'static str, method: &str, path: &str, ct: &str, body: &[u8], cookie: &mut String| {
            let t = Instant::now();
            let res = onion_request(socks, &onion, method, path, cookie, ct, body).unwrap();
            record(name, t.elapsed());
            res
        };
        let index = timed("GET /", "GET", "/", "text/plain", b"", &mut cookie);
        let csrf = input_value_of(&index.text(), "csrf_token").unwrap();
        let form = format!("csrf_token={csrf}&tor2web_check=href%3D%22fake.onion%22");
        let generated = timed("POST /generate", "POST", "/generate", FORM, form.as_bytes(), &mut cookie);
        let _ = codename_of(&generated.text());
        let tab = input_value_of(&generated.text(), "tab_id").unwrap();
        let create = format!("csrf_token={csrf}&tab_id={tab}");
        timed("POST /create (argon2id)", "POST", "/create", FORM, create.as_bytes(), &mut cookie);
        let lookup = timed("GET /lookup", "GET", "/lookup", "text/plain", b"", &mut cookie);
        let csrf = input_value_of(&lookup.text(), "csrf_token").unwrap();
        let body = multipart_body(&[
            Part::Text("csrf_token", &csrf),
            Part::Text("text", ""),
            Part::Text("msg", "benchmark message"),
            Part::File("fh", "bench.bin", &file),
        ]);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        timed("POST /submit (100 KiB file)", "POST", "/submit", &ct, &body, &mut cookie);
        for (name, path) in
            [("GET /login", "/login"), ("GET /why-public-key", "/why-public-key"), ("GET /public-key", "/public-key")]
        {
            timed(name, "GET", path, "text/plain", b"", &mut String::new());
        }
        timed("GET /metadata", "GET", "/metadata", "text/plain", b"", &mut String::new());
    }
    println!("per-page latency over Tor ({rounds} rounds, new stream per request):");
    for (name, mut times) in pages {
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "  {name:<28} median {:6.0} ms   p95 {:6.0} ms",
            ms(times[times.len() / 2]),
            ms(times[(times.len() * 95 / 100).min(times.len() - 1)])
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

const FORM: &str = "application/x-www-form-urlencoded";
