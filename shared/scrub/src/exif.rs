//! EXIF (a TIFF structure) inventory, and the one-tag EXIF we write back.
//!
//! Our own small IFD walker, not a general EXIF library: it reads tag numbers and
//! at most a short prefix of each value we name, follows the Exif, GPS, Interop and
//! next-IFD pointers once each, and stops after [`MAX_ENTRIES`]. Hostile blocks (a
//! thousand tags pointing at one long run of bytes, loops between IFDs) cost time and
//! memory in proportion to their size, never more.

use crate::{Category, Finding};

/// Most IFD entries read from one EXIF block.
const MAX_ENTRIES: usize = 4096;
/// Most IFDs visited in one EXIF block.
const MAX_IFDS: usize = 16;
/// Most bytes of one value looked at.
const MAX_VALUE_BYTES: usize = 256;

/// What an EXIF block holds that matters to us.
#[derive(Debug, Default)]
pub(crate) struct ExifSummary {
    pub(crate) findings: Vec<Finding>,
    /// Orientation 2–8 (1 is the default and needs no tag).
    pub(crate) orientation: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ifd {
    Zeroth,
    Exif,
    Gps,
    Interop,
    Thumbnail,
}

impl Ifd {
    fn name(self) -> &'static str {
        match self {
            Self::Zeroth => "IFD0",
            Self::Exif => "Exif IFD",
            Self::Gps => "GPS IFD",
            Self::Interop => "Interop IFD",
            Self::Thumbnail => "IFD1",
        }
    }
}

/// A TIFF byte order.
#[derive(Clone, Copy)]
struct Tiff<'a> {
    data: &'a [u8],
    little: bool,
}

impl Tiff<'_> {
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.data.get(at..at.checked_add(2)?)?;
        Some(if self.little { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.data.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }
}

/// One IFD entry, with (a prefix of) its value.
struct Entry<'a> {
    tag: u16,
    kind: u16,
    count: u32,
    value: &'a [u8],
    /// The value's offset field read as a number (pointers to other IFDs).
    offset: u32,
}

/// Bytes per value of a TIFF field type.
fn type_size(kind: u16) -> Option<usize> {
    Some(match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

/// Inventories a TIFF-structured EXIF block (starting at the byte-order mark).
/// `place` names where it was found, e.g. "JPEG APP1 EXIF".
pub(crate) fn summarise(data: &[u8], place: &str) -> ExifSummary {
    let mut summary = ExifSummary::default();
    let little = match data.get(..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => {
            summary.findings.push(Finding::new(Category::Other, place, "EXIF (unreadable, removed whole)"));
            return summary;
        }
    };
    let tiff = Tiff { data, little };
    let mut queue: Vec<(u32, Ifd)> = tiff.u32_at(4).map(|o| vec![(o, Ifd::Zeroth)]).unwrap_or_default();
    let mut visited: Vec<u32> = Vec::new();
    let mut entries = 0usize;
    let mut other = 0usize;
    let mut unreadable = false;
    while let Some((offset, ifd)) = queue.pop() {
        if offset == 0 || visited.contains(&offset) || visited.len() >= MAX_IFDS {
            continue;
        }
        visited.push(offset);
        if ifd == Ifd::Thumbnail {
            summary.findings.push(Finding::new(Category::Thumbnail, format!("{place} IFD1"), "thumbnail image"));
        }
        let start = offset as usize;
        let Some(count) = tiff.u16_at(start) else {
            unreadable = true;
            continue;
        };
        for i in 0..usize::from(count) {
            if entries >= MAX_ENTRIES {
                unreadable = true;
                break;
            }
            entries += 1;
            let Some(entry) = read_entry(&tiff, start + 2 + 12 * i) else {
                unreadable = true;
                break;
            };
            match (ifd, entry.tag) {
                (Ifd::Zeroth, 0x8769) => queue.push((entry.offset, Ifd::Exif)),
                (Ifd::Zeroth, 0x8825) => queue.push((entry.offset, Ifd::Gps)),
                (Ifd::Exif, 0xa005) => queue.push((entry.offset, Ifd::Interop)),
                // The thumbnail's own layout tags say nothing more than "a thumbnail".
                (Ifd::Thumbnail, tag) if classify(Ifd::Thumbnail, tag).is_none() => {}
                (Ifd::Zeroth, 0x0112) => {
                    let value = Tiff { data: entry.value, little };
                    summary.orientation =
                        if entry.kind == 3 { value.u16_at(0) } else { None }.filter(|v| (2..=8).contains(v));
                }
                _ => match classify(ifd, entry.tag) {
                    Some((name, category)) => {
                        let value = display(&tiff, ifd, &entry);
                        let place = format!("{place} {}", ifd.name());
                        summary.findings.push(match value {
                            Some(v) => Finding::with_value(category, place, name, &v),
                            None => Finding::new(category, place, name),
                        });
                    }
                    None => other += 1,
                },
            }
        }
        if ifd == Ifd::Zeroth {
            let next = start + 2 + 12 * usize::from(count);
            if let Some(o) = tiff.u32_at(next) {
                queue.push((o, Ifd::Thumbnail));
            }
        }
    }
    if unreadable {
        summary.findings.push(Finding::new(Category::Other, place, "EXIF (partly unreadable, removed whole)"));
    }
    if other > 0 {
        summary.findings.push(Finding::with_value(
            Category::Other,
            place,
            "other EXIF tags (exposure, resolution…)",
            &other.to_string(),
        ));
    }
    summary
}

fn read_entry<'a>(tiff: &Tiff<'a>, at: usize) -> Option<Entry<'a>> {
    let tag = tiff.u16_at(at)?;
    let kind = tiff.u16_at(at + 2)?;
    let count = tiff.u32_at(at + 4)?;
    let offset = tiff.u32_at(at + 8)?;
    let size = type_size(kind).map(|s| s.saturating_mul(count as usize)).unwrap_or(0);
    let shown = size.min(MAX_VALUE_BYTES);
    let value = if size <= 4 {
        tiff.data.get(at + 8..at + 8 + shown)?
    } else {
        let start = offset as usize;
        // A value that runs past the end is shown as far as it goes.
        let end = start.saturating_add(shown).min(tiff.data.len());
        tiff.data.get(start..end).unwrap_or_default()
    };
    Some(Entry { tag, kind, count, value, offset })
}

/// The value as short text, for the tags we name.
fn display(tiff: &Tiff<'_>, ifd: Ifd, entry: &Entry<'_>) -> Option<String> {
    let local = Tiff { data: entry.value, little: tiff.little };
    let n = (entry.count as usize).min(4);
    match entry.kind {
        2 => {
            let end = entry.value.iter().position(|b| *b == 0).unwrap_or(entry.value.len());
            Some(String::from_utf8_lossy(&entry.value[..end]).into_owned())
        }
        1 if ifd == Ifd::Gps => Some(entry.value.iter().take(n).map(u8::to_string).collect::<Vec<_>>().join(".")),
        7 if entry.tag == 0x9286 || (ifd == Ifd::Gps && matches!(entry.tag, 0x1b | 0x1c)) => {
            // An 8-byte character-code header, then the text.
            let text = entry.value.get(8..).unwrap_or_default();
            let text = String::from_utf8_lossy(text).trim_end_matches('\0').to_owned();
            Some(text)
        }
        1 | 6 | 7 => Some(format!("({} bytes)", entry.count)),
        3 | 8 => Some((0..n).filter_map(|i| local.u16_at(2 * i)).map(|v| v.to_string()).collect::<Vec<_>>().join(", ")),
        4 | 9 => Some((0..n).filter_map(|i| local.u32_at(4 * i)).map(|v| v.to_string()).collect::<Vec<_>>().join(", ")),
        5 | 10 => Some(
            (0..n.min(3))
                .filter_map(|i| Some((local.u32_at(8 * i)?, local.u32_at(8 * i + 4)?)))
                .map(|(num, den)| rational(num, den, entry.kind == 10))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

fn rational(num: u32, den: u32, signed: bool) -> String {
    // Signed rationals are two's-complement i32 pairs.
    let (num, den) =
        if signed { (f64::from(num as i32), f64::from(den as i32)) } else { (f64::from(num), f64::from(den)) };
    if den == 0.0 {
        return "undefined".to_owned();
    }
    let v = num / den;
    if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.4}") }
}

/// The name and category of an identifying tag; `None` for technical tags (counted as "other").
fn classify(ifd: Ifd, tag: u16) -> Option<(&'static str, Category)> {
    use Category::{ColourProfile, Iptc, Other, Xmp};
    use Category::{Comments, Device, DocumentIds, Location, People, Software, Times};
    if ifd == Ifd::Gps {
        return Some((gps_name(tag), Location));
    }
    if ifd == Ifd::Interop {
        return None;
    }
    // By tag wherever it sits: writers put tags in unexpected IFDs, and ExifTool shows them.
    let known = match tag {
        0x010d => ("DocumentName", Other),
        0x010e => ("ImageDescription", Comments),
        0x010f => ("Make", Device),
        0x0110 => ("Model", Device),
        0x0131 => ("Software", Software),
        0x0132 => ("DateTime", Times),
        0x013b => ("Artist", People),
        0x013c => ("HostComputer", Software),
        0x02bc => ("ApplicationNotes (XMP)", Xmp),
        0x8298 => ("Copyright", People),
        0x83bb => ("IPTC-NAA", Iptc),
        0x8649 => ("Photoshop settings", Iptc),
        0x8773 => ("ICC_Profile", ColourProfile),
        0x882a => ("TimeZoneOffset", Times),
        0x9003 => ("DateTimeOriginal", Times),
        0x9004 => ("DateTimeDigitized", Times),
        0x9010 => ("OffsetTime", Times),
        0x9011 => ("OffsetTimeOriginal", Times),
        0x9012 => ("OffsetTimeDigitized", Times),
        0x927c => ("MakerNote", Device),
        0x9286 => ("UserComment", Comments),
        0x9290 => ("SubSecTime", Times),
        0x9291 => ("SubSecTimeOriginal", Times),
        0x9292 => ("SubSecTimeDigitized", Times),
        0x9c9b => ("XPTitle", Comments),
        0x9c9c => ("XPComment", Comments),
        0x9c9d => ("XPAuthor", People),
        0x9c9e => ("XPKeywords", Comments),
        0x9c9f => ("XPSubject", Comments),
        0xa004 => ("RelatedSoundFile", Other),
        0xa420 => ("ImageUniqueID", DocumentIds),
        0xa430 => ("CameraOwnerName", People),
        0xa431 => ("BodySerialNumber", Device),
        0xa432 => ("LensSpecification", Device),
        0xa433 => ("LensMake", Device),
        0xa434 => ("LensModel", Device),
        0xa435 => ("LensSerialNumber", Device),
        0xa436 => ("ImageTitle", Comments),
        0xa437 => ("Photographer", People),
        0xa438 => ("ImageEditor", People),
        0xa439 => ("CameraFirmware", Device),
        0xa43a => ("RAWDevelopingSoftware", Software),
        0xa43b => ("ImageEditingSoftware", Software),
        0xa43c => ("MetadataEditingSoftware", Software),
        0xc614 => ("UniqueCameraModel", Device),
        0xc615 => ("LocalizedCameraModel", Device),
        0xc62f => ("CameraSerialNumber", Device),
        0xc68b => ("OriginalRawFileName", Other),
        _ => return None,
    };
    Some(known)
}

fn gps_name(tag: u16) -> &'static str {
    match tag {
        0x00 => "GPSVersionID",
        0x01 => "GPSLatitudeRef",
        0x02 => "GPSLatitude",
        0x03 => "GPSLongitudeRef",
        0x04 => "GPSLongitude",
        0x05 => "GPSAltitudeRef",
        0x06 => "GPSAltitude",
        0x07 => "GPSTimeStamp",
        0x0c => "GPSSpeedRef",
        0x0d => "GPSSpeed",
        0x10 => "GPSImgDirectionRef",
        0x11 => "GPSImgDirection",
        0x12 => "GPSMapDatum",
        0x1b => "GPSProcessingMethod",
        0x1c => "GPSAreaInformation",
        0x1d => "GPSDateStamp",
        _ => "GPS tag",
    }
}

/// Human words for an orientation value, for the "kept" list.
pub(crate) fn describe_orientation(o: u16) -> &'static str {
    match o {
        2 => "2 (mirrored)",
        3 => "3 (rotated 180°)",
        4 => "4 (mirrored, rotated 180°)",
        5 => "5 (mirrored, rotated 90°)",
        6 => "6 (rotated 90° clockwise)",
        7 => "7 (mirrored, rotated 270°)",
        8 => "8 (rotated 90° anticlockwise)",
        _ => "1 (upright)",
    }
}

/// A big-endian TIFF block with one IFD holding only Orientation: viewers keep
/// turning the photo the right way, and nothing else is said.
pub(crate) fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    t.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_be_bytes()); // count
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    t
}

/// The orientation finding reported as kept.
pub(crate) fn kept_orientation(place: &str, orientation: u16) -> Finding {
    Finding::with_value(
        Category::Other,
        place,
        "Orientation (kept so viewers turn the image)",
        describe_orientation(orientation),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_block_reads_back() {
        let s = summarise(&orientation_only(6), "t");
        assert_eq!(s.orientation, Some(6));
        assert!(s.findings.is_empty(), "{:?}", s.findings);
    }

    #[test]
    fn a_thousand_tags_pointing_at_one_long_value_cost_nothing() {
        // IFD0 with 5000 ASCII entries, each claiming a 1 MB value at the same offset.
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        let n: u16 = 5000;
        t.extend_from_slice(&n.to_be_bytes());
        let value_at = 8 + 2 + 12 * u32::from(n) + 4;
        for _ in 0..n {
            t.extend_from_slice(&0x010fu16.to_be_bytes());
            t.extend_from_slice(&2u16.to_be_bytes());
            t.extend_from_slice(&1_000_000u32.to_be_bytes());
            t.extend_from_slice(&value_at.to_be_bytes());
        }
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(&[b'x'; 40_000]);
        let s = summarise(&t, "t");
        // Entries stop at MAX_ENTRIES, and each value is read only as far as MAX_VALUE_BYTES.
        assert_eq!(s.findings.len(), MAX_ENTRIES + 1);
        assert!(s.findings.last().is_some_and(|f| f.field.contains("partly unreadable")));
        assert!(
            s.findings.iter().take(MAX_ENTRIES).all(|f| f.value.as_deref().is_some_and(|v| v.chars().count() <= 121))
        );
    }

    #[test]
    fn loops_between_ifds_end() {
        // IFD0's next-IFD pointer and its Exif pointer both point back at IFD0.
        let mut t = b"II\x2a\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&1u16.to_le_bytes());
        t.extend_from_slice(&0x8769u16.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&8u32.to_le_bytes());
        let s = summarise(&t, "t");
        assert!(s.findings.len() <= 2, "{:?}", s.findings);
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        for data in [&b""[..], b"MM\0\x2a\xff\xff\xff\xff", b"II*\0\x08\0\0\0\xff\xff"] {
            let _ = summarise(data, "t");
        }
    }
}
