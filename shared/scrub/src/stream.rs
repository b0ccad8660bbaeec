//! Scrubbing as a stream, for the source interface: bytes are written in, cleaned
//! bytes come out the other side as they go.

use std::io::{self, Write};

use crate::image::{Budget, Driver, Failure, STREAM_BUDGET, STREAM_WEBP_LIMIT, WebpLimits};
use crate::sniff::SNIFF_BYTES;
use crate::{Finding, Format, NotCleaned, ScrubOutcome, sniff};

/// What happened to a streamed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamOutcome {
    /// Cleaned: this was removed (and this kept).
    Cleaned(ScrubOutcome),
    /// Not cleaned, for this reason: the bytes from the point of failure on (or all of
    /// them, for a type that is not cleaned) passed through unchanged; `removed` is
    /// what had been removed before the failure.
    NotCleaned {
        /// The format, from the content.
        format: Format,
        /// Why.
        reason: NotCleaned,
        /// What was removed before it stopped.
        removed: Vec<Finding>,
    },
}

enum State {
    Sniffing(Vec<u8>),
    Image(Box<Driver>, Format),
    PassThrough { format: Format, reason: NotCleaned, removed: Vec<Finding> },
}

/// A `Write` that removes metadata from a JPEG, PNG or WebP written into it and
/// writes the result to `inner`. Other formats, and the rest of a file that turns
/// out damaged, pass through unchanged and are reported as not cleaned, so nothing
/// the source sent is lost. Memory is bounded (see [`crate::image`]).
pub struct StreamScrubber<W: Write> {
    inner: W,
    state: State,
    budget: &'static Budget,
}

impl<W: Write> StreamScrubber<W> {
    /// Starts a stream into `inner`, sharing the process-wide WebP allowance.
    pub fn new(inner: W) -> Self {
        Self::with_budget(inner, &STREAM_BUDGET)
    }

    /// Starts a stream into `inner` with its own WebP allowance.
    pub fn with_budget(inner: W, budget: &'static Budget) -> Self {
        Self { inner, state: State::Sniffing(Vec::with_capacity(SNIFF_BYTES)), budget }
    }

    /// Whether cleaning stopped on a photo part-way: from here on its bytes would only
    /// pass through, so a caller that refuses uncleaned photos can stop sending them.
    pub fn gave_up(&self) -> bool {
        matches!(&self.state, State::PassThrough { format, .. } if format.is_streamable_image())
    }

    /// Ends the stream: returns the sink and what was done.
    pub fn finish(mut self) -> io::Result<(W, StreamOutcome)> {
        if let State::Sniffing(head) = &mut self.state {
            let head = std::mem::take(head);
            self.start(head)?;
        }
        let outcome = match self.state {
            State::Sniffing(_) => unreachable_outcome(),
            State::Image(mut driver, format) => match driver.finish() {
                Ok(outcome) => StreamOutcome::Cleaned(outcome),
                Err(Failure::Io(e)) => return Err(e),
                Err(Failure::NotCleaned(reason, rest)) => {
                    self.inner.write_all(&rest)?;
                    StreamOutcome::NotCleaned { format, reason, removed: std::mem::take(&mut driver.found.removed) }
                }
            },
            State::PassThrough { format, reason, removed } => StreamOutcome::NotCleaned { format, reason, removed },
        };
        Ok((self.inner, outcome))
    }

    fn start(&mut self, head: Vec<u8>) -> io::Result<()> {
        let format = sniff(&head);
        let limits = WebpLimits { max_bytes: STREAM_WEBP_LIMIT, budget: Some(self.budget) };
        match Driver::for_format(format, limits) {
            Some(driver) => {
                self.state = State::Image(Box::new(driver), format);
                self.feed(&head)
            }
            None => {
                let reason =
                    if format == Format::Unknown { NotCleaned::UnknownFormat } else { NotCleaned::Unsupported(format) };
                self.state = State::PassThrough { format, reason, removed: Vec::new() };
                self.inner.write_all(&head)
            }
        }
    }

    fn feed(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.state {
            State::Sniffing(head) => {
                head.extend_from_slice(buf);
                if head.len() >= SNIFF_BYTES {
                    let head = std::mem::take(head);
                    self.start(head)?;
                }
                Ok(())
            }
            State::Image(driver, format) => match driver.push(buf, &mut self.inner) {
                Ok(()) => Ok(()),
                Err(Failure::Io(e)) => Err(e),
                Err(Failure::NotCleaned(reason, rest)) => {
                    let removed = std::mem::take(&mut driver.found.removed);
                    self.state = State::PassThrough { format: *format, reason, removed };
                    self.inner.write_all(&rest)
                }
            },
            State::PassThrough { .. } => self.inner.write_all(buf),
        }
    }
}

/// `finish` replaces `Sniffing` before matching, so this is never reached; it keeps
/// the match total without a panic.
fn unreachable_outcome() -> StreamOutcome {
    StreamOutcome::NotCleaned { format: Format::Unknown, reason: NotCleaned::UnknownFormat, removed: Vec::new() }
}

impl<W: Write> Write for StreamScrubber<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.feed(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl StreamOutcome {
    /// One line for the journalist (the source interface puts it in the gzip
    /// header comment): what was removed, by category, or why the file was not
    /// cleaned. Categories only: no values, no names.
    pub fn note(&self) -> String {
        let keys = |findings: &[Finding]| {
            crate::categories_of(findings).iter().map(|c| c.key()).collect::<Vec<_>>().join(", ")
        };
        match self {
            Self::Cleaned(outcome) if outcome.removed.is_empty() => {
                format!("postern-scrub: {} checked, nothing identifying found", outcome.format.name())
            }
            Self::Cleaned(outcome) => {
                let kept = if outcome.kept.is_empty() { "" } else { "; kept: orientation" };
                format!("postern-scrub: {} cleaned; removed: {}{kept}", outcome.format.name(), keys(&outcome.removed))
            }
            Self::NotCleaned { format, reason: NotCleaned::Unsupported(_), removed }
                if removed.is_empty() && format.is_cleanable() =>
            {
                format!(
                    "postern-scrub: {} not cleaned on the server (only JPEG, PNG and WebP photos are); \
                     svs inspect and svs scrub can check and clean it",
                    format.name()
                )
            }
            Self::NotCleaned { format, reason, removed } if removed.is_empty() => {
                format!("postern-scrub: {} NOT cleaned: {reason}", format.name())
            }
            Self::NotCleaned { format, reason, removed } => format!(
                "postern-scrub: {} only partly cleaned ({reason}); removed before that: {}; the rest is as sent",
                format.name(),
                keys(removed)
            ),
        }
    }
}
