//! What an XMP packet says, by the property names it uses.
//!
//! XMP is removed whole wherever it appears; this only names what was in it, so the
//! report can say "location" rather than just "XMP".

use crate::{Category, Finding};

/// Property-name fragments and what they reveal.
const PROPERTIES: &[(&str, Category)] = &[
    ("exif:GPS", Category::Location),
    ("photoshop:City", Category::Location),
    ("photoshop:State", Category::Location),
    ("photoshop:Country", Category::Location),
    ("Iptc4xmpCore:Location", Category::Location),
    ("Iptc4xmpExt:LocationShown", Category::Location),
    ("tiff:Make", Category::Device),
    ("tiff:Model", Category::Device),
    ("aux:SerialNumber", Category::Device),
    ("aux:Lens", Category::Device),
    ("exifEX:BodySerialNumber", Category::Device),
    ("exifEX:LensSerialNumber", Category::Device),
    ("dc:creator", Category::People),
    ("dc:rights", Category::People),
    ("xmpRights:Owner", Category::People),
    ("photoshop:AuthorsPosition", Category::People),
    ("photoshop:Credit", Category::People),
    ("Iptc4xmpCore:CreatorContactInfo", Category::People),
    ("pdf:Author", Category::People),
    ("xmp:CreateDate", Category::Times),
    ("xmp:ModifyDate", Category::Times),
    ("xmp:MetadataDate", Category::Times),
    ("photoshop:DateCreated", Category::Times),
    ("exif:DateTimeOriginal", Category::Times),
    ("xmp:CreatorTool", Category::Software),
    ("pdf:Producer", Category::Software),
    ("xmpMM:History", Category::Software),
    ("photoshop:History", Category::Software),
    ("crs:", Category::Software),
    ("xmpMM:DocumentID", Category::DocumentIds),
    ("xmpMM:InstanceID", Category::DocumentIds),
    ("xmpMM:OriginalDocumentID", Category::DocumentIds),
    ("xmpMM:DerivedFrom", Category::DocumentIds),
    ("xmp:Thumbnails", Category::Thumbnail),
    ("GImage:", Category::Thumbnail),
    ("GDepth:", Category::Thumbnail),
    ("dc:description", Category::Comments),
];

/// The findings for one XMP packet found at `place`.
pub(crate) fn summarise(packet: &[u8], place: &str) -> Vec<Finding> {
    let mut findings = vec![Finding::new(Category::Xmp, place, "XMP packet")];
    for (name, category) in PROPERTIES {
        if contains(packet, name.as_bytes()) {
            findings.push(Finding::new(*category, place, name.trim_end_matches(':')));
        }
    }
    findings
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_the_packet_holds() {
        let xmp = br#"<x:xmpmeta><rdf:Description exif:GPSLatitude="52,1N" xmp:CreatorTool="Lightroom"/></x:xmpmeta>"#;
        let cats: Vec<Category> = summarise(xmp, "x").iter().map(|f| f.category).collect();
        assert_eq!(cats, vec![Category::Xmp, Category::Location, Category::Software]);
    }
}
