//! EXIF (a TIFF structure) inventory, and the one-tag EXIF we write back.

use exif::{Context, In, Tag};

use crate::{Category, Finding};

/// What an EXIF block holds that matters to us.
#[derive(Debug, Default)]
pub(crate) struct ExifSummary {
    pub(crate) findings: Vec<Finding>,
    /// Orientation 2–8 (1 is the default and needs no tag).
    pub(crate) orientation: Option<u16>,
}

/// Inventories a TIFF-structured EXIF block (starting at the byte-order mark).
/// `place` names where it was found, e.g. "JPEG APP1 EXIF".
pub(crate) fn summarise(tiff: &[u8], place: &str) -> ExifSummary {
    let mut summary = ExifSummary::default();
    // kamadak-exif is a careful parser, but the input is hostile: a panic becomes "unreadable".
    let parsed = std::panic::catch_unwind(|| {
        let mut reader = exif::Reader::new();
        reader.continue_on_error(true);
        match reader.read_raw(tiff.to_vec()) {
            Ok(e) => Some(e),
            Err(exif::Error::PartialResult(p)) => Some(p.into_inner().0),
            Err(_) => None,
        }
    });
    let Ok(Some(parsed)) = parsed else {
        summary.findings.push(Finding::new(Category::Other, place, "EXIF (unreadable, removed whole)"));
        return summary;
    };
    let mut other = 0usize;
    let mut thumbnail = false;
    for field in parsed.fields() {
        if field.ifd_num == In::THUMBNAIL {
            thumbnail = true;
            continue;
        }
        if field.tag == Tag::Orientation {
            summary.orientation =
                field.value.get_uint(0).and_then(|v| u16::try_from(v).ok()).filter(|v| (2..=8).contains(v));
            continue;
        }
        match classify(field.tag) {
            Some(category) => {
                let value = field.display_value().to_string();
                let name = tag_name(field.tag);
                summary.findings.push(Finding::with_value(category, ifd_place(place, field.tag), name, &value));
            }
            None => other += 1,
        }
    }
    if thumbnail {
        summary.findings.push(Finding::new(Category::Thumbnail, format!("{place} IFD1"), "thumbnail image"));
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

/// The tag's name (kamadak-exif names most; a few it does not know are named here).
fn tag_name(tag: Tag) -> String {
    match (tag.context(), tag.number()) {
        (Context::Tiff, 0x013c) => "HostComputer".to_owned(),
        (Context::Exif, 0x927c) => "MakerNote".to_owned(),
        _ => tag.to_string(),
    }
}

fn ifd_place(place: &str, tag: Tag) -> String {
    let ifd = match tag.context() {
        Context::Tiff => "IFD0",
        Context::Exif => "Exif IFD",
        Context::Gps => "GPS IFD",
        Context::Interop => "Interop IFD",
        _ => "IFD",
    };
    format!("{place} {ifd}")
}

/// The category of an identifying tag; `None` for technical tags (counted as "other").
fn classify(tag: Tag) -> Option<Category> {
    const MAKER_NOTE: u16 = 0x927c;
    const HOST_COMPUTER: u16 = 0x013c;
    if tag.context() == Context::Gps {
        return Some(Category::Location);
    }
    let category = match tag {
        Tag::Make
        | Tag::Model
        | Tag::BodySerialNumber
        | Tag::LensSerialNumber
        | Tag::LensMake
        | Tag::LensModel
        | Tag::LensSpecification => Category::Device,
        Tag::Artist | Tag::Copyright | Tag::CameraOwnerName => Category::People,
        Tag::DateTime
        | Tag::DateTimeOriginal
        | Tag::DateTimeDigitized
        | Tag::OffsetTime
        | Tag::OffsetTimeOriginal
        | Tag::OffsetTimeDigitized
        | Tag::SubSecTime
        | Tag::SubSecTimeOriginal
        | Tag::SubSecTimeDigitized => Category::Times,
        Tag::Software => Category::Software,
        Tag::ImageUniqueID => Category::DocumentIds,
        Tag::UserComment | Tag::ImageDescription => Category::Comments,
        Tag(Context::Exif, MAKER_NOTE) => Category::Device,
        Tag(Context::Tiff, HOST_COMPUTER) => Category::Software,
        _ => return None,
    };
    Some(category)
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
    fn garbage_is_reported_not_panicked_on() {
        for data in [&b""[..], b"MM\0\x2a\xff\xff\xff\xff", b"II*\0\x08\0\0\0\xff\xff"] {
            let _ = summarise(data, "t");
        }
    }
}
