//! Headless Chromium, driven over the DevTools protocol with JavaScript off in the page:
//! clicks are real mouse events at an element's box and typing is real text input, so
//! the page itself needs no script (as in Tor Browser at *Safest*).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// A Chromium process with a fresh profile, killed when dropped.
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Load events seen while waiting for command replies, not yet waited for.
    loads_seen: usize,
    _profile: tempfile::TempDir,
}

/// The longest a DevTools command may take to answer.
const COMMAND_LIMIT: Duration = Duration::from_secs(90);

impl Browser {
    /// Starts Chromium through the SOCKS proxy on `socks_port`, JavaScript off, no
    /// background networking, a fresh profile.
    pub fn start(socks_port: u16) -> Self {
        crate::require_tool("chromium");
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("chromium");
        cmd.args([
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--metrics-recording-only",
            "--blink-settings=scriptEnabled=false",
            "--window-size=1024,900",
            "--remote-debugging-port=0",
            "about:blank",
        ])
        // Everything through Tor; with socks5 Chromium leaves name resolution to the proxy.
        .arg(format!("--proxy-server=socks5://127.0.0.1:{socks_port}"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if running_as_root() {
            cmd.arg("--no-sandbox");
        }
        let child = cmd.spawn().expect("chromium starts (Debian package chromium)");
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port: u16 = loop {
            if let Some(port) = std::fs::read_to_string(&port_file).ok().and_then(|t| t.lines().next()?.parse().ok()) {
                break port;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "chromium did not open its DevTools port");
            std::thread::sleep(Duration::from_millis(100));
        };
        let targets: Value = serde_json::from_str(&http_get_local(port, "/json/list")).unwrap();
        let ws = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (socket, _) = tungstenite::client(ws.as_str(), stream).unwrap();
        // Reads wake up every second, so no wait below can hang the test.
        socket.get_ref().set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut browser = Self { child, socket, next_id: 0, loads_seen: 0, _profile: profile };
        browser.call("Page.enable", json!({}));
        browser.call("Emulation.setScriptExecutionDisabled", json!({ "value": true }));
        browser.loads_seen = 0;
        browser
    }

    /// Sends a DevTools command and returns its result (events that arrive meanwhile
    /// are kept for [`Self::wait_for_load`]).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(msg)).unwrap();
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < COMMAND_LIMIT, "DevTools did not answer {method}");
            let Some(reply) = self.next_message() else { continue };
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {}", reply["error"]);
                return reply["result"].clone();
            }
            if reply["method"] == "Page.loadEventFired" {
                self.loads_seen += 1;
            }
        }
    }

    /// The next message, or `None` after a second of silence.
    fn next_message(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(t)) => Some(serde_json::from_str(&t).unwrap()),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                None
            }
            Err(e) => panic!("DevTools connection: {e}"),
        }
    }

    /// Waits for the next `Page.loadEventFired` (a navigation finished), up to `limit`.
    fn wait_for_load(&mut self, limit: Duration) {
        let started = Instant::now();
        while self.loads_seen == 0 {
            assert!(started.elapsed() < limit, "the page did not load within {limit:?}");
            if self.next_message().is_some_and(|m| m["method"] == "Page.loadEventFired") {
                self.loads_seen += 1;
            }
        }
        self.loads_seen -= 1;
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&mut self, url: &str, limit: Duration) {
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for_load(limit);
    }

    fn node(&mut self, selector: &str) -> i64 {
        let root = self.call("DOM.getDocument", json!({ "depth": 0 }))["root"]["nodeId"].as_i64().unwrap();
        let found = self.call("DOM.querySelector", json!({ "nodeId": root, "selector": selector }));
        let node = found["nodeId"].as_i64().unwrap_or(0);
        assert!(node != 0, "no element matches {selector}");
        node
    }

    /// Clicks the element `selector` with the mouse and waits for the page it loads.
    pub fn click_and_wait(&mut self, selector: &str, limit: Duration) {
        let node = self.node(selector);
        self.call("DOM.scrollIntoViewIfNeeded", json!({ "nodeId": node }));
        let quad = self.call("DOM.getBoxModel", json!({ "nodeId": node }))["model"]["content"].clone();
        let q: Vec<f64> = quad.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let (x, y) = ((q[0] + q[2] + q[4] + q[6]) / 4.0, (q[1] + q[3] + q[5] + q[7]) / 4.0);
        for kind in ["mousePressed", "mouseReleased"] {
            let event = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
            self.call("Input.dispatchMouseEvent", event);
        }
        self.wait_for_load(limit);
    }

    /// Types `text` into the element `selector`.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let node = self.node(selector);
        self.call("DOM.focus", json!({ "nodeId": node }));
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// The current page's HTML.
    pub fn html(&mut self) -> String {
        let root = self.call("DOM.getDocument", json!({ "depth": -1 }))["root"]["nodeId"].as_i64().unwrap();
        self.call("DOM.getOuterHTML", json!({ "nodeId": root }))["outerHTML"].as_str().unwrap().to_owned()
    }

    /// Saves a PNG screenshot of the page to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = data_encoding::BASE64.decode(shot["data"].as_str().unwrap().as_bytes()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the tests keep artifacts (screenshots): `$POSTERN_ARTIFACTS` or
/// `target/test-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("POSTERN_ARTIFACTS").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        target.join("test-artifacts")
    });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn running_as_root() -> bool {
    // Chromium refuses to run its sandbox as root (CI containers run as root).
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn http_get_local(port: u16, path: &str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The DevTools server keeps the connection open: read exactly Content-Length bytes.
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut reader = BufReader::new(s);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}
