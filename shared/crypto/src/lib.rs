#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod decrypt;
mod encrypt;
mod error;
mod gzip;
mod kdf;
mod keygen;
mod otp;
mod password;
mod reply_format;
mod source_key;
mod submission_key;
mod viewing;

pub use decrypt::{PacketVersions, decrypt_message, packet_versions};
pub use encrypt::{
    PlaintextWriter, SCRUB_NOTE_HEADER, SourceCert, encrypt_archive, encrypt_document, encrypt_message, encrypt_reply,
    encrypt_scrubbed_document,
};
pub use error::{CryptoError, KeyProblem};
pub use gzip::{GzipError, GzipMember, read_gzip_members};
pub use kdf::{
    InstanceSecrets, KdfWorkspace, SourceIdentity, complete_source_identity_in, derive_lookup_id_in,
    derive_source_identity, derive_source_identity_in,
};
pub use keygen::{GeneratedKeyPair, generate_submission_key_pair};
pub use otp::{HOTP_LOOK_AHEAD, OtpSecret, normalize_code, totp_code, verify_hotp, verify_totp};
pub use password::{MAX_PASSWORD_CHARS, generate_password, hash_password, is_acceptable_password, verify_password};
pub use reply_format::{MAX_ARMORED_REPLY_BYTES, ReplyFormatProblem, armor_message, dearmor_encrypted_reply};
pub use source_key::{
    SealedCodename, SealedSourceKey, SourceKeyPad, SourcePublicKey, SourceReplyKey, decrypt_reply,
    derive_source_public_key,
};
pub use submission_key::{SubmissionKey, key_fingerprint};
pub use viewing::{ViewingKey, ViewingKeyProblem, generate_protected_key_pair};
