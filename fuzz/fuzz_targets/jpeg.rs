//! JPEG segments and the EXIF/XMP inside them.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"\xff\xd8\xff".to_vec();
    input.extend_from_slice(data);
    common::scrubs_to_a_fixed_point(&input);
});
