//! Journalist-facing designations ("adjective noun") and the file-name form of them.

use std::fmt;
use std::sync::LazyLock;

use rand::{CryptoRng, Rng};

static ADJECTIVES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| include_str!("../wordlists/adjectives.txt").lines().collect());
static NOUNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| include_str!("../wordlists/nouns.txt").lines().collect());

/// A source's journalist-facing pseudonym, such as "obedient rabbit".
///
/// It identifies a source to anyone who sees it, so it is never logged:
/// `Display` and `Debug` are redacted; use [`Designation::as_str`] to render it.
#[derive(Clone, PartialEq, Eq)]
pub struct Designation(String);

impl Designation {
    /// Draws a random designation. Uniqueness is the store's job (it retries).
    pub fn generate<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let adjective = ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())];
        let noun = NOUNS[rng.gen_range(0..NOUNS.len())];
        Self(format!("{adjective} {noun}"))
    }

    /// Wraps a designation read back from storage.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The designation text, for rendering and storage only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Designation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Designation([redacted])")
    }
}

/// The form of a designation used in file names, as SecureDrop's
/// `journalist_filename`: lowercase, spaces to `_`, only `[a-z0-9-_]` kept.
pub fn journalist_filename(designation: &Designation) -> String {
    designation
        .as_str()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn designation_is_two_words_from_the_lists() {
        assert!(ADJECTIVES.len() > 800 && NOUNS.len() > 6000);
        let d = Designation::generate(&mut OsRng);
        let (a, n) = d.as_str().split_once(' ').unwrap();
        assert!(ADJECTIVES.contains(&a) && NOUNS.contains(&n));
        assert_eq!(format!("{d:?}"), "Designation([redacted])");
    }

    #[test]
    fn journalist_filename_follows_securedrop() {
        let d = Designation::from_stored("Obedient Rabbit-x!".into());
        assert_eq!(journalist_filename(&d), "obedient_rabbit-x");
    }
}
