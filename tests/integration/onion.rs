//! The onion services end to end, inside the project's own private Tor network on
//! loopback: Debian's C tor as the client (over SOCKS, as Tor Browser uses it),
//! restricted discovery for the journalist interface, headless Chromium with JavaScript
//! off, and a restart that keeps the addresses. One test, run in order, because the
//! network takes half a minute to start and all steps share it.

use std::path::Path;
use std::time::{Duration, Instant};

use postern_tests::browser::{Browser, artifacts_dir};
use postern_tests::tor::{HttpResponse, PrivateTor, onion_request};
use postern_tests::{BOUNDARY, Gpg, Part, Running, codename_of, gunzip_restoring_name, input_value_of, multipart_body};

use crate::postern_binary;

/// The whole test's hard limit, from the start of the network.
const SUITE_LIMIT: Duration = Duration::from_secs(330);
static DEADLINE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Retries `f` every `pause` until it returns `Some`, or panics after `limit` or when
/// the suite's deadline passes.
fn retry_every<T>(what: &str, pause: Duration, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        assert!(DEADLINE.get().is_none_or(|d| Instant::now() < *d), "{what}: the onion suite ran out of time");
        std::thread::sleep(pause);
    }
}

/// Retries `f` every second until it returns `Some`, or panics after `limit`.
fn retry<T>(what: &str, limit: Duration, f: impl FnMut() -> Option<T>) -> T {
    retry_every(what, Duration::from_secs(1), limit, f)
}

/// How long a change of authorised devices may take to reach the HSDirs: arti
/// republishes at most once a minute, for the current and the next time period.
const REPUBLISH_LIMIT: Duration = Duration::from_secs(240);

fn demo_facts(dir: &Path, limit: Duration) -> serde_json::Value {
    retry("demo.json with onion addresses", limit, || {
        let text = std::fs::read_to_string(dir.join("demo.json")).ok()?;
        let facts: serde_json::Value = serde_json::from_str(&text).ok()?;
        facts.get("source_onion")?;
        Some(facts)
    })
}

fn start_demo(dir: &Path, tor: &PrivateTor) -> Running {
    let _ = std::fs::remove_file(dir.join("demo.json"));
    let network = tor.arti_network();
    let args = [
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--source-addr",
        "127.0.0.1:0",
        "--journalist-addr",
        "127.0.0.1:0",
        "--onion",
        "--tor-network",
        network.to_str().unwrap(),
    ];
    Running::start(postern_binary(), &args)
}

fn get(socks: u16, onion: &str, path: &str, cookie: &mut String) -> std::io::Result<HttpResponse> {
    onion_request(socks, onion, "GET", path, cookie, "text/plain", b"")
}

fn post_form(socks: u16, onion: &str, path: &str, cookie: &mut String, form: &str) -> HttpResponse {
    reached(|| onion_request(socks, onion, "POST", path, cookie, "application/x-www-form-urlencoded", form.as_bytes()))
}

/// `request`'s answer, tried again when Tor refused the stream (a descriptor or
/// rendezvous that failed now and then on the private network). A refused stream never
/// reached the service, so even a POST is safe to send again.
#[expect(clippy::print_stderr, reason = "a retry is worth seeing in the test output")]
/// On a loaded machine (the whole suite on two cores) a descriptor can take a minute to
/// be found, so the retries last that long.
fn reached(mut request: impl FnMut() -> std::io::Result<HttpResponse>) -> HttpResponse {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        match request() {
            // Not 0xF4/0xF5: an authorisation refusal is an answer, not a failure.
            Err(e)
                if std::time::Instant::now() < deadline
                    && postern_tests::tor::refusal_code(&e).is_some_and(|c| matches!(c, 0xF0..=0xF3 | 0xF6 | 0xF7)) =>
            {
                eprintln!("Tor refused a stream ({e}); trying again");
                std::thread::sleep(Duration::from_secs(3));
            }
            other => return other.unwrap(),
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs `postern journalist device ACTION NAME` on the demo's configuration.
fn device(config: &Path, action: &str, name: &str) -> String {
    let out = std::process::Command::new(postern_binary())
        .args(["journalist", "device", action, name, "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn onion_services_work_inside_a_private_tor_network() {
    let t0 = Instant::now();
    DEADLINE.get_or_init(|| t0 + SUITE_LIMIT);
    let mut tor = PrivateTor::start();
    let network_ready = t0.elapsed();
    let work = tempfile::tempdir().unwrap();
    let demo_dir = work.path().join("demo");
    let mut timings = serde_json::Map::new();
    timings.insert("network_ready_s".into(), network_ready.as_secs_f64().into());

    // --- 1. The source interface over Tor, through the C-tor client.
    let served = Instant::now();
    let demo = start_demo(&demo_dir, &tor);
    let facts = demo_facts(&demo_dir, Duration::from_secs(180));
    let onion = facts["source_onion"].as_str().unwrap().to_owned();
    let journalist_onion = facts["journalist_onion"].as_str().unwrap().to_owned();
    let socks = tor.socks_port;
    // A second device, authorised from the shell as soon as the service is launched,
    // before Tor is even connected (as the playbook does at first install); the service
    // notices the new key file and republishes (rate-limited) while the source steps run.
    let config = demo_dir.join("postern.toml");
    let printed = device(&config, "add", "laptop");
    let laptop_line = printed
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(journalist_onion.trim_end_matches(".onion")) && l.contains(":descriptor:x25519:"))
        .expect("a C tor auth line")
        .to_owned();
    let laptop_dir = work.path().join("auth-laptop");
    std::fs::create_dir_all(&laptop_dir).unwrap();
    std::fs::write(laptop_dir.join("laptop.auth_private"), format!("{laptop_line}\n")).unwrap();
    let mut cookie = String::new();
    let index = retry("the source onion serves /", Duration::from_secs(90), || {
        get(socks, &onion, "/", &mut cookie).ok().filter(|r| r.status == 200)
    });
    timings.insert("serve_start_to_first_fetch_s".into(), served.elapsed().as_secs_f64().into());
    assert!(index.text().contains("Get started"), "{}", index.text());
    assert!(index.headers.contains("content-security-policy: default-src 'none'; script-src 'none'"));
    let metadata = reached(|| get(socks, &onion, "/metadata", &mut String::new()));
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.body).unwrap();
    assert_eq!(metadata["v3_source_url"], onion.as_str(), "the onion address is in /metadata");

    // The whole source flow over Tor, with per-page latency.
    let mut latency = serde_json::Map::new();
    let mut timed = |name: &str, f: &mut dyn FnMut() -> HttpResponse| {
        let t = Instant::now();
        let res = f();
        latency.insert(name.to_owned(), (t.elapsed().as_secs_f64() * 1000.0).round().into());
        res
    };
    let mut cookie = String::new();
    let index = timed("GET /", &mut || reached(|| get(socks, &onion, "/", &mut cookie)));
    let csrf = input_value_of(&index.text(), "csrf_token").unwrap();
    let form = format!("csrf_token={csrf}&tor2web_check=href%3D%22fake.onion%22");
    let generated = timed("POST /generate", &mut || post_form(socks, &onion, "/generate", &mut cookie, &form));
    let codename = codename_of(&generated.text());
    let tab = input_value_of(&generated.text(), "tab_id").unwrap();
    let created = timed("POST /create", &mut || {
        post_form(socks, &onion, "/create", &mut cookie, &format!("csrf_token={csrf}&tab_id={tab}"))
    });
    assert_eq!(created.status, 303);
    let lookup = timed("GET /lookup", &mut || reached(|| get(socks, &onion, "/lookup", &mut cookie)));
    let csrf = input_value_of(&lookup.text(), "csrf_token").unwrap();
    let file: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let body = multipart_body(&[
        Part::Text("csrf_token", &csrf),
        Part::Text("text", ""),
        Part::Text("msg", "sent over a private Tor network"),
        Part::File("fh", "over-tor.bin", &file),
    ]);
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let submitted = timed("POST /submit (300 KB file)", &mut || {
        reached(|| onion_request(socks, &onion, "POST", "/submit", &mut cookie, &content_type, &body))
    });
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let thanks = timed("GET /lookup (after submit)", &mut || reached(|| get(socks, &onion, "/lookup", &mut cookie)));
    assert!(thanks.text().contains("Thank you for sending this information to us"));
    for (name, path) in
        [("GET /login", "/login"), ("GET /why-public-key", "/why-public-key"), ("GET /public-key", "/public-key")]
    {
        let res = timed(name, &mut || reached(|| get(socks, &onion, path, &mut String::new())));
        assert_eq!(res.status, 200, "{path}");
    }
    timings.insert("source_page_latency_ms".into(), latency.into());
    // What arrived decrypts with GnuPG to what was sent.
    let gpg = Gpg::with_secret_key(Path::new(facts["submission_secret_key"].as_str().unwrap()));
    let store = postern_store::Store::open(Path::new(facts["data_dir"].as_str().unwrap())).unwrap();
    let secrets_text = std::fs::read_to_string(demo_dir.join("instance-secrets.toml")).unwrap();
    let secrets = postern_crypto::InstanceSecrets::from_file_text(&secrets_text).unwrap();
    let identity =
        postern_crypto::derive_source_identity(&postern_core::Codename::parse(&codename).unwrap(), &secrets).unwrap();
    let source = store.find_source_by_lookup(&identity.lookup_id).unwrap().unwrap();
    let items = store.submissions(&source).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(gpg.decrypt(&items[0].path).unwrap(), b"sent over a private Tor network");
    let (name, content) = gunzip_restoring_name(&gpg.decrypt(&items[1].path).unwrap());
    assert_eq!((name.as_str(), content), ("over-tor.bin", file));

    // --- 2. The journalist interface: found only with a device key.
    let stdout = std::fs::read_to_string(demo.stderr.with_file_name("stdout")).unwrap_or_default();
    let stderr = demo.stderr_text();
    assert!(!stdout.contains(&journalist_onion) && !stderr.contains(&journalist_onion), "never printed or logged");
    let address_file = demo_dir.join("tor/journalist/journalist-onion-address");
    assert_eq!(std::fs::read_to_string(&address_file).unwrap(), journalist_onion, "written for the administrator");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&address_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "readable by the service user only");
    let auth_dir = work.path().join("auth-demo");
    std::fs::create_dir_all(&auth_dir).unwrap();
    let auth_line = facts["journalist_device_auth_private"].as_str().unwrap();
    std::fs::write(auth_dir.join("demo.auth_private"), format!("{auth_line}\n")).unwrap();
    let (_, with_key) = tor.fresh_client(Some(&auth_dir));
    let mut jcookie = String::new();
    let login = retry("the journalist onion with a device key", Duration::from_secs(90), || {
        get(with_key, &journalist_onion, "/login", &mut jcookie).ok().filter(|r| r.status == 200)
    });
    let csrf = input_value_of(&login.text(), "csrf_token").unwrap();
    let secret = postern_crypto::OtpSecret::from_base32(facts["journalist_totp_secret"].as_str().unwrap()).unwrap();
    let code = postern_crypto::totp_code(&secret, postern_tests::unix_now());
    let password = urlencode(facts["journalist_password"].as_str().unwrap());
    let form = format!("csrf_token={csrf}&username=journalist&password={password}&token={code}");
    let res = post_form(with_key, &journalist_onion, "/login", &mut jcookie, &form);
    assert_eq!(res.status, 303, "logged in over the journalist onion");
    let sources = get(with_key, &journalist_onion, "/", &mut jcookie).unwrap();
    assert!(sources.text().contains(source.designation.as_str()), "and sees the source that wrote over Tor");
    // Now that a device has proved the service is up: without a key a client cannot
    // even read the descriptor; Tor says so with reply 0xF4. A fresh client may first
    // ask an HSDir the upload has not reached yet (0xF0, not found): that proves
    // nothing either way, so it asks again; any other answer is the verdict.
    let keyless = retry_every(
        "a keyless client reaches an HSDir holding the descriptor",
        Duration::from_secs(5),
        REPUBLISH_LIMIT,
        || {
            Some(tor.fresh_client_connects(None, &journalist_onion, Duration::from_secs(60)))
                .filter(|r| *r != Err(Some(0xF0)))
        },
    );
    assert_eq!(keyless, Err(Some(0xF4)), "without a key the journalist onion cannot be found");

    // The device added at the start reaches it once the new descriptor is out; then it
    // is revoked, and Chromium runs while the service republishes without it.
    retry_every(
        "a newly authorised device reaches the journalist onion",
        Duration::from_secs(5),
        REPUBLISH_LIMIT,
        || tor.fresh_client_connects(Some(&laptop_dir), &journalist_onion, Duration::from_secs(30)).ok(),
    );
    device(&config, "revoke", "laptop");

    // --- 3. Chromium, JavaScript off, through Tor: generate → create → submit.
    let mut browser = Browser::start(socks);
    let page = Duration::from_secs(60);
    browser.goto(&format!("http://{onion}/"), page);
    browser.click_and_wait("form[action='/generate'] button[type='submit']", page);
    let shown = browser.html();
    assert!(shown.contains("id=\"codename\""), "the codename page");
    browser.click_and_wait("form[action='/create'] button[type='submit']", page);
    browser.type_into("#msg", "typed in Chromium with JavaScript off");
    browser.click_and_wait("form[action='/submit'] button[type='submit']", page);
    let confirmation = browser.html();
    let shot = artifacts_dir().join("onion-chromium-confirmation.png");
    browser.screenshot(&shot);
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000, "a real screenshot");
    assert!(confirmation.contains("Thank you for sending this information to us"), "{confirmation}");
    assert!(!confirmation.contains("<script"), "no script on the page");
    drop(browser);
    assert_eq!(
        store.sources_for_journalist(postern_core::JournalistId::new(0)).unwrap().len(),
        2,
        "the browser's source submitted too"
    );

    // Refused for its key (0xF5), not for any other failure.
    retry_every(
        "a revoked device no longer finds the journalist onion",
        Duration::from_secs(5),
        REPUBLISH_LIMIT,
        || {
            let outcome = tor.fresh_client_connects(Some(&laptop_dir), &journalist_onion, Duration::from_secs(30));
            (outcome == Err(Some(0xF5))).then_some(())
        },
    );
    // The other device keeps access. A fresh client can briefly find no descriptor
    // (0xF0) while the directories take the one republished for the revocation; an
    // auth refusal (0xF4/0xF5) would mean the device lost access, and fails at once.
    retry_every("the other device keeps access", Duration::from_secs(5), Duration::from_secs(120), || {
        match tor.fresh_client_connects(Some(&auth_dir), &journalist_onion, Duration::from_secs(60)) {
            Ok(()) => Some(()),
            Err(Some(code @ (0xF4 | 0xF5))) => panic!("the other device was refused for its key: {code:#x}"),
            Err(_) => None,
        }
    });

    // --- 4. A restart keeps both addresses; this run logs at debug level, and still
    // never writes the journalist address anywhere but its file.
    assert!(demo.interrupt(), "the demo stops on Ctrl-C");
    let config_text = std::fs::read_to_string(&config).unwrap().replace("level = \"warn\"", "level = \"debug\"");
    std::fs::write(&config, config_text).unwrap();
    let again = start_demo(&demo_dir, &tor);
    let facts2 = demo_facts(&demo_dir, Duration::from_secs(180));
    assert_eq!(facts2["source_onion"], onion.as_str());
    assert_eq!(facts2["journalist_onion"], journalist_onion.as_str());
    let (_, fresh) = tor.fresh_client(None);
    retry("the restarted source onion serves /", Duration::from_secs(90), || {
        get(fresh, &onion, "/", &mut String::new()).ok().filter(|r| r.status == 200)
    });
    let logged = format!(
        "{}{}",
        again.stderr_text(),
        std::fs::read_to_string(again.stderr.with_file_name("stdout")).unwrap_or_default()
    );
    assert!(logged.contains("DEBUG"), "the restarted demo logs at debug level");
    assert!(!logged.contains(journalist_onion.trim_end_matches(".onion")), "not even at debug level");
    drop(again);

    timings.insert("whole_test_s".into(), t0.elapsed().as_secs_f64().into());
    let report = serde_json::to_string_pretty(&timings).unwrap();
    std::fs::write(artifacts_dir().join("onion-timings.json"), &report).unwrap();
    eprintln!("onion timings: {report}");
}
