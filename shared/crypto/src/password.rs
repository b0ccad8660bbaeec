//! Journalist passwords: server-generated diceware passphrases hashed with argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Longest password looked at, in characters: longer input is refused before any
/// hashing (a denial-of-service guard, as SecureDrop).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Shortest acceptable new password, in characters.
pub(crate) const MIN_PASSWORD_CHARS: usize = 14;
/// Fewest words in an acceptable new password.
pub(crate) const MIN_PASSWORD_WORDS: usize = 7;

/// SecureDrop's argon2id parameters: 64 MiB, 4 passes, 2 lanes.
fn hasher() -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(64 * 1024, 4, 2, None).map_err(|_| CryptoError::Derive)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A new passphrase: seven diceware words, shown once to the journalist.
pub fn generate_password<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<String> {
    Zeroizing::new(postern_core::Codename::generate(rng).expose_secret().to_owned())
}

/// Whether `password` may be set as a new password (14–128 characters, ≥ 7 words).
pub fn is_acceptable_password(password: &str) -> bool {
    let chars = password.chars().count();
    (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars)
        && password.split_whitespace().count() >= MIN_PASSWORD_WORDS
}

/// The PHC string to store for `password`.
pub fn hash_password<R: RngCore + CryptoRng>(rng: &mut R, password: &str) -> Result<String, CryptoError> {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(CryptoError::PasswordTooLong);
    }
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| CryptoError::Derive)?;
    Ok(hasher()?.hash_password(password.as_bytes(), &salt).map_err(|_| CryptoError::Derive)?.to_string())
}

/// Whether `password` matches the stored `hash`. Over-long input is refused without hashing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn generated_passwords_are_acceptable_and_verify() {
        let pw = generate_password(&mut OsRng);
        assert!(is_acceptable_password(&pw));
        let hash = hash_password(&mut OsRng, &pw).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=65536,t=4,p=2$"));
        assert!(verify_password(&pw, &hash));
        assert!(!verify_password("not the password at all", &hash));
        assert!(!verify_password(&pw, "garbage"));
    }

    #[test]
    fn over_long_passwords_are_refused_before_hashing() {
        let long = "word ".repeat(30);
        assert!(matches!(hash_password(&mut OsRng, &long), Err(CryptoError::PasswordTooLong)));
        // A hash whose parameters would take minutes: refusing it fast shows no hashing ran.
        let slow = "$argon2id$v=19$m=4194304,t=100,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        let started = std::time::Instant::now();
        assert!(!verify_password(&long, slow));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(!is_acceptable_password("short"));
        assert!(!is_acceptable_password("fourteen chars long but few words"));
    }
}
