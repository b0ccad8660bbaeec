//! Receiving a submission: multipart fields stream from the request body through
//! gzip and OpenPGP encryption into the store's temporary ciphertext files.
//!
//! Memory stays flat: each body chunk is encrypted and written as it arrives, and
//! multer may hold at most 1 MiB the fields have not taken; a message is held in
//! memory only up to its 100,000-character limit. No plaintext is written anywhere.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_util::Stream;
use std::future::Future;

use axum::body::Body;
use bytes::Bytes;
use postern_core::Sensitive;
use postern_core::{Codename, secure_filename};
use postern_crypto::{encrypt_document, encrypt_message, encrypt_scrubbed_document};
use postern_scrub::{StreamOutcome, StreamScrubber};
use postern_store::{FinishedBlob, SourceRecord, SubmissionKind};
use zeroize::Zeroizing;

use crate::error::AppError;
pub(crate) use crate::models::{CleaningResult, FileCleaning};
use crate::session::Session;
use crate::state::SourceState;

/// SecureDrop's message limit, in characters.
pub(crate) const MAX_MESSAGE_CHARS: usize = 100_000;
/// Largest accepted CSRF token or honeypot value.
const SMALL_FIELD_BYTES: usize = 4096;
/// A refused body is still read, and discarded, up to this many times the upload
/// limit, so the browser gets our page; beyond that the connection is cut.
pub(crate) const DRAIN_FACTOR: u64 = 4;
/// Most files in one submission.
pub(crate) const MAX_FILES: usize = 100;
/// Most multipart parts in one submission: the files plus our four fields, with room.
const MAX_PARTS: usize = MAX_FILES + 16;

/// What the source sent, once stored.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) message: bool,
    pub(crate) files: usize,
    /// What the opt-in cleaning did to each file (empty when the source turned it off).
    pub(crate) cleaning: Vec<FileCleaning>,
}

/// Why a submission was refused; nothing of it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    TooLarge,
    TooManyFiles,
    Csrf,
    Honeypot,
    Empty,
    MessageTooLong,
    FirstMessageTooShort(u32),
    Codename,
    Malformed,
}

/// A refused or failed submission.
#[derive(Debug)]
pub(crate) enum SubmitError {
    Refused(Refusal),
    Failed(AppError),
}

impl From<AppError> for SubmitError {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<postern_store::StoreError> for SubmitError {
    fn from(e: postern_store::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// The instance's rules for this source's submission.
pub(crate) struct Rules {
    pub(crate) max_bytes: u64,
    pub(crate) allow_uploads: bool,
    pub(crate) first: bool,
    pub(crate) min_len: u32,
    pub(crate) reject_codename: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads, checks, encrypts and stores one submission.
///
/// A refused submission is still read to its end (up to the limits), so that the
/// browser, which sends the whole body before it reads an answer, gets the page that
/// explains the refusal rather than a reset connection.
pub(crate) async fn receive(
    app: &SourceState,
    session: &Session,
    source: &SourceRecord,
    content_type: &str,
    body: Body,
    rules: &Rules,
) -> Result<Received, SubmitError> {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        drain_body(body, rules.max_bytes.saturating_mul(DRAIN_FACTOR)).await;
        return Err(SubmitError::Refused(Refusal::Malformed));
    };
    let meter = Arc::new(BodyMeter::default());
    let mut multipart = multer::Multipart::new(limited(body, rules.max_bytes, Arc::clone(&meter)), boundary);
    let refuse_or = |_: multer::Error| {
        SubmitError::Refused(if meter.over_limit.load(Ordering::SeqCst) {
            Refusal::TooLarge
        } else {
            Refusal::Malformed
        })
    };

    let mut csrf_ok = false;
    // Our form puts the cleaning checkbox before the file field: an unchecked box
    // sends nothing, so "not seen before a file" means "off".
    let mut clean_photos = false;
    let mut cleaning = Vec::new();
    let mut refusal = None;
    let mut parts = 0;
    let mut message = Zeroizing::new(String::new());
    let mut files: Vec<FinishedBlob> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(refuse_or)? {
        parts += 1;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf_token" && refusal.is_none() {
            let token = read_small(&mut field, &meter).await.map_err(refuse_or)?;
            csrf_ok = session.csrf_ok(&token);
        }
        // The token comes first in our form: nothing is read or encrypted before it checks out.
        if refusal.is_none() && !csrf_ok {
            refusal = Some(Refusal::Csrf);
        }
        if refusal.is_none() && (parts > MAX_PARTS || (name == "fh" && files.len() >= MAX_FILES)) {
            refusal = Some(Refusal::TooManyFiles);
        }
        match name.as_str() {
            _ if refusal.is_some() => drain_field(&mut field, &meter).await.map_err(refuse_or)?,
            "csrf_token" => {}
            "scrub" => clean_photos = read_small(&mut field, &meter).await.map_err(refuse_or)? == "1",
            "text" => {
                if !read_small(&mut field, &meter).await.map_err(refuse_or)?.trim().is_empty() {
                    refusal = Some(Refusal::Honeypot);
                }
            }
            "msg" => match read_message(&mut field, &meter).await.map_err(refuse_or)? {
                Ok(text) => message = text,
                Err(r) => refusal = Some(r),
            },
            "fh" if rules.allow_uploads && field.file_name().is_some_and(|n| !n.is_empty()) => {
                let filename = secure_filename(field.file_name().unwrap_or_default());
                match encrypt_field(app, source, &filename, clean_photos, &mut field, &meter).await {
                    Ok((blob, outcome)) => {
                        files.extend(blob);
                        if let Some(outcome) = outcome {
                            let result = CleaningResult::of(&outcome);
                            cleaning.push(FileCleaning { name: Sensitive::new(filename), result });
                        }
                    }
                    Err(FieldError::Body(e)) => return Err(refuse_or(e)),
                    Err(FieldError::Failed(e)) => {
                        // Read the rest, so the browser gets the error page.
                        let _ = drain_field(&mut field, &meter).await;
                        drop(field);
                        while let Ok(Some(mut next)) = multipart.next_field().await {
                            if drain_field(&mut next, &meter).await.is_err() {
                                break;
                            }
                        }
                        return Err(SubmitError::Failed(e));
                    }
                }
            }
            _ => drain_field(&mut field, &meter).await.map_err(refuse_or)?,
        }
    }
    if let Some(refusal) = refusal {
        return Err(SubmitError::Refused(refusal));
    }
    if message.trim().is_empty() && files.is_empty() && cleaning.iter().any(|c| c.result.not_sent()) {
        // Only photos that could not be cleaned: nothing is stored, and the next page says why.
        return Ok(Received { message: false, files: 0, cleaning });
    }
    check_rules(app, source, rules, &message, files.len()).await?;
    let mut items = Vec::with_capacity(files.len() + 1);
    let has_message = !message.trim().is_empty();
    if has_message {
        items.push((SubmissionKind::Message, encrypt_text(app, source, message).await?));
    }
    let count = files.len();
    items.extend(files.into_iter().map(|f| (SubmissionKind::Document, f)));
    let id = source.id;
    app.with_store(move |s| s.record_submission(id, items)).await?;
    Ok(Received { message: has_message, files: count, cleaning })
}

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
struct BodyMeter {
    /// Bytes the field readers took out of multer.
    consumed: AtomicU64,
    /// The body went over the upload limit.
    over_limit: AtomicBool,
}

/// The request body as a stream that stops at `max` bytes (then reads and discards up
/// to [`DRAIN_FACTOR`] times `max` in all, for the 413 page to reach the browser), refuses to let multer
/// buffer more than [`MAX_BUFFERED`], and yields after [`POLL_BUDGET`] bytes.
struct LimitedBody {
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

fn limited(body: Body, max: u64, meter: Arc<BodyMeter>) -> LimitedBody {
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
async fn next_chunk(field: &mut multer::Field<'static>, meter: &BodyMeter) -> Result<Option<Bytes>, multer::Error> {
    let chunk = field.chunk().await?;
    if let Some(c) = &chunk {
        meter.consumed.fetch_add(c.len() as u64, Ordering::SeqCst);
    }
    Ok(chunk)
}

async fn drain_field(field: &mut multer::Field<'static>, meter: &BodyMeter) -> Result<(), multer::Error> {
    while next_chunk(field, meter).await?.is_some() {}
    Ok(())
}

/// A short text field; anything longer than [`SMALL_FIELD_BYTES`] reads as a value
/// that matches no token and is not empty.
async fn read_small(field: &mut multer::Field<'static>, meter: &BodyMeter) -> Result<String, multer::Error> {
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

/// The message text, or a refusal if it is too long or not UTF-8.
async fn read_message(
    field: &mut multer::Field<'static>,
    meter: &BodyMeter,
) -> Result<Result<Zeroizing<String>, Refusal>, multer::Error> {
    // UTF-8 needs at most 4 bytes a character.
    let max_bytes = MAX_MESSAGE_CHARS * 4;
    let mut buf = Zeroizing::new(Vec::new());
    while let Some(chunk) = next_chunk(field, meter).await? {
        if buf.len() + chunk.len() > max_bytes {
            drain_field(field, meter).await?;
            return Ok(Err(Refusal::MessageTooLong));
        }
        buf.extend_from_slice(&chunk);
    }
    let Ok(text) = std::str::from_utf8(&buf) else {
        return Ok(Err(Refusal::Malformed));
    };
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Ok(Err(Refusal::MessageTooLong));
    }
    Ok(Ok(Zeroizing::new(text.to_owned())))
}

async fn check_rules(
    app: &SourceState,
    source: &SourceRecord,
    rules: &Rules,
    message: &str,
    files: usize,
) -> Result<(), SubmitError> {
    let message = message.trim();
    if message.is_empty() && files == 0 {
        return Err(SubmitError::Refused(Refusal::Empty));
    }
    if !rules.first {
        return Ok(());
    }
    if rules.min_len > 0 && files == 0 && message.chars().count() < rules.min_len as usize {
        return Err(SubmitError::Refused(Refusal::FirstMessageTooShort(rules.min_len)));
    }
    if rules.reject_codename {
        // Only text that parses as a codename costs a derivation; it is refused if it is
        // this source's own codename.
        if let Ok(candidate) = Codename::parse(message)
            && app.find_source(candidate).await?.is_some_and(|(s, _, _)| s.id == source.id)
        {
            return Err(SubmitError::Refused(Refusal::Codename));
        }
    }
    Ok(())
}

enum FieldError {
    Body(multer::Error),
    Failed(AppError),
}

/// Streams one file field through gzip and encryption into a finished blob; with
/// `clean`, through the metadata scrubber first (same pass, bounded memory), and
/// the gzip header says what it did. A photo that cannot be cleaned with confidence
/// is not stored (`None`): the source asked for its hidden information to go.
///
/// Encryption runs here, on the async worker, chunk by chunk (about a millisecond
/// each): sequoia allocates two 4 MiB packet buffers per stream, and on a fresh
/// blocking thread each upload left them in another glibc arena, so resident memory
/// grew with every upload. The async workers are few and long-lived, which keeps it
/// flat. Only the final fsync runs on a blocking thread.
async fn encrypt_field(
    app: &SourceState,
    source: &SourceRecord,
    filename: &str,
    clean: bool,
    field: &mut multer::Field<'static>,
    meter: &BodyMeter,
) -> Result<(Option<FinishedBlob>, Option<StreamOutcome>), FieldError> {
    let failed = |e: AppError| FieldError::Failed(e);
    let sink = |e: std::io::Error| failed(postern_crypto::CryptoError::Sink(e).into());
    let key = app.inner.key.clone().map_err(|p| failed(postern_crypto::CryptoError::from(p).into()))?;
    let mut blob = app.inner.store.begin_blob(source).map_err(|e| failed(e.into()))?;
    // On any error the blob is dropped below, which removes the partial ciphertext.
    let outcome = if clean {
        let mut plain = encrypt_scrubbed_document(&key, filename, &mut blob).map_err(|e| failed(e.into()))?;
        let mut scrubber = StreamScrubber::new(&mut plain);
        while let Some(chunk) = next_chunk(field, meter).await.map_err(FieldError::Body)? {
            scrubber.write_all(&chunk).map_err(sink)?;
            if scrubber.gave_up() {
                // This photo will not be stored: the rest is read, not encrypted.
                drain_field(field, meter).await.map_err(FieldError::Body)?;
                break;
            }
        }
        let (_, outcome) = scrubber.finish().map_err(sink)?;
        if CleaningResult::of(&outcome).not_sent() {
            // Dropping the unfinished blob removes its partial ciphertext.
            drop(plain);
            drop(blob);
            return Ok((None, Some(outcome)));
        }
        plain.finish_with_note(Some(&outcome.note())).map_err(|e| failed(e.into()))?;
        Some(outcome)
    } else {
        let mut plain = encrypt_document(&key, filename, &mut blob).map_err(|e| failed(e.into()))?;
        while let Some(chunk) = next_chunk(field, meter).await.map_err(FieldError::Body)? {
            plain.write_all(&chunk).map_err(sink)?;
        }
        plain.finish().map_err(|e| failed(e.into()))?;
        None
    };
    Ok((Some(finish_blob(blob).await.map_err(failed)?), outcome))
}

/// fsyncs and closes a blob off the async threads.
async fn finish_blob(blob: postern_store::BlobWriter) -> Result<FinishedBlob, AppError> {
    tokio::task::spawn_blocking(move || blob.finish()).await.map_err(|_| AppError::Task)?.map_err(AppError::from)
}

/// Encrypts the message text into a finished blob.
async fn encrypt_text(
    app: &SourceState,
    source: &SourceRecord,
    message: Zeroizing<String>,
) -> Result<FinishedBlob, AppError> {
    let key = app.inner.key.clone().map_err(postern_crypto::CryptoError::from)?;
    let mut blob = app.inner.store.begin_blob(source)?;
    {
        let mut plain = encrypt_message(&key, &mut blob)?;
        plain.write_all(message.as_bytes()).map_err(postern_crypto::CryptoError::Sink)?;
        plain.finish()?;
    }
    finish_blob(blob).await
}
