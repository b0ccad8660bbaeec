//! WebP: RIFF chunks.
//!
//! Kept: `VP8 `, `VP8L`, `VP8X` (its ICC/EXIF/XMP flags corrected), `ALPH`, `ANIM`
//! and `ANMF`. Replaced: `EXIF`, by one holding only the orientation (extended
//! files only: a simple file has nowhere to declare it). Dropped: `ICCP`, `XMP `,
//! unknown chunks and anything after the RIFF container.
//!
//! The RIFF header states the size of everything after it, which changes when
//! chunks go, and metadata chunks come after the image data; so the whole
//! container is read before any of it is written, up to a limit.

use std::io::Write;

use super::{Budget, Found, Mode, Parser, Step, WebpLimits};
use crate::{Category, Finding, Format, NotCleaned, ScrubError, exif, xmp};

const VP8X_ICC: u8 = 0x20;
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

/// The WebP parser.
#[derive(Debug)]
pub(crate) struct Webp {
    limit: u64,
    budget: Option<&'static Budget>,
    /// Bytes taken from the budget, given back when the parser goes.
    taken: u64,
    ended: bool,
}

impl Webp {
    /// A parser that refuses containers larger than `limits.max_bytes`, and any the
    /// shared budget has no room for.
    pub(crate) fn new(limits: WebpLimits) -> Self {
        Self { limit: limits.max_bytes, budget: limits.budget, taken: 0, ended: false }
    }
}

impl Drop for Webp {
    fn drop(&mut self) {
        if let Some(budget) = self.budget {
            budget.give_back(self.taken);
        }
    }
}

impl Parser for Webp {
    fn step(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError> {
        if self.ended {
            return Ok(Step::Done { consumed: 0, then: Mode::Trailer });
        }
        if buf.len() < 12 {
            return Ok(Step::Need(12));
        }
        if &buf[..4] != b"RIFF" || &buf[8..12] != b"WEBP" {
            return Err(malformed("it does not start with a WebP header"));
        }
        let size = u64::from(u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]));
        if size < 4 {
            return Err(malformed("the container is too short to hold \"WEBP\""));
        }
        let total = 8 + size;
        if total > self.limit {
            return Err(NotCleaned::TooLarge { limit_mib: self.limit / (1024 * 1024) }.into());
        }
        if let (Some(budget), 0) = (self.budget, self.taken) {
            // The buffer and the cleaned copy made from it.
            if !budget.take(2 * total) {
                return Err(NotCleaned::Busy.into());
            }
            self.taken = 2 * total;
        }
        // total <= limit, which the caller keeps within memory (and usize).
        let total = total as usize;
        if buf.len() < total {
            return Ok(Step::Need(total));
        }
        let cleaned = rewrite(&buf[12..total], found)?;
        out.write_all(&cleaned)?;
        self.ended = true;
        Ok(Step::Done { consumed: total, then: Mode::Trailer })
    }

    fn max_need(&self) -> usize {
        usize::try_from(self.limit).unwrap_or(usize::MAX)
    }

    fn complete(&self) -> bool {
        self.ended
    }

    fn format(&self) -> Format {
        Format::Webp
    }
}

/// The cleaned container for the chunks in `body` (everything after "WEBP").
fn rewrite(body: &[u8], found: &mut Found) -> Result<Vec<u8>, ScrubError> {
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut vp8x_flags_at = None;
    let mut has_image = false;
    let mut orientation = None;
    let mut pos = 0;
    while pos < body.len() {
        let header = body.get(pos..pos + 8).ok_or_else(|| malformed("a chunk header is cut short"))?;
        let fourcc: [u8; 4] = [header[0], header[1], header[2], header[3]];
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let end =
            pos.checked_add(8).and_then(|p| p.checked_add(len)).ok_or_else(|| malformed("a chunk is too long"))?;
        let data = body.get(pos + 8..end).ok_or_else(|| malformed("a chunk is longer than the file"))?;
        // Chunks are padded to even sizes; a missing final pad byte is tolerated.
        let padded = (len + (len & 1)).min(body.len() - pos - 8);
        let whole = &body[pos..pos + 8 + padded];
        let place = format!("WebP {}", String::from_utf8_lossy(&fourcc).trim_end());
        match &fourcc {
            b"VP8X" => {
                if len < 10 || vp8x_flags_at.is_some() {
                    return Err(malformed("the extended header is invalid"));
                }
                vp8x_flags_at = Some(out.len() + 8);
                exact(&mut out, b"VP8X", &data[..10], len, found);
            }
            b"VP8 " | b"VP8L" => {
                has_image = true;
                out.extend_from_slice(whole);
            }
            b"ANMF" => {
                has_image = true;
                let frame = animation_frame(data, found)?;
                out.extend_from_slice(b"ANMF");
                let len = u32::try_from(frame.len()).map_err(|_| malformed("a frame is too large"))?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&frame);
                if frame.len() % 2 == 1 {
                    out.push(0);
                }
            }
            b"ANIM" if len >= 6 => exact(&mut out, b"ANIM", &data[..6], len, found),
            b"ANIM" => return Err(malformed("the animation header is cut short")),
            b"ALPH" => out.extend_from_slice(whole),
            b"ICCP" => found.remove(Finding::new(Category::ColourProfile, place, "ICC profile")),
            b"EXIF" => {
                let tiff = data.strip_prefix(b"Exif\0\0").unwrap_or(data);
                let summary = exif::summarise(tiff, &place);
                found.remove_all(summary.findings);
                orientation = orientation.or(summary.orientation);
            }
            b"XMP " => found.remove_all(xmp::summarise(data, &place)),
            _ => found.remove(Finding::new(Category::Other, place, "unknown chunk")),
        }
        pos += 8 + padded;
    }
    if !has_image {
        return Err(malformed("it holds no image data"));
    }
    if let Some(at) = vp8x_flags_at {
        let mut flags = out[at] & !(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
        if let Some(o) = orientation {
            let tiff = exif::orientation_only(o);
            out.extend_from_slice(b"EXIF");
            out.extend_from_slice(&(tiff.len() as u32).to_le_bytes());
            out.extend_from_slice(&tiff);
            flags |= VP8X_EXIF;
            found.kept.push(exif::kept_orientation("WebP EXIF", o));
        }
        out[at] = flags;
    }
    let riff_size = u32::try_from(out.len() - 8).map_err(|_| malformed("the file is too large"))?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(out)
}

/// Writes a fixed-size chunk with exactly its standard fields: bytes a chunk declares
/// beyond them are ignored by decoders and could carry anything.
fn exact(out: &mut Vec<u8>, fourcc: &[u8; 4], fields: &[u8], declared: usize, found: &mut Found) {
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    out.extend_from_slice(fields);
    if declared > fields.len() {
        let place = format!("WebP {}", String::from_utf8_lossy(fourcc).trim_end());
        found.remove(Finding::new(Category::Other, place, "data after the standard fields"));
    }
}

/// An animation frame's payload with only its header and image chunks (`ALPH`,
/// `VP8 `, `VP8L`): the format allows unknown chunks inside frames too.
fn animation_frame(data: &[u8], found: &mut Found) -> Result<Vec<u8>, ScrubError> {
    let header = data.get(..16).ok_or_else(|| malformed("an animation frame is cut short"))?;
    let mut frame = header.to_vec();
    let mut pos = 16;
    while pos < data.len() {
        let head = data.get(pos..pos + 8).ok_or_else(|| malformed("a frame chunk header is cut short"))?;
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let end = (pos + 8).checked_add(len).ok_or_else(|| malformed("a frame chunk is too long"))?;
        if end > data.len() {
            return Err(malformed("a frame chunk is longer than its frame"));
        }
        let padded = (len + (len & 1)).min(data.len() - pos - 8);
        match &head[..4] {
            b"ALPH" | b"VP8 " | b"VP8L" => frame.extend_from_slice(&data[pos..pos + 8 + padded]),
            other => {
                let place = format!("WebP ANMF {}", String::from_utf8_lossy(other).trim_end());
                found.remove(Finding::new(Category::Other, place, "unknown chunk in a frame"));
            }
        }
        pos += 8 + padded;
    }
    Ok(frame)
}

fn malformed(detail: &str) -> ScrubError {
    ScrubError::malformed(Format::Webp, detail)
}
