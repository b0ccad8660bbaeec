//! A source's message and documents: encrypted to the submission key as they arrive
//! (a document cleaned on the way when the source asked), then recorded together.

use std::io::Write;

use postern_crypto::{PlaintextWriter, SubmissionKey, encrypt_document, encrypt_message, encrypt_scrubbed_document};
use postern_scrub::{Category, Format, NotCleaned, StreamOutcome, StreamScrubber};
use postern_store::{FinishedBlob, SourceId, Store, SubmissionKind};

use crate::IntakeError;

/// The outcome of cleaning one document, as the source is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CleaningResult {
    /// These kinds of information were found and removed.
    Removed(Vec<Category>),
    /// A photo with nothing to remove.
    NothingFound,
    /// Not a JPEG, PNG or WebP photo: sent as it was.
    NotAPhoto,
    /// A photo of a kind not cleaned here (HEIC, TIFF, GIF): sent as it was.
    UnsupportedPhoto,
    /// A photo that could not be read to its end: not stored (the source asked for it
    /// to be cleaned, and that could not be done with confidence).
    NotSentDamaged,
    /// A WebP too large to clean here: not stored.
    NotSentTooLarge,
    /// A WebP that came while the server held as many as it allows: not stored.
    NotSentBusy,
}

impl CleaningResult {
    /// What the scrubber's outcome means for the source.
    pub fn of(outcome: &StreamOutcome) -> Self {
        match outcome {
            StreamOutcome::Cleaned(o) if o.removed.is_empty() => Self::NothingFound,
            StreamOutcome::Cleaned(o) => Self::Removed(o.removed_categories()),
            StreamOutcome::NotCleaned { format: Format::Heif | Format::Tiff | Format::Gif, .. } => {
                Self::UnsupportedPhoto
            }
            StreamOutcome::NotCleaned { format, .. } if !format.is_streamable_image() => Self::NotAPhoto,
            StreamOutcome::NotCleaned { reason: NotCleaned::TooLarge { .. }, .. } => Self::NotSentTooLarge,
            StreamOutcome::NotCleaned { reason: NotCleaned::Busy, .. } => Self::NotSentBusy,
            StreamOutcome::NotCleaned { .. } => Self::NotSentDamaged,
        }
    }

    /// Whether the document was dropped instead of stored.
    pub fn not_sent(&self) -> bool {
        matches!(self, Self::NotSentDamaged | Self::NotSentTooLarge | Self::NotSentBusy)
    }
}

/// A document on its way to a ciphertext sink: write its bytes as they arrive, then
/// [`finish`](Self::finish). Dropped unfinished, it leaves an incomplete ciphertext
/// that the caller discards with its sink (the store's blob removes its file).
pub struct DocumentWriter<'a> {
    inner: Writer<'a>,
}

enum Writer<'a> {
    Plain(PlaintextWriter<'a>),
    Cleaning(StreamScrubber<PlaintextWriter<'a>>),
}

/// How a document ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// Complete in the sink; with what cleaning did, if it was asked for.
    Stored(Option<CleaningResult>),
    /// Not to be stored: the source asked for cleaning and it could not be done with
    /// confidence. The sink holds an incomplete ciphertext to discard.
    NotSent(CleaningResult),
}

impl<'a> DocumentWriter<'a> {
    /// Starts `filename` (already sanitised) to `key` in `sink`; with `clean`, through
    /// the metadata scrubber first, in the same pass and bounded memory.
    pub fn start<W>(key: &'a SubmissionKey, filename: &str, clean: bool, sink: W) -> Result<Self, IntakeError>
    where
        W: Write + Send + Sync + 'a,
    {
        let inner = if clean {
            Writer::Cleaning(StreamScrubber::new(encrypt_scrubbed_document(key, filename, sink)?))
        } else {
            Writer::Plain(encrypt_document(key, filename, sink)?)
        };
        Ok(Self { inner })
    }

    /// Takes the next bytes. Returns false once cleaning has given up on this photo:
    /// it will not be stored, so the rest need not be written.
    pub fn write(&mut self, chunk: &[u8]) -> Result<bool, IntakeError> {
        match &mut self.inner {
            Writer::Plain(plain) => plain.write_all(chunk)?,
            Writer::Cleaning(scrubber) => {
                scrubber.write_all(chunk)?;
                return Ok(!scrubber.gave_up());
            }
        }
        Ok(true)
    }

    /// Completes the ciphertext, unless cleaning said the document must not be stored.
    pub fn finish(self) -> Result<Finished, IntakeError> {
        match self.inner {
            Writer::Plain(plain) => {
                plain.finish()?;
                Ok(Finished::Stored(None))
            }
            Writer::Cleaning(scrubber) => {
                let (plain, outcome) = scrubber.finish()?;
                let result = CleaningResult::of(&outcome);
                if result.not_sent() {
                    return Ok(Finished::NotSent(result));
                }
                // The gzip header said cleaning was asked for; the last member says what it did.
                plain.finish_with_note(Some(&outcome.note()))?;
                Ok(Finished::Stored(Some(result)))
            }
        }
    }
}

/// Encrypts a message's text to `key` into `sink`, complete.
pub fn write_message<W>(key: &SubmissionKey, text: &str, sink: W) -> Result<(), IntakeError>
where
    W: Write + Send + Sync,
{
    let mut plain = encrypt_message(key, sink)?;
    plain.write_all(text.as_bytes())?;
    plain.finish()?;
    Ok(())
}

/// Records one submission of `source`, its message first, in one transaction.
pub fn record_submission(
    store: &Store,
    source: SourceId,
    message: Option<FinishedBlob>,
    documents: Vec<FinishedBlob>,
) -> Result<(), IntakeError> {
    let items = message
        .map(|m| (SubmissionKind::Message, m))
        .into_iter()
        .chain(documents.into_iter().map(|d| (SubmissionKind::Document, d)))
        .collect();
    store.record_submission(source, items)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_crypto::decrypt_message;
    use postern_fixtures::{GPG_SECRET_KEY, submission_key};

    fn gunzip_payload(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        postern_crypto::read_gzip_members(gz, &mut out).unwrap();
        out
    }

    #[test]
    fn a_document_arrives_in_pieces_and_decrypts_whole() {
        let key = submission_key();
        let mut sink = Vec::new();
        let mut doc = DocumentWriter::start(&key, "notes.txt", false, &mut sink).unwrap();
        for piece in [&b"first half, "[..], b"second half"] {
            assert!(doc.write(piece).unwrap());
        }
        assert_eq!(doc.finish().unwrap(), Finished::Stored(None));
        let gz = decrypt_message(GPG_SECRET_KEY, &sink).unwrap();
        assert_eq!(gunzip_payload(&gz), b"first half, second half");
        assert!(!sink.windows(11).any(|w| w == b"second half"), "no plaintext in the ciphertext");
    }

    #[test]
    fn a_document_that_is_not_a_photo_is_stored_as_it_was_when_cleaning_was_asked() {
        let key = submission_key();
        let mut sink = Vec::new();
        let mut doc = DocumentWriter::start(&key, "notes.txt", true, &mut sink).unwrap();
        doc.write(b"plain words, no photo").unwrap();
        assert_eq!(doc.finish().unwrap(), Finished::Stored(Some(CleaningResult::NotAPhoto)));
        let gz = decrypt_message(GPG_SECRET_KEY, &sink).unwrap();
        assert_eq!(gunzip_payload(&gz), b"plain words, no photo");
    }

    #[test]
    fn a_damaged_photo_is_not_sent_when_cleaning_was_asked() {
        let key = submission_key();
        let mut sink = Vec::new();
        let mut doc = DocumentWriter::start(&key, "photo.jpg", true, &mut sink).unwrap();
        // A JPEG start of image, then nothing a decoder can finish.
        doc.write(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]).unwrap();
        assert_eq!(doc.finish().unwrap(), Finished::NotSent(CleaningResult::NotSentDamaged));
    }

    #[test]
    fn a_message_is_encrypted_whole() {
        let key = submission_key();
        let mut sink = Vec::new();
        write_message(&key, "meet at noon", &mut sink).unwrap();
        assert_eq!(decrypt_message(GPG_SECRET_KEY, &sink).unwrap(), b"meet at noon");
    }
}
