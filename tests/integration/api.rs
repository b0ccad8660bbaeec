//! Journalist API v1 over real TCP against `postern demo --sample-data`: SecureDrop's
//! SDK driving it unchanged, the JSON of every endpoint against a golden file and
//! SecureDrop's documented fields, and the quirks (§6.2 36–45 of the reference study).

use std::path::Path;

use postern_tests::api::{Api, Reply, check_golden, is_uuid, request};
use postern_tests::secrets::{self, Kind};
use postern_tests::{Gpg, RawSource, Running, raw_request, unix_now, wait_for};
use serde_json::{Value, json};

use crate::postern_binary;

/// A demo with sample data, and its facts.
struct Demo {
    _running: Running,
    _dir: tempfile::TempDir,
    facts: Value,
    host: String,
}

impl Demo {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let demo_dir = dir.path().join("demo");
        let args = ["demo", "--sample-data", "--source-addr", "127.0.0.1:0", "--journalist-addr", "127.0.0.1:0"];
        let mut args: Vec<&str> = args.to_vec();
        let dir_arg = demo_dir.to_str().unwrap().to_owned();
        args.extend(["--dir", &dir_arg]);
        let running = Running::start(postern_binary(), &args);
        let facts: Value = wait_for(|| {
            let text = std::fs::read_to_string(demo_dir.join("demo.json")).ok()?;
            serde_json::from_str(&text).ok()
        });
        secrets::remember(Kind::Passphrase, facts["journalist_password"].as_str().unwrap());
        secrets::remember(Kind::OtpSecret, facts["journalist_totp_secret"].as_str().unwrap());
        for s in facts["sample_sources"].as_array().unwrap() {
            secrets::remember(Kind::Codename, s["codename"].as_str().unwrap());
        }
        let host = host_of(facts["journalist_url"].as_str().unwrap());
        wait_for(|| std::net::TcpStream::connect(&host).ok());
        Self { _running: running, _dir: dir, facts, host }
    }

    fn code(&self) -> String {
        let secret = postern_crypto::OtpSecret::from_base32(self.facts["journalist_totp_secret"].as_str().unwrap());
        let code = postern_crypto::totp_code(&secret.unwrap(), unix_now());
        secrets::remember(Kind::OtpCode, &code);
        code
    }

    fn log_in(&self) -> Api {
        let f = &self.facts;
        let code = self.code();
        Api::log_in(
            &self.host,
            f["journalist_username"].as_str().unwrap(),
            f["journalist_password"].as_str().unwrap(),
            &code,
        )
    }

    fn sample(&self, n: usize) -> (&str, &str) {
        let s = &self.facts["sample_sources"][n];
        (s["uuid"].as_str().unwrap(), s["codename"].as_str().unwrap())
    }
}

fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// The Python of the virtualenv `scripts/install-deps` made with securedrop-sdk in it.
fn sdk_python() -> std::path::PathBuf {
    let venv = std::env::var_os("POSTERN_SDK_VENV").unwrap_or_else(|| "/var/tmp/postern-sdk-venv".into());
    let python = Path::new(&venv).join("bin/python");
    assert!(python.exists(), "no SecureDrop SDK virtualenv at {}: run scripts/install-deps", python.display());
    python
}

#[test]
fn securedrop_sdk_drives_postern_unchanged() {
    let demo = Demo::start();
    let work = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk/drive.py");
    let facts_file = work.path().join("facts.json");
    std::fs::write(&facts_file, demo.facts.to_string()).unwrap();
    let out = std::process::Command::new(sdk_python())
        .arg(&script)
        .arg(&facts_file)
        .arg(demo.code())
        .arg(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the SDK run failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // The server's log must not hold the SDK's token either (checked when the demo stops).
    secrets::remember(Kind::Passphrase, result["token"].as_str().unwrap());

    // The download GnuPG decrypts with the submission key, and its ETag is its digest.
    let download = Path::new(result["download"].as_str().unwrap());
    let gpg = Gpg::with_secret_key(Path::new(demo.facts["submission_secret_key"].as_str().unwrap()));
    let plain = String::from_utf8(gpg.decrypt(download).unwrap()).unwrap();
    assert!(plain.starts_with("Sample message 1:"), "{plain}");
    let digest = sha256_hex(&std::fs::read(download).unwrap());
    assert_eq!(result["etag"].as_str().unwrap(), format!("sha256:{digest}"));

    // The source reads the reply the SDK posted, after logging in with its codename.
    let (uuid, codename) = demo.sample(0);
    assert_eq!(result["source"].as_str().unwrap(), uuid);
    let source_host = host_of(demo.facts["source_url"].as_str().unwrap());
    let mut source = RawSource::log_in(&source_host, codename).unwrap();
    let lookup = raw_request(&source_host, "GET", "/lookup", &mut source.cookie, "").unwrap();
    let text = result["reply_text"].as_str().unwrap();
    assert!(lookup.contains(text), "the source sees the workstation's reply: {lookup}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_owned()
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// SecureDrop's documented fields (the reference study, §3.3), which its clients read.
const SOURCE_FIELDS: &[&str] = &[
    "add_star_url",
    "interaction_count",
    "is_flagged",
    "is_starred",
    "journalist_designation",
    "key",
    "last_updated",
    "number_of_documents",
    "number_of_messages",
    "remove_star_url",
    "replies_url",
    "submissions_url",
    "url",
    "uuid",
];
const SUBMISSION_FIELDS: &[&str] = &[
    "download_url",
    "filename",
    "is_file",
    "is_message",
    "is_read",
    "seen_by",
    "size",
    "source_url",
    "submission_url",
    "uuid",
];
const REPLY_FIELDS: &[&str] = &[
    "filename",
    "is_deleted_by_source",
    "journalist_first_name",
    "journalist_last_name",
    "journalist_username",
    "journalist_uuid",
    "reply_url",
    "seen_by",
    "size",
    "source_url",
    "uuid",
];

/// `value` with what differs between runs replaced by its kind: UUIDs, designations,
/// timestamps, keys, fingerprints, tokens and sizes.
fn shape(value: &Value, designations: &[String]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("size", Value::Number(_)) => json!("<size>"),
                        ("token", Value::String(_)) => json!("<token>"),
                        ("public", Value::String(_)) => json!("<armoured public key>"),
                        ("fingerprint", Value::String(s)) if s.len() == 40 => json!("<fingerprint>"),
                        _ => shape(v, designations),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| shape(v, designations)).collect()),
        Value::String(s) => Value::String(shape_text(s, designations)),
        other => other.clone(),
    }
}

fn shape_text(text: &str, designations: &[String]) -> String {
    let mut out = text.to_owned();
    for d in designations {
        out = out.replace(d.as_str(), "<designation>").replace(&d.replace(' ', "_"), "<designation>");
    }
    // UUIDs: 8-4-4-4-12 hex.
    let bytes: Vec<char> = out.chars().collect();
    let mut result = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let candidate: String = bytes[i..bytes.len().min(i + 36)].iter().collect();
        if candidate.len() == 36 && is_uuid(&candidate) {
            result.push_str("<uuid>");
            i += 36;
        } else {
            result.push(bytes[i]);
            i += 1;
        }
    }
    if result.len() == 27 && result.ends_with(".000000Z") && result.as_bytes()[10] == b'T' {
        return "<timestamp>".to_owned();
    }
    result
}

#[test]
fn every_endpoint_answers_as_securedrop_documents() {
    let demo = Demo::start();
    let api = demo.log_in();
    let designations: Vec<String> = demo.facts["sample_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["designation"].as_str().unwrap().replace(' ', "-"))
        .chain(
            demo.facts["sample_sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["designation"].as_str().unwrap().to_owned()),
        )
        .collect();
    let (first, _) = demo.sample(0);
    let sources = api.get("/api/v1/sources");
    let listed = sources["sources"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for s in listed {
        assert_eq!(keys(s), SOURCE_FIELDS);
        assert_eq!(keys(&s["key"]), ["fingerprint", "public", "type"]);
        assert!(s["key"]["public"].as_str().unwrap().starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        assert_eq!(s["url"].as_str().unwrap().rsplit('/').next(), s["uuid"].as_str(), "clients split source_url");
    }
    let submissions = api.get("/api/v1/submissions");
    for m in submissions["submissions"].as_array().unwrap() {
        assert_eq!(keys(m), SUBMISSION_FIELDS);
        let number: u64 = m["filename"].as_str().unwrap().split('-').next().unwrap().parse().unwrap();
        assert!(number >= 1, "file names start with their interaction number");
    }
    let replies = api.get("/api/v1/replies");
    for r in replies["replies"].as_array().unwrap() {
        assert_eq!(keys(r), REPLY_FIELDS);
    }
    let users = api.get("/api/v1/users");
    for u in users["users"].as_array().unwrap() {
        assert_eq!(keys(u), ["first_name", "last_name", "username", "uuid"], "no last_login, no is_admin");
    }
    let user = api.get("/api/v1/user");
    assert_eq!(keys(&user), ["first_name", "is_admin", "last_login", "last_name", "username", "uuid"]);
    let message = &api.get(&format!("/api/v1/sources/{first}/submissions"))["submissions"][0];
    let reply = &api.get(&format!("/api/v1/sources/{first}/replies"))["replies"][0];

    let mut answers = serde_json::Map::new();
    let mut record = |what: &str, reply: Reply| {
        assert!(reply.header("set-cookie").is_none(), "{what} set a cookie");
        let body = if reply.header("content-type") == Some("application/json") {
            shape(&reply.json(), &designations)
        } else {
            json!("<bytes>")
        };
        answers.insert(what.to_owned(), json!({ "status": reply.status, "body": body }));
    };
    let raw = |path: &str| request(&api.host, "GET", path, &[], b"");
    record("GET /api/v1/", raw("/api/v1/"));
    for path in ["/api/v1/sources", "/api/v1/submissions", "/api/v1/replies", "/api/v1/users", "/api/v1/user"] {
        record(&format!("GET {path}"), api.send("GET", path, None));
    }
    let message_url = message["submission_url"].as_str().unwrap();
    let reply_url = reply["reply_url"].as_str().unwrap();
    let source_url = format!("/api/v1/sources/{first}");
    record("GET source", api.send("GET", &source_url, None));
    record("GET source submissions", api.send("GET", &format!("{source_url}/submissions"), None));
    record("GET source submission", api.send("GET", message_url, None));
    record("GET source replies", api.send("GET", &format!("{source_url}/replies"), None));
    record("GET source reply", api.send("GET", reply_url, None));
    record("POST source flag", api.send("POST", &format!("{source_url}/flag"), None));
    record("POST source add_star", api.send("POST", &format!("{source_url}/add_star"), None));
    record("DELETE source remove_star", api.send("DELETE", &format!("{source_url}/remove_star"), None));
    let seen = json!({ "messages": [message["uuid"]], "replies": [reply["uuid"]] });
    record("POST seen", api.send("POST", "/api/v1/seen", Some(&seen)));
    record("GET source submission after seen", api.send("GET", message_url, None));
    let ciphertext = api.send("GET", &format!("{reply_url}/download"), None).body;
    let armored = postern_crypto::armor_message(&ciphertext);
    record(
        "POST source replies",
        api.send("POST", &format!("{source_url}/replies"), Some(&json!({ "reply": armored }))),
    );
    record("DELETE source reply", api.send("DELETE", reply_url, None));
    record("DELETE source submission", api.send("DELETE", message_url, None));
    let (second, _) = demo.sample(1);
    record("DELETE source conversation", api.send("DELETE", &format!("/api/v1/sources/{second}/conversation"), None));
    let (third, _) = demo.sample(2);
    record("DELETE source", api.send("DELETE", &format!("/api/v1/sources/{third}"), None));
    record("POST logout", api.send("POST", "/api/v1/logout", None));
    let token = json!({ "username": "journalist", "passphrase": "wrong wrong wrong wrong wrong wrong wrong", "one_time_code": "123456" });
    record("POST token refused", request(&api.host, "POST", "/api/v1/token", &[], token.to_string().as_bytes()));
    check_golden("api-v1.json", &Value::Object(answers));
}

/// Every route that needs a token, with a method it answers.
fn protected_routes(source: &str, item: &str) -> Vec<(&'static str, String)> {
    let s = format!("/api/v1/sources/{source}");
    vec![
        ("GET", "/api/v1/sources".into()),
        ("GET", "/api/v1/submissions".into()),
        ("GET", "/api/v1/replies".into()),
        ("GET", "/api/v1/users".into()),
        ("GET", "/api/v1/user".into()),
        ("POST", "/api/v1/seen".into()),
        ("POST", "/api/v1/logout".into()),
        ("GET", s.clone()),
        ("DELETE", s.clone()),
        ("POST", format!("{s}/add_star")),
        ("DELETE", format!("{s}/remove_star")),
        ("POST", format!("{s}/flag")),
        ("DELETE", format!("{s}/conversation")),
        ("GET", format!("{s}/submissions")),
        ("GET", format!("{s}/submissions/{item}")),
        ("DELETE", format!("{s}/submissions/{item}")),
        ("GET", format!("{s}/submissions/{item}/download")),
        ("GET", format!("{s}/replies")),
        ("POST", format!("{s}/replies")),
        ("GET", format!("{s}/replies/{item}")),
        ("DELETE", format!("{s}/replies/{item}")),
        ("GET", format!("{s}/replies/{item}/download")),
    ]
}

fn assert_json_error(reply: &Reply, status: u16, what: &str) -> Value {
    assert_eq!(reply.status, status, "{what}: {}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/json"), "{what}");
    assert!(reply.header("set-cookie").is_none(), "{what} set a cookie");
    let body = reply.json();
    assert_eq!(keys(&body), ["error", "message"], "{what}");
    body
}

#[test]
fn the_api_keeps_securedrops_quirks_and_fixes_its_gaps() {
    let demo = Demo::start();
    let code = demo.code();
    let f = &demo.facts;
    let (username, passphrase) =
        (f["journalist_username"].as_str().unwrap(), f["journalist_password"].as_str().unwrap());
    let api = Api::log_in(&demo.host, username, passphrase, &code);
    // A code works once, through the API as on the web.
    let again = json!({ "username": username, "passphrase": passphrase, "one_time_code": code });
    let reused = request(&demo.host, "POST", "/api/v1/token", &[], again.to_string().as_bytes());
    assert_json_error(&reused, 403, "a code used already");
    let (first, _) = demo.sample(0);
    let (second, _) = demo.sample(1);
    let mine = api.get(&format!("/api/v1/sources/{first}/submissions"));
    let message = mine["submissions"][0].clone();
    let theirs = api.get(&format!("/api/v1/sources/{second}/submissions"))["submissions"][0].clone();
    let message_uuid = message["uuid"].as_str().unwrap();

    // Missing or malformed Authorization: 403 JSON on every protected route.
    let fresh = postern_core::random_token();
    let bad = [
        "",
        "Bearer x",
        "Token",
        "Token ",
        "Token a b",
        "token x",
        &format!("Token {fresh}"),
        &format!("Token {}x", api.token),
    ];
    for (method, path) in protected_routes(first, message_uuid) {
        for auth in bad {
            let headers: Vec<(&str, &str)> = if auth.is_empty() { vec![] } else { vec![("Authorization", auth)] };
            let reply = request(&api.host, method, &path, &headers, b"{}");
            assert_json_error(&reply, 403, &format!("{method} {path} with {auth:?}"));
        }
    }

    // Trailing slashes and unknown paths are 404; wrong methods 405; all JSON.
    for path in ["/api/v1/sources/", "/api/v1/user/", "/api/v1/nothing", &format!("/api/v1/sources/{first}/")] {
        assert_json_error(&api.send("GET", path, None), 404, path);
    }
    for (method, path) in
        [("PUT", "/api/v1/sources"), ("DELETE", "/api/v1/user"), ("GET", "/api/v1/token"), ("GET", "/api/v1/logout")]
    {
        assert_json_error(&api.send(method, path, None), 405, path);
    }
    assert_eq!(request(&api.host, "GET", "/api/v1/", &[], b"").json()["sources_url"], "/api/v1/sources");
    // A Host that is not ours (DNS rebinding) is refused before anything else, in JSON.
    let misdirected = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&api.host).unwrap();
        write!(stream, "GET /api/v1/sources HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    };
    assert!(misdirected.starts_with("HTTP/1.1 421 "), "{misdirected}");
    assert!(misdirected.ends_with(r#""message":"This server does not answer for that host."}"#), "{misdirected}");

    // The token endpoint: missing fields 400, any failure 403 with SecureDrop's words.
    let token = |body: &[u8]| request(&api.host, "POST", "/api/v1/token", &[], body);
    for (body, field) in [
        (json!({ "passphrase": "p", "one_time_code": "1" }), "username"),
        (json!({ "username": "journalist", "one_time_code": "1" }), "passphrase"),
        (json!({ "username": "journalist", "passphrase": "p" }), "one_time_code"),
    ] {
        let refused = assert_json_error(&token(body.to_string().as_bytes()), 400, field);
        assert_eq!(refused["message"], format!("{field} field is missing"));
    }
    assert_json_error(&token(b""), 400, "empty body");
    assert_json_error(&token(b"{not json"), 400, "malformed JSON");
    let long = "word ".repeat(60);
    for passphrase in ["wrong wrong wrong wrong wrong wrong wrong", long.as_str()] {
        let body = json!({ "username": "journalist", "passphrase": passphrase, "one_time_code": "000000" });
        let refused = assert_json_error(&token(body.to_string().as_bytes()), 403, "bad login");
        assert_eq!(refused["message"], "Token authentication failed.");
    }

    // POST bodies: JSON required but for star, flag and logout.
    assert_eq!(api.send("POST", &format!("/api/v1/sources/{first}/add_star"), None).status, 201);
    assert_json_error(&api.send("POST", "/api/v1/seen", None), 400, "seen without a body");
    for body in [json!({}), json!({ "files": [] }), json!([]), json!({ "files": "x" })] {
        assert_json_error(&api.send("POST", "/api/v1/seen", Some(&body)), 400, &body.to_string());
    }
    let unknown = "00000000-0000-4000-8000-000000000000";
    for body in
        [json!({ "files": [unknown] }), json!({ "files": [message_uuid] }), json!({ "replies": [message_uuid] })]
    {
        assert_json_error(&api.send("POST", "/api/v1/seen", Some(&body)), 404, &body.to_string());
    }
    for _ in 0..2 {
        let body = json!({ "messages": [message_uuid] });
        assert_eq!(api.send("POST", "/api/v1/seen", Some(&body)).status, 200, "idempotent");
    }

    // Downloads: MIME type, Etag (so spelt: SecureDrop's SDK reads it so), ranges.
    let download_url = message["download_url"].as_str().unwrap();
    let whole = api.send("GET", download_url, None);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-type"), Some("application/pgp-encrypted"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert!(whole.headers.iter().any(|(n, _)| n == "Etag"), "the header is spelt Etag: {:?}", whole.headers);
    assert_eq!(whole.header("etag").unwrap(), format!("sha256:{}", sha256_hex(&whole.body)));
    let len = whole.body.len();
    let part = api.send_with("GET", download_url, &[("Range", "bytes=0-9")], None);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole.body[..10]);
    assert_eq!(part.header("content-range"), Some(format!("bytes 0-9/{len}").as_str()));
    let tail = api.send_with("GET", download_url, &[("Range", "bytes=10-")], None);
    assert_eq!([&part.body[..], &tail.body[..]].concat(), whole.body, "resumed, the halves make the whole");
    for range in [format!("bytes={len}-"), "bytes=9-1".into(), "bytes=-0".into(), "bytes=x-y".into()] {
        let refused = api.send_with("GET", download_url, &[("Range", &range)], None);
        assert_json_error(&refused, 416, &range);
        assert_eq!(refused.header("content-range"), Some(format!("bytes */{len}").as_str()), "{range}");
    }

    // An item under another source's path is not found, and stays.
    let theirs_uuid = theirs["uuid"].as_str().unwrap();
    let crossed = format!("/api/v1/sources/{first}/submissions/{theirs_uuid}");
    for (method, path) in
        [("GET", crossed.clone()), ("GET", format!("{crossed}/download")), ("DELETE", crossed.clone())]
    {
        assert_json_error(&api.send(method, &path, None), 404, &path);
    }
    assert_eq!(api.send("GET", theirs["submission_url"].as_str().unwrap(), None).status, 200, "still there");
    let their_reply = &api.get(&format!("/api/v1/sources/{second}/replies"))["replies"][0];
    let crossed = format!("/api/v1/sources/{first}/replies/{}", their_reply["uuid"].as_str().unwrap());
    assert_json_error(&api.send("DELETE", &crossed, None), 404, "a reply under another source");

    // Replies must be armoured encrypted messages; a client's UUID is honoured once.
    let replies_url = format!("/api/v1/sources/{first}/replies");
    let reply_ciphertext =
        api.send("GET", &format!("{}/download", their_reply["reply_url"].as_str().unwrap()), None).body;
    let armored = postern_crypto::armor_message(&reply_ciphertext);
    for body in [
        json!({}),
        json!([]),
        json!({ "reply": 5 }),
        json!({ "reply": "" }),
        json!({ "reply": "a plain text reply" }),
        json!({ "reply": "-----BEGIN PGP MESSAGE-----\n\nnot base64\n-----END PGP MESSAGE-----\n" }),
        json!({ "reply": armored, "uuid": "not-a-uuid" }),
    ] {
        assert_json_error(&api.send("POST", &replies_url, Some(&body)), 400, &body.to_string());
    }
    let chosen = "0a1b2c3d-0000-4000-8000-00000000abcd";
    let stored = api.send("POST", &replies_url, Some(&json!({ "reply": armored, "uuid": chosen })));
    assert_eq!(stored.status, 201);
    assert_eq!(stored.json()["uuid"], chosen);
    let again = api.send("POST", &replies_url, Some(&json!({ "reply": armored, "uuid": chosen })));
    assert_json_error(&again, 409, "a duplicate UUID");
    let stored_reply = api.get(&format!("{replies_url}/{chosen}"));
    assert_eq!(stored_reply["seen_by"], json!([api.get("/api/v1/user")["uuid"]]), "the author has seen it");

    // A journalist provisioned from files logs in; deleting the account ends its token at once.
    let config = demo.facts["config"].as_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    let secret = postern_crypto::OtpSecret::generate(&mut rand::rngs::OsRng);
    let b32 = secret.to_base32();
    secrets::remember(Kind::OtpSecret, &b32);
    let totp_file = work.path().join("totp");
    std::fs::write(&totp_file, format!("{}\n", b32.as_str())).unwrap();
    let passphrase = "provisioned by a script with seven words";
    secrets::remember(Kind::Passphrase, passphrase);
    let added = postern(
        &["journalist", "add", "--config", config, "--username", "ci-bot", "--passphrase-file", "-"],
        Some(passphrase),
        &totp_file,
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(!String::from_utf8_lossy(&added.stdout).contains(passphrase), "a given passphrase is not printed");
    let now = unix_now();
    let bot = Api::log_in(&demo.host, "ci-bot", passphrase, &postern_crypto::totp_code(&secret, now));
    assert_eq!(bot.get("/api/v1/user")["username"], "ci-bot");
    // A new passphrase ends the account's tokens, even set from another process.
    let reset =
        postern(&["journalist", "reset-password", "--config", config, "--username", "ci-bot"], None, Path::new(""));
    assert!(reset.status.success());
    assert_json_error(&bot.send("GET", "/api/v1/sources", None), 403, "a token from before a passphrase change");
    let stdout = String::from_utf8_lossy(&reset.stdout);
    let new_passphrase = stdout.lines().skip_while(|l| !l.starts_with("Passphrase")).nth(1).unwrap().trim().to_owned();
    secrets::remember(Kind::Passphrase, &new_passphrase);
    let bot = Api::log_in(&demo.host, "ci-bot", &new_passphrase, &postern_crypto::totp_code(&secret, now + 30));
    let deleted = postern(&["journalist", "delete", "--config", config, "--username", "ci-bot"], None, Path::new(""));
    assert!(deleted.status.success());
    assert_json_error(&bot.send("GET", "/api/v1/sources", None), 403, "a deleted journalist's token");

    // Logout revokes the token.
    assert_eq!(api.send("POST", "/api/v1/logout", None).json()["message"], "Your token has been revoked.");
    assert_json_error(&api.send("GET", "/api/v1/sources", None), 403, "after logout");

    // The web login's throttle: the sixth attempt in a minute is refused, even right.
    let secret = postern_crypto::OtpSecret::from_base32(f["journalist_totp_secret"].as_str().unwrap()).unwrap();
    let fresh = postern_crypto::totp_code(&secret, unix_now() + 30);
    let wrong = json!({ "username": username, "passphrase": "not the passphrase at all, seven words", "one_time_code": "000000" });
    // Four attempts so far (the login, the reused code, the two wrong passphrases); three
    // more make seven.
    for _ in 0..3 {
        request(&demo.host, "POST", "/api/v1/token", &[], wrong.to_string().as_bytes());
    }
    let right = json!({ "username": username, "passphrase": passphrase, "one_time_code": fresh });
    let throttled = request(&demo.host, "POST", "/api/v1/token", &[], right.to_string().as_bytes());
    assert_json_error(&throttled, 403, "the sixth attempt in a minute");
    // Nothing unbounded: a login body past 16 KiB is refused unread.
    let huge = json!({ "username": "x".repeat(32 * 1024), "passphrase": "p", "one_time_code": "1" });
    let refused = request(&demo.host, "POST", "/api/v1/token", &[], huge.to_string().as_bytes());
    assert_json_error(&refused, 413, "a huge login");
}

/// Runs `postern ARGS…` with `stdin`; `--totp-secret-file` is added when `totp` is a file.
fn postern(args: &[&str], stdin: Option<&str>, totp: &Path) -> std::process::Output {
    use std::io::Write;
    let mut command = std::process::Command::new(postern_binary());
    command.args(args);
    if totp.is_file() {
        command.arg("--totp-secret-file").arg(totp);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    secrets::assert_no_leaks("postern journalist", &String::from_utf8_lossy(&out.stderr));
    out
}
