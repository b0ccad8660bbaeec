//! Receiving a submission: multipart fields stream from the request body through
//! gzip and OpenPGP encryption into the store's temporary ciphertext files.
//!
//! Memory stays flat: body chunks pass through a bounded channel to a blocking
//! thread that encrypts and writes them; a message is held in memory only up to its
//! 100,000-character limit. No plaintext is written anywhere.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use postern_core::{Codename, secure_filename};
use postern_crypto::{encrypt_document, encrypt_message};
use postern_store::{FinishedBlob, SourceRecord, SubmissionKind};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::error::AppError;
use crate::session::SessionCtx;
use crate::state::AppState;

/// SecureDrop's message limit, in characters.
pub(crate) const MAX_MESSAGE_CHARS: usize = 100_000;
/// Chunks in flight between the body reader and the encrypting thread.
const CHANNEL_DEPTH: usize = 4;
/// Largest accepted CSRF token or honeypot value.
const SMALL_FIELD_BYTES: usize = 4096;

/// What the source sent, once stored.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) message: bool,
    pub(crate) files: usize,
}

/// Why a submission was refused; nothing of it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    TooLarge,
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
pub(crate) async fn receive(
    app: &AppState,
    session: &SessionCtx,
    source: &SourceRecord,
    content_type: &str,
    body: Body,
    rules: &Rules,
) -> Result<Received, SubmitError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| SubmitError::Refused(Refusal::Malformed))?;
    let over_limit = Arc::new(AtomicBool::new(false));
    let mut multipart = multer::Multipart::new(limited(body, rules.max_bytes, Arc::clone(&over_limit)), boundary);
    let refuse_or = |_: multer::Error| {
        SubmitError::Refused(if over_limit.load(Ordering::SeqCst) { Refusal::TooLarge } else { Refusal::Malformed })
    };

    let mut csrf_ok = false;
    let mut message = Zeroizing::new(String::new());
    let mut files: Vec<FinishedBlob> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(refuse_or)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf_token" {
            let token = read_small(&mut field).await.map_err(refuse_or)?;
            csrf_ok = session.csrf_ok(&app.inner.sessions, &token);
        }
        // The token comes first in our form: nothing is read or encrypted before it checks out.
        if !csrf_ok {
            return Err(SubmitError::Refused(Refusal::Csrf));
        }
        match name.as_str() {
            "csrf_token" => {}
            "text" if !read_small(&mut field).await.map_err(refuse_or)?.trim().is_empty() => {
                return Err(SubmitError::Refused(Refusal::Honeypot));
            }
            "msg" => message = read_message(&mut field).await.map_err(refuse_or)??,
            "fh" if rules.allow_uploads && field.file_name().is_some_and(|n| !n.is_empty()) => {
                let filename = secure_filename(field.file_name().unwrap_or_default());
                files.push(encrypt_field(app, source, filename, &mut field).await.map_err(|e| match e {
                    FieldError::Body(e) => refuse_or(e),
                    FieldError::Failed(e) => SubmitError::Failed(e),
                })?);
            }
            _ => while field.chunk().await.map_err(refuse_or)?.is_some() {},
        }
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
    Ok(Received { message: has_message, files: count })
}

/// Bytes multer may take from the body in one poll. multer reads everything that is
/// ready before it hands data to a field, so without this a fast client could make it
/// buffer as much as the kernel's socket buffer holds.
const POLL_BUDGET: usize = 256 * 1024;

/// The request body as a stream that fails once more than `max` bytes arrived, and
/// yields to its reader after [`POLL_BUDGET`] bytes so memory stays flat.
struct LimitedBody {
    inner: axum::body::BodyDataStream,
    seen: u64,
    max: u64,
    over_limit: Arc<AtomicBool>,
    since_pending: usize,
}

fn limited(body: Body, max: u64, over_limit: Arc<AtomicBool>) -> LimitedBody {
    LimitedBody { inner: body.into_data_stream(), seen: 0, max, over_limit, since_pending: 0 }
}

impl futures_util::Stream for LimitedBody {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.since_pending >= POLL_BUDGET {
            self.since_pending = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen += chunk.len() as u64;
                self.since_pending += chunk.len();
                if self.seen > self.max {
                    self.over_limit.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err("request body over the upload limit".into())));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                self.since_pending = 0;
                Poll::Pending
            }
        }
    }
}

async fn read_small(field: &mut multer::Field<'static>) -> Result<String, multer::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        buf.extend_from_slice(&chunk);
        if buf.len() > SMALL_FIELD_BYTES {
            buf.truncate(0);
            buf.extend_from_slice(b"x");
            while field.chunk().await?.is_some() {}
            break;
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The message text, or a refusal if it is too long or not UTF-8.
async fn read_message(
    field: &mut multer::Field<'static>,
) -> Result<Result<Zeroizing<String>, SubmitError>, multer::Error> {
    // UTF-8 needs at most 4 bytes a character.
    let max_bytes = MAX_MESSAGE_CHARS * 4;
    let mut buf = Zeroizing::new(Vec::new());
    while let Some(chunk) = field.chunk().await? {
        if buf.len() + chunk.len() > max_bytes {
            while field.chunk().await?.is_some() {}
            return Ok(Err(SubmitError::Refused(Refusal::MessageTooLong)));
        }
        buf.extend_from_slice(&chunk);
    }
    let Ok(text) = std::str::from_utf8(&buf) else {
        return Ok(Err(SubmitError::Refused(Refusal::Malformed)));
    };
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Ok(Err(SubmitError::Refused(Refusal::MessageTooLong)));
    }
    Ok(Ok(Zeroizing::new(text.to_owned())))
}

async fn check_rules(
    app: &AppState,
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
        if let Ok(candidate) = Codename::parse(message) {
            if app.find_source(candidate).await?.is_some_and(|s| s.id == source.id) {
                return Err(SubmitError::Refused(Refusal::Codename));
            }
        }
    }
    Ok(())
}

enum FieldError {
    Body(multer::Error),
    Failed(AppError),
}

enum Piece {
    Data(Bytes),
    End,
}

/// Streams one file field through gzip and encryption into a finished blob.
async fn encrypt_field(
    app: &AppState,
    source: &SourceRecord,
    filename: String,
    field: &mut multer::Field<'static>,
) -> Result<FinishedBlob, FieldError> {
    let (tx, mut rx) = mpsc::channel::<Piece>(CHANNEL_DEPTH);
    let app2 = app.clone();
    let source = source.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<Option<FinishedBlob>, AppError> {
        let key = app2.inner.key.clone().map_err(postern_crypto::CryptoError::from)?;
        let mut blob = app2.inner.store.begin_blob(&source)?;
        let mut plain = encrypt_document(&key, &filename, &mut blob)?;
        loop {
            match rx.blocking_recv() {
                Some(Piece::Data(chunk)) => plain.write_all(&chunk).map_err(postern_crypto::CryptoError::Sink)?,
                Some(Piece::End) => break,
                // The reader gave up (bad body, client gone): drop the partial ciphertext.
                None => return Ok(None),
            }
        }
        plain.finish()?;
        Ok(Some(blob.finish()?))
    });
    let mut body_error = None;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if tx.send(Piece::Data(chunk)).await.is_err() {
                    break; // The writer failed; its error is below.
                }
            }
            Ok(None) => {
                let _ = tx.send(Piece::End).await;
                break;
            }
            Err(e) => {
                body_error = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writer.await.map_err(|_| FieldError::Failed(AppError::Task))?;
    if let Some(e) = body_error {
        return Err(FieldError::Body(e));
    }
    match written {
        Ok(Some(blob)) => Ok(blob),
        Ok(None) => Err(FieldError::Failed(AppError::Task)),
        Err(e) => Err(FieldError::Failed(e)),
    }
}

/// Encrypts the message text into a finished blob.
async fn encrypt_text(
    app: &AppState,
    source: &SourceRecord,
    message: Zeroizing<String>,
) -> Result<FinishedBlob, AppError> {
    let app = app.clone();
    let source = source.clone();
    tokio::task::spawn_blocking(move || -> Result<FinishedBlob, AppError> {
        let key = app.inner.key.clone().map_err(postern_crypto::CryptoError::from)?;
        let mut blob = app.inner.store.begin_blob(&source)?;
        let mut plain = encrypt_message(&key, &mut blob)?;
        plain.write_all(message.as_bytes()).map_err(postern_crypto::CryptoError::Sink)?;
        plain.finish()?;
        Ok(blob.finish()?)
    })
    .await
    .map_err(|_| AppError::Task)?
}
