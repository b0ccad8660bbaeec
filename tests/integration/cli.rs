//! The `postern` binary as an administrator and a tester use it.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use postern_tests::{Running, http_get, wait_for};

use crate::postern_binary;

fn postern(args: &[&str]) -> std::process::Output {
    let out = Command::new(postern_binary()).args(args).output().unwrap();
    postern_tests::secrets::assert_no_leaks("a postern command", &String::from_utf8_lossy(&out.stderr));
    out
}

/// `postern ARGS…` with `input` and a newline on standard input (not a terminal).
fn postern_with_stdin(args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(postern_binary())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{input}").unwrap();
    let out = child.wait_with_output().unwrap();
    postern_tests::secrets::assert_no_leaks("a postern command", &String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn init_refuses_unusable_keys_saying_what_is_wrong_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.asc");
    std::fs::write(&garbage, "not a key").unwrap();
    let cases = [
        ("weak-rsa1024-public.asc", "not acceptable under the standard OpenPGP policy"),
        ("expired-public.asc", "has expired"),
        ("gpg-submission-secret.asc", "secret key material"),
    ];
    for (fixture, problem) in cases {
        let key = postern_fixtures::fixture_path(fixture);
        let out = postern(&[
            "init",
            "--dir",
            dir.path().join("i").to_str().unwrap(),
            "--submission-key",
            key.to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot be used") && err.contains(problem), "{fixture}: {err}");
        assert!(err.contains("gpg --armor --export"), "says what to do: {err}");
        assert!(!dir.path().join("i/postern.toml").exists());
    }
    let out = postern(&[
        "init",
        "--dir",
        dir.path().join("i").to_str().unwrap(),
        "--submission-key",
        garbage.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OpenPGP public key"));
}

#[test]
fn init_creates_a_private_instance_once() {
    let dir = tempfile::tempdir().unwrap();
    let inst = dir.path().join("instance");
    let key = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let args = ["init", "--dir", inst.to_str().unwrap(), "--submission-key", key.to_str().unwrap()];
    let out = postern(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &str| std::fs::metadata(inst.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("instance-secrets.toml"), 0o600);
    assert_eq!(mode("data"), 0o700);
    assert_eq!(mode("data/store"), 0o700);
    let config = std::fs::read_to_string(inst.join("postern.toml")).unwrap();
    assert!(config.contains("# Postern configuration"), "the config file is commented");
    postern_config::PosternConfig::load(&inst.join("postern.toml")).unwrap();
    assert!(inst.join("data/db.sqlite").exists());
    let again = postern(&args);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds an instance"));
}

#[test]
fn serve_refuses_unknown_config_keys() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("postern.toml");
    std::fs::write(&config, "[source]\nmax_upload_byte = 1\n").unwrap();
    let out = postern(&["serve", "source", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_upload_byte"));
}

fn demo_url(dir: &std::path::Path) -> serde_json::Value {
    wait_for(|| {
        let text = std::fs::read_to_string(dir.join("demo.json")).ok()?;
        serde_json::from_str(&text).ok()
    })
}

#[test]
fn demo_serves_a_complete_instance_and_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let args = [
        "demo",
        "--dir",
        demo_dir.to_str().unwrap(),
        "--source-addr",
        "127.0.0.1:0",
        "--journalist-addr",
        "127.0.0.1:0",
    ];
    let demo = Running::start(postern_binary(), &args);
    let facts = demo_url(&demo_dir);
    for key in ["source_url", "journalist_url", "submission_secret_key", "submission_public_key", "data_dir"] {
        assert!(facts.get(key).is_some(), "demo.json has {key}");
    }
    for key in ["submission_secret_key", "submission_public_key", "data_dir"] {
        let path = std::path::PathBuf::from(facts[key].as_str().unwrap());
        assert!(path.is_absolute() && path.exists(), "{key}");
    }
    let url = facts["source_url"].as_str().unwrap().to_owned();
    let (status, body) = wait_for(|| http_get(&url, "/").ok());
    assert_eq!(status, 200);
    assert!(body.contains("Get started"));
    let journalist_url = facts["journalist_url"].as_str().unwrap().to_owned();
    assert_ne!(journalist_url, url, "two interfaces on two ports");
    let (status, body) = wait_for(|| http_get(&journalist_url, "/login").ok());
    assert_eq!(status, 200);
    assert!(body.contains("name=\"token\""), "the journalist login form");
    let secret = std::fs::read_to_string(facts["submission_secret_key"].as_str().unwrap()).unwrap();
    assert!(secret.contains("PRIVATE KEY BLOCK"));
    assert!(demo.interrupt(), "Ctrl-C stops cleanly");

    std::fs::remove_file(demo_dir.join("demo.json")).unwrap();
    let again = Running::start(postern_binary(), &args);
    let facts2 = demo_url(&demo_dir);
    assert_eq!(std::fs::read_to_string(facts2["submission_secret_key"].as_str().unwrap()).unwrap(), secret, "reused");
    let url = facts2["source_url"].as_str().unwrap().to_owned();
    assert_eq!(wait_for(|| http_get(&url, "/metadata").ok()).0, 200);
    drop(again);
}

#[test]
fn serve_with_an_unusable_key_logs_why_once_and_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let inst = dir.path().join("instance");
    let key = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let out = postern(&["init", "--dir", inst.to_str().unwrap(), "--submission-key", key.to_str().unwrap()]);
    assert!(out.status.success());
    // The key expires or is replaced by a bad one after setup.
    std::fs::copy(postern_fixtures::fixture_path("weak-rsa1024-public.asc"), inst.join("submission-key.asc")).unwrap();
    let port = free_port();
    let config = inst.join("postern.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    std::fs::write(&config, text).unwrap();
    let server = Running::start(postern_binary(), &["serve", "source", "--config", config.to_str().unwrap()]);
    let url = format!("http://127.0.0.1:{port}/");
    let (status, body) = wait_for(|| http_get(&url, "/").ok());
    assert_eq!(status, 503);
    assert!(body.contains("offline"));
    assert_eq!(http_get(&url, "/lookup").unwrap().0, 503);
    let log = server.stderr_text();
    assert_eq!(log.matches("submission key unusable").count(), 1, "{log}");
    assert!(log.contains("standard OpenPGP policy"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An instance served by the real binary on a free loopback port, with `limit` as its upload limit.
pub(crate) fn serve_instance(dir: &std::path::Path, limit: u64) -> (Running, String, std::path::PathBuf) {
    serve_instance_with(dir, &[("max_upload_bytes = 2147483648", &format!("max_upload_bytes = {limit}"))])
}

/// An instance served by the real binary on a free loopback port, its configuration
/// edited by `(from, to)` replacements.
pub(crate) fn serve_instance_with(
    dir: &std::path::Path,
    edits: &[(&str, &str)],
) -> (Running, String, std::path::PathBuf) {
    let inst = init_instance(dir, false);
    let port = free_port();
    let config = inst.join("postern.toml");
    let mut text = std::fs::read_to_string(&config).unwrap().replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    // Every line at every level, for the suite's log scan (postern_tests::secrets).
    text = text.replace("level = \"warn\"", "level = \"trace\"");
    for (from, to) in edits {
        text = text.replace(from, to);
    }
    std::fs::write(&config, text).unwrap();
    let host = format!("127.0.0.1:{port}");
    (serve_config(&config, &host), host, inst)
}

/// `postern serve source` with `config`, once it answers on `host`.
pub(crate) fn serve_config(config: &std::path::Path, host: &str) -> Running {
    let server = Running::start(postern_binary(), &["serve", "source", "--config", config.to_str().unwrap()]);
    wait_for(|| http_get(&format!("http://{host}/"), "/robots.txt").ok());
    server
}

#[test]
fn a_browser_sending_an_oversize_upload_reads_the_413_page() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (_server, host, inst) = serve_instance(dir.path(), 256 * 1024);
    let source = postern_tests::RawSource::create(&host).unwrap();
    // As a browser does: the whole body first, then read the answer. 8 MiB, 32 times the
    // limit: the server answers at once and reads (and discards) the rest only while
    // lingering before it closes, so the answer is not lost to a reset.
    let (mut stream, tail) = source.start_upload(&host, 8 * 1024 * 1024).unwrap();
    stream.write_all(&vec![b'x'; 8 * 1024 * 1024]).unwrap();
    stream.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", answer.lines().next().unwrap_or_default());
    assert!(answer.contains("256 KiB") && answer.contains("nothing was stored"));
    assert!(answer.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "the connection ends with the answer");
    let dirs = std::fs::read_dir(inst.join("data/store")).unwrap().count();
    assert_eq!(dirs, 0, "nothing stored, not even the account's directory");
}

#[test]
fn a_server_killed_mid_upload_lists_nothing_and_cleans_up_at_restart() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (server, host, inst) = serve_instance(dir.path(), 512 * 1024 * 1024);
    let source = postern_tests::RawSource::create(&host).unwrap();
    // 200 MiB declared, half of it sent: the server is killed in the middle.
    let (mut stream, _tail) = source.start_upload(&host, 200 * 1024 * 1024).unwrap();
    let marker = b"KILLED-MID-UPLOAD-MARKER ".repeat(40_000);
    for _ in 0..100 {
        stream.write_all(&marker).unwrap();
    }
    // The account's directory appears with its first ciphertext.
    let source_dir = wait_for(|| Some(std::fs::read_dir(inst.join("data/store")).ok()?.next()?.ok()?.path()));
    // Wait until the server is writing ciphertext, then kill it without warning.
    wait_for(|| {
        let files: Vec<_> = std::fs::read_dir(&source_dir).ok()?.flatten().collect();
        (files.len() == 1 && files[0].file_name().to_string_lossy().starts_with(".tmp-")).then_some(())
    });
    drop(server); // SIGKILL: no warning, no cleanup
    drop(stream);
    assert_eq!(std::fs::read_dir(&source_dir).unwrap().count(), 1, "the crash left a temporary file");

    let config = inst.join("postern.toml");
    let _restarted = Running::start(postern_binary(), &["serve", "source", "--config", config.to_str().unwrap()]);
    wait_for(|| std::fs::read_dir(&source_dir).unwrap().next().is_none().then_some(()));
    // Nothing is listed: the source has no submissions and is still pending.
    let store = postern_store::Store::open(&inst.join("data")).unwrap();
    let secrets = postern_crypto::InstanceSecrets::from_file_text(
        &std::fs::read_to_string(inst.join("instance-secrets.toml")).unwrap(),
    )
    .unwrap();
    let codename = postern_core::Codename::parse(&source.codename).unwrap();
    let id = postern_crypto::derive_source_identity(&codename, &secrets).unwrap();
    let record = store.find_source_by_lookup(&id.lookup_id).unwrap().unwrap();
    assert!(record.pending && record.interaction_count == 0);
    assert!(store.submissions(&record).unwrap().is_empty());
    // And no plaintext anywhere under the instance.
    let mut all = Vec::new();
    collect_files(&inst, &mut all);
    for file in all {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(24).any(|w| w == &marker[..24]), "plaintext in {}", file.display());
    }
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            collect_files(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}

/// The indented line after the line that starts with `label`.
fn line_after(stdout: &str, label: &str) -> String {
    let mut lines = stdout.lines();
    lines.find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in {stdout}"));
    lines.next().unwrap().trim().to_owned()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn journalist_accounts_are_managed_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let config = init_instance(dir.path(), false).join("postern.toml");
    let c = config.to_str().unwrap();
    let out = postern(&["journalist", "add", "--config", c, "--username", "dana", "--admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let password = line_after(&stdout, "Passphrase");
    assert_eq!(password.split(' ').count(), 7);
    let secret = line_after(&stdout, "Two-factor authentication (TOTP)").replace(' ', "");
    assert!(stdout.contains("otpauth://totp/Postern:dana?secret="));

    let store = postern_store::Store::open(&dir.path().join("instance/data")).unwrap();
    let dana = store.journalist("dana").unwrap().unwrap();
    assert!(dana.is_admin && postern_crypto::verify_password(&password, &dana.password_hash));
    assert!(!stdout.contains(&dana.password_hash), "the hash is not shown");
    // The printed secret is the stored one: a code from it verifies against the stored secret.
    let printed = postern_crypto::OtpSecret::from_base32(&secret).unwrap();
    let stored = postern_crypto::OtpSecret::from_base32(&dana.otp_secret).unwrap();
    let code = postern_crypto::totp_code(&printed, now());
    assert!(postern_crypto::verify_totp(&stored, &code, now(), None).is_some());

    let again = postern(&["journalist", "add", "--config", c, "--username", "dana"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));
    for bad in ["deleted", "ab", "has space"] {
        let out = postern(&["journalist", "add", "--config", c, "--username", bad]);
        assert!(!out.status.success(), "{bad}");
    }

    let out = postern(&["journalist", "reset-password", "--config", c, "--username", "dana"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!stdout.contains("Two-factor"), "a password reset says nothing of the second factor: {stdout}");
    let new_password = line_after(&stdout, "Passphrase");
    let dana = store.journalist("dana").unwrap().unwrap();
    assert!(postern_crypto::verify_password(&new_password, &dana.password_hash));
    assert!(!postern_crypto::verify_password(&password, &dana.password_hash));

    let hex = "3132333435363738393031323334353637383930";
    let old = postern(&["journalist", "reset-2fa", "--config", c, "--username", "dana", "--hotp-secret", hex]);
    assert!(!old.status.success(), "a secret on the command line is refused (shell history, /proc/PID/cmdline)");
    let out = postern_with_stdin(&["journalist", "reset-2fa", "--config", c, "--username", "dana", "--hotp"], hex);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("Passphrase"), "a 2FA reset shows no passphrase it did not set: {stdout}");
    let dana = store.journalist("dana").unwrap().unwrap();
    assert_eq!(dana.otp_kind, postern_store::OtpKind::Hotp);
    let hotp = postern_crypto::OtpSecret::from_base32(&dana.otp_secret).unwrap();
    assert_eq!(postern_crypto::verify_hotp(&hotp, "755224", 0), Some(1), "RFC 4226 secret, first code");

    let out = postern(&["journalist", "delete", "--config", c, "--username", "dana"]);
    assert!(out.status.success());
    assert!(store.journalist("dana").unwrap().is_none());
    let out = postern(&["journalist", "delete", "--config", c, "--username", "dana"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no journalist called dana"));
}

#[test]
fn demo_json_names_a_working_demo_journalist() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let demo = Running::start(
        postern_binary(),
        &[
            "demo",
            "--dir",
            demo_dir.to_str().unwrap(),
            "--source-addr",
            "127.0.0.1:0",
            "--journalist-addr",
            "127.0.0.1:0",
        ],
    );
    let facts = demo_url(&demo_dir);
    // Log in over real TCP with what demo.json says.
    let host = facts["journalist_url"].as_str().unwrap().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut cookie = String::new();
    let page = wait_for(|| postern_tests::raw_request(&host, "GET", "/login", &mut cookie, "").ok());
    let csrf = postern_tests::input_value_of(&page, "csrf_token").unwrap();
    let secret = postern_crypto::OtpSecret::from_base32(facts["journalist_totp_secret"].as_str().unwrap()).unwrap();
    let code = postern_crypto::totp_code(&secret, postern_tests::unix_now());
    let password = facts["journalist_password"].as_str().unwrap().replace(' ', "+");
    let form = format!("csrf_token={csrf}&username=journalist&password={password}&token={code}");
    let res = postern_tests::raw_request(&host, "POST", "/login", &mut cookie, &form).unwrap();
    assert!(res.starts_with("HTTP/1.1 303") && res.to_ascii_lowercase().contains("location: /\r\n"), "{res}");
    let index = postern_tests::raw_request(&host, "GET", "/", &mut cookie, "").unwrap();
    assert!(index.starts_with("HTTP/1.1 200") && index.contains("No documents have been submitted yet."), "{index}");
    drop(demo);
    let store = postern_store::Store::open(std::path::Path::new(facts["data_dir"].as_str().unwrap())).unwrap();
    let account = store.journalist(facts["journalist_username"].as_str().unwrap()).unwrap().unwrap();
    assert!(postern_crypto::verify_password(facts["journalist_password"].as_str().unwrap(), &account.password_hash));
    assert_eq!(facts["journalist_totp_secret"].as_str().unwrap(), account.otp_secret);
}

/// Runs `postern ARGS…`, killing it after `limit` if it has not exited (a command that
/// should have refused to start would otherwise serve forever).
fn postern_within(args: &[&str], limit: std::time::Duration) -> std::process::Output {
    let mut child = Command::new(postern_binary())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A fresh `postern init` instance in `dir/instance`; with `onion`, both services on.
pub(crate) fn init_instance(dir: &std::path::Path, onion: bool) -> std::path::PathBuf {
    let inst = dir.join("instance");
    let key = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let mut args = vec!["init", "--dir", inst.to_str().unwrap(), "--submission-key", key.to_str().unwrap()];
    if onion {
        args.push("--onion");
    }
    let out = postern(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    inst
}

#[test]
fn check_key_refuses_what_serve_would_and_a_wrong_fingerprint() {
    let good = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let fingerprint = postern_fixtures::submission_key().fingerprint();
    let spaced: String = fingerprint
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let out = postern(&["check-key", good.to_str().unwrap(), "--fingerprint", &spaced.to_lowercase()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fingerprint));
    let wrong = "0".repeat(40);
    let out = postern(&["check-key", good.to_str().unwrap(), "--fingerprint", &wrong]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&fingerprint) && err.contains(&wrong) && err.contains("not the expected"), "{err}");
    for (fixture, problem) in [
        ("gpg-submission-secret.asc", "secret key material"),
        ("expired-public.asc", "has expired"),
        ("weak-rsa1024-public.asc", "standard OpenPGP policy"),
    ] {
        let out = postern(&["check-key", postern_fixtures::fixture_path(fixture).to_str().unwrap()]);
        assert!(!out.status.success(), "{fixture}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(problem), "{fixture}");
    }
}

#[test]
fn check_config_names_the_key_of_a_listen_address_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("postern.toml");
    std::fs::write(&config, "[source]\nlisten = [\"0.0.0.0:8080\"]\n").unwrap();
    let out = postern(&["check-config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("source.listen") && err.contains("expose_beyond_loopback"), "{err}");
    let out = postern(&["serve", "source", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success(), "serve refuses it too");
    std::fs::write(&config, "[source]\nlisten = [\"127.0.0.1:8080\"]\n").unwrap();
    assert!(postern(&["check-config", config.to_str().unwrap()]).status.success());
}

#[test]
fn init_secrets_creates_once_and_never_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("postern.toml");
    std::fs::write(&config, "[instance]\nsecrets_file = \"secrets.toml\"\n").unwrap();
    let out = postern(&["init-secrets", "--config", config.to_str().unwrap()]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("created:"));
    let secrets = dir.path().join("secrets.toml");
    let first = std::fs::read(&secrets).unwrap();
    assert_eq!(std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o600);
    let out = postern(&["init-secrets", "--config", config.to_str().unwrap()]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("kept:"));
    assert_eq!(std::fs::read(&secrets).unwrap(), first);
}

#[test]
fn serve_refuses_a_secrets_file_or_an_onion_key_directory_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let inst = init_instance(dir.path(), true);
    let config = inst.join("postern.toml");
    let secrets = inst.join("instance-secrets.toml");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out =
        postern_within(&["serve", "source", "--config", config.to_str().unwrap()], std::time::Duration::from_secs(20));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("instance.secrets_file") && err.contains("644") && err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
    for role in ["source", "journalist"] {
        let keys = inst.join("tor").join(role);
        std::fs::create_dir_all(&keys).unwrap();
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out =
            postern_within(&["serve", role, "--config", config.to_str().unwrap()], std::time::Duration::from_secs(20));
        assert!(!out.status.success(), "{role}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("onion service keys") && err.contains("chmod 700"), "{role}: {err}");
    }
}

/// `GET /` with the given `Host` header over real TCP; the status and the CSP header.
fn get_with_host(addr: &str, host: &str) -> (u16, Option<String>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let csp = raw
        .lines()
        .find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case("content-security-policy")))
        .map(|(_, v)| v.to_owned());
    (status, csp)
}

#[test]
fn both_interfaces_answer_421_to_a_host_that_is_not_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let inst = init_instance(dir.path(), false);
    let config = inst.join("postern.toml");
    let (source_port, journalist_port) = (free_port(), free_port());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{source_port}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{journalist_port}"));
    std::fs::write(&config, text).unwrap();
    let _source = Running::start(postern_binary(), &["serve", "source", "--config", config.to_str().unwrap()]);
    let _journalist = Running::start(postern_binary(), &["serve", "journalist", "--config", config.to_str().unwrap()]);
    for port in [source_port, journalist_port] {
        let addr = format!("127.0.0.1:{port}");
        wait_for(|| http_get(&format!("http://{addr}/"), "/").ok());
        for ours in [addr.clone(), format!("localhost:{port}"), format!("[::1]:{port}")] {
            assert_ne!(get_with_host(&addr, &ours).0, 421, "{ours}");
        }
        for theirs in ["attacker.example", "attacker.example:8080", "192.168.1.5"] {
            let (status, csp) = get_with_host(&addr, theirs);
            assert_eq!(status, 421, "{theirs} on {port}");
            assert!(csp.is_some_and(|c| c.contains("default-src 'none'")), "the 421 page has our CSP");
        }
    }
}

#[test]
fn a_backup_is_encrypted_to_the_administrator_and_restores_only_onto_its_own_instance() {
    let dir = tempfile::tempdir().unwrap();
    let inst = init_instance(dir.path(), false);
    let config = inst.join("postern.toml");
    let c = config.to_str().unwrap();
    let out = postern(&["journalist", "add", "--config", c, "--username", "dana"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The administrator's key: here the fixture key, whose secret half GnuPG holds.
    let admin_key = postern_fixtures::fixture_path("gpg-submission-public.asc");
    let fingerprint = postern_fixtures::submission_key().fingerprint();
    let backup = dir.path().join("backup.tar.gpg");
    let b = backup.to_str().unwrap();
    let wrong = ["backup", "--config", c, "--recipient", admin_key.to_str().unwrap(), "--recipient-fingerprint"];
    let out = postern(&[&wrong[..], &[&"0".repeat(40), "--out", b]].concat());
    assert!(!out.status.success() && !backup.exists(), "a wrong administrator key fingerprint writes nothing");
    let args = ["backup", "--config", c, "--recipient", admin_key.to_str().unwrap(), "--recipient-fingerprint"];
    let out = postern(&[&args[..], &[fingerprint.as_str(), "--out", b]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    let again = postern(&[&args[..], &[fingerprint.as_str(), "--out", b]].concat());
    assert!(!again.status.success(), "an existing file is never replaced");
    let secrets = std::fs::read(inst.join("instance-secrets.toml")).unwrap();
    let sealed = std::fs::read(&backup).unwrap();
    assert!(!sealed.windows(secrets.len().min(40)).any(|w| w == &secrets[..secrets.len().min(40)]), "encrypted");
    let tar = postern_tests::Gpg::with_fixture_secret().decrypt(&backup).unwrap();
    let plain = dir.path().join("backup.tar");
    std::fs::write(&plain, &tar).unwrap();

    // The disaster: the database and the secrets are lost; restore brings both back.
    std::fs::remove_dir_all(inst.join("data")).unwrap();
    std::fs::create_dir(inst.join("data")).unwrap();
    std::fs::remove_file(inst.join("instance-secrets.toml")).unwrap();
    let out = postern(&["restore", "--config", c, plain.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(inst.join("instance-secrets.toml")).unwrap(), secrets);
    let store = postern_store::Store::open(&inst.join("data")).unwrap();
    assert!(store.journalist("dana").unwrap().is_some(), "the account is back");
    drop(store);

    // Another instance, with sources and accounts of its own, refuses it untouched.
    let other = init_instance(&dir.path().join("other"), false);
    let oc = other.join("postern.toml");
    assert!(postern(&["journalist", "add", "--config", oc.to_str().unwrap(), "--username", "eve"]).status.success());
    let out = postern(&["restore", "--config", oc.to_str().unwrap(), plain.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another instance"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = postern_store::Store::open(&other.join("data")).unwrap();
    assert!(store.journalist("eve").unwrap().is_some() && store.journalist("dana").unwrap().is_none());
}

#[test]
fn behind_c_tor_the_configured_source_address_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let onion = format!("{}.onion", "c".repeat(56));
    let setting = format!("v3_source_url = \"{onion}\"");
    let (_server, host, _) = serve_instance_with(dir.path(), &[("# v3_source_url = \"…onion\"", &setting)]);
    let (status, body) = http_get(&format!("http://{host}/"), "/metadata").unwrap();
    assert_eq!(status, 200);
    let metadata: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(metadata["v3_source_url"], onion.as_str());
    assert_eq!(metadata["supported_languages"], serde_json::json!(["en_US"]));
    assert_eq!(get_with_host(&host, &onion).0, 200, "requests naming the onion are ours");
}
