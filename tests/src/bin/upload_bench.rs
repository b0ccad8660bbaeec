//! Upload benchmark: streams large files over loopback HTTP to a running `postern demo`
//! and reports, in one run, the pipeline's throughput, the server's peak RSS, the raw
//! postern-crypto streaming rate for the same key, and `gpg --encrypt -z 0`.
//!
//! Build both release binaries first, then run:
//!
//! ```sh
//! cargo build --release -p postern -p postern-tests
//! target/release/upload-bench            # 256 MiB and 1 GiB
//! target/release/upload-bench 64 256     # other sizes, in MiB
//! target/release/upload-bench --scrub 256 # JPEGs with the photo-cleaning box ticked
//! ```
//!
//! With `--scrub`, each input is a JPEG (the EXIF/GPS fixture's segments, then
//! incompressible scan data) and the upload asks the server to clean it on the way;
//! the raw column is then postern-scrub's streaming scrubber followed by
//! postern-crypto, in one thread, without HTTP.
#![expect(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a benchmark's report")]
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use postern_tests::RawSource;
use postern_tests::load::{reset_peak_rss, rss_kib};
use rand::{RngCore, SeedableRng};

const MIB: u64 = 1024 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scrub = args.iter().any(|a| a == "--scrub");
    let sizes: Vec<u64> = args.iter().filter(|a| *a != "--scrub").map(|a| a.parse().expect("sizes in MiB")).collect();
    let sizes = if sizes.is_empty() { vec![256, 1024] } else { sizes };
    let work = tempfile::Builder::new().prefix("postern-bench-").tempdir_in("/var/tmp").unwrap();
    let bin_dir = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let demo_dir = work.path().join("demo");
    let largest = sizes.iter().max().copied().unwrap_or(0);
    let (mut server, facts) = postern_tests::load::serve_demo(&bin_dir, &demo_dir, (largest + 16) * MIB);
    let url = facts["source_url"].as_str().unwrap().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let public_key = PathBuf::from(facts["submission_public_key"].as_str().unwrap());
    let key = postern_crypto::SubmissionKey::from_armored(&std::fs::read_to_string(&public_key).unwrap()).unwrap();
    println!("postern upload benchmark — server pid {}, {} cores", server.id(), num_cpus());
    println!("submission key {} (SEIPDv1, as GnuPG 2.2 reads)", key.fingerprint());
    println!();
    println!("{REPS} rounds per size, round-robin (pipeline, raw, gpg); medians, with ranges in brackets.");
    println!();
    println!(
        "| size | pipeline MB/s | raw postern-crypto MB/s | gpg -z 0 MB/s | pipeline / raw (medians) | server peak RSS (max) | RSS before (max) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for size in sizes {
        let input = work.path().join(format!("input-{size}"));
        make_input(&input, size * MIB, scrub);
        let mbs = |s: f64| (size * MIB) as f64 / 1e6 / s;
        let (mut pipeline, mut raw, mut gpg, mut peak, mut before) = (Vec::new(), Vec::new(), Vec::new(), 0, 0);
        for _ in 0..REPS {
            let source = RawSource::create(&url).unwrap();
            before = before.max(rss_kib(server.id()).0);
            reset_peak_rss(server.id());
            pipeline.push(mbs(upload(&url, &source, &input, size * MIB, scrub)));
            peak = peak.max(rss_kib(server.id()).1);
            clear_store(&demo_dir);
            raw.push(mbs(raw_crypto_secs(&key, &input, &work.path().join("raw.gpg"), scrub)));
            gpg.push(mbs(gpg_secs(&public_key, &key.fingerprint(), &input, work.path())));
        }
        println!(
            "| {size} MiB | {} | {} | {} | {:.2} | {:.1} MiB | {:.1} MiB |",
            summary(&mut pipeline),
            summary(&mut raw),
            summary(&mut gpg),
            median(&mut pipeline) / median(&mut raw),
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
        );
        std::fs::remove_file(&input).unwrap();
    }
    let _ = server.kill();
    let _ = server.wait();
}

/// Rounds per size.
const REPS: usize = 3;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn summary(v: &mut [f64]) -> String {
    let m = median(v);
    format!("{m:.0} [{:.0}–{:.0}]", v[0], v[v.len() - 1])
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pseudo-random, incompressible input (like real documents after compression); with
/// `jpeg`, wrapped as a JPEG: the fixture's metadata and tables, random scan data
/// without markers, and an end marker.
fn make_input(path: &Path, bytes: u64, jpeg: bool) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(bytes);
    let mut out = BufWriter::new(File::create(path).unwrap());
    let mut buf = vec![0u8; MIB as usize];
    let head = jpeg_head();
    let mut left = bytes;
    if jpeg {
        out.write_all(head).unwrap();
        left -= head.len() as u64 + 2;
    }
    while left > 0 {
        rng.fill_bytes(&mut buf);
        let n = left.min(MIB) as usize;
        if jpeg {
            // No 0xFF in scan data: it would start a marker.
            buf[..n].iter_mut().filter(|b| **b == 0xff).for_each(|b| *b = 0xfe);
        }
        out.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    if jpeg {
        out.write_all(&[0xff, 0xd9]).unwrap();
    }
    // On disk before anything is timed: background writeback would slow the runs' fsyncs.
    out.into_inner().unwrap().sync_all().unwrap();
}

/// The fixture JPEG up to and including its (last) start-of-scan header.
fn jpeg_head() -> &'static [u8] {
    let jpeg = postern_scrub::fixtures::PHOTO_JPEG;
    let sos = jpeg.windows(2).rposition(|w| w == [0xff, 0xda]).unwrap();
    let len = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    &jpeg[..sos + 2 + len]
}

/// One timed upload of `input` as a file submission; returns its seconds.
fn upload(host: &str, source: &RawSource, input: &Path, size: u64, scrub: bool) -> f64 {
    let started = Instant::now();
    let (mut stream, tail) = source.start_upload_with(host, size, scrub).unwrap();
    copy_file(input, &mut stream);
    stream.write_all(tail.as_bytes()).unwrap();
    let mut status = String::new();
    BufReader::new(&stream).read_line(&mut status).unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(status.contains(" 303 "), "upload refused: {status}");
    secs
}

/// Copies `input` into `out` in 256 KiB writes (as both the browser and the server see it).
fn copy_file(input: &Path, out: &mut impl Write) {
    let mut file = File::open(input).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).unwrap();
    }
}

/// postern-crypto alone on the same file and key: gzip of stored blocks + SEIPD into a
/// fsynced file, as the server writes it.
fn raw_crypto_secs(key: &postern_crypto::SubmissionKey, input: &Path, out: &Path, scrub: bool) -> f64 {
    let started = Instant::now();
    let mut sink = BufWriter::with_capacity(256 * 1024, File::create(out).unwrap());
    if scrub {
        let mut plain = postern_crypto::encrypt_scrubbed_document(key, "bench.jpg", &mut sink).unwrap();
        let mut scrubber = postern_scrub::StreamScrubber::new(&mut plain);
        copy_file(input, &mut scrubber);
        let (_, outcome) = scrubber.finish().unwrap();
        assert!(matches!(outcome, postern_scrub::StreamOutcome::Cleaned(_)), "{outcome:?}");
        plain.finish_with_note(Some(&outcome.note())).unwrap();
    } else {
        let mut plain = postern_crypto::encrypt_document(key, "bench.bin", &mut sink).unwrap();
        copy_file(input, &mut plain);
        plain.finish().unwrap();
    }
    sink.into_inner().unwrap().sync_all().unwrap();
    let secs = started.elapsed().as_secs_f64();
    std::fs::remove_file(out).unwrap();
    secs
}

fn gpg_secs(public_key: &Path, fingerprint: &str, input: &Path, work: &Path) -> f64 {
    let home = work.join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        let ok = Command::new("gpg").env("GNUPGHOME", &home).args(["--batch", "--quiet"]).args(args).status().unwrap();
        assert!(ok.success());
    };
    if !home.join("pubring.kbx").exists() {
        gpg(&["--import", public_key.to_str().unwrap()]);
    }
    let out = work.join("gpg-out.gpg");
    let started = Instant::now();
    gpg(&[
        "--trust-model",
        "always",
        "-z",
        "0",
        "-r",
        fingerprint,
        "-o",
        out.to_str().unwrap(),
        "--encrypt",
        input.to_str().unwrap(),
    ]);
    File::open(&out).unwrap().sync_all().unwrap();
    let secs = started.elapsed().as_secs_f64();
    std::fs::remove_file(out).unwrap();
    secs
}

fn clear_store(demo_dir: &Path) {
    // Keep the disk from filling across sizes; the rows stay, only ciphertext goes.
    for entry in std::fs::read_dir(demo_dir.join("data/store")).unwrap().flatten() {
        for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
            let _ = std::fs::remove_file(file.path());
        }
    }
}
