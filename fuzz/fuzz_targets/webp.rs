//! WebP RIFF chunks: inspect and scrub must never panic, and what scrub writes
//! must scrub to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A RIFF header whose size matches the data, so the chunk parser is reached.
    let mut input = b"RIFF".to_vec();
    input.extend_from_slice(&((data.len() + 4) as u32).to_le_bytes());
    input.extend_from_slice(b"WEBP");
    input.extend_from_slice(data);
    let _ = postern_scrub::inspect_bytes(&input);
    if let Ok((out, _)) = postern_scrub::scrub_bytes(&input) {
        let (again, second) = postern_scrub::scrub_bytes(&out).expect("cleaned output scrubs again");
        assert_eq!(again, out);
        assert!(second.removed.is_empty());
    }
});
