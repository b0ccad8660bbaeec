//! PNG: chunks.
//!
//! Kept: the critical chunks and the ancillary chunks that change how pixels look
//! (transparency, gamma, chromaticities, sRGB, significant bits, background,
//! physical size, histogram, HDR and CICP colour data) and APNG animation. Replaced:
//! `eXIf`, by one holding only the orientation. Dropped: text (`tEXt`, `zTXt`,
//! `iTXt`, which also carry XMP), `tIME`, `iCCP`, private and unknown ancillary
//! chunks, and anything after `IEND`. An unknown *critical* chunk cannot be dropped
//! without breaking the image, so such a file is not cleaned.

use std::io::Write;

use super::{Found, Mode, Parser, Step};
use crate::{Category, Finding, Format, NotCleaned, ScrubError, exif, xmp};

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// Metadata chunks up to this size are read to name what they hold; larger ones are skipped unread.
const INSPECT_LIMIT: usize = 1024 * 1024;
/// Chunks that affect rendering or animation.
const KEPT: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"hIST",
    b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Start,
    Chunks,
    Ended,
}

/// The PNG parser.
#[derive(Debug, Default)]
pub(crate) struct Png {
    state: State,
    exif_written: bool,
}

impl Parser for Png {
    fn step(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError> {
        match self.state {
            State::Start => {
                if buf.len() < SIGNATURE.len() {
                    return Ok(Step::Need(SIGNATURE.len()));
                }
                if &buf[..SIGNATURE.len()] != SIGNATURE {
                    return Err(malformed("it does not start with the PNG signature"));
                }
                out.write_all(SIGNATURE)?;
                self.state = State::Chunks;
                Ok(done(SIGNATURE.len()))
            }
            State::Chunks => self.chunk(buf, out, found),
            State::Ended => Ok(Step::Done { consumed: 0, then: Mode::Trailer }),
        }
    }

    fn max_need(&self) -> usize {
        12 + INSPECT_LIMIT
    }

    fn complete(&self) -> bool {
        self.state == State::Ended
    }

    fn format(&self) -> Format {
        Format::Png
    }
}

impl Png {
    fn chunk(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError> {
        if buf.len() < 8 {
            return Ok(Step::Need(8));
        }
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if len > 0x7fff_ffff {
            return Err(malformed("a chunk has an impossible length"));
        }
        let kind: [u8; 4] = [buf[4], buf[5], buf[6], buf[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed("a chunk has an invalid type"));
        }
        let len = len as usize;
        if &kind == b"IEND" {
            if len != 0 {
                return Err(malformed("the end chunk has content"));
            }
            if buf.len() < 12 {
                return Ok(Step::Need(12));
            }
            out.write_all(&buf[..12])?;
            self.state = State::Ended;
            return Ok(Step::Done { consumed: 12, then: Mode::Parse });
        }
        if KEPT.contains(&&kind) && len > max_kept_len(&kind) {
            // A rendering chunk with room for more than its fields: not passed on.
            let name = String::from_utf8_lossy(&kind).into_owned();
            found.remove(Finding::new(Category::Other, format!("PNG {name}"), "oversized chunk"));
            return Ok(Step::Done { consumed: 8, then: Mode::Skip(len as u64 + 4) });
        }
        if KEPT.contains(&&kind) {
            out.write_all(&buf[..8])?;
            return Ok(Step::Done { consumed: 8, then: Mode::Pass(len as u64 + 4) });
        }
        if kind[0].is_ascii_uppercase() {
            return Err(NotCleaned::Uncleanable("an unknown critical PNG chunk".to_owned()).into());
        }
        let name = String::from_utf8_lossy(&kind).into_owned();
        let place = format!("PNG {name}");
        let readable = matches!(&kind, b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf") && len <= INSPECT_LIMIT;
        if !readable {
            let (category, field) = match &kind {
                b"tIME" => (Category::Times, "last modification time"),
                b"iCCP" => (Category::ColourProfile, "ICC profile"),
                b"eXIf" => (Category::Device, "EXIF (too large to read)"),
                b"tEXt" | b"zTXt" | b"iTXt" => (Category::Other, "text (too large to read)"),
                _ => (Category::Other, "chunk"),
            };
            found.remove(Finding::new(category, place, field));
            return Ok(Step::Done { consumed: 8, then: Mode::Skip(len as u64 + 4) });
        }
        let total = 12 + len;
        if buf.len() < total {
            return Ok(Step::Need(total));
        }
        let data = &buf[8..8 + len];
        if &kind == b"eXIf" {
            let summary = exif::summarise(strip_exif_id(data), &place);
            found.remove_all(summary.findings);
            if let Some(o) = summary.orientation.filter(|_| !self.exif_written) {
                write_chunk(out, b"eXIf", &exif::orientation_only(o))?;
                found.kept.push(exif::kept_orientation(&place, o));
            }
            self.exif_written = true;
        } else {
            found.remove_all(text_findings(&kind, data, &place));
        }
        Ok(done(total))
    }
}

/// The largest valid length of a kept chunk (the PNG specification's field sizes).
fn max_kept_len(kind: &[u8; 4]) -> usize {
    match kind {
        b"gAMA" | b"cICP" => 4,
        b"sRGB" => 1,
        b"sBIT" => 4,
        b"bKGD" => 6,
        b"pHYs" => 9,
        b"cLLI" | b"acTL" => 8,
        b"mDCV" => 24,
        b"fcTL" => 26,
        b"cHRM" => 32,
        b"tRNS" | b"hIST" => 512,
        // IHDR, PLTE, IDAT, fdAT: image data.
        _ => usize::MAX,
    }
}

/// What a text chunk holds, by its keyword (and, for XMP and ImageMagick's EXIF-as-hex, its content).
fn text_findings(kind: &[u8; 4], data: &[u8], place: &str) -> Vec<Finding> {
    let keyword_end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let keyword = String::from_utf8_lossy(&data[..keyword_end]).into_owned();
    let body = data.get(keyword_end + 1..).unwrap_or_default();
    let compressed = kind == b"zTXt" || (kind == b"iTXt" && body.first().is_some_and(|f| *f != 0));
    let one = |category| vec![Finding::new(category, place, crate::printable(&keyword))];
    match keyword.as_str() {
        "XML:com.adobe.xmp" if !compressed => xmp::summarise(body, place),
        "XML:com.adobe.xmp" => one(Category::Xmp),
        "Raw profile type exif" | "Raw profile type APP1" if !compressed => {
            let tiff = hex_profile(body);
            let summary = exif::summarise(strip_exif_id(&tiff), place);
            let mut findings = summary.findings;
            if findings.is_empty() {
                findings.push(Finding::new(Category::Other, place, "EXIF stored as text"));
            }
            findings
        }
        "Raw profile type exif" | "Raw profile type APP1" => one(Category::Device),
        "Raw profile type iptc" | "Raw profile type 8bim" => one(Category::Iptc),
        "Raw profile type icc" | "Raw profile type icm" => one(Category::ColourProfile),
        "Raw profile type xmp" => one(Category::Xmp),
        "Author" | "Artist" | "Copyright" | "Owner" => one(Category::People),
        "Make" | "Model" | "Camera" | "SerialNumber" => one(Category::Device),
        "Software" | "HostComputer" => one(Category::Software),
        "Creation Time" | "date:create" | "date:modify" | "date:timestamp" | "create-date" | "modify-date" => {
            one(Category::Times)
        }
        "Comment" | "Description" => one(Category::Comments),
        "Source" => one(Category::Device),
        _ => one(Category::Other),
    }
}

/// Decodes ImageMagick's "Raw profile" text: a type line, a length line, then hex.
fn hex_profile(text: &[u8]) -> Vec<u8> {
    let mut lines = text.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let _kind = lines.next();
    let _len = lines.next();
    let digits: Vec<u8> = lines.flatten().copied().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks_exact(2)
        .filter_map(|pair| std::str::from_utf8(pair).ok().and_then(|s| u8::from_str_radix(s, 16).ok()))
        .collect()
}

fn strip_exif_id(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"Exif\0\0").unwrap_or(data)
}

fn write_chunk(out: &mut dyn Write, kind: &[u8; 4], data: &[u8]) -> Result<(), ScrubError> {
    let len = u32::try_from(data.len()).map_err(|_| malformed("a chunk is too long"))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.write_all(&len.to_be_bytes())?;
    out.write_all(kind)?;
    out.write_all(data)?;
    out.write_all(&crc.finalize().to_be_bytes())?;
    Ok(())
}

fn done(consumed: usize) -> Step {
    Step::Done { consumed, then: Mode::Parse }
}

fn malformed(detail: &str) -> ScrubError {
    ScrubError::malformed(Format::Png, detail)
}
