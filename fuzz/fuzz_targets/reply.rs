//! Replies a client encrypted itself, as the journalist API will take them: any text
//! is refused or accepted without a panic, and what is accepted, armoured again, is
//! accepted again as the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(binary) = postern_crypto::dearmor_encrypted_reply(&text) {
        let again = postern_crypto::armor_message(&binary);
        assert_eq!(postern_crypto::dearmor_encrypted_reply(&again).ok(), Some(binary));
    }
});
