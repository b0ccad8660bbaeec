//! Office documents (zip members, XML): inspect and scrub must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"PK\x03\x04".to_vec();
    input.extend_from_slice(data);
    let _ = postern_scrub::inspect_bytes(&input);
    let _ = postern_scrub::scrub_bytes(&input);
});
