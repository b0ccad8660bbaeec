//! JPEG segments and the EXIF/XMP inside them: inspect and scrub must never panic,
//! and what scrub writes must scrub to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"\xff\xd8\xff".to_vec();
    input.extend_from_slice(data);
    postern_fuzz_check(&input);
});

fn postern_fuzz_check(input: &[u8]) {
    let _ = postern_scrub::inspect_bytes(input);
    if let Ok((out, _)) = postern_scrub::scrub_bytes(input) {
        let (again, second) = postern_scrub::scrub_bytes(&out).expect("cleaned output scrubs again");
        assert_eq!(again, out);
        assert!(second.removed.is_empty());
    }
}
