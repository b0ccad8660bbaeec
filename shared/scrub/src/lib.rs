//! Metadata inspection and lossless scrubbing of photos and documents.
//!
//! Pure: no network, no async, no files of its own; everything goes through
//! `Read`/`Write`. Scrubbing rewrites containers with allow-lists (keep what a viewer
//! needs to render, drop the rest) and never re-encodes image data, so pixels stay
//! byte-identical. JPEG, PNG and WebP also scrub as a stream ([`StreamScrubber`]) in
//! bounded memory, for the source interface's opt-in pass before encryption.
//!
//! Anything that cannot be cleaned with confidence is refused with a reason
//! ([`NotCleaned`]); a file is never reported clean when it is not. Hostile input
//! gives an error: never a panic, a hang or memory beyond the stated limits.
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod exif;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod image;
mod ooxml;
mod pdf;
mod report;
mod sniff;
mod stream;
mod xmp;

use std::io::{Read, Seek, SeekFrom, Write};

pub use image::{Budget, STREAM_BUDGET, STREAM_WEBP_BUDGET, STREAM_WEBP_LIMIT};
pub use report::{
    Category, Finding, Format, MAX_VALUE_CHARS, NotCleaned, Report, ScrubError, ScrubOutcome, categories_of, printable,
};
pub use sniff::sniff;
pub use stream::{StreamOutcome, StreamScrubber};

/// Largest document (PDF, Office) read into memory to inspect or clean; images stream.
pub const MAX_DOCUMENT_BYTES: u64 = 512 * 1024 * 1024;

/// The format of `input`, from its content; reads what it needs and rewinds to the start.
pub fn detect<R: Read + Seek>(input: &mut R) -> Result<Format, ScrubError> {
    let start = input.stream_position()?;
    let format = load(input)?.format();
    input.seek(SeekFrom::Start(start))?;
    Ok(format)
}

/// A file after its first look: images stream from the reader; PDF and zip files are
/// read whole once (an Office file is told from another zip by its members).
enum Loaded {
    Image(Format),
    Document(Format, Vec<u8>),
    Other(Format),
}

impl Loaded {
    fn format(&self) -> Format {
        match self {
            Self::Image(f) | Self::Document(f, _) | Self::Other(f) => *f,
        }
    }
}

/// Recognises `input`; an image's reader is left at its start.
fn load<R: Read + Seek>(input: &mut R) -> Result<Loaded, ScrubError> {
    let start = input.stream_position()?;
    let mut head = [0u8; 64];
    let n = read_up_to(input, &mut head)?;
    input.seek(SeekFrom::Start(start))?;
    Ok(match sniff(&head[..n]) {
        format @ (Format::Jpeg | Format::Png | Format::Webp) => Loaded::Image(format),
        Format::Pdf => Loaded::Document(Format::Pdf, read_document(input)?),
        Format::Zip => {
            let data = read_document(input)?;
            match ooxml::detect(&data) {
                Some(format) => Loaded::Document(format, data),
                None => Loaded::Other(Format::Zip),
            }
        }
        other => Loaded::Other(other),
    })
}

/// What identifying information `input` carries.
pub fn inspect<R: Read + Seek>(mut input: R) -> Result<Report, ScrubError> {
    match load(&mut input)? {
        Loaded::Image(_) => image::inspect_stream(input),
        Loaded::Document(Format::Pdf, data) => pdf::inspect(&data),
        Loaded::Document(format, data) => ooxml::inspect(&data, format),
        Loaded::Other(other) => Ok(Report {
            format: other,
            findings: Vec::new(),
            unchecked: vec![format!("{} files are not inspected", other.name())],
            not_cleanable: Some(if other == Format::Unknown {
                NotCleaned::UnknownFormat
            } else {
                NotCleaned::Unsupported(other)
            }),
        }),
    }
}

/// Writes a cleaned copy of `input` to `output`; on error, what was written to
/// `output` must be discarded.
pub fn scrub<R: Read + Seek, W: Write>(mut input: R, mut output: W) -> Result<ScrubOutcome, ScrubError> {
    match load(&mut input)? {
        Loaded::Image(_) => image::scrub_stream(input, output),
        Loaded::Document(Format::Pdf, data) => pdf::scrub(&data, &mut output),
        Loaded::Document(format, data) => ooxml::scrub(&data, format, &mut output),
        Loaded::Other(Format::Unknown) => Err(NotCleaned::UnknownFormat.into()),
        Loaded::Other(other) => Err(NotCleaned::Unsupported(other).into()),
    }
}

/// [`inspect`] on bytes in memory.
pub fn inspect_bytes(data: &[u8]) -> Result<Report, ScrubError> {
    inspect(std::io::Cursor::new(data))
}

/// [`scrub`] on bytes in memory: the cleaned bytes and what was removed.
pub fn scrub_bytes(data: &[u8]) -> Result<(Vec<u8>, ScrubOutcome), ScrubError> {
    let mut out = Vec::with_capacity(data.len());
    let outcome = scrub(std::io::Cursor::new(data), &mut out)?;
    Ok((out, outcome))
}

/// Reads a whole document, refusing more than [`MAX_DOCUMENT_BYTES`].
fn read_document<R: Read>(input: &mut R) -> Result<Vec<u8>, ScrubError> {
    let mut data = Vec::new();
    input.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(NotCleaned::TooLarge { limit_mib: MAX_DOCUMENT_BYTES / (1024 * 1024) }.into());
    }
    Ok(data)
}

/// Fills `buf` as far as the input allows; returns how much was read.
fn read_up_to<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A fixture with a few bytes changed and possibly cut short.
    fn damaged(fixture: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
        let len = fixture.len();
        (proptest::collection::vec((0..len, any::<u8>()), 1..6), 1..=len).prop_map(move |(flips, cut)| {
            let mut data = fixture[..cut].to_vec();
            for (at, byte) in flips {
                if let Some(b) = data.get_mut(at) {
                    *b = byte;
                }
            }
            data
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Damaged documents give a report or an error, never a panic or a hang.
        #[test]
        fn damaged_documents_never_panic(
            data in prop_oneof![damaged(fixtures::pdf_with_everything()), damaged(fixtures::docx_with_everything())],
        ) {
            let _ = inspect_bytes(&data);
            let _ = scrub_bytes(&data);
        }
    }

    #[test]
    fn formats_are_recognised_by_content_not_name() {
        let detect_bytes = |d: &[u8]| detect(&mut std::io::Cursor::new(d)).unwrap();
        assert_eq!(detect_bytes(&fixtures::docx_with_everything()), Format::Docx);
        assert_eq!(detect_bytes(&fixtures::pdf_with_everything()), Format::Pdf);
        assert_eq!(detect_bytes(fixtures::PHOTO_WEBP), Format::Webp);
        assert_eq!(detect_bytes(b"PK\x03\x04 not really a zip"), Format::Zip);
        let heic = inspect_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap();
        assert_eq!(heic.not_cleanable, Some(NotCleaned::Unsupported(Format::Heif)));
        assert!(matches!(
            scrub_bytes(b"GIF89a...."),
            Err(ScrubError::NotCleaned(NotCleaned::Unsupported(Format::Gif)))
        ));
    }
}
