//! JPEG, PNG and WebP: container-level scrubbing that never touches image data.
//!
//! Each format is a push parser ([`Parser`]) run by a [`Driver`], so the same code
//! cleans a file on the viewing station and a stream on the source interface, in
//! bounded memory: JPEG holds at most one 64 KiB segment, PNG one metadata chunk of
//! at most 1 MiB (larger ones are dropped unread), WebP the whole file up to a cap
//! (its RIFF header states the size of what follows, so it cannot be rewritten
//! before the end is seen).
//!
//! EXIF orientation is **preserved**, not applied: a new EXIF block holding only the
//! Orientation tag replaces the original, so viewers still turn the photo and the
//! compressed image data stays byte-identical.

mod jpeg;
mod png;
mod webp;

use std::io::{self, Read, Write};

use crate::{Finding, Format, NotCleaned, Report, ScrubError, ScrubOutcome, sniff};

/// Largest WebP the streaming scrubber buffers (the source interface's per-upload memory).
pub const STREAM_WEBP_LIMIT: u64 = 16 * 1024 * 1024;

/// Bytes all streaming scrubbers of a process may hold in WebP buffers at once.
pub const STREAM_WEBP_BUDGET: u64 = 4 * STREAM_WEBP_LIMIT;

/// A shared allowance of buffered bytes: WebPs are held whole, so many at once could
/// take a lot of memory; beyond the allowance a WebP is refused as busy.
#[derive(Debug)]
pub struct Budget {
    left: std::sync::atomic::AtomicU64,
}

impl Budget {
    /// An allowance of `bytes`.
    pub const fn new(bytes: u64) -> Self {
        Self { left: std::sync::atomic::AtomicU64::new(bytes) }
    }

    /// Takes `bytes` if that many are left.
    fn take(&self, bytes: u64) -> bool {
        use std::sync::atomic::Ordering;
        self.left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(bytes)).is_ok()
    }

    fn give_back(&self, bytes: u64) {
        self.left.fetch_add(bytes, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The process-wide allowance the source interface's scrubbers share.
pub static STREAM_BUDGET: Budget = Budget::new(STREAM_WEBP_BUDGET);

/// What a driver may hold in memory for a WebP.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WebpLimits {
    /// Largest container.
    pub(crate) max_bytes: u64,
    /// Shared allowance, if any.
    pub(crate) budget: Option<&'static Budget>,
}

/// What a parser does next with the bytes in front of it.
#[derive(Debug)]
pub(crate) enum Step {
    /// It needs at least this many bytes in front of it to decide.
    Need(usize),
    /// The first `consumed` bytes are dealt with; continue in `then`.
    Done { consumed: usize, then: Mode },
}

/// How the driver treats the bytes that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Hand them to the parser.
    Parse,
    /// Copy this many to the output unchanged (image data).
    Pass(u64),
    /// Drop this many unread (a large metadata chunk).
    Skip(u64),
    /// The image has ended: everything after it is dropped and counted.
    Trailer,
}

/// Most distinct findings kept for one file; a hostile file of a million tiny
/// segments costs a count, not a million findings.
const MAX_FINDINGS: usize = 1000;

/// Where a parser records what it removed and kept.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) removed: Vec<Finding>,
    pub(crate) kept: Vec<Finding>,
    /// (category, place, field) of every finding in `removed`.
    seen: std::collections::HashSet<(crate::Category, String, String)>,
    /// Findings not kept: repeats, or beyond [`MAX_FINDINGS`].
    more: u64,
}

impl Found {
    /// Records a removed finding, once per category, place and field.
    pub(crate) fn remove(&mut self, finding: Finding) {
        let key = (finding.category, finding.place.clone(), finding.field.clone());
        if self.seen.contains(&key) {
            return;
        }
        if self.removed.len() >= MAX_FINDINGS {
            self.more += 1;
            return;
        }
        self.seen.insert(key);
        self.removed.push(finding);
    }

    /// Records several removed findings.
    pub(crate) fn remove_all(&mut self, findings: impl IntoIterator<Item = Finding>) {
        for f in findings {
            self.remove(f);
        }
    }
}

/// A format's push parser.
pub(crate) trait Parser: Send {
    /// Decides what to do with `buf` (the unconsumed bytes, at least one unless at the
    /// end), writing what it keeps of them to `out`.
    fn step(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError>;
    /// The largest [`Step::Need`] it may ask for.
    fn max_need(&self) -> usize;
    /// Whether the input may end here.
    fn complete(&self) -> bool;
    /// The format it parses.
    fn format(&self) -> Format;
}

/// Why a push failed: an I/O error is fatal; a parse failure hands back the bytes
/// that were not consumed, so a caller may pass them on unchanged.
#[derive(Debug)]
pub(crate) enum Failure {
    Io(io::Error),
    NotCleaned(NotCleaned, Vec<u8>),
}

/// Runs a [`Parser`] over input that arrives in pieces.
pub(crate) struct Driver {
    parser: Box<dyn Parser>,
    buf: Vec<u8>,
    mode: Mode,
    trailing: u64,
    pub(crate) found: Found,
    /// Bytes the parser last asked to see at once.
    want: usize,
}

impl Driver {
    /// A driver for `format`, or `None` if it is not a streamable image.
    pub(crate) fn for_format(format: Format, webp: WebpLimits) -> Option<Self> {
        let parser: Box<dyn Parser> = match format {
            Format::Jpeg => Box::new(jpeg::Jpeg::default()),
            Format::Png => Box::new(png::Png::default()),
            Format::Webp => Box::new(webp::Webp::new(webp)),
            _ => return None,
        };
        Some(Self { parser, buf: Vec::new(), mode: Mode::Parse, trailing: 0, found: Found::default(), want: 0 })
    }

    /// Feeds `input`, writing the cleaned bytes to `out`.
    pub(crate) fn push(&mut self, input: &[u8], out: &mut dyn Write) -> Result<(), Failure> {
        if self.buf.is_empty() {
            let used = self.process(input, out)?;
            // What the parser asked for is allocated once, not doubled into.
            self.buf.reserve_exact(self.want.saturating_sub(self.buf.len()));
            self.buf.extend_from_slice(&input[used..]);
        } else {
            let mut data = std::mem::take(&mut self.buf);
            data.extend_from_slice(input);
            let used = self.process(&data, out)?;
            data.drain(..used);
            data.reserve_exact(self.want.saturating_sub(data.len()));
            self.buf = data;
        }
        Ok(())
    }

    /// Checks that the input may end here and returns what was removed and kept.
    pub(crate) fn finish(&mut self) -> Result<ScrubOutcome, Failure> {
        let ended = self.buf.is_empty() && self.mode == Mode::Parse && self.parser.complete();
        if !(ended || self.mode == Mode::Trailer) {
            let buf = std::mem::take(&mut self.buf);
            return Err(Failure::NotCleaned(
                NotCleaned::malformed(self.parser.format(), "the file ends before the image does"),
                buf,
            ));
        }
        if self.found.more > 0 {
            let more = self.found.more.to_string();
            self.found.removed.push(Finding::with_value(crate::Category::Other, "throughout", "more items", &more));
        }
        if self.trailing > 0 {
            self.found.removed.push(Finding::new(
                crate::Category::TrailingData,
                format!("after the end of the {}", self.parser.format().name()),
                "trailing data",
            ));
        }
        let found = std::mem::take(&mut self.found);
        Ok(ScrubOutcome { format: self.parser.format(), removed: found.removed, kept: found.kept })
    }

    /// Handles as much of `data` as it can; returns how much it consumed.
    fn process(&mut self, data: &[u8], out: &mut dyn Write) -> Result<usize, Failure> {
        let mut pos = 0;
        let mut idle = 0;
        loop {
            let rest = &data[pos..];
            match self.mode {
                Mode::Pass(n) | Mode::Skip(n) => {
                    let take = n.min(rest.len() as u64);
                    // take <= rest.len(), so it fits in usize.
                    let take_usize = take as usize;
                    if let Mode::Pass(_) = self.mode {
                        out.write_all(&rest[..take_usize]).map_err(Failure::Io)?;
                    }
                    pos += take_usize;
                    self.mode = match (self.mode, n - take) {
                        (_, 0) => Mode::Parse,
                        (Mode::Pass(_), left) => Mode::Pass(left),
                        (_, left) => Mode::Skip(left),
                    };
                    if self.mode != Mode::Parse {
                        return Ok(pos);
                    }
                }
                Mode::Trailer => {
                    self.trailing += rest.len() as u64;
                    return Ok(data.len());
                }
                Mode::Parse => {
                    if rest.is_empty() {
                        return Ok(pos);
                    }
                    match self.parser.step(rest, out, &mut self.found) {
                        Ok(Step::Need(n)) => {
                            self.want = n;
                            if n > self.parser.max_need() {
                                let reason =
                                    NotCleaned::malformed(self.parser.format(), "a part of the file is too large");
                                return Err(Failure::NotCleaned(reason, rest.to_vec()));
                            }
                            return Ok(pos);
                        }
                        Ok(Step::Done { consumed, then }) => {
                            // A parser may change state without consuming, but never twice running.
                            idle = if consumed == 0 { idle + 1 } else { 0 };
                            if idle > 2 {
                                let reason = NotCleaned::malformed(self.parser.format(), "the parser made no progress");
                                return Err(Failure::NotCleaned(reason, rest.to_vec()));
                            }
                            pos += consumed.min(rest.len());
                            self.mode = then;
                        }
                        Err(ScrubError::NotCleaned(reason)) => return Err(Failure::NotCleaned(reason, rest.to_vec())),
                        Err(ScrubError::Io(e)) => return Err(Failure::Io(e)),
                    }
                }
            }
        }
    }
}

impl From<Failure> for ScrubError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Io(e) => ScrubError::Io(e),
            Failure::NotCleaned(reason, _) => ScrubError::NotCleaned(reason),
        }
    }
}

/// Reads `input` in pieces through a driver for its format.
fn run<R: Read>(
    mut input: R,
    out: &mut dyn Write,
    webp_limit: u64,
) -> Result<ScrubOutcome, (ScrubError, Vec<Finding>)> {
    let mut head = [0u8; crate::sniff::SNIFF_BYTES];
    let n = crate::read_up_to(&mut input, &mut head).map_err(|e| (e.into(), Vec::new()))?;
    let format = sniff(&head[..n]);
    let limits = WebpLimits { max_bytes: webp_limit, budget: None };
    let Some(mut driver) = Driver::for_format(format, limits) else {
        let reason =
            if format == Format::Unknown { NotCleaned::UnknownFormat } else { NotCleaned::Unsupported(format) };
        return Err((reason.into(), Vec::new()));
    };
    let fail = |f: Failure, d: &mut Driver| (ScrubError::from(f), std::mem::take(&mut d.found.removed));
    if let Err(f) = driver.push(&head[..n], out) {
        return Err(fail(f, &mut driver));
    }
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((e.into(), std::mem::take(&mut driver.found.removed))),
        };
        if let Err(f) = driver.push(&chunk[..n], out) {
            return Err(fail(f, &mut driver));
        }
    }
    driver.finish().map_err(|f| fail(f, &mut driver))
}

/// Scrubs a JPEG, PNG or WebP read from `input` into `output`.
pub(crate) fn scrub_stream<R: Read, W: Write>(input: R, mut output: W) -> Result<ScrubOutcome, ScrubError> {
    run(input, &mut output, crate::MAX_DOCUMENT_BYTES).map_err(|(e, _)| e)
}

/// Inventories a JPEG, PNG or WebP read from `input`.
pub(crate) fn inspect_stream<R: Read>(input: R) -> Result<Report, ScrubError> {
    match run(input, &mut io::sink(), crate::MAX_DOCUMENT_BYTES) {
        Ok(outcome) => {
            Ok(Report { format: outcome.format, findings: outcome.removed, unchecked: Vec::new(), not_cleanable: None })
        }
        Err((ScrubError::NotCleaned(reason), found)) => {
            let format = match &reason {
                NotCleaned::Malformed { format, .. } | NotCleaned::Unsupported(format) => *format,
                _ => Format::Unknown,
            };
            Ok(Report {
                format,
                findings: found,
                unchecked: vec!["the rest of the file could not be read".to_owned()],
                not_cleanable: Some(reason),
            })
        }
        Err((e, _)) => Err(e),
    }
}

/// [`inspect_stream`] on bytes in memory: JPEG, PNG and WebP only (embedded images
/// in PDF and Office files).
pub fn inspect_bytes(data: &[u8]) -> Result<Report, ScrubError> {
    inspect_stream(data)
}

/// [`scrub_stream`] on bytes in memory: JPEG, PNG and WebP only.
pub fn scrub_bytes(data: &[u8]) -> Result<(Vec<u8>, ScrubOutcome), ScrubError> {
    let mut out = Vec::with_capacity(data.len());
    let outcome = scrub_stream(data, &mut out)?;
    Ok((out, outcome))
}

/// A small valid JPEG carrying EXIF with GPS, make and model (for tests of the
/// formats that embed images).
#[cfg(test)]
pub(crate) fn test_jpeg_with_exif() -> Vec<u8> {
    crate::fixtures::jpeg_with_everything()
}

#[cfg(test)]
mod tests;
