//! Load on a running source interface over loopback TCP, as many Tor clients would put
//! it: sessions browsing, uploads at once, a codename-login flood, and slow uploads that
//! try to hold every slot. Shared by the load tests (which assert, with generous
//! bounds) and `load-bench` (which reports the figures). Every request is a new
//! connection, as a Tor stream is; every scenario is bounded in clients and time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{RawSource, input_value, post_login, raw_request, status_of};

/// Request durations, for percentiles.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// The `p`th percentile (0–100), by nearest rank; zero if nothing was measured.
    pub fn percentile(&self, p: u32) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let rank = (v.len() * p as usize).div_ceil(100).clamp(1, v.len());
        v[rank - 1]
    }

    /// How many were measured.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// Adds one.
    pub fn add(&mut self, d: Duration) {
        self.0.push(d);
    }

    fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }
}

/// What each browsing session does, in order, each round: the pages a source reads
/// before and after choosing to write (`/generate` makes a codename, no account).
const BROWSE: [(&str, &str); 6] = [
    ("GET", "/"),
    ("POST", "/generate"),
    ("GET", "/why-public-key"),
    ("GET", "/public-key"),
    ("GET", "/login"),
    ("GET", "/robots.txt"),
];

/// `sessions` sources browsing at once, `rounds` rounds of [`BROWSE`] each. Every page
/// must answer 200; the first failure is the error.
pub fn browse(host: &str, sessions: usize, rounds: usize) -> std::io::Result<Latencies> {
    let threads: Vec<JoinHandle<std::io::Result<Latencies>>> = (0..sessions)
        .map(|_| {
            let host = host.to_owned();
            std::thread::spawn(move || {
                let (mut cookie, mut csrf, mut seen) = (String::new(), String::new(), Latencies::default());
                for _ in 0..rounds {
                    for (method, path) in BROWSE {
                        let form = if method == "POST" {
                            format!("csrf_token={csrf}&tor2web_check=href%3D%22fake.onion%22")
                        } else {
                            String::new()
                        };
                        let started = Instant::now();
                        let raw = raw_request(&host, method, path, &mut cookie, &form)?;
                        seen.add(started.elapsed());
                        if status_of(&raw) != 200 {
                            return Err(std::io::Error::other(format!("{method} {path}: {}", first_line(&raw))));
                        }
                        if let Some(token) = input_value(&raw, "csrf_token") {
                            csrf = token;
                        }
                    }
                }
                Ok(seen)
            })
        })
        .collect();
    let mut all = Latencies::default();
    for t in threads {
        all.extend(t.join().map_err(|_| std::io::Error::other("a browsing thread panicked"))??);
    }
    Ok(all)
}

fn first_line(raw: &str) -> &str {
    raw.lines().next().unwrap_or_default()
}

/// Creates `n` sources, one after another (each costs a key derivation).
pub fn create_sources(host: &str, n: usize) -> std::io::Result<Vec<RawSource>> {
    (0..n).map(|_| RawSource::create(host)).collect()
}

/// Uploads `size` bytes as one file for `source` and reads the answer: the status line
/// and how long it took, from the first byte sent to the answer.
pub fn upload(host: &str, source: &RawSource, size: u64) -> std::io::Result<(String, Duration)> {
    let started = Instant::now();
    let (mut stream, tail) = source.start_upload(host, size)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let chunk = vec![0x5au8; 256 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    stream.write_all(tail.as_bytes())?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    Ok((first_line(&answer).to_owned(), started.elapsed()))
}

/// One upload per source, all at once; each its status line and time.
pub fn upload_all(host: &str, sources: Vec<RawSource>, size: u64) -> Vec<std::io::Result<(String, Duration)>> {
    let threads: Vec<_> = sources
        .into_iter()
        .map(|s| {
            let host = host.to_owned();
            std::thread::spawn(move || upload(&host, &s, size))
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap_or_else(|_| Err(std::io::Error::other("panicked")))).collect()
}

/// A source logging in with its codename, as a browser does: the form, the post, and
/// the page it is sent to. Returns the time to `/lookup`, or why it did not get there.
/// A "busy" answer is retried after a second, as a person would, until `limit`.
pub fn log_in(host: &str, codename: &str, limit: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let mut cookie = String::new();
    loop {
        let raw = post_login(host, codename, &mut cookie).map_err(|e| e.to_string())?;
        match status_of(&raw) {
            303 => break,
            429 | 503 if started.elapsed() < limit => std::thread::sleep(Duration::from_secs(1)),
            _ => return Err(first_line(&raw).to_owned()),
        }
    }
    let lookup = raw_request(host, "GET", "/lookup", &mut cookie, "").map_err(|e| e.to_string())?;
    if status_of(&lookup) != 200 || input_value(&lookup, "csrf_token").is_none() {
        return Err(format!("/lookup: {}", first_line(&lookup)));
    }
    Ok(started.elapsed())
}

/// What a login flood did, by the answer each attempt got.
#[derive(Debug, Default, Clone)]
pub struct FloodCounts {
    /// Answered "no such codename" (401), after a derivation.
    pub wrong: u64,
    /// Answered "busy" at once (429 or 503): no derivation was spent on it.
    pub busy: u64,
    /// Any other answer, or a failed connection.
    pub other: u64,
    /// How long each wrong-codename answer took.
    pub latencies: Latencies,
}

/// Clients logging in with well-formed codenames nobody has, each in its own session,
/// each sending its next attempt as soon as the last is answered.
pub struct Flood {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<FloodCounts>>,
}

impl Flood {
    /// Starts `clients` flooding clients.
    pub fn start(host: &str, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..clients)
            .map(|_| {
                let (host, stop) = (host.to_owned(), Arc::clone(&stop));
                std::thread::spawn(move || flood_client(&host, &stop))
            })
            .collect();
        Self { stop, threads }
    }

    /// Stops every client and adds up what they saw.
    pub fn stop(self) -> FloodCounts {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = FloodCounts::default();
        for t in self.threads {
            let c = t.join().unwrap_or_default();
            all.wrong += c.wrong;
            all.busy += c.busy;
            all.other += c.other;
            all.latencies.extend(c.latencies);
        }
        all
    }
}

fn flood_client(host: &str, stop: &AtomicBool) -> FloodCounts {
    let mut counts = FloodCounts::default();
    let mut cookie = String::new();
    let Ok(csrf) = raw_request(host, "GET", "/login", &mut cookie, "").map(|p| input_value(&p, "csrf_token")) else {
        counts.other += 1;
        return counts;
    };
    let csrf = csrf.unwrap_or_default();
    while !stop.load(Ordering::SeqCst) {
        let guess = postern_core::Codename::generate(&mut rand::rngs::OsRng);
        crate::secrets::remember(crate::secrets::Kind::Codename, guess.expose_secret());
        let form = format!("csrf_token={csrf}&codename={}", guess.expose_secret().replace(' ', "+"));
        let started = Instant::now();
        match raw_request(host, "POST", "/login", &mut cookie, &form).map(|r| status_of(&r)) {
            Ok(401) => {
                counts.wrong += 1;
                counts.latencies.add(started.elapsed());
            }
            Ok(429 | 503) => counts.busy += 1,
            _ => counts.other += 1,
        }
    }
    counts
}

/// Uploads that send a byte every `every`, one per source, to hold upload slots.
pub struct Trickle {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Option<String>>>,
}

impl Trickle {
    /// Starts one trickling upload (of a declared 1 MiB) for each of `sources`.
    pub fn start(host: &str, sources: Vec<RawSource>, every: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for source in sources {
            let (mut stream, _tail) = source.start_upload(host, 1024 * 1024)?;
            let stop = Arc::clone(&stop);
            threads.push(std::thread::spawn(move || trickle(&mut stream, &stop, every)));
        }
        Ok(Self { stop, threads })
    }

    /// Stops them; what the server answered each, if it answered before the stop.
    pub fn stop(self) -> Vec<Option<String>> {
        self.stop.store(true, Ordering::SeqCst);
        self.threads.into_iter().map(|t| t.join().unwrap_or_default()).collect()
    }
}

fn trickle(stream: &mut TcpStream, stop: &AtomicBool, every: Duration) -> Option<String> {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next {
            if stream.write_all(b"t").is_err() {
                break;
            }
            next += every;
        }
        // The server may answer (and close) while we trickle: that is the answer.
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(0) => return Some(String::new()),
            Ok(n) => return Some(first_line(&String::from_utf8_lossy(&buf[..n])).to_owned()),
            Err(_) => {}
        }
    }
    None
}

/// What the trickle attack did to a real upload.
pub struct TrickleOutcome {
    /// The real upload's status line.
    pub status: String,
    /// How long the real upload took, from its first byte to the answer.
    pub took: Duration,
    /// The answers the trickles got before they stopped: those pushed out.
    pub pushed_out: Vec<String>,
}

/// Sixteen new accounts start one trickling upload each (a byte every 10 s: every slot
/// of the server, and more waiting), then a seventeenth uploads 1 MiB for real.
pub fn trickle_attack(host: &str) -> std::io::Result<TrickleOutcome> {
    let mut sources = create_sources(host, 17)?;
    let real = sources.pop().ok_or_else(|| std::io::Error::other("no source"))?;
    let trickle = Trickle::start(host, sources, Duration::from_secs(10))?;
    std::thread::sleep(Duration::from_secs(1));
    let (status, took) = upload(host, &real, 1024 * 1024)?;
    let pushed_out = trickle.stop().into_iter().flatten().filter(|a| !a.is_empty()).collect();
    Ok(TrickleOutcome { status, took, pushed_out })
}

/// A process's resident memory now and at its peak, in KiB, from `/proc`.
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets a process's peak resident memory (`VmHWM`) to what it holds now.
pub fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Runs `postern demo` from `bin_dir` in `dir` with an upload limit of `limit` bytes,
/// on free loopback ports: the server and the facts it wrote to `demo.json`. The first
/// run creates the instance, which is then restarted with the limit set.
pub fn serve_demo(
    bin_dir: &std::path::Path,
    dir: &std::path::Path,
    limit: u64,
) -> (std::process::Child, serde_json::Value) {
    let start = || {
        std::process::Command::new(bin_dir.join("postern"))
            .args(["demo", "--dir", dir.to_str().unwrap_or_default()])
            .args(["--source-addr", "127.0.0.1:0", "--journalist-addr", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("run `cargo build --release -p postern` first")
    };
    let facts = || {
        crate::wait_for_long(Duration::from_secs(60), || {
            let text = std::fs::read_to_string(dir.join("demo.json")).ok()?;
            serde_json::from_str::<serde_json::Value>(&text).ok()
        })
    };
    let mut first = start();
    facts();
    let _ = first.kill();
    let _ = first.wait();
    std::fs::remove_file(dir.join("demo.json")).unwrap();
    let config = dir.join("postern.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_upload_bytes = 2147483648", &format!("max_upload_bytes = {limit}"));
    std::fs::write(&config, text).unwrap();
    let server = start();
    (server, facts())
}
