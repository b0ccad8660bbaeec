//! Load on the real server over loopback, with generous bounds: the figures are in
//! `load-bench` and BENCHMARKS.md. Each scenario is bounded in clients and time.

use std::time::{Duration, Instant};

use postern_tests::load::{self, Flood};

use crate::cli::serve_instance;

const MIB: u64 = 1024 * 1024;

/// The finished items under the store, once no upload is still being cleaned up after.
fn stored_files(inst: &std::path::Path) -> usize {
    postern_tests::wait_for(|| {
        let names: Vec<String> = std::fs::read_dir(inst.join("data/store"))
            .unwrap()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
            .map(|f| f.file_name().to_string_lossy().into_owned())
            .collect();
        names.iter().all(|n| n.ends_with(".gpg")).then_some(names.len())
    })
}

#[test]
fn two_hundred_sessions_browse_while_twenty_sources_upload_20_mib_each_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (server, host, inst) = serve_instance(dir.path(), 32 * MIB);
    let uploaders = load::create_sources(&host, 20).unwrap();
    load::reset_peak_rss(server.pid());
    let browsing = {
        let host = host.clone();
        std::thread::spawn(move || load::browse(&host, 200, 3))
    };
    let started = Instant::now();
    let uploads = load::upload_all(&host, uploaders, 20 * MIB);
    let upload_time = started.elapsed();
    let pages = browsing.join().unwrap().expect("every page of every browsing session answered 200");
    assert_eq!(pages.count(), 200 * 3 * 6);
    for (i, u) in uploads.iter().enumerate() {
        let (status, _) = u.as_ref().unwrap();
        assert!(status.contains(" 303 "), "upload {i}: {status}");
    }
    assert_eq!(stored_files(&inst), 20, "every upload stored, once");
    let (_, peak_kib) = load::rss_kib(server.pid());
    assert!(peak_kib < 256 * 1024, "server peak RSS {} MiB", peak_kib / 1024);
    eprintln!(
        "load: 20 × 20 MiB in {upload_time:?} beside {} pages (p50 {:?}, p99 {:?}); peak RSS {} MiB",
        pages.count(),
        pages.percentile(50),
        pages.percentile(99),
        peak_kib / 1024
    );
}

#[test]
fn a_login_flood_of_200_clients_keeps_neither_a_real_login_nor_an_upload_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, _inst) = serve_instance(dir.path(), 32 * MIB);
    let mut real = load::create_sources(&host, 2).unwrap();
    let (writer, reader) = (real.pop().unwrap(), real.pop().unwrap());
    let flood = Flood::start(&host, 200);
    // Let the flood fill the queue before the real source comes.
    std::thread::sleep(Duration::from_secs(3));
    let uploading = {
        let host = host.clone();
        std::thread::spawn(move || load::upload(&host, &writer, 4 * MIB))
    };
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(load::log_in(&host, &reader.codename, Duration::from_secs(30)));
    }
    let (status, upload_time) = uploading.join().unwrap().unwrap();
    let counts = flood.stop();
    for login in &logins {
        let took = login.as_ref().expect("the real source logs in");
        assert!(*took < Duration::from_secs(10), "the real source reached /lookup in {took:?}");
    }
    assert!(status.contains(" 303 "), "the upload during the flood: {status}");
    assert!(counts.wrong > 50, "the flood really cost derivations: {counts:?}");
    assert_eq!(counts.other, 0, "every flood request got a clean answer: {counts:?}");
    eprintln!(
        "flood: logins {:?}, upload {upload_time:?}; flood {} wrong (p50 {:?}, p99 {:?}), {} busy",
        logins,
        counts.wrong,
        counts.latencies.percentile(50),
        counts.latencies.percentile(99),
        counts.busy
    );
}

#[test]
fn sixteen_trickling_uploads_do_not_keep_a_real_upload_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 32 * MIB);
    // Ten trickles hold every slot and six more wait for one.
    let load::TrickleOutcome { status, took, pushed_out } = load::trickle_attack(&host).unwrap();
    assert!(status.contains(" 303 "), "the real upload: {status}");
    assert!(took < Duration::from_secs(60), "it waited {took:?} for a slot");
    assert!(!pushed_out.is_empty(), "a trickle was pushed out for it");
    assert!(pushed_out.iter().all(|a| a.contains(" 408 ") || a.contains(" 503 ")), "{pushed_out:?}");
    assert_eq!(stored_files(&inst), 1, "only the real upload is stored");
    eprintln!("trickle: the real 1 MiB upload took {took:?}; {} trickles pushed out", pushed_out.len());
}
