//! The request body of a submission, bounded: at most the upload limit (then read and
//! discarded up to a multiple of it, so the browser gets our page), at most 1 MiB that
//! multer holds for no field, a bounded read per poll, and an idle timeout. Fields are
//! read through a meter that counts what they took.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;

/// A refused body is still read, and discarded, up to this many times the upload
/// limit, so the browser gets our page; beyond that the connection is cut.
pub(crate) const DRAIN_FACTOR: u64 = 4;
/// Largest accepted CSRF token or honeypot value.
const SMALL_FIELD_BYTES: usize = 4096;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads and discards what is left of a request body, at most `cap` bytes, so the
/// client gets our answer instead of a reset connection. Returns whether it reached
/// the end.
pub(crate) async fn drain_body(body: Body, cap: u64) -> bool {
    let mut stream = body.into_data_stream();
    let mut drained: u64 = 0;
    loop {
        match tokio::time::timeout(BODY_IDLE_TIMEOUT, futures_util::StreamExt::next(&mut stream)).await {
            Ok(Some(Ok(chunk))) => {
                drained += chunk.len() as u64;
                if drained > cap {
                    return false;
                }
            }
            Ok(None) => return true,
            // A transport error, or the client went silent.
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
}

/// A client that sends nothing for this long is cut off (Tor stalls for seconds, not minutes).
pub(crate) const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Bytes multer may take from the body in one poll. multer reads everything that is
/// ready before it hands data to a field, so without this a fast client could make it
/// buffer as much as the kernel's socket buffer holds.
const POLL_BUDGET: usize = 256 * 1024;
/// Most bytes multer may hold that no field has handed to us: part headers and
/// boundaries it is still looking for. Beyond it the body is malformed (or hostile).
const MAX_BUFFERED: u64 = 1024 * 1024;

/// What the body stream and the field readers share.
#[derive(Default)]
pub(crate) struct BodyMeter {
    /// Bytes the field readers took out of multer.
    consumed: AtomicU64,
    /// The body went over the upload limit.
    over_limit: AtomicBool,
}

/// The request body as a stream that stops at `max` bytes (then reads and discards up
/// to [`DRAIN_FACTOR`] times `max` in all, for the 413 page to reach the browser), refuses to let multer
/// buffer more than [`MAX_BUFFERED`], and yields after [`POLL_BUDGET`] bytes.
pub(crate) struct LimitedBody {
    inner: axum::body::BodyDataStream,
    /// Fires when no data arrived for [`BODY_IDLE_TIMEOUT`].
    idle: Pin<Box<tokio::time::Sleep>>,
    seen: u64,
    max: u64,
    meter: Arc<BodyMeter>,
    since_pending: usize,
    /// Bytes discarded since the limit was passed, once it was.
    draining: Option<u64>,
}

pub(crate) fn limited(body: Body, max: u64, meter: Arc<BodyMeter>) -> LimitedBody {
    LimitedBody {
        inner: body.into_data_stream(),
        idle: Box::pin(tokio::time::sleep(BODY_IDLE_TIMEOUT)),
        seen: 0,
        max,
        meter,
        since_pending: 0,
        draining: None,
    }
}

impl BodyMeter {
    /// Whether the body went over the upload limit.
    pub(crate) fn over_limit(&self) -> bool {
        self.over_limit.load(Ordering::SeqCst)
    }
}

impl LimitedBody {
    /// After `Pending` from the body: an error if the client has been silent too long.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BoxError>>> {
        match self.idle.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err("the client stopped sending".into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn got_data(&mut self) {
        let deadline = tokio::time::Instant::now() + BODY_IDLE_TIMEOUT;
        self.idle.as_mut().reset(deadline);
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BoxError>>> {
        loop {
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.got_data();
                    let drained = self.draining.unwrap_or(0) + chunk.len() as u64;
                    self.draining = Some(drained);
                    if drained > self.max.saturating_mul(DRAIN_FACTOR - 1) {
                        return Poll::Ready(Some(Err("request body over the upload limit".into())));
                    }
                }
                Poll::Ready(_) => return Poll::Ready(Some(Err("request body over the upload limit".into()))),
                Poll::Pending => return self.poll_idle(cx),
            }
        }
    }
}

impl Stream for LimitedBody {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.draining.is_some() {
            return self.poll_drain(cx);
        }
        if self.since_pending >= POLL_BUDGET {
            self.since_pending = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.got_data();
                self.seen += chunk.len() as u64;
                self.since_pending += chunk.len();
                if self.seen > self.max {
                    self.meter.over_limit.store(true, Ordering::SeqCst);
                    self.draining = Some(0);
                    return self.poll_drain(cx);
                }
                if self.seen.saturating_sub(self.meter.consumed.load(Ordering::SeqCst)) > MAX_BUFFERED {
                    return Poll::Ready(Some(Err("multipart data without a part boundary".into())));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                self.since_pending = 0;
                self.poll_idle(cx)
            }
        }
    }
}

/// The next chunk of a field, counted as taken out of multer.
pub(crate) async fn next_chunk(
    field: &mut multer::Field<'static>,
    meter: &BodyMeter,
) -> Result<Option<Bytes>, multer::Error> {
    let chunk = field.chunk().await?;
    if let Some(c) = &chunk {
        meter.consumed.fetch_add(c.len() as u64, Ordering::SeqCst);
    }
    Ok(chunk)
}

pub(crate) async fn drain_field(field: &mut multer::Field<'static>, meter: &BodyMeter) -> Result<(), multer::Error> {
    while next_chunk(field, meter).await?.is_some() {}
    Ok(())
}

/// A short text field; anything longer than [`SMALL_FIELD_BYTES`] reads as a value
/// that matches no token and is not empty.
pub(crate) async fn read_small(field: &mut multer::Field<'static>, meter: &BodyMeter) -> Result<String, multer::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = next_chunk(field, meter).await? {
        buf.extend_from_slice(&chunk);
        if buf.len() > SMALL_FIELD_BYTES {
            drain_field(field, meter).await?;
            return Ok("(too long)".to_owned());
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
