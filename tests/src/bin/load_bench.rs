//! Load benchmark: the real server (`postern demo`, release build) over loopback under
//! the loads the integration tests assert with generous bounds, with the figures:
//!
//! 1. `SESSIONS` sources browsing (three rounds of six pages each) while `UPLOADS`
//!    sources upload `SIZE` MiB each, at once: page latencies, upload throughput,
//!    server peak RSS;
//! 2. a flood of `SESSIONS` clients logging in with wrong codenames while one real source
//!    logs in again and again and another uploads: the real source's time to `/lookup`;
//! 3. sixteen uploads trickling a byte every 10 s (every slot, and more) while a real source
//!    uploads 1 MiB: how long the real upload took.
//!
//! ```sh
//! cargo build --release -p postern -p postern-tests
//! target/release/load-bench              # 200 sessions, 20 uploads of 20 MiB
//! target/release/load-bench 400 32 20    # SESSIONS UPLOADS SIZE
//! ```
#![expect(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a benchmark's report")]
#![allow(clippy::disallowed_methods, reason = "test code measures time")]

use std::time::{Duration, Instant};

use postern_tests::load::{self, Flood, Latencies};

const MIB: u64 = 1024 * 1024;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let sessions = args.first().copied().unwrap_or(200);
    let uploads = args.get(1).copied().unwrap_or(20);
    let size = args.get(2).copied().unwrap_or(20) as u64;
    let work = tempfile::Builder::new().prefix("postern-load-").tempdir_in("/var/tmp").unwrap();
    let bin_dir = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let (mut server, facts) = load::serve_demo(&bin_dir, &work.path().join("demo"), (size + 1) * MIB);
    let host = facts["source_url"].as_str().unwrap().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let pid = server.id();
    println!(
        "postern load benchmark — server pid {pid}, {} cores, loopback TCP, a new connection per request",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();

    // 1. Browsing and uploads at once.
    let uploaders = load::create_sources(&host, uploads).unwrap();
    let (before, _) = load::rss_kib(pid);
    load::reset_peak_rss(pid);
    let browsing = {
        let host = host.clone();
        std::thread::spawn(move || load::browse(&host, sessions, 3))
    };
    let started = Instant::now();
    let done = load::upload_all(&host, uploaders, size * MIB);
    let all_uploads = started.elapsed();
    let pages = browsing.join().unwrap().expect("every page answered 200");
    let (_, peak) = load::rss_kib(pid);
    let mut upload_times = Latencies::default();
    for d in done {
        let (status, took) = d.unwrap();
        assert!(status.contains(" 303 "), "an upload was refused: {status}");
        upload_times.add(took);
    }
    println!("| {sessions} sessions browsing, {uploads} × {size} MiB uploads at once | figure |");
    println!("|---|---|");
    println!("| pages served (all 200) | {} |", pages.count());
    println!(
        "| page latency p50 / p99 / max | {} / {} / {} |",
        ms(pages.percentile(50)),
        ms(pages.percentile(99)),
        ms(pages.percentile(100))
    );
    println!(
        "| uploads: all done in | {:.1} s ({:.0} MB/s aggregate) |",
        all_uploads.as_secs_f64(),
        (uploads as u64 * size * MIB) as f64 / 1e6 / all_uploads.as_secs_f64()
    );
    println!("| one upload p50 / max | {} / {} |", ms(upload_times.percentile(50)), ms(upload_times.percentile(100)));
    println!("| server RSS before / peak | {:.1} MiB / {:.1} MiB |", before as f64 / 1024.0, peak as f64 / 1024.0);
    println!();

    // 2. A login flood beside a real login and an upload.
    let mut real = load::create_sources(&host, 2).unwrap();
    let (writer, reader) = (real.pop().unwrap(), real.pop().unwrap());
    let flood = Flood::start(&host, sessions);
    std::thread::sleep(Duration::from_secs(3));
    let uploading = {
        let host = host.clone();
        std::thread::spawn(move || (0..3).map(|_| load::upload(&host, &writer, 4 * MIB).unwrap().1).collect::<Vec<_>>())
    };
    let mut logins = Latencies::default();
    for _ in 0..20 {
        logins.add(load::log_in(&host, &reader.codename, Duration::from_secs(60)).expect("the real source logs in"));
    }
    let flood_uploads = uploading.join().unwrap();
    let counts = flood.stop();
    let mut up = Latencies::default();
    flood_uploads.into_iter().for_each(|d| up.add(d));
    println!("| login flood: {sessions} clients, wrong codenames | figure |");
    println!("|---|---|");
    println!(
        "| real source to /lookup, 20 logins: p50 / p99 | {} / {} |",
        ms(logins.percentile(50)),
        ms(logins.percentile(99))
    );
    println!(
        "| real 4 MiB upload meanwhile, 3 in a row: p50 / max | {} / {} |",
        ms(up.percentile(50)),
        ms(up.percentile(100))
    );
    println!(
        "| flood answers: wrong codename / busy / other | {} / {} / {} |",
        counts.wrong, counts.busy, counts.other
    );
    println!(
        "| flood's wrong-codename answer p50 / p99 | {} / {} |",
        ms(counts.latencies.percentile(50)),
        ms(counts.latencies.percentile(99))
    );
    println!();

    // 3. Sixteen trickles holding every slot (and waiting for more), and a real upload.
    let load::TrickleOutcome { status, took, pushed_out } = load::trickle_attack(&host).unwrap();
    assert!(status.contains(" 303 "), "the real upload: {status}");
    let pushed = pushed_out.len();
    println!("| 16 uploads trickling a byte every 10 s | figure |");
    println!("|---|---|");
    println!("| real 1 MiB upload: answered 303 after | {} |", ms(took));
    println!("| trickles pushed out meanwhile | {pushed} |");

    let _ = server.kill();
    let _ = server.wait();
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
