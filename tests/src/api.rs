//! A raw HTTP client for the journalist API: one request per connection over real TCP,
//! headers as the server spelled them, bodies as bytes.

use std::io::{Read, Write};
use std::time::Duration;

use crate::secrets;

/// One answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header names as sent (case kept) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `method path` to `host` with `headers` and `body`.
pub fn request(host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the journalist interface");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = crate::status_of(lines.next().unwrap_or_default());
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    Reply { status, headers, body: raw[split + 4..].to_vec() }
}

/// A logged-in API client.
pub struct Api {
    /// `127.0.0.1:PORT` of the journalist interface.
    pub host: String,
    /// Its token.
    pub token: String,
}

impl Api {
    /// `POST /api/v1/token`; panics unless it succeeds.
    pub fn log_in(host: &str, username: &str, passphrase: &str, code: &str) -> Self {
        let body = serde_json::json!({ "username": username, "passphrase": passphrase, "one_time_code": code });
        let reply = request(host, "POST", "/api/v1/token", &[], body.to_string().as_bytes());
        assert_eq!(reply.status, 200, "login: {}", String::from_utf8_lossy(&reply.body));
        let token = reply.json()["token"].as_str().unwrap().to_owned();
        secrets::remember(secrets::Kind::Passphrase, &token);
        Self { host: host.to_owned(), token }
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Token {}", self.token)
    }

    /// `method path` with the token and a JSON (or empty) body.
    pub fn send(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Reply {
        self.send_with(method, path, &[], body)
    }

    /// As [`Api::send`], with more headers.
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let auth = self.authorization();
        let mut headers = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        request(&self.host, method, path, &headers, &bytes)
    }

    /// `GET path` as JSON, asserting 200.
    pub fn get(&self, path: &str) -> serde_json::Value {
        let reply = self.send("GET", path, None);
        assert_eq!(reply.status, 200, "GET {path}: {}", String::from_utf8_lossy(&reply.body));
        reply.json()
    }
}

/// Whether `s` is a hyphenated UUID (any case).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Compares normalised API answers with `tests/golden/<file>`; with `POSTERN_BLESS=1`,
/// rewrites it instead.
pub fn check_golden(file: &str, answers: &serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden").join(file);
    let text = serde_json::to_string_pretty(answers).unwrap() + "\n";
    if std::env::var_os("POSTERN_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert!(golden == text, "the API's JSON changed from {}:\n{text}", path.display());
}
