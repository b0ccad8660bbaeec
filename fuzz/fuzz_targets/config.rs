//! The configuration file: any text parses or is refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = postern_config::PosternConfig::parse(text);
    }
});
