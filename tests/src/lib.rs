//! Shared helpers of Postern's integration tests: an in-process client for the source
//! interface's router with a cookie jar, multipart bodies, and GnuPG as a real peer.
#![expect(clippy::unwrap_used, clippy::missing_panics_doc, reason = "test helpers fail loudly")]
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

pub mod api;
pub mod browser;
pub mod load;
pub mod png;
pub mod secrets;
pub mod tools;
pub mod tor;

pub use tools::require_tool;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use journalist_interface::{JournalistAppConfig, JournalistState};
use postern_crypto::OtpSecret;
use postern_crypto::{KeyProblem, SubmissionKey};
use postern_fixtures::TempInstance;
use postern_store::{NewJournalist, OtpKind};
use rand::rngs::OsRng;
use source_interface::{SourceAppConfig, SourceState};
use tower::ServiceExt;

/// The default source-interface settings of tests.
pub fn test_config() -> SourceAppConfig {
    SourceAppConfig {
        max_upload_bytes: 2 * 1024 * 1024 * 1024,
        max_pending_sources: 100_000,
        session_lifetime: Duration::from_secs(120 * 60),
        v3_source_url: None,
        exposed_addresses: Vec::new(),
        locales: vec!["en-US".to_owned()],
        clock: postern_core::Clock::system(),
    }
}

/// Both interfaces on one temporary instance, driven in-process.
pub struct Stack {
    /// The instance (store and files).
    pub instance: TempInstance,
    /// The source interface.
    pub router: Router,
    /// Its state.
    pub state: SourceState,
    /// The journalist interface on the same store.
    pub journalist_router: Router,
}

impl Stack {
    /// With the fixture key and default settings.
    pub fn new() -> Self {
        Self::with(test_config(), Ok(postern_fixtures::submission_key()))
    }

    /// With the given settings and key.
    pub fn with(config: SourceAppConfig, key: Result<SubmissionKey, KeyProblem>) -> Self {
        secrets::capture_logs();
        let instance = TempInstance::new();
        let journalist_key = key.as_ref().map(|_| postern_fixtures::submission_key()).map_err(|p| *p);
        let state = SourceState::new(instance.store.clone(), key, instance.secrets(), config);
        let journalist_state =
            JournalistState::new(instance.store.clone(), journalist_key, JournalistAppConfig::default());
        Self {
            router: source_interface::router(state.clone()),
            journalist_router: journalist_interface::router(journalist_state),
            state,
            instance,
        }
    }

    /// A browser with an empty cookie jar, on the source interface.
    pub fn client(&self) -> Client {
        Client { router: self.router.clone(), cookie: None, csrf: String::new(), last_body: String::new() }
    }

    /// A browser with an empty cookie jar, on the journalist interface.
    pub fn journalist_client(&self) -> Client {
        Client { router: self.journalist_router.clone(), cookie: None, csrf: String::new(), last_body: String::new() }
    }

    /// Creates a journalist account directly in the store (as `postern journalist add`
    /// does) with a known passphrase and a HOTP (or TOTP) secret.
    pub fn add_journalist(&self, username: &str, admin: bool, kind: OtpKind) -> Account {
        let password = postern_crypto::generate_password(&mut OsRng).to_string();
        let hash = postern_crypto::hash_password(&mut OsRng, &password).unwrap();
        let secret = OtpSecret::generate(&mut OsRng);
        let b32 = secret.to_base32();
        secrets::remember(secrets::Kind::Passphrase, &password);
        secrets::remember(secrets::Kind::OtpSecret, &b32);
        let new = NewJournalist { username, password_hash: &hash, is_admin: admin, otp_kind: kind, otp_secret: &b32 };
        self.instance.store.create_journalist(&new).unwrap();
        Account { username: username.to_owned(), password, secret, kind, next_hotp: 0, last_totp_step: None }
    }

    /// Logs `account` in on a fresh browser; asserts success.
    pub async fn log_in(&self, account: &mut Account) -> Client {
        let mut client = self.journalist_client();
        let res = client.log_in(account).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login failed: {}", res.text());
        assert_eq!(res.location(), Some("/"));
        client
    }

    /// A new source: front page → get started → create. Returns its browser and codename.
    pub async fn new_source(&self) -> Source {
        let mut client = self.client();
        let codename = client.generate_codename().await;
        let csrf = client.csrf.clone();
        let tab = tab_id_of(&client.last_body);
        let res = client.post_form("/create", &[("csrf_token", &csrf), ("tab_id", &tab)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/lookup"));
        Source { client, codename }
    }

    /// Changes the instance settings.
    pub fn set_settings(&self, f: impl FnOnce(&mut postern_store::InstanceSettings)) {
        let mut s = self.instance.store.instance_settings().unwrap();
        f(&mut s);
        self.instance.store.set_instance_settings(&s).unwrap();
    }
}

impl Drop for Stack {
    /// What the interfaces logged, at every level, holds none of the suite's secrets.
    fn drop(&mut self) {
        secrets::scan_captured();
    }
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

/// A journalist's credentials, with the next unused second-factor code.
pub struct Account {
    /// User name.
    pub username: String,
    /// Passphrase.
    pub password: String,
    /// Second-factor secret.
    pub secret: OtpSecret,
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// Next HOTP counter to use.
    pub next_hotp: u64,
    /// Last TOTP step used.
    pub last_totp_step: Option<u64>,
}

impl Account {
    /// A code not used before: the next HOTP counter, or the next TOTP step the server
    /// still accepts (now, then now + 30 s). Panics if a TOTP account used both.
    pub fn next_code(&mut self) -> String {
        let code = self.next_unremembered_code();
        secrets::remember(secrets::Kind::OtpCode, &code);
        code
    }

    fn next_unremembered_code(&mut self) -> String {
        match self.kind {
            OtpKind::Hotp => {
                let code = postern_crypto::totp_code(&self.secret, self.next_hotp * 30);
                self.next_hotp += 1;
                code
            }
            OtpKind::Totp => {
                let now = unix_now() / 30;
                let step = self.last_totp_step.map_or(now, |last| (last + 1).max(now));
                assert!(step <= now + 1, "this TOTP account used every code the server accepts now");
                self.last_totp_step = Some(step);
                postern_crypto::totp_code(&self.secret, step * 30)
            }
        }
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A logged-in source.
pub struct Source {
    /// Its browser.
    pub client: Client,
    /// Its codename as shown to it.
    pub codename: String,
}

impl Source {
    /// The CSRF token on its `/lookup` page.
    pub async fn lookup_csrf(&mut self) -> String {
        let res = self.client.get("/lookup").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        csrf_of(&res.text())
    }

    /// Submits `parts` after a fresh CSRF token.
    pub async fn submit(&mut self, parts: &[Part<'_>]) -> Response {
        let csrf = self.lookup_csrf().await;
        let mut all = vec![Part::Text("csrf_token", &csrf), Part::Text("text", "")];
        all.extend(parts.iter().cloned());
        self.client.post_multipart("/submit", &all).await
    }
}

/// A response, fully read.
pub struct Response {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }
}

/// A multipart form part.
#[derive(Clone)]
pub enum Part<'a> {
    /// A text field.
    Text(&'a str, &'a str),
    /// A file field: name, file name, content.
    File(&'a str, &'a str, &'a [u8]),
}

/// The boundary our test bodies use.
pub const BOUNDARY: &str = "----postern-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body.
pub fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                remember_field(name, value);
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, filename, data) => {
                secrets::remember(secrets::Kind::Filename, filename);
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Remembers a form field's value as a secret if its name says it is one.
fn remember_field(name: &str, value: &str) {
    let kind = match name {
        "codename" => secrets::Kind::Codename,
        "password" | "current_password" | "password_again" => secrets::Kind::Passphrase,
        "token" | "otp" => secrets::Kind::OtpCode,
        "otp_secret" => secrets::Kind::OtpSecret,
        "msg" | "message" => secrets::Kind::Message,
        _ => return,
    };
    secrets::remember(kind, value);
}

/// A browser: the router plus a cookie jar of one cookie.
pub struct Client {
    router: Router,
    cookie: Option<String>,
    /// The CSRF token of the last page that had one.
    pub csrf: String,
    /// The body of the last response.
    pub last_body: String,
}

impl Client {
    /// Sends `req` with our cookie and keeps any cookie change.
    pub async fn send(&mut self, mut req: Request<Body>) -> Response {
        if let Some(cookie) = &self.cookie {
            req.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        for set in parts.headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap().trim().to_owned();
            self.cookie = if set.contains("Max-Age=0") { None } else { Some(pair) };
        }
        let body = body.collect().await.unwrap().to_bytes().to_vec();
        let res = Response { status: parts.status, headers: parts.headers, body };
        self.last_body = res.text();
        if self.last_body.contains("name=\"csrf_token\"") {
            self.csrf = csrf_of(&self.last_body);
        }
        res
    }

    /// The cookie this browser holds.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// Replaces the cookie (to play another browser or a forger).
    pub fn set_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Response {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// `GET path` with extra headers.
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// `POST path` with an urlencoded form.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        fields.iter().for_each(|(name, value)| remember_field(name, value));
        let body = serde_urlencoded(fields);
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// `POST path` with a multipart body (with Content-Length, as browsers send).
    pub async fn post_multipart(&mut self, path: &str, parts: &[Part<'_>]) -> Response {
        let body = multipart_body(parts);
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// `GET /login`, then posts `account`'s credentials with its next code.
    pub async fn log_in(&mut self, account: &mut Account) -> Response {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = self.csrf.clone();
        let code = account.next_code();
        let (user, password) = (account.username.clone(), account.password.clone());
        self.post_form(
            "/login",
            &[("csrf_token", &csrf), ("username", &user), ("password", &password), ("token", &code)],
        )
        .await
    }

    /// `POST path` with this browser's current CSRF token added to `fields`.
    pub async fn post_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Front page, then "get started": returns the codename shown.
    pub async fn generate_codename(&mut self) -> String {
        let index = self.get("/").await;
        assert_eq!(index.status, StatusCode::OK);
        let csrf = self.csrf.clone();
        let res = self.post_form("/generate", &[("csrf_token", &csrf), ("tor2web_check", "href=\"fake.onion\"")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        codename_of(&res.text())
    }
}

fn serde_urlencoded(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the first `name="csrf_token"` input.
pub fn csrf_of(html: &str) -> String {
    input_value(html, "csrf_token").expect("a csrf_token field")
}

/// The value of the first input named `name`, if any.
pub fn input_value_of(html: &str, name: &str) -> Option<String> {
    input_value(html, name)
}

/// The value of the `tab_id` input.
pub fn tab_id_of(html: &str) -> String {
    input_value(html, "tab_id").expect("a tab_id field")
}

pub(crate) fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The text of the element with `id="codename"`.
pub fn codename_of(html: &str) -> String {
    let at = html.find("id=\"codename\"").expect("an element with id=codename");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find('<').unwrap();
    secrets::remember(secrets::Kind::Codename, &rest[start..end]);
    rest[start..end].to_owned()
}

/// GnuPG with its own home directory.
pub struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    /// A GnuPG home holding the fixture submission secret key.
    pub fn with_fixture_secret() -> Self {
        Self::with_secret_key(&postern_fixtures::fixture_path("gpg-submission-secret.asc"))
    }

    /// A GnuPG home holding only the secret key in `key` (not the fixture's).
    pub fn with_secret_key(key: &Path) -> Self {
        require_tool("gnupg");
        let gpg = Self { home: tempfile::tempdir().unwrap() };
        gpg.import(key);
        gpg
    }

    /// Imports a key file.
    pub fn import(&self, key: &Path) {
        let out = self.command().args(["--import"]).arg(key).output().unwrap();
        assert!(out.status.success(), "gpg --import: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `gpg --decrypt FILE`.
    pub fn decrypt(&self, file: &Path) -> Result<Vec<u8>, String> {
        let out = self.command().arg("--decrypt").arg(file).output().unwrap();
        if out.status.success() { Ok(out.stdout) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    }

    /// Encrypts `plaintext` to the imported keys with these fingerprints, as a
    /// workstation does (`--armor` if asked; GnuPG's default compression).
    pub fn encrypt_to(&self, fingerprints: &[&str], plaintext: &[u8], armor: bool) -> Vec<u8> {
        use std::io::Write;
        let mut c = self.command();
        c.args(["--trust-model", "always", "--encrypt"]);
        if armor {
            c.arg("--armor");
        }
        for f in fingerprints {
            c.args(["-r", f]);
        }
        let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(plaintext).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "gpg --encrypt: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// Imports an armoured key given as text.
    pub fn import_text(&self, armored: &str) {
        let file = self.home.path().join("import.asc");
        std::fs::write(&file, armored).unwrap();
        self.import(&file);
    }

    fn command(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).args(["--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback"]);
        c
    }
}

/// Runs the real `gzip -d -N` on `gz` in a fresh directory: returns the file name
/// gzip restored from the header and its content.
pub fn gunzip_restoring_name(gz: &[u8]) -> (String, Vec<u8>) {
    require_tool("gzip");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.gz");
    std::fs::write(&path, gz).unwrap();
    let out = Command::new("gzip").args(["-d", "-N", "-f"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "gzip: {}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(names.len(), 1);
    let file = names.pop().unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    (name, std::fs::read(file).unwrap())
}

/// A `postern` process, killed when dropped.
pub struct Running {
    child: std::process::Child,
    /// Its stderr, captured to a file.
    pub stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Starts `BINARY ARGS…` with stdout and stderr captured.
    pub fn start(binary: &Path, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let stdout = dir.path().join("stdout");
        let stderr = dir.path().join("stderr");
        let child = Command::new(binary)
            .args(args)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Self { child, stderr, _dir: dir }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap_or_default()).into_owned()
    }

    /// Sends SIGINT (Ctrl-C) and waits for it to exit; returns whether it exited cleanly.
    pub fn interrupt(mut self) -> bool {
        require_tool("kill");
        let sent = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -INT failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Running {
    /// Kills the process; what it logged holds none of the suite's secrets.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        secrets::assert_no_leaks("a postern process", &self.stderr_text());
    }
}

/// Waits up to 20 s for `check` to return `Some`.
pub fn wait_for<T>(check: impl FnMut() -> Option<T>) -> T {
    wait_for_long(Duration::from_secs(20), check)
}

/// Waits up to `limit` for `check` to return `Some`.
pub fn wait_for_long<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.1 GET over real TCP: (status, body).
pub fn http_get(url: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let status = status_of(&raw);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// The HTTP status of a raw response (0 if it has none).
pub fn status_of(raw: &str) -> u16 {
    raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `POST /login` with `codename`, from the login form of a new page load in the
/// session `cookie` holds (or starts); the raw response.
pub(crate) fn post_login(host: &str, codename: &str, cookie: &mut String) -> std::io::Result<String> {
    let form_page = raw_request(host, "GET", "/login", cookie, "")?;
    let csrf = input_value(&form_page, "csrf_token").ok_or_else(|| std::io::Error::other("no login form"))?;
    let form = format!("csrf_token={csrf}&codename={}", codename.replace(' ', "+"));
    raw_request(host, "POST", "/login", cookie, &form)
}

/// The file name of [`RawSource`]'s uploads.
const UPLOAD_NAME: &str = "raw-upload.bin";

/// A source created over real HTTP (plain TCP, one request per connection).
pub struct RawSource {
    /// `ss=…`
    pub cookie: String,
    /// The CSRF token of its session.
    pub csrf: String,
    /// Its codename.
    pub codename: String,
}

impl RawSource {
    /// Walks `/`, `/generate`, `/create` and `/lookup` on `host` (`127.0.0.1:PORT`).
    pub fn create(host: &str) -> std::io::Result<Self> {
        let mut cookie = String::new();
        let index = raw_request(host, "GET", "/", &mut cookie, "")?;
        let csrf = input_value(&index, "csrf_token").ok_or_else(|| std::io::Error::other("no csrf_token"))?;
        let form = format!("csrf_token={csrf}&tor2web_check=href%3D%22fake.onion%22");
        let generated = raw_request(host, "POST", "/generate", &mut cookie, &form)?;
        let tab = input_value(&generated, "tab_id").ok_or_else(|| std::io::Error::other("no tab_id"))?;
        let codename = codename_of(&generated);
        raw_request(host, "POST", "/create", &mut cookie, &format!("csrf_token={csrf}&tab_id={tab}"))?;
        let lookup = raw_request(host, "GET", "/lookup", &mut cookie, "")?;
        let csrf = input_value(&lookup, "csrf_token").ok_or_else(|| std::io::Error::other("not logged in"))?;
        Ok(Self { cookie, csrf, codename })
    }

    /// Logs in again with `codename` (a new session: after a restart, say).
    pub fn log_in(host: &str, codename: &str) -> std::io::Result<Self> {
        let mut cookie = String::new();
        post_login(host, codename, &mut cookie)?;
        let lookup = raw_request(host, "GET", "/lookup", &mut cookie, "")?;
        let csrf = input_value(&lookup, "csrf_token").ok_or_else(|| std::io::Error::other("not logged in"))?;
        Ok(Self { cookie, csrf, codename: codename.to_owned() })
    }

    /// Starts `POST /submit` of one file of `size` bytes: sends the headers and the
    /// multipart head, and returns the stream and the multipart tail still to send.
    pub fn start_upload(&self, host: &str, size: u64) -> std::io::Result<(std::net::TcpStream, String)> {
        self.start_upload_with(host, size, false)
    }

    /// As [`RawSource::start_upload`]; with `scrub`, the photo-cleaning box is ticked.
    pub fn start_upload_with(
        &self,
        host: &str,
        size: u64,
        scrub: bool,
    ) -> std::io::Result<(std::net::TcpStream, String)> {
        use std::io::Write;
        secrets::remember(secrets::Kind::Filename, UPLOAD_NAME);
        let scrub_part = if scrub {
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"scrub\"\r\n\r\n1\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n{scrub_part}\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"fh\"; filename=\"{UPLOAD_NAME}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            self.csrf
        );
        let tail = format!("\r\n--{BOUNDARY}--\r\n");
        let length = head.len() as u64 + size + tail.len() as u64;
        let mut stream = std::net::TcpStream::connect(host)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        write!(
            stream,
            "POST /submit HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\nConnection: close\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n{head}",
            self.cookie
        )?;
        Ok((stream, tail))
    }
}

/// One HTTP/1.1 request over a new connection; keeps the session cookie; returns the raw response.
pub fn raw_request(host: &str, method: &str, path: &str, cookie: &mut String, form: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    for line in raw.lines().take_while(|l| !l.is_empty()) {
        // Header names are case-insensitive (the server sends them title-cased).
        if let Some((name, set)) = line.split_once(": ")
            && name.eq_ignore_ascii_case("set-cookie")
        {
            *cookie = set.split(';').next().unwrap_or_default().to_owned();
        }
    }
    Ok(raw)
}
