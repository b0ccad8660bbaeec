//! Replies a client encrypted itself (SecureDrop's journalist API takes them that way):
//! what is accepted is an ASCII-armoured OpenPGP message whose packets are one or more
//! encrypted session keys and then one encrypted data packet, and nothing else. The
//! check parses packet headers only; nothing is decrypted.

use std::io::{Read, Write};

use sequoia_openpgp::Packet;
use sequoia_openpgp::armor::{Kind, Reader, ReaderMode, Writer};
use sequoia_openpgp::parse::{PacketParser, PacketParserResult, Parse};

/// Largest armoured reply accepted, in bytes of text (SecureDrop's replies are short
/// messages; this leaves room for long ones to several recipients).
pub const MAX_ARMORED_REPLY_BYTES: usize = 1024 * 1024;

/// Why a reply is not an armoured encrypted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyFormatProblem {
    /// Longer than [`MAX_ARMORED_REPLY_BYTES`].
    #[error("the reply is too long")]
    TooLarge,
    /// Not `-----BEGIN PGP MESSAGE-----` armour, or armour that does not decode.
    #[error("the reply is not an ASCII-armoured OpenPGP message")]
    NotArmored,
    /// Armoured, but not session keys followed by one encrypted data packet.
    #[error("the reply is not an encrypted OpenPGP message")]
    NotEncrypted,
}

/// The binary message (what is stored) of an armoured encrypted reply, or why `text`
/// is not one.
pub fn dearmor_encrypted_reply(text: &str) -> Result<Vec<u8>, ReplyFormatProblem> {
    if text.len() > MAX_ARMORED_REPLY_BYTES {
        return Err(ReplyFormatProblem::TooLarge);
    }
    if !text.trim_start().starts_with("-----BEGIN PGP MESSAGE-----") {
        return Err(ReplyFormatProblem::NotArmored);
    }
    let mut reader = Reader::from_bytes(text.as_bytes(), ReaderMode::Tolerant(Some(Kind::Message)));
    let mut binary = Vec::new();
    reader.read_to_end(&mut binary).map_err(|_| ReplyFormatProblem::NotArmored)?;
    if reader.kind() != Some(Kind::Message) || binary.is_empty() {
        return Err(ReplyFormatProblem::NotArmored);
    }
    if is_encrypted_message(&binary) { Ok(binary) } else { Err(ReplyFormatProblem::NotEncrypted) }
}

/// `binary` as an ASCII-armoured OpenPGP message.
pub fn armor_message(binary: &[u8]) -> String {
    let mut out = Vec::new();
    // Armour written into memory cannot fail: there is no error to pass on.
    if let Ok(mut writer) = Writer::new(&mut out, Kind::Message) {
        let written = writer.write_all(binary).is_ok();
        if writer.finalize().is_err() || !written {
            out.clear();
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `binary` is, at the top level, one or more PKESK or SKESK packets and then
/// exactly one SEIPD packet (whose body is not read).
fn is_encrypted_message(binary: &[u8]) -> bool {
    let Ok(mut ppr) = PacketParser::from_bytes(binary) else { return false };
    let (mut session_keys, mut encrypted) = (0usize, 0usize);
    while let PacketParserResult::Some(pp) = ppr {
        if pp.recursion_depth() == 0 {
            match &pp.packet {
                Packet::PKESK(_) | Packet::SKESK(_) if encrypted == 0 => session_keys += 1,
                Packet::SEIP(_) if session_keys > 0 && encrypted == 0 => encrypted += 1,
                _ => return false,
            }
        }
        ppr = match pp.next() {
            Ok((_, next)) => next,
            Err(_) => return false,
        };
    }
    matches!(ppr, PacketParserResult::EOF(_)) && encrypted == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SubmissionKey, encrypt_document, generate_submission_key_pair};

    fn encrypted() -> (Vec<u8>, String) {
        let pair = generate_submission_key_pair("reply test", false).unwrap();
        let key = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        let mut binary = Vec::new();
        let mut w = encrypt_document(&key, "reply.txt", &mut binary).unwrap();
        w.write_all(b"a reply").unwrap();
        w.finish().unwrap();
        (binary.clone(), armor_message(&binary))
    }

    #[test]
    fn an_armoured_encrypted_message_is_accepted_and_dearmoured() {
        let (binary, text) = encrypted();
        assert_eq!(dearmor_encrypted_reply(&text), Ok(binary.clone()));
        assert_eq!(dearmor_encrypted_reply(&format!("\n  {text}\n")), Ok(binary), "surrounding whitespace");
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        let (binary, text) = encrypted();
        let pair = generate_submission_key_pair("other", false).unwrap();
        // A literal data packet: tag 11, "b", no name, no date, "hi".
        let literal = [0xcb, 0x08, b'b', 0, 0, 0, 0, 0, b'h', b'i'];
        let mut twice = binary.clone();
        twice.extend_from_slice(&binary);
        let mut trailing = binary.clone();
        trailing.extend_from_slice(&literal);
        let esk_only = &binary[..binary.len() / 4];
        let cases = [
            ("", ReplyFormatProblem::NotArmored),
            ("a plain text reply", ReplyFormatProblem::NotArmored),
            (pair.public_armored.as_str(), ReplyFormatProblem::NotArmored),
            ("-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n", ReplyFormatProblem::NotArmored),
            (&armor_message(&literal), ReplyFormatProblem::NotEncrypted),
            (&armor_message(&twice), ReplyFormatProblem::NotEncrypted),
            (&armor_message(&trailing), ReplyFormatProblem::NotEncrypted),
            (&armor_message(esk_only), ReplyFormatProblem::NotEncrypted),
            (&armor_message(&binary[binary.len() / 2..]), ReplyFormatProblem::NotEncrypted),
            (&text.replace("MESSAGE", "SIGNATURE"), ReplyFormatProblem::NotArmored),
            (&"-----BEGIN PGP MESSAGE-----\n".repeat(60_000), ReplyFormatProblem::TooLarge),
        ];
        for (input, problem) in cases {
            assert_eq!(dearmor_encrypted_reply(input), Err(problem), "{:?}", &input[..input.len().min(60)]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Damaged armour or packets never panic, and whatever is accepted is session
        /// keys and one encrypted data packet (the same property as the `reply` fuzz target).
        #[test]
        fn damaged_replies_are_refused_or_well_formed(at in 0usize..4096, byte in proptest::prelude::any::<u8>(), cut in 0usize..4096) {
            let (binary, _) = encrypted_fixture();
            let mut damaged = binary.clone();
            let i = at % damaged.len();
            damaged[i] ^= byte | 1;
            damaged.truncate(damaged.len() - cut % damaged.len());
            for text in [armor_message(&damaged), String::from_utf8_lossy(&damaged).into_owned()] {
                if let Ok(accepted) = dearmor_encrypted_reply(&text) {
                    // An independent walk of the packets finds the encrypted data packet.
                    let versions = crate::packet_versions(&accepted);
                    proptest::prop_assert!(versions.is_ok_and(|v| v.seipd != 0));
                }
            }
        }
    }

    /// One encrypted message, made once (key generation is the slow part).
    fn encrypted_fixture() -> (Vec<u8>, String) {
        static ONE: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
        ONE.get_or_init(encrypted).clone()
    }
}
