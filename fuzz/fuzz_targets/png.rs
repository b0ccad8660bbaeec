//! PNG chunks, text and eXIf.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"\x89PNG\r\n\x1a\n".to_vec();
    input.extend_from_slice(data);
    common::scrubs_to_a_fixed_point(&input);
});
