//! Source codenames: generation from the bundled diceware list, parsing and normalisation.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use rand::{CryptoRng, Rng};
use zeroize::Zeroizing;

/// Number of words in a codename: 7 × log2(7776) ≈ 90.5 bits.
pub const CODENAME_WORDS: usize = 7;

/// Longest login input we look at, in characters. Longer input is refused
/// before any key derivation runs (a denial-of-service guard).
pub const MAX_CODENAME_INPUT: usize = 128;

/// The EFF large diceware list (CC BY 3.0 US), 7,776 lowercase ASCII words.
static WORDLIST_TEXT: &str = include_str!("../wordlists/eff-large.txt");

static WORDLIST: LazyLock<Vec<&'static str>> = LazyLock::new(|| WORDLIST_TEXT.lines().collect());
static WORDSET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| WORDLIST.iter().copied().collect());

/// The codename wordlist.
pub fn wordlist() -> &'static [&'static str] {
    &WORDLIST
}

/// A source's codename: their only credential.
///
/// Deliberately has no `Display`, `Serialize` or `Clone`; `Debug` is redacted and
/// the text is zeroed when dropped. The words are exposed in exactly two places:
/// showing them once to the source, and deriving the source's identifiers.
pub struct Codename(Zeroizing<String>);

/// Why a login input is not a codename. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseCodenameError {
    /// Longer than [`MAX_CODENAME_INPUT`] characters.
    #[error("codename input is too long")]
    TooLong,
    /// Contains a character outside letters, hyphen and white space.
    #[error("codename input has characters outside the word alphabet")]
    BadCharacter,
    /// Does not have exactly [`CODENAME_WORDS`] words from the wordlist.
    #[error("codename input is not made of codename words")]
    NotCodenameWords,
}

impl Codename {
    /// Draws a new codename from `rng`, which must be a CSPRNG (the server uses `OsRng`).
    pub fn generate<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let list = wordlist();
        let mut text = Zeroizing::new(String::with_capacity(80));
        for i in 0..CODENAME_WORDS {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(list[rng.gen_range(0..list.len())]);
        }
        Self(text)
    }

    /// Parses what a source typed at login: surrounding white space and case are ignored,
    /// runs of white space count as one space.
    ///
    /// # Security
    /// Cheap and bounded: rejects over-long input and foreign characters before looking
    /// at words, and the caller runs no key derivation unless this succeeds.
    pub fn parse(input: &str) -> Result<Self, ParseCodenameError> {
        if input.chars().count() > MAX_CODENAME_INPUT {
            return Err(ParseCodenameError::TooLong);
        }
        if !input.chars().all(|c| c.is_ascii_alphabetic() || c == '-' || c.is_whitespace()) {
            return Err(ParseCodenameError::BadCharacter);
        }
        let mut text = Zeroizing::new(String::with_capacity(input.len()));
        let mut words = 0;
        for word in input.split_whitespace() {
            let lower = Zeroizing::new(word.to_ascii_lowercase());
            if !WORDSET.contains(lower.as_str()) {
                return Err(ParseCodenameError::NotCodenameWords);
            }
            if words > 0 {
                text.push(' ');
            }
            text.push_str(&lower);
            words += 1;
        }
        if words != CODENAME_WORDS {
            return Err(ParseCodenameError::NotCodenameWords);
        }
        Ok(Self(text))
    }

    /// The normalised words, separated by single spaces.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether `text` (trimmed, case-insensitive) is this codename, in time that does not
    /// depend on where the two differ.
    pub fn is_same_text(&self, text: &str) -> bool {
        let candidate = Zeroizing::new(text.trim().to_ascii_lowercase());
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        let mut diff = a.len() ^ b.len();
        for (i, x) in a.iter().enumerate() {
            diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl fmt::Debug for Codename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Codename([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::OsRng;

    proptest! {
        // What fuzz/fuzz_targets/codename.rs checks, on stable Rust in the test command.
        #[test]
        fn parsing_any_input_never_panics_and_what_parses_is_seven_known_words(input in ".{0,200}") {
            if let Ok(codename) = Codename::parse(&input) {
                let words: Vec<&str> = codename.expose_secret().split(' ').collect();
                prop_assert_eq!(words.len(), CODENAME_WORDS);
                prop_assert!(words.iter().all(|w| WORDSET.contains(w)));
            }
        }

        #[test]
        fn a_codename_parses_back_whatever_its_case_and_spacing(
            picks in proptest::collection::vec(0..7776usize, CODENAME_WORDS),
            upper in any::<bool>(),
            gaps in proptest::collection::vec("[ \t\n]{1,3}", CODENAME_WORDS),
        ) {
            let words: Vec<&str> = picks.iter().map(|&i| wordlist()[i]).collect();
            let mut typed = String::from(gaps[0].as_str());
            for (i, w) in words.iter().enumerate() {
                typed.push_str(&if upper { w.to_ascii_uppercase() } else { (*w).to_owned() });
                typed.push_str(&gaps[(i + 1) % gaps.len()]);
            }
            let parsed = Codename::parse(&typed).unwrap();
            prop_assert_eq!(parsed.expose_secret(), words.join(" "));
        }
    }

    #[test]
    fn wordlist_has_7776_distinct_lowercase_ascii_words() {
        assert_eq!(wordlist().len(), 7776);
        assert_eq!(WORDSET.len(), 7776);
        assert!(wordlist().iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
        let bits = CODENAME_WORDS as f64 * (wordlist().len() as f64).log2();
        assert!(bits >= 90.0, "{bits}");
    }

    #[test]
    fn generated_codenames_have_seven_words_differ_and_parse_back() {
        let a = Codename::generate(&mut OsRng);
        let b = Codename::generate(&mut OsRng);
        assert_ne!(a.expose_secret(), b.expose_secret());
        for c in [&a, &b] {
            assert_eq!(c.expose_secret().split(' ').count(), 7);
            assert!(c.expose_secret().len() > 20 && c.expose_secret().len() < MAX_CODENAME_INPUT);
            let parsed = Codename::parse(c.expose_secret()).unwrap();
            assert_eq!(parsed.expose_secret(), c.expose_secret());
        }
    }

    #[test]
    fn parse_normalises_case_and_white_space() {
        let c = Codename::generate(&mut OsRng);
        let messy = format!("  \t{}\n ", c.expose_secret().to_uppercase().replace(' ', "   "));
        assert_eq!(Codename::parse(&messy).unwrap().expose_secret(), c.expose_secret());
    }

    #[test]
    fn parse_rejects_long_foreign_and_unknown_input() {
        assert_eq!(Codename::parse(&"a".repeat(129)).unwrap_err(), ParseCodenameError::TooLong);
        assert_eq!(Codename::parse("abacus 1 <script>").unwrap_err(), ParseCodenameError::BadCharacter);
        assert_eq!(Codename::parse("abacus abacus abacus").unwrap_err(), ParseCodenameError::NotCodenameWords);
        assert_eq!(
            Codename::parse("abacus abacus abacus abacus abacus abacus zzzzqq").unwrap_err(),
            ParseCodenameError::NotCodenameWords
        );
    }

    #[test]
    fn debug_is_redacted_and_same_text_matches() {
        let c = Codename::generate(&mut OsRng);
        assert_eq!(format!("{c:?}"), "Codename([redacted])");
        assert!(c.is_same_text(&format!(" {} ", c.expose_secret().to_uppercase())));
        assert!(!c.is_same_text("something else"));
        assert!(!c.is_same_text(""));
    }
}
