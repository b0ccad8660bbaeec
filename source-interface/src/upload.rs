//! Receiving a submission: multipart fields stream from the request body through
//! gzip and OpenPGP encryption (postern-intake) into the store's temporary ciphertext
//! files. The body's bounds are `body.rs`'s; what is accepted, and recorded, is the
//! submit handler's.
//!
//! Memory stays flat: each body chunk is encrypted and written as it arrives, and
//! multer may hold at most 1 MiB the fields have not taken; a message is held in
//! memory only up to its 100,000-character limit. No plaintext is written anywhere.

use std::sync::Arc;

use axum::body::Body;
use postern_core::{Sensitive, secure_filename};
use postern_crypto::SubmissionKey;
use postern_intake::{DocumentWriter, Finished, IntakeError};
use postern_store::{FinishedBlob, SourceRecord, Store};
use zeroize::Zeroizing;

use crate::body::{BodyMeter, drain_field, limited, next_chunk, read_small};
use crate::error::AppError;
pub(crate) use crate::models::{CleaningResult, FileCleaning};

/// SecureDrop's message limit, in characters.
pub(crate) const MAX_MESSAGE_CHARS: usize = 100_000;
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
    /// The client sent below the minimum rate.
    TooSlow,
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

/// Where one submission goes, and what it is checked against while it is read.
pub(crate) struct Receiver<'a> {
    pub(crate) store: &'a Arc<Store>,
    pub(crate) key: &'a SubmissionKey,
    pub(crate) source: &'a SourceRecord,
    /// This session's CSRF token check.
    pub(crate) csrf_ok: &'a (dyn Fn(&str) -> bool + Sync),
    pub(crate) max_bytes: u64,
    pub(crate) allow_uploads: bool,
    /// The upload slot's meter: progress out, being pushed out in.
    pub(crate) meter: &'a Arc<BodyMeter>,
}

/// A submission read to its end: the message in memory, the files encrypted and
/// finished but not yet recorded (dropped, they are removed).
#[derive(Default)]
pub(crate) struct Submission {
    pub(crate) message: Zeroizing<String>,
    pub(crate) files: Vec<FinishedBlob>,
    pub(crate) cleaning: Vec<FileCleaning>,
}

/// Reads one submission, encrypting its files as they arrive.
///
/// A refusal is answered at once: the rest of the body is not read (the connection
/// closes after the answer, lingering so the browser can read it), so that a source
/// does not upload for an hour to learn that nothing was stored.
pub(crate) async fn receive(to: &Receiver<'_>, content_type: &str, body: Body) -> Result<Submission, SubmitError> {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Err(SubmitError::Refused(Refusal::Malformed));
    };
    let meter = Arc::clone(to.meter);
    let mut multipart = multer::Multipart::new(limited(body, to.max_bytes, Arc::clone(&meter)), boundary);
    let refuse_or = |_: multer::Error| {
        SubmitError::Refused(if meter.over_limit() {
            Refusal::TooLarge
        } else if meter.too_slow() {
            Refusal::TooSlow
        } else {
            Refusal::Malformed
        })
    };
    let mut fields = Fields::default();
    while let Some(mut field) = multipart.next_field().await.map_err(refuse_or)? {
        match fields.take(to, &mut field, &meter).await {
            Ok(()) => {}
            Err(FieldError::Body(e)) => return Err(refuse_or(e)),
            Err(FieldError::Failed(e)) => return Err(SubmitError::Failed(e)),
        }
        if let Some(refusal) = fields.refusal {
            return Err(SubmitError::Refused(refusal));
        }
    }
    // multer may stop at the closing boundary without reading the body to its end:
    // what is left to do is ours, and no newcomer should wait for it to be pushed out.
    meter.finish();
    Ok(fields.submission)
}

/// What the fields read so far gave.
#[derive(Default)]
struct Fields {
    parts: usize,
    csrf_ok: bool,
    /// Our form puts the cleaning checkbox before the file field: an unchecked box
    /// sends nothing, so "not seen before a file" means "off".
    clean_photos: bool,
    refusal: Option<Refusal>,
    submission: Submission,
}

impl Fields {
    /// Reads one field: checked, encrypted or discarded.
    async fn take(
        &mut self,
        to: &Receiver<'_>,
        field: &mut multer::Field<'static>,
        meter: &BodyMeter,
    ) -> Result<(), FieldError> {
        self.parts += 1;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf_token" && self.refusal.is_none() {
            let token = read_small(field, meter).await.map_err(FieldError::Body)?;
            self.csrf_ok = (to.csrf_ok)(&token);
        }
        // The token comes first in our form: nothing is read or encrypted before it checks out.
        if self.refusal.is_none() && !self.csrf_ok {
            self.refusal = Some(Refusal::Csrf);
        }
        let files = self.submission.files.len();
        if self.refusal.is_none() && (self.parts > MAX_PARTS || (name == "fh" && files >= MAX_FILES)) {
            self.refusal = Some(Refusal::TooManyFiles);
        }
        let body = FieldError::Body;
        match name.as_str() {
            _ if self.refusal.is_some() => {}
            "csrf_token" => {}
            "scrub" => self.clean_photos = read_small(field, meter).await.map_err(body)? == "1",
            "text" => {
                if !read_small(field, meter).await.map_err(body)?.trim().is_empty() {
                    self.refusal = Some(Refusal::Honeypot);
                }
            }
            "msg" => match read_message(field, meter).await.map_err(body)? {
                Ok(text) => self.submission.message = text,
                Err(r) => self.refusal = Some(r),
            },
            "fh" if to.allow_uploads && field.file_name().is_some_and(|n| !n.is_empty()) => {
                let filename = secure_filename(field.file_name().unwrap_or_default());
                let (blob, result) = encrypt_field(to, &filename, self.clean_photos, field, meter).await?;
                self.submission.files.extend(blob);
                if let Some(result) = result {
                    self.submission.cleaning.push(FileCleaning { name: Sensitive::new(filename), result });
                }
            }
            _ => drain_field(field, meter).await.map_err(body)?,
        }
        Ok(())
    }
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

enum FieldError {
    Body(multer::Error),
    Failed(AppError),
}

/// Streams one file field through gzip and encryption (and, with `clean`, the
/// metadata scrubber) into a finished blob. A photo that cannot be cleaned with
/// confidence is not stored (`None`): the source asked for its hidden information to go.
///
/// Encryption runs here, on the async worker, chunk by chunk (about a millisecond
/// each): sequoia allocates two 4 MiB packet buffers per stream, and on a fresh
/// blocking thread each upload left them in another glibc arena, so resident memory
/// grew with every upload. The async workers are few and long-lived, which keeps it
/// flat. Only the final fsync runs on a blocking thread.
async fn encrypt_field(
    to: &Receiver<'_>,
    filename: &str,
    clean: bool,
    field: &mut multer::Field<'static>,
    meter: &BodyMeter,
) -> Result<(Option<FinishedBlob>, Option<CleaningResult>), FieldError> {
    let failed = |e: IntakeError| FieldError::Failed(e.into());
    let mut blob = to.store.begin_blob(to.source).map_err(|e| failed(e.into()))?;
    // On any error the blob is dropped below, which removes the partial ciphertext.
    let mut document = DocumentWriter::start(to.key, filename, clean, &mut blob).map_err(failed)?;
    while let Some(chunk) = next_chunk(field, meter).await.map_err(FieldError::Body)? {
        if !document.write(&chunk).map_err(failed)? {
            // This photo will not be stored: the rest is read, not encrypted.
            drain_field(field, meter).await.map_err(FieldError::Body)?;
            break;
        }
    }
    match document.finish().map_err(failed)? {
        Finished::Stored(cleaning) => Ok((Some(finish_blob(blob).await.map_err(FieldError::Failed)?), cleaning)),
        // Dropping the unfinished blob removes its partial ciphertext.
        Finished::NotSent(cleaning) => Ok((None, Some(cleaning))),
    }
}

/// fsyncs and closes a blob off the async threads.
pub(crate) async fn finish_blob(blob: postern_store::BlobWriter) -> Result<FinishedBlob, AppError> {
    postern_web::blocking(move || blob.finish().map_err(AppError::from)).await
}
