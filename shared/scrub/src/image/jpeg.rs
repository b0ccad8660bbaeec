//! JPEG: markers and segments.
//!
//! Kept: SOI/EOI, frame and scan headers, Huffman, arithmetic and quantisation
//! tables, restart intervals, the entropy-coded data, APP0 JFIF (without its
//! thumbnail) and APP14 Adobe (it says how to convert the colours). Replaced: the
//! first EXIF block, by one holding only the orientation (when it is not upright).
//! Dropped: every other APPn (EXIF, XMP, ICC, MPF, Photoshop/IPTC, FlashPix, maker
//! data), COM comments and anything after EOI.

use std::io::Write;

use super::{Found, Mode, Parser, Step};
use crate::{Category, Finding, Format, ScrubError, exif, xmp};

const EXIF_ID: &[u8] = b"Exif\0";
const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION_ID: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Start,
    Markers,
    Entropy,
    Ended,
}

/// The JPEG parser.
#[derive(Debug, Default)]
pub(crate) struct Jpeg {
    state: State,
    exif_written: bool,
}

impl Parser for Jpeg {
    fn step(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError> {
        match self.state {
            State::Start => {
                if buf.len() < 2 {
                    return Ok(Step::Need(2));
                }
                if buf[..2] != [0xff, 0xd8] {
                    return Err(malformed("it does not start with a JPEG marker"));
                }
                out.write_all(&buf[..2])?;
                self.state = State::Markers;
                Ok(done(2))
            }
            State::Markers => self.marker(buf, out, found),
            State::Entropy => entropy(buf, out).map(|step| {
                if let Step::Done { consumed: 0, .. } = step {
                    self.state = State::Markers;
                }
                step
            }),
            State::Ended => Ok(Step::Done { consumed: 0, then: Mode::Trailer }),
        }
    }

    fn max_need(&self) -> usize {
        2 + 65_535
    }

    fn complete(&self) -> bool {
        self.state == State::Ended
    }

    fn format(&self) -> Format {
        Format::Jpeg
    }
}

impl Jpeg {
    fn marker(&mut self, buf: &[u8], out: &mut dyn Write, found: &mut Found) -> Result<Step, ScrubError> {
        if buf.len() < 2 {
            return Ok(Step::Need(2));
        }
        if buf[0] != 0xff {
            return Err(malformed("a marker was expected"));
        }
        let marker = buf[1];
        match marker {
            // Fill bytes before a marker carry nothing.
            0xff => return Ok(done(1)),
            0xd9 => {
                out.write_all(&buf[..2])?;
                self.state = State::Ended;
                return Ok(Step::Done { consumed: 2, then: Mode::Trailer });
            }
            0xd0..=0xd7 | 0x01 => {
                out.write_all(&buf[..2])?;
                return Ok(done(2));
            }
            0x00 | 0xd8 => return Err(malformed("an unexpected marker was found")),
            _ => {}
        }
        if buf.len() < 4 {
            return Ok(Step::Need(4));
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if len < 2 {
            return Err(malformed("a segment has an impossible length"));
        }
        // SOF0–15 (not JPG, 0xC8), DHT, DAC, DQT, DRI, SOS, DNL: what a decoder reads.
        let rendering = matches!(marker, 0xc0..=0xc7 | 0xc9..=0xcf | 0xda..=0xdd);
        if rendering {
            out.write_all(&buf[..4])?;
            if marker == 0xda {
                self.state = State::Entropy;
            }
            return Ok(Step::Done { consumed: 4, then: Mode::Pass(len as u64 - 2) });
        }
        // APPn, COM, JPGn and reserved markers: read the segment to classify it.
        let total = 2 + len;
        if buf.len() < total {
            return Ok(Step::Need(total));
        }
        let payload = &buf[4..total];
        self.classify(marker, payload, out, found)?;
        Ok(done(total))
    }

    fn classify(
        &mut self,
        marker: u8,
        payload: &[u8],
        out: &mut dyn Write,
        found: &mut Found,
    ) -> Result<(), ScrubError> {
        let place =
            if marker == 0xfe { "JPEG comment".to_owned() } else { format!("JPEG APP{}", marker.wrapping_sub(0xe0)) };
        let mut drop = |category, field: &str| found.remove(Finding::new(category, place.clone(), field));
        match marker {
            0xe0 if payload.starts_with(b"JFIF\0") && payload.len() >= 14 => {
                let mut header = payload[..14].to_vec();
                if header[12] != 0 || header[13] != 0 || payload.len() > 14 {
                    header[12] = 0;
                    header[13] = 0;
                    drop(Category::Thumbnail, "JFIF thumbnail");
                }
                write_segment(out, 0xe0, &header)?;
            }
            0xe0 if payload.starts_with(b"JFXX\0") => drop(Category::Thumbnail, "JFXX thumbnail"),
            0xe1 if payload.starts_with(EXIF_ID) => {
                let tiff = payload.get(6..).unwrap_or_default();
                let summary = exif::summarise(tiff, &format!("{place} EXIF"));
                found.remove_all(summary.findings);
                if let Some(o) = summary.orientation.filter(|_| !self.exif_written) {
                    let mut block = b"Exif\0\0".to_vec();
                    block.extend_from_slice(&exif::orientation_only(o));
                    write_segment(out, 0xe1, &block)?;
                    found.kept.push(exif::kept_orientation(&format!("{place} EXIF"), o));
                }
                self.exif_written = true;
            }
            0xe1 if payload.starts_with(XMP_ID) => {
                found.remove_all(xmp::summarise(payload, &format!("{place} XMP")));
            }
            0xe1 if payload.starts_with(XMP_EXTENSION_ID) => drop(Category::Xmp, "extended XMP"),
            0xe2 if payload.starts_with(b"ICC_PROFILE\0") => drop(Category::ColourProfile, "ICC profile"),
            0xe2 if payload.starts_with(b"MPF\0") => {
                drop(Category::Thumbnail, "MPF secondary images (previews, depth maps)");
            }
            0xe2 if payload.starts_with(b"FPXR\0") => drop(Category::Other, "FlashPix data"),
            0xed if payload.starts_with(b"Photoshop 3.0\0") => drop(Category::Iptc, "Photoshop IRB / IPTC-IIM"),
            // Adobe's APP14 says whether the components are RGB, YCbCr or YCCK: its 12
            // standard bytes are kept, anything after them is not.
            0xee if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                if payload.len() > 12 {
                    found.remove(Finding::new(Category::Other, place.clone(), "data after the Adobe header"));
                }
                write_segment(out, 0xee, &payload[..12])?;
            }
            0xfe => {
                let text = String::from_utf8_lossy(payload);
                found.remove(Finding::with_value(Category::Comments, place.clone(), "comment", &text));
            }
            _ => drop(Category::Other, "application segment"),
        }
        Ok(())
    }
}

/// Copies entropy-coded data up to the next real marker (not a stuffed 0xFF00 or a
/// restart marker, which belong to the scan).
fn entropy(buf: &[u8], out: &mut dyn Write) -> Result<Step, ScrubError> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|b| *b == 0xff) {
        let at = i + off;
        let Some(next) = buf.get(at + 1) else {
            // 0xFF is the last byte here: what it starts is not known yet.
            out.write_all(&buf[..at])?;
            return Ok(if at == 0 { Step::Need(2) } else { done(at) });
        };
        match next {
            0x00 | 0xd0..=0xd7 => i = at + 2,
            _ => {
                out.write_all(&buf[..at])?;
                // consumed 0 at a marker: the caller switches to marker parsing.
                return Ok(done(at));
            }
        }
    }
    out.write_all(buf)?;
    Ok(done(buf.len()))
}

fn write_segment(out: &mut dyn Write, marker: u8, payload: &[u8]) -> Result<(), ScrubError> {
    let len = u16::try_from(payload.len() + 2).map_err(|_| malformed("a segment is too long"))?;
    out.write_all(&[0xff, marker])?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(payload)?;
    Ok(())
}

fn done(consumed: usize) -> Step {
    Step::Done { consumed, then: Mode::Parse }
}

fn malformed(detail: &str) -> ScrubError {
    ScrubError::malformed(Format::Jpeg, detail)
}
