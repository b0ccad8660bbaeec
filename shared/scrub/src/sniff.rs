//! Recognising a format from its first bytes (never from a file name).

use crate::Format;

/// The format that `head` (the first bytes of a file, ideally 16 or more) starts.
/// A zip comes back as [`Format::Zip`]; [`crate::detect`] looks inside for Office files.
pub fn sniff(head: &[u8]) -> Format {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"\xff\xd8\xff") {
        Format::Jpeg
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        Format::Webp
    } else if starts(b"%PDF-") {
        Format::Pdf
    } else if starts(b"PK\x03\x04") {
        Format::Zip
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Format::Gif
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Format::Tiff
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" && is_heif_brand(&head[8..12]) {
        Format::Heif
    } else {
        Format::Unknown
    }
}

fn is_heif_brand(brand: &[u8]) -> bool {
    matches!(brand, b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"avis")
}

/// Bytes [`sniff`] needs to tell every format it knows apart.
pub(crate) const SNIFF_BYTES: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Format::Png);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Format::Webp);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), Format::Unknown);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Format::Heif);
        assert_eq!(sniff(b"%PDF-1.7"), Format::Pdf);
        assert_eq!(sniff(b""), Format::Unknown);
    }
}
