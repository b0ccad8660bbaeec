//! What a source types at login: parsing never panics, and what parses is seven words
//! of the list that parse back to the same codename.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    if let Ok(codename) = postern_core::Codename::parse(text) {
        assert_eq!(codename.expose_secret().split(' ').count(), 7);
        let again = postern_core::Codename::parse(codename.expose_secret()).expect("a codename parses again");
        assert_eq!(again.expose_secret(), codename.expose_secret());
    }
});
