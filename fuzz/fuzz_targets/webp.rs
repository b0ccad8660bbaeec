//! WebP RIFF chunks (and animation frames).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A RIFF header whose size matches the data, so the chunk parser is reached.
    let mut input = b"RIFF".to_vec();
    input.extend_from_slice(&((data.len() + 4) as u32).to_le_bytes());
    input.extend_from_slice(b"WEBP");
    input.extend_from_slice(data);
    common::scrubs_to_a_fixed_point(&input);
});
