//! The request body of a submission, bounded: at most the upload limit (then reading
//! stops and the source is told at once), at most 1 MiB that multer holds for no field,
//! a bounded read per poll, and a minimum sustained rate after a grace period, so that
//! no client holds an upload slot for ever. Fields are read through a meter that
//! counts what they took.
//!
//! The rate: after [`UPLOAD_GRACE`] spent waiting for the client, every further
//! [`RATE_WINDOW`] spent waiting must bring at least [`MIN_UPLOAD_RATE`] × the window.
//! Only time spent waiting for the client counts, not time the server spends
//! encrypting or writing. 8 KiB/s is 64 kbit/s: several times below the slowest
//! onion-service circuits Tor's own measurements report (hundreds of KiB/s), and a
//! window of 30 s rides out a circuit's stalls of several seconds, so a slow Tor upload
//! of a large file keeps its slot for as long as it takes (2 GiB at the floor would
//! take three days), while a trickle loses its slot after at most 90 s.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;
use tokio::time::Instant;

/// Largest accepted CSRF token or honeypot value.
const SMALL_FIELD_BYTES: usize = 4096;
/// Time waiting for the client at the start of a body during which no rate is asked.
pub(crate) const UPLOAD_GRACE: Duration = Duration::from_secs(60);
/// After the grace period, the rate is checked over each window of this much waiting.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(30);
/// The least a client must send, in bytes a second, averaged over a window.
pub(crate) const MIN_UPLOAD_RATE: u64 = 8 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Bytes multer may take from the body in one poll. multer reads everything that is
/// ready before it hands data to a field, so without this a fast client could make it
/// buffer as much as the kernel's socket buffer holds.
const POLL_BUDGET: usize = 256 * 1024;
/// Most bytes multer may hold that no field has handed to us: part headers and
/// boundaries it is still looking for. Beyond it the body is malformed (or hostile).
const MAX_BUFFERED: u64 = 1024 * 1024;

/// What the body stream, the field readers and the upload slots share.
pub(crate) struct BodyMeter {
    /// When the upload started.
    started: Instant,
    /// Bytes received from the client.
    received: AtomicU64,
    /// Bytes the field readers took out of multer.
    consumed: AtomicU64,
    /// The body went over the upload limit.
    over_limit: AtomicBool,
    /// The client sent too slowly, or was pushed out for a newcomer.
    too_slow: AtomicBool,
    /// A newcomer asked for this upload's slot (see `admission.rs`).
    pushed_out: AtomicBool,
    /// The body has ended: there is nothing left to push out.
    finished: AtomicBool,
    /// Milliseconds spent waiting for the client, in waits that have ended.
    waited_ms: AtomicU64,
    /// When the current wait for the client began, in milliseconds after `started`;
    /// [`NOT_WAITING`] if we are not waiting.
    waiting_since_ms: AtomicU64,
    /// Wakes the body reader when it is pushed out while it waits for the client.
    waker: futures_util::task::AtomicWaker,
}

const NOT_WAITING: u64 = u64::MAX;

impl Default for BodyMeter {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            received: AtomicU64::new(0),
            consumed: AtomicU64::new(0),
            over_limit: AtomicBool::new(false),
            too_slow: AtomicBool::new(false),
            pushed_out: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            waited_ms: AtomicU64::new(0),
            waiting_since_ms: AtomicU64::new(NOT_WAITING),
            waker: futures_util::task::AtomicWaker::new(),
        }
    }
}

impl BodyMeter {
    /// Counts `n` bytes received from the client.
    pub(crate) fn count(&self, n: usize) {
        self.received.fetch_add(n as u64, Ordering::SeqCst);
    }

    /// How long the upload has run.
    pub(crate) fn age(&self) -> Duration {
        self.started.elapsed()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.age().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// We wait for the client from now (if we were not already).
    fn begin_wait(&self) {
        let _ = self.waiting_since_ms.compare_exchange(NOT_WAITING, self.now_ms(), Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The client sent something, or the body ended: the wait is over.
    fn end_wait(&self) {
        let since = self.waiting_since_ms.swap(NOT_WAITING, Ordering::SeqCst);
        if since != NOT_WAITING {
            self.waited_ms.fetch_add(self.now_ms().saturating_sub(since), Ordering::SeqCst);
        }
    }

    /// Time spent waiting for the client so far, a wait still going on included.
    fn client_time(&self) -> Duration {
        let since = self.waiting_since_ms.load(Ordering::SeqCst);
        let waiting = if since == NOT_WAITING { 0 } else { self.now_ms().saturating_sub(since) };
        Duration::from_millis(self.waited_ms.load(Ordering::SeqCst) + waiting)
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }

    /// Bytes a second over the time spent waiting for the client (at least a second),
    /// so that time the server spent encrypting, writing or deriving never counts
    /// against an upload.
    pub(crate) fn client_rate(&self) -> u64 {
        let client_ms = u64::try_from(self.client_time().as_millis()).unwrap_or(u64::MAX).max(1000);
        self.received().saturating_mul(1000) / client_ms
    }

    /// The body has been read as far as the upload needs it.
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }

    /// Whether the body has ended (a finished body has nothing left to push out).
    pub(crate) fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    /// Stops the upload at its next read: its slot goes to a newcomer.
    pub(crate) fn push_out(&self) {
        self.pushed_out.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Whether the upload was pushed out.
    pub(crate) fn pushed_out(&self) -> bool {
        self.pushed_out.load(Ordering::SeqCst)
    }

    /// Whether the body went over the upload limit.
    pub(crate) fn over_limit(&self) -> bool {
        self.over_limit.load(Ordering::SeqCst)
    }

    /// Whether the client sent below the minimum rate.
    pub(crate) fn too_slow(&self) -> bool {
        self.too_slow.load(Ordering::SeqCst)
    }
}

/// The rate windows of one body, over its meter's time spent waiting for the client.
struct Pace {
    /// Fires when the current window's waiting time is used up.
    timer: Pin<Box<tokio::time::Sleep>>,
    /// Whether the current window is the grace period.
    grace: bool,
    /// The meter's waiting time and bytes received when the current window began.
    began: (Duration, u64),
}

impl Pace {
    fn new() -> Self {
        Self { timer: Box::pin(tokio::time::sleep(UPLOAD_GRACE)), grace: true, began: (Duration::ZERO, 0) }
    }

    fn window(&self) -> Duration {
        if self.grace { UPLOAD_GRACE } else { RATE_WINDOW }
    }

    /// The bytes the current window must bring: none in the grace period.
    fn required(&self) -> u64 {
        if self.grace { 0 } else { MIN_UPLOAD_RATE.saturating_mul(RATE_WINDOW.as_secs()) }
    }

    /// Closes the current window if its waiting time is used up; false if it brought
    /// too little.
    fn settle(&mut self, meter: &BodyMeter) -> bool {
        let (waited, received) = (meter.client_time(), meter.received());
        if waited.saturating_sub(self.began.0) < self.window() {
            return true;
        }
        if received - self.began.1 < self.required() {
            return false;
        }
        self.began = (waited, received);
        self.grace = false;
        true
    }

    /// While the meter waits for the client: keeps the clock running, and false once a
    /// window that brought too little has passed.
    fn poll_waiting(&mut self, meter: &BodyMeter, cx: &mut Context<'_>) -> bool {
        loop {
            if !self.settle(meter) {
                return false;
            }
            let left = self.window().saturating_sub(meter.client_time().saturating_sub(self.began.0));
            let deadline = Instant::now() + left;
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return true;
            }
        }
    }
}

/// The request body as a stream that stops at `max` bytes, refuses to let multer
/// buffer more than [`MAX_BUFFERED`], yields after [`POLL_BUDGET`] bytes, and ends
/// with an error if the client sends below [`MIN_UPLOAD_RATE`].
pub(crate) struct LimitedBody {
    inner: axum::body::BodyDataStream,
    pace: Pace,
    seen: u64,
    max: u64,
    meter: Arc<BodyMeter>,
    since_pending: usize,
}

pub(crate) fn limited(body: Body, max: u64, meter: Arc<BodyMeter>) -> LimitedBody {
    LimitedBody { inner: body.into_data_stream(), pace: Pace::new(), seen: 0, max, meter, since_pending: 0 }
}

impl Stream for LimitedBody {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.meter.pushed_out() {
            self.meter.too_slow.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err("the upload gave its slot to a newcomer".into())));
        }
        if self.since_pending >= POLL_BUDGET {
            self.since_pending = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.meter.end_wait();
                self.meter.count(chunk.len());
                let this = &mut *self;
                if !this.pace.settle(&this.meter) {
                    self.meter.too_slow.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err("the client sent too slowly".into())));
                }
                self.seen += chunk.len() as u64;
                self.since_pending += chunk.len();
                if self.seen > self.max {
                    // Stop reading: the source is told at once, not after uploading the rest.
                    self.meter.over_limit.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err("request body over the upload limit".into())));
                }
                if self.seen.saturating_sub(self.meter.consumed.load(Ordering::SeqCst)) > MAX_BUFFERED {
                    return Poll::Ready(Some(Err("multipart data without a part boundary".into())));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => {
                self.meter.end_wait();
                self.meter.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                self.since_pending = 0;
                self.meter.begin_wait();
                self.meter.waker.register(cx.waker());
                if self.meter.pushed_out() {
                    // Pushed out between the check above and the registration.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                let this = &mut *self;
                if this.pace.poll_waiting(&this.meter, cx) {
                    Poll::Pending
                } else {
                    self.meter.too_slow.store(true, Ordering::SeqCst);
                    Poll::Ready(Some(Err("the client sent too slowly".into())))
                }
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

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// A body that sends `count` chunks of `size` bytes, one every `every`.
    fn paced(size: usize, every: Duration, count: usize) -> Body {
        let chunks = futures_util::stream::unfold(0, move |sent| async move {
            if sent == count {
                return None;
            }
            tokio::time::sleep(every).await;
            Some((Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; size])), sent + 1))
        });
        Body::from_stream(chunks)
    }

    /// Reads `body` through the limits as the fields would: the bytes, or whether it
    /// was cut for being too slow, and when.
    async fn read(body: Body) -> (Result<u64, bool>, Duration) {
        let meter = Arc::new(BodyMeter::default());
        let start = Instant::now();
        let mut stream = limited(body, u64::MAX, Arc::clone(&meter));
        let mut total = 0;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    total += c.len() as u64;
                    meter.consumed.fetch_add(c.len() as u64, Ordering::SeqCst);
                }
                Err(_) => return (Err(meter.too_slow()), start.elapsed()),
            }
        }
        (Ok(total), start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_or_a_silent_client_loses_its_slot_after_the_grace_period_and_one_window() {
        for body in [paced(1, Duration::from_secs(100), 10), paced(1, Duration::from_secs(10), 1000)] {
            let (result, took) = read(body).await;
            assert_eq!(result, Err(true), "cut for being too slow");
            assert!(took <= UPLOAD_GRACE + RATE_WINDOW + Duration::from_secs(1), "{took:?}");
        }
        let (result, _) = read(paced(1, Duration::from_secs(3600), 1)).await;
        assert_eq!(result, Err(true), "silence");
    }

    #[tokio::test(start_paused = true)]
    async fn below_the_floor_is_cut_and_just_above_it_goes_on_for_as_long_as_it_takes() {
        let below = (MIN_UPLOAD_RATE / 2) as usize;
        assert_eq!(read(paced(below, Duration::from_secs(1), 3600)).await.0, Err(true));
        // An hour at 10 KiB/s: 36 MiB, a slow Tor upload that keeps its slot throughout.
        let (result, took) = read(paced(10 * 1024, Duration::from_secs(1), 3600)).await;
        assert_eq!(result, Ok(3600 * 10 * 1024));
        assert!(took >= Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn stalls_shorter_than_a_window_are_ridden_out() {
        // 512 KiB bursts after 25 s of silence each: a circuit that stalls and recovers.
        let (result, _) = read(paced(512 * 1024, Duration::from_secs(25), 20)).await;
        assert_eq!(result, Ok(20 * 512 * 1024));
    }
}
