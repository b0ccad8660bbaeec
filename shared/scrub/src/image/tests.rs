use proptest::prelude::*;

use super::*;
use crate::fixtures::{IDENTIFYING_STRINGS, PHOTO_JPEG, PHOTO_PNG, PHOTO_WEBP};
use crate::{Category, StreamOutcome, StreamScrubber};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_clean(out: &[u8], outcome: &ScrubOutcome) {
    for s in IDENTIFYING_STRINGS {
        assert!(!contains(out, s.as_bytes()), "{s} survived in {}", outcome.format);
    }
    let again = crate::inspect_bytes(out).unwrap();
    assert!(again.findings.is_empty(), "{:?}", again.findings);
    assert_eq!(again.not_cleanable, None);
    let (twice, second) = crate::scrub_bytes(out).unwrap();
    assert_eq!(twice, out, "scrubbing is idempotent");
    assert!(second.removed.is_empty());
}

fn expect_categories(outcome: &ScrubOutcome, expected: &[Category]) {
    let got = outcome.removed_categories();
    for c in expected {
        assert!(got.contains(c), "{c} missing from {got:?}");
    }
}

/// JPEG segments from the main image's last DQT to EOI (the EXIF thumbnail has its
/// own tables earlier): tables and entropy-coded data.
fn jpeg_image_data(data: &[u8]) -> &[u8] {
    let start = data.windows(2).rposition(|w| w == [0xff, 0xdb]).unwrap();
    let end = data.windows(2).rposition(|w| w == [0xff, 0xd9]).unwrap();
    &data[start..end + 2]
}

#[test]
fn jpeg_loses_its_metadata_and_keeps_its_pixels_and_orientation() {
    let (out, outcome) = scrub_bytes(PHOTO_JPEG).unwrap();
    expect_categories(
        &outcome,
        &[
            Category::Location,
            Category::Device,
            Category::People,
            Category::Times,
            Category::Software,
            Category::Thumbnail,
            Category::Xmp,
            Category::Iptc,
            Category::ColourProfile,
            Category::Comments,
            Category::TrailingData,
            Category::DocumentIds,
        ],
    );
    assert!(contains(&out, jpeg_image_data(PHOTO_JPEG)), "tables and scan data are unchanged");
    assert!(out.ends_with(&[0xff, 0xd9]));
    assert_eq!(outcome.kept.len(), 1);
    assert_eq!(outcome.kept[0].value.as_deref(), Some("6 (rotated 90° clockwise)"));
    assert!(contains(&out, &crate::exif::orientation_only(6)));
    assert_clean(&out, &outcome);
}

#[test]
fn png_loses_its_metadata_and_keeps_its_pixels() {
    let (out, outcome) = scrub_bytes(PHOTO_PNG).unwrap();
    expect_categories(
        &outcome,
        &[
            Category::Location,
            Category::Device,
            Category::People,
            Category::Times,
            Category::Xmp,
            Category::ColourProfile,
            Category::Comments,
            Category::TrailingData,
        ],
    );
    assert_eq!(idat(&out), idat(PHOTO_PNG));
    assert!(out.ends_with(b"IEND\xae\x42\x60\x82"));
    assert_eq!(outcome.kept.len(), 1);
    assert_clean(&out, &outcome);
}

#[test]
fn webp_loses_its_metadata_and_keeps_its_pixels() {
    let (out, outcome) = scrub_bytes(PHOTO_WEBP).unwrap();
    expect_categories(
        &outcome,
        &[
            Category::Location,
            Category::Device,
            Category::People,
            Category::Times,
            Category::Xmp,
            Category::ColourProfile,
        ],
    );
    let vp8 = |d: &[u8]| {
        let at = d.windows(4).position(|w| w == b"VP8 ").unwrap();
        let len = u32::from_le_bytes(d[at + 4..at + 8].try_into().unwrap()) as usize;
        d[at..at + 8 + len].to_vec()
    };
    assert_eq!(vp8(&out), vp8(PHOTO_WEBP));
    assert_eq!(u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize, out.len() - 8);
    // VP8X flags: only EXIF (the orientation) remains.
    let x = out.windows(4).position(|w| w == b"VP8X").unwrap();
    assert_eq!(out[x + 8], 0x08);
    assert_clean(&out, &outcome);
}

fn idat(png: &[u8]) -> Vec<u8> {
    let mut pos = 8;
    let mut data = Vec::new();
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        if &png[pos + 4..pos + 8] == b"IDAT" {
            data.extend_from_slice(&png[pos + 8..pos + 8 + len]);
        }
        if &png[pos + 4..pos + 8] == b"IEND" {
            break;
        }
        pos += 12 + len;
    }
    data
}

#[test]
fn inspection_lists_values_for_the_journalist() {
    let report = crate::inspect_bytes(PHOTO_JPEG).unwrap();
    assert_eq!(report.format, Format::Jpeg);
    let serial = report.findings.iter().find(|f| f.field == "BodySerialNumber").unwrap();
    assert_eq!(serial.value.as_deref(), Some("SN-0042-XYZ"));
    assert!(report.findings.iter().any(|f| f.category == Category::Location && f.field == "GPSLatitude"));
    assert_eq!(report.not_cleanable, None);
}

fn stream(data: &[u8], piece: usize) -> (Vec<u8>, StreamOutcome) {
    let mut s = StreamScrubber::new(Vec::new());
    for chunk in data.chunks(piece.max(1)) {
        s.write_all(chunk).unwrap();
    }
    s.finish().unwrap()
}

#[test]
fn streaming_in_any_pieces_gives_the_same_file() {
    for fixture in [PHOTO_JPEG, PHOTO_PNG, PHOTO_WEBP] {
        let (whole, outcome) = scrub_bytes(fixture).unwrap();
        for piece in [1, 2, 3, 7, 64, 4096, 1 << 20] {
            let (out, streamed) = stream(fixture, piece);
            assert_eq!(out, whole, "{} in pieces of {piece}", outcome.format);
            assert_eq!(streamed, StreamOutcome::Cleaned(outcome.clone()));
        }
    }
}

#[test]
fn other_types_stream_through_unchanged_and_say_so() {
    let pdf = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n";
    let (out, outcome) = stream(pdf, 5);
    assert_eq!(out, pdf);
    assert!(matches!(
        outcome,
        StreamOutcome::NotCleaned { format: Format::Pdf, reason: NotCleaned::Unsupported(Format::Pdf), .. }
    ));
    let (out, outcome) = stream(b"hi", 1);
    assert_eq!(out, b"hi");
    assert!(matches!(outcome, StreamOutcome::NotCleaned { reason: NotCleaned::UnknownFormat, .. }));
}

#[test]
fn a_damaged_stream_keeps_every_byte_from_the_damage_on() {
    // A JPEG whose EXIF was removed, then garbage where a marker should be.
    let mut damaged = PHOTO_JPEG[..2].to_vec();
    damaged.extend_from_slice(b"\xff\xfe\x00\x05abc"); // a comment, removed
    damaged.extend_from_slice(b"NOT A MARKER");
    let (out, outcome) = stream(&damaged, 3);
    assert_eq!(out, b"\xff\xd8NOT A MARKER");
    match outcome {
        StreamOutcome::NotCleaned { format: Format::Jpeg, reason: NotCleaned::Malformed { .. }, removed } => {
            assert_eq!(removed.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    // Cut short: everything up to the cut is still written.
    let cut = &PHOTO_JPEG[..PHOTO_JPEG.len() / 2];
    let (out, outcome) = stream(cut, 100);
    assert!(matches!(outcome, StreamOutcome::NotCleaned { .. }));
    assert!(out.len() > 100);
}

#[test]
fn an_unknown_critical_png_chunk_is_not_cleaned() {
    let mut png = PHOTO_PNG[..33].to_vec(); // signature + IHDR
    png.extend_from_slice(b"\0\0\0\0ZZZZ\0\0\0\0");
    let err = scrub_bytes(&png).unwrap_err();
    assert!(matches!(err, ScrubError::NotCleaned(NotCleaned::Uncleanable(_))), "{err}");
}

#[test]
fn a_webp_too_short_for_its_own_header_is_an_error() {
    for size in 0u32..4 {
        let mut data = b"RIFF".to_vec();
        data.extend_from_slice(&size.to_le_bytes());
        data.extend_from_slice(b"WEBP");
        assert!(scrub_bytes(&data).is_err());
        assert!(inspect_bytes(&data).unwrap().not_cleanable.is_some());
    }
}

#[test]
fn a_huge_webp_is_refused_by_the_stream_before_it_is_buffered() {
    let mut head = b"RIFF\xf0\xff\xff\x7fWEBPVP8 ".to_vec();
    head.extend_from_slice(&[0; 100]);
    let (out, outcome) = stream(&head, 16);
    assert_eq!(out, head);
    assert!(matches!(outcome, StreamOutcome::NotCleaned { reason: NotCleaned::TooLarge { limit_mib: 16 }, .. }));
}

fn mutated(fixture: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (proptest::collection::vec((0..fixture.len(), any::<u8>()), 1..8), 0..=fixture.len()).prop_map(
        move |(flips, cut)| {
            let mut data = fixture[..cut.max(1)].to_vec();
            for (at, byte) in flips {
                if at < data.len() {
                    data[at] = byte;
                }
            }
            data
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = scrub_bytes(&data);
        let _ = inspect_bytes(&data);
        let _ = stream(&data, 7);
    }

    #[test]
    fn damaged_photos_never_panic_and_clean_output_stays_clean(
        data in prop_oneof![mutated(PHOTO_JPEG), mutated(PHOTO_PNG), mutated(PHOTO_WEBP)],
        piece in 1usize..5000,
    ) {
        let _ = inspect_bytes(&data);
        if let Ok((out, _)) = scrub_bytes(&data) {
            // Whatever was cleaned scrubs to itself: nothing is left to remove.
            let (again, second) = scrub_bytes(&out).unwrap();
            prop_assert_eq!(again, out.clone());
            prop_assert!(second.removed.is_empty());
            let (streamed, _) = stream(&data, piece);
            prop_assert_eq!(streamed, out);
        }
    }
}

#[test]
fn many_tiny_segments_cost_a_count_not_a_list() {
    let mut jpeg = b"\xff\xd8".to_vec();
    for i in 0..100_000u32 {
        jpeg.extend_from_slice(b"\xff\xe5\x00\x02");
        jpeg.extend_from_slice(b"\xff\xfe\x00\x06");
        jpeg.extend_from_slice(&i.to_be_bytes());
    }
    jpeg.extend_from_slice(&PHOTO_JPEG[2..]);
    let (_, outcome) = scrub_bytes(&jpeg).unwrap();
    assert!(outcome.removed.len() < 100, "repeats are counted once: {}", outcome.removed.len());

    let mut png = PHOTO_PNG[..33].to_vec();
    for i in 0..5000u32 {
        let keyword = format!("k{i}\0v");
        let mut crc = crc32fast::Hasher::new();
        crc.update(b"tEXt");
        crc.update(keyword.as_bytes());
        png.extend_from_slice(&(keyword.len() as u32).to_be_bytes());
        png.extend_from_slice(b"tEXt");
        png.extend_from_slice(keyword.as_bytes());
        png.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    png.extend_from_slice(&PHOTO_PNG[33..]);
    let (_, outcome) = scrub_bytes(&png).unwrap();
    assert!(outcome.removed.len() <= 1002, "{}", outcome.removed.len());
    assert!(outcome.removed.iter().any(|f| f.field == "more items"));
}

#[test]
fn webp_buffers_share_a_budget_and_give_it_back() {
    // Each 2 MiB WebP takes 4 MiB: its buffer and the cleaned copy.
    static BUDGET: crate::Budget = crate::Budget::new(5 * 1024 * 1024);
    let header = |mib: u32| {
        let mut h = b"RIFF".to_vec();
        h.extend_from_slice(&(mib * 1024 * 1024).to_le_bytes());
        h.extend_from_slice(b"WEBPVP8 ");
        h
    };
    let mut first = StreamScrubber::with_budget(Vec::new(), &BUDGET);
    first.write_all(&header(2)).unwrap();
    let mut second = StreamScrubber::with_budget(Vec::new(), &BUDGET);
    second.write_all(&header(2)).unwrap();
    let (out, outcome) = second.finish().unwrap();
    assert!(matches!(outcome, StreamOutcome::NotCleaned { reason: NotCleaned::Busy, .. }), "{outcome:?}");
    assert_eq!(out, header(2), "a refused stream passes through");
    drop(first);
    // Given back: the same WebP now fits.
    let mut third = StreamScrubber::with_budget(Vec::new(), &BUDGET);
    third.write_all(&header(2)).unwrap();
    let (_, outcome) = third.finish().unwrap();
    assert!(!matches!(outcome, StreamOutcome::NotCleaned { reason: NotCleaned::Busy, .. }), "{outcome:?}");
}

#[test]
fn animation_frames_keep_only_their_image_chunks() {
    let at = PHOTO_WEBP.windows(4).position(|w| w == b"VP8 ").unwrap();
    let len = u32::from_le_bytes(PHOTO_WEBP[at + 4..at + 8].try_into().unwrap()) as usize;
    let vp8 = &PHOTO_WEBP[at..at + 8 + len + (len & 1)];
    let mut frame = vec![0u8; 16];
    frame.extend_from_slice(vp8);
    frame.extend_from_slice(b"XMP \x0b\0\0\0Jane Source\0");
    let mut body = b"VP8X\x0a\0\0\0\x02\0\0\0\x2f\0\0\x1f\0\0".to_vec();
    body.extend_from_slice(b"ANIM\x06\0\0\0\0\0\0\0\0\0");
    body.extend_from_slice(b"ANMF");
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&frame);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    webp.extend_from_slice(b"WEBP");
    webp.extend_from_slice(&body);
    let (out, outcome) = scrub_bytes(&webp).unwrap();
    assert!(!contains(&out, b"Jane Source"));
    assert!(contains(&out, vp8), "the frame's image data is unchanged");
    assert!(outcome.removed.iter().any(|f| f.field == "unknown chunk in a frame"));
    assert_eq!(u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize, out.len() - 8);
    let anmf = out.windows(4).position(|w| w == b"ANMF").unwrap();
    let anmf_len = u32::from_le_bytes(out[anmf + 4..anmf + 8].try_into().unwrap()) as usize;
    assert_eq!(anmf_len, 16 + vp8.len());
}
