//! Serving one connection with hyper, the same way for a loopback TCP stream and for a
//! stream of an onion service.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;

use crate::HeaderPolicy;

/// A client must send its request headers within this time.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// After the last response of a connection, what the client still sends is read and
/// discarded for at most this long before the connection closes, so that a client
/// still uploading a body we refused reads our answer instead of losing it to a reset
/// (nginx's lingering close).
pub const LINGER: Duration = Duration::from_secs(30);
/// ... and the lingering ends as soon as the client is silent this long.
const LINGER_IDLE: Duration = Duration::from_secs(5);

/// The Tor circuit a request came on. Every stream of one rendezvous circuit has the
/// same one, so it stands for one client; a request over TCP has none. Handlers read it
/// as a request extension, to share out what one client may hold at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Circuit(pub u64);

/// Serves `app` on one connection until the client goes away. The responses hyper
/// makes itself, for requests too malformed to reach `app` (400, 414, 431), get the
/// same security headers as ours. Requests carry `circuit`, if given, as an extension.
/// A handler may answer without reading the request body: the connection then closes
/// after the answer, lingering (see [`LINGER`]).
pub async fn serve_connection<I>(io: I, app: Router, policy: &'static HeaderPolicy, circuit: Option<Circuit>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
        if let Some(circuit) = circuit {
            request.extensions_mut().insert(circuit);
        }
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // `Etag`, not `etag`: SecureDrop's SDK reads the download digest from a plain
        // dict of the headers, under that spelling (its server is Flask's).
        .title_case_headers(true)
        .serve_connection(TokioIo::new(WithHeaders::new(io, policy)), service)
        .without_shutdown();
    // A client that goes away mid-request is normal; nothing to report.
    if let Ok(parts) = connection.await {
        // Streams of an onion service carry their circuit; TCP connections do not.
        linger(parts.io.into_inner(), circuit.is_none()).await;
    }
}

/// Reads and discards what the client still sends until it closes, goes silent for
/// [`LINGER_IDLE`], or [`LINGER`] has passed. Over TCP our side is shut first (a
/// half-close: the client sees the end of the answer at once). A Tor stream has no
/// half-close (closing it ends the stream for the client's Tor too), so there our
/// side stays open until the lingering ends; the answer already told the client it is
/// complete (`Content-Length`, `Connection: close`).
async fn linger<I: AsyncRead + AsyncWrite + Unpin>(mut io: I, half_close: bool) {
    if half_close && io.shutdown().await.is_err() {
        return;
    }
    let end = tokio::time::Instant::now() + LINGER;
    let mut discard = vec![0u8; 16 * 1024];
    loop {
        let until = end.min(tokio::time::Instant::now() + LINGER_IDLE);
        match tokio::time::timeout_at(until, io.read(&mut discard)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
    if !half_close {
        let _ = io.shutdown().await;
    }
}

/// Accepts connections on `listener` for ever, one task each.
pub async fn serve_listener(listener: TcpListener, app: Router, policy: &'static HeaderPolicy) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                tokio::spawn(serve_connection(stream, app.clone(), policy, None));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Passes a connection through, adding the policy's headers to a response head hyper
/// wrote itself. Those are recognised by what they are: a write that starts with a
/// 400, 414 or 431 status line, holds a whole empty-bodied head and no CSP. Every
/// response our router makes carries the CSP, and hyper writes a head at the start of
/// a write; a body chunk of exactly that shape would have to come from a stored file,
/// and every file Postern serves is ciphertext, a stylesheet or an uploaded PNG.
struct WithHeaders<I> {
    inner: I,
    policy: &'static HeaderPolicy,
    /// A rewritten head still being written, and the length hyper asked to write.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<I> WithHeaders<I> {
    fn new(inner: I, policy: &'static HeaderPolicy) -> Self {
        Self { inner, policy, pending: None }
    }
}

/// `buf` with the policy's headers, if it is a head hyper made itself.
fn rewritten(buf: &[u8], policy: &HeaderPolicy) -> Option<Vec<u8>> {
    const AUTOMATIC: [&[u8]; 3] = [b"HTTP/1.1 400 ", b"HTTP/1.1 414 ", b"HTTP/1.1 431 "];
    if !AUTOMATIC.iter().any(|status| buf.starts_with(status)) {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if head.contains("\r\ncontent-security-policy:") || !head.contains("\r\ncontent-length: 0") {
        return None;
    }
    let mut out = buf[..end + 2].to_vec();
    for (name, value) in policy.headers() {
        out.extend_from_slice(format!("{}: {value}\r\n", title_case(name)).as_bytes());
    }
    out.extend_from_slice(&buf[end + 2..]);
    Some(out)
}

/// `content-type` as `Content-Type`: how hyper spells the heads it writes here.
fn title_case(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c };
            upper = c == '-';
            out
        })
        .collect()
}

impl<I: AsyncRead + Unpin> AsyncRead for WithHeaders<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WithHeaders<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.pending.is_none() {
            match rewritten(buf, self.policy) {
                Some(head) => self.pending = Some((head, 0, buf.len())),
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        // Hyper calls again with the same bytes until we say they are written.
        let this = &mut *self;
        let Some((head, written, asked)) = this.pending.as_mut() else { return Poll::Ready(Ok(0)) };
        while *written < head.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &head[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        let asked = *asked;
        this.pending = None;
        Poll::Ready(Ok(asked))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn answer_to(request: &[u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/", get(|| async { "hello" }))
            .layer(axum::middleware::from_fn_with_state(&HeaderPolicy::INTERFACE, crate::security_headers));
        tokio::spawn(serve_listener(listener, app, &HeaderPolicy::INTERFACE));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn hyper_s_own_error_responses_carry_our_headers() {
        let huge = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(512 * 1024));
        for (request, status) in [
            (b"NOT A REQUEST\r\n\r\n".to_vec(), "400"),
            (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".to_vec(), "400"),
            (huge.into_bytes(), "431"),
        ] {
            let answer = answer_to(&request).await;
            assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
            assert!(answer.contains(&format!("Content-Security-Policy: {}\r\n", crate::CSP)), "{answer}");
            assert!(
                answer.contains("X-Frame-Options: DENY\r\n") && answer.contains("Referrer-Policy: no-referrer\r\n")
            );
        }
    }

    #[tokio::test]
    async fn our_own_responses_pass_unchanged() {
        let answer = answer_to(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        // Title case, as Apache and Flask write them: SecureDrop's SDK reads `Etag`
        // from a plain dict of the response headers.
        assert_eq!(answer.matches("\r\nContent-Security-Policy:").count(), 1, "{answer}");
        assert!(answer.ends_with("hello"));
    }

    #[test]
    fn only_automatic_heads_are_rewritten() {
        let p = &HeaderPolicy::INTERFACE;
        assert!(rewritten(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n", p).is_some());
        assert!(
            rewritten(b"HTTP/1.1 400 Bad Request\r\ncontent-security-policy: x\r\ncontent-length: 0\r\n\r\n", p)
                .is_none()
        );
        assert!(rewritten(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", p).is_none());
        assert!(rewritten(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n", p).is_none());
        assert!(rewritten(b"some body bytes", p).is_none());
    }
}
