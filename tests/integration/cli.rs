//! The `postern` binary as an administrator and a tester use it.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use postern_tests::{Running, http_get, postern_binary, wait_for};

fn postern(args: &[&str]) -> std::process::Output {
    Command::new(postern_binary()).args(args).output().unwrap()
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
        let key = postern_testing::fixture_path(fixture);
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
    let key = postern_testing::fixture_path("gpg-submission-public.asc");
    let args = ["init", "--dir", inst.to_str().unwrap(), "--submission-key", key.to_str().unwrap()];
    let out = postern(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &str| std::fs::metadata(inst.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("instance-secrets.toml"), 0o600);
    assert_eq!(mode("data"), 0o700);
    assert_eq!(mode("data/store"), 0o700);
    let config = std::fs::read_to_string(inst.join("postern.toml")).unwrap();
    assert!(config.contains("# Postern configuration"), "the config file is commented");
    postern_core::PosternConfig::load(&inst.join("postern.toml")).unwrap();
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
    let args = ["demo", "--dir", demo_dir.to_str().unwrap(), "--source-addr", "127.0.0.1:0"];
    let demo = Running::start(&args);
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
    let secret = std::fs::read_to_string(facts["submission_secret_key"].as_str().unwrap()).unwrap();
    assert!(secret.contains("PRIVATE KEY BLOCK"));
    assert!(demo.interrupt(), "Ctrl-C stops cleanly");

    std::fs::remove_file(demo_dir.join("demo.json")).unwrap();
    let again = Running::start(&args);
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
    let key = postern_testing::fixture_path("gpg-submission-public.asc");
    let out = postern(&["init", "--dir", inst.to_str().unwrap(), "--submission-key", key.to_str().unwrap()]);
    assert!(out.status.success());
    // The key expires or is replaced by a bad one after setup.
    std::fs::copy(postern_testing::fixture_path("weak-rsa1024-public.asc"), inst.join("submission-key.asc")).unwrap();
    let port = free_port();
    let config = inst.join("postern.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    std::fs::write(&config, text).unwrap();
    let server = Running::start(&["serve", "source", "--config", config.to_str().unwrap()]);
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
