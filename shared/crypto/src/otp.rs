//! Journalists' second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s, ±1 step)
//! and counter-based HOTP (RFC 4226, as YubiKeys send it, with a look-ahead window).
//!
//! Codes are never accepted twice: a TOTP code must belong to a later step than the
//! last accepted one, and an HOTP code moves the counter past itself.

use postern_core::constant_time_eq;
use rand::{CryptoRng, RngCore};
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Seconds per TOTP step.
const STEP: u64 = 30;
/// HOTP codes accepted ahead of the stored counter (SecureDrop's 20).
pub const HOTP_LOOK_AHEAD: u64 = 20;
/// Digits in a code.
const DIGITS: usize = 6;

/// A shared OTP secret (160 bits). Never logged: `Debug` is redacted.
#[derive(Clone)]
pub struct OtpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpSecret([redacted])")
    }
}

impl OtpSecret {
    /// A new random secret for a TOTP app.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 20]);
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A YubiKey's HOTP secret as administrators type it: 40 hex digits (spaces allowed).
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let digits: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
        if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CryptoError::OtpSecret("an HOTP secret is 40 hexadecimal digits"));
        }
        let bytes = (0..20).map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).unwrap_or(0)).collect();
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// The secret as stored and shown: unpadded RFC 4648 base32.
    pub fn from_base32(text: &str) -> Result<Self, CryptoError> {
        let bytes = totp_rs::Secret::Encoded(text.to_ascii_uppercase())
            .to_bytes()
            .map_err(|_| CryptoError::OtpSecret("the stored OTP secret is not base32"))?;
        if bytes.len() < 16 {
            return Err(CryptoError::OtpSecret("the stored OTP secret is too short"));
        }
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// Unpadded base32, for storage and for typing into an authenticator app.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(self.totp().get_secret_base32())
    }

    /// The `otpauth://` URI authenticator apps scan.
    pub fn totp_uri(&self, issuer: &str, username: &str) -> Zeroizing<String> {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        Zeroizing::new(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
            enc(issuer),
            enc(username),
            self.to_base32().as_str(),
            enc(issuer)
        ))
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP, self.0.to_vec())
    }

    /// The code for HOTP counter `counter` (the TOTP code of step `counter`).
    fn code_at_step(&self, step: u64) -> String {
        self.totp().generate(step * STEP)
    }
}

/// The TOTP code of `secret` at `time` (Unix seconds): what an authenticator app
/// shows. For tests and for checking an enrolment.
pub fn totp_code(secret: &OtpSecret, time: u64) -> String {
    secret.code_at_step(time / STEP)
}

/// A code as typed: spaces removed; `None` unless six digits remain.
pub fn normalize_code(input: &str) -> Option<String> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Checks a TOTP code at `now` (Unix seconds), allowing one step either way. Returns
/// the step it matched, which the caller stores; codes of that step or earlier are
/// refused from then on.
pub fn verify_totp(secret: &OtpSecret, input: &str, now: u64, last_step: Option<u64>) -> Option<u64> {
    let code = normalize_code(input)?;
    let current = now / STEP;
    let mut matched = None;
    for step in current.saturating_sub(1)..=current + 1 {
        // Check every candidate, so timing does not say which step matched.
        if constant_time_eq(secret.code_at_step(step).as_bytes(), code.as_bytes()) {
            matched = Some(step);
        }
    }
    matched.filter(|step| last_step.is_none_or(|last| *step > last))
}

/// Checks an HOTP code against counters `counter .. counter + HOTP_LOOK_AHEAD`. Returns
/// the next counter to store (one past the match).
pub fn verify_hotp(secret: &OtpSecret, input: &str, counter: u64) -> Option<u64> {
    let code = normalize_code(input)?;
    let mut matched = None;
    for c in counter..counter + HOTP_LOOK_AHEAD {
        if matched.is_none() && constant_time_eq(secret.code_at_step(c).as_bytes(), code.as_bytes()) {
            matched = Some(c + 1);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 appendix D: secret "12345678901234567890".
    fn rfc_secret() -> OtpSecret {
        OtpSecret(Zeroizing::new(b"12345678901234567890".to_vec()))
    }

    #[test]
    fn hotp_matches_rfc_4226_vectors() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(rfc_secret().code_at_step(counter as u64), *code);
        }
    }

    #[test]
    fn totp_matches_rfc_6238_vectors_in_six_digits() {
        // RFC 6238 appendix B (SHA-1), last six of the eight digits.
        for (time, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(rfc_secret().totp().generate(time), code);
        }
    }

    #[test]
    fn totp_accepts_one_step_either_way_once() {
        let s = OtpSecret::generate(&mut rand::rngs::OsRng);
        let now = 1_700_000_015;
        let step = now / STEP;
        for (at, ok) in [(step - 2, false), (step - 1, true), (step, true), (step + 1, true), (step + 2, false)] {
            assert_eq!(verify_totp(&s, &s.code_at_step(at), now, None).is_some(), ok, "step {at}");
        }
        let code = s.code_at_step(step);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        let used = verify_totp(&s, &spaced, now, None).unwrap();
        assert_eq!(used, step);
        assert_eq!(verify_totp(&s, &code, now, Some(used)), None, "never twice");
        assert_eq!(verify_totp(&s, &s.code_at_step(step - 1), now, Some(used)), None, "nor an older one");
        assert!(verify_totp(&s, &s.code_at_step(step + 1), now, Some(used)).is_some());
        assert_eq!(verify_totp(&s, "12345", now, None), None);
        assert_eq!(verify_totp(&s, "abcdef", now, None), None);
    }

    #[test]
    fn hotp_looks_ahead_and_advances() {
        let s = OtpSecret::from_hex("3132 3334 3536 3738 3930 3132 3334 3536 3738 3930").unwrap();
        assert_eq!(verify_hotp(&s, "755224", 0), Some(1));
        assert_eq!(verify_hotp(&s, "755224", 1), None, "a used code is behind the counter");
        assert_eq!(verify_hotp(&s, "520489", 1), Some(10), "within the look-ahead");
        let far = s.code_at_step(40);
        assert_eq!(verify_hotp(&s, &far, 10), None, "beyond the window");
        assert!(OtpSecret::from_hex("1234").is_err());
        assert!(OtpSecret::from_hex(&"zz".repeat(20)).is_err());
    }

    #[test]
    fn base32_round_trips_and_uri_names_the_account() {
        let s = OtpSecret::generate(&mut rand::rngs::OsRng);
        let b32 = s.to_base32();
        assert_eq!(b32.len(), 32);
        let back = OtpSecret::from_base32(&b32).unwrap();
        assert_eq!(back.code_at_step(5), s.code_at_step(5));
        let uri = s.totp_uri("Postern", "dana");
        assert!(uri.starts_with("otpauth://totp/Postern:dana?secret=") && uri.contains(b32.as_str()));
        assert_eq!(format!("{s:?}"), "OtpSecret([redacted])");
    }
}
