//! The project's private Tor network (`tests/tor/private-network`) for the onion tests,
//! and HTTP over its C-tor clients' SOCKS ports.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A running private network; every daemon is stopped (by PID) when dropped.
pub struct PrivateTor {
    dir: tempfile::TempDir,
    base_port: u16,
    /// The bootstrapped C-tor client's SOCKS port.
    pub socks_port: u16,
    clients: usize,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tor/private-network")
}

/// A block of 50 free loopback ports below the ephemeral range (32768+), from an offset
/// unlikely to collide between concurrent runs.
fn free_port_block() -> u16 {
    const BLOCKS: u32 = 120; // 20000..32000
    for attempt in 0..BLOCKS {
        let block = (std::process::id() + attempt * 7) % BLOCKS;
        let base = u16::try_from(20_000 + block * 100).unwrap();
        if (0..50).all(|o| TcpListener::bind(("127.0.0.1", base + o)).is_ok()) {
            return base;
        }
    }
    panic!("no free port block for the private Tor network");
}

/// A SOCKS5 refusal, with Tor's reply code (0xF4: the onion service needs client
/// authorisation; 0xF5: the client's key is not authorised; see Tor's prop 304).
#[derive(Debug)]
pub struct SocksRefused(pub u8);

impl std::fmt::Display for SocksRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SOCKS: connect refused with reply {:#04x}", self.0)
    }
}

impl std::error::Error for SocksRefused {}

/// The SOCKS reply code of a refused connection, if that is what `err` is.
pub fn refusal_code(err: &std::io::Error) -> Option<u8> {
    err.get_ref().and_then(|e| e.downcast_ref::<SocksRefused>()).map(|r| r.0)
}

impl PrivateTor {
    /// Generates and starts the network and waits for its first client to bootstrap.
    pub fn start() -> Self {
        crate::require_tool("tor");
        let dir = tempfile::Builder::new().prefix("postern-tor-").tempdir_in("/var/tmp").unwrap();
        let base_port = free_port_block();
        // Made first, so that its Drop stops the daemons whatever fails below.
        let mut tor = Self { dir, base_port, socks_port: 0, clients: 1 };
        assert!(tor.script_command("start").status().unwrap().success(), "the private Tor network did not start");
        let port = std::fs::read_to_string(tor.dir.path().join("net/socks-port")).unwrap();
        tor.socks_port = port.trim().parse().unwrap();
        tor
    }

    /// The arti overlay file for `postern --tor-network`.
    pub fn arti_network(&self) -> PathBuf {
        self.dir.path().join("net/arti-network.toml")
    }

    /// Starts a fresh C-tor client (no cached descriptors), with `ClientOnionAuthDir`
    /// if given; returns its name and SOCKS port once it has bootstrapped.
    pub fn fresh_client(&mut self, auth_dir: Option<&Path>) -> (String, u16) {
        let name = format!("c{}", self.clients);
        self.clients += 1;
        let net = self.dir.path().join("net");
        let mut cmd = self.script_command("client");
        cmd.arg(&name);
        if let Some(auth) = auth_dir {
            cmd.arg(auth);
        }
        assert!(cmd.status().unwrap().success(), "a fresh tor client did not bootstrap");
        let port = std::fs::read_to_string(net.join("nodes").join(&name).join("socks-port")).unwrap();
        (name, port.trim().parse().unwrap())
    }

    /// Stops a client started by [`Self::fresh_client`].
    pub fn stop_client(&self, name: &str) {
        let _ = self.script_command("stop-client").arg(name).status();
    }

    /// Whether a brand-new client (with `auth_dir` keys) can open a stream to `onion`:
    /// `Ok`, or the SOCKS refusal code (`None` for any other failure).
    pub fn fresh_client_connects(
        &mut self,
        auth_dir: Option<&Path>,
        onion: &str,
        limit: Duration,
    ) -> Result<(), Option<u8>> {
        let (name, port) = self.fresh_client(auth_dir);
        let outcome = socks_connect(port, onion, 80, limit).map(|_| ()).map_err(|e| refusal_code(&e));
        self.stop_client(&name);
        outcome
    }

    /// The launcher with `action DIR`, its output kept out of our pipes (tor daemons
    /// inherit descriptors).
    fn script_command(&self, action: &str) -> Command {
        let mut cmd = Command::new(script());
        cmd.arg(action)
            .arg(self.dir.path().join("net"))
            .env("BASE_PORT", self.base_port.to_string())
            // The daemons exit with this test process, even if it is killed.
            .env("OWNER_PID", std::process::id().to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit());
        cmd
    }
}

impl Drop for PrivateTor {
    fn drop(&mut self) {
        let _ = self.script_command("stop").status();
    }
}

/// Opens a TCP stream to `host:port` through a SOCKS5 proxy (hostname resolved by Tor).
pub fn socks_connect(socks_port: u16, host: &str, port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", socks_port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(&[5, 1, 0])?;
    let mut reply = [0u8; 2];
    s.read_exact(&mut reply)?;
    if reply != [5, 0] {
        return Err(std::io::Error::other("SOCKS: no acceptable authentication"));
    }
    let mut req = vec![5, 1, 0, 3, u8::try_from(host.len()).map_err(std::io::Error::other)?];
    req.extend_from_slice(host.as_bytes());
    req.extend_from_slice(&port.to_be_bytes());
    s.write_all(&req)?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head)?;
    if head[1] != 0 {
        return Err(std::io::Error::other(SocksRefused(head[1])));
    }
    let skip = match head[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len)?;
            usize::from(len[0])
        }
        _ => return Err(std::io::Error::other("SOCKS: bad address type")),
    };
    let mut rest = vec![0u8; skip + 2];
    s.read_exact(&mut rest)?;
    Ok(s)
}

/// An HTTP response read to its end.
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header block, lower-cased names.
    pub headers: String,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request over Tor (`Connection: close`); keeps `cookie` up to date.
pub fn onion_request(
    socks_port: u16,
    onion: &str,
    method: &str,
    path: &str,
    cookie: &mut String,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let mut s = socks_connect(socks_port, onion, 80, Duration::from_secs(60))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {onion}\r\nCookie: {cookie}\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    // An arti service may end the stream with END(MISC); what arrived is complete.
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no HTTP header"))?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = crate::status_of(&headers);
    for line in headers.lines() {
        if let Some(set) = line.strip_prefix("set-cookie: ") {
            let original = String::from_utf8_lossy(&raw[..split]).into_owned();
            // Cookie values are case-sensitive: take this one from the original header.
            if let Some(orig) = original.lines().find(|l| l.to_lowercase() == format!("set-cookie: {set}")) {
                let value = orig.split_once(": ").map(|x| x.1).unwrap_or_default();
                *cookie = value.split(';').next().unwrap_or_default().to_owned();
            }
        }
    }
    Ok(HttpResponse { status, headers, body: raw[split + 4..].to_vec() })
}
