//! Rules for journalist accounts and instance settings, shared by the command line and
//! the web interface.

/// The user name of the placeholder account that inherits deleted journalists' replies.
pub const RESERVED_USERNAME: &str = "deleted";

/// Longest first or last name.
pub const MAX_NAME_CHARS: usize = 100;

/// Whether `name` can be a user name: 3 to 64 letters, digits, `.`, `_` or `-`, and
/// not the reserved `deleted`. The narrow alphabet keeps names safe in URLs, logs of
/// the administrator's shell, and pages.
pub fn is_valid_username(name: &str) -> bool {
    let ok_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    (3..=64).contains(&name.len()) && ok_chars && !name.eq_ignore_ascii_case(RESERVED_USERNAME)
}

/// The organization name of a new instance, until an administrator sets one.
pub const DEFAULT_ORGANIZATION_NAME: &str = "Postern";

/// Whether `name` can be the organization name: 1 to 64 characters, none a control
/// or a direction override (see [`is_displayable`]), and not only spaces.
pub fn is_valid_organization_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count()) && is_displayable(name) && !name.trim().is_empty()
}

/// Whether `name` can be a journalist's first or last name: at most
/// [`MAX_NAME_CHARS`] characters (empty is allowed), none a control or a direction
/// override.
pub fn is_valid_person_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME_CHARS && is_displayable(name)
}

/// Text shown to others as it is: no control characters (NUL, escapes, line breaks)
/// and no bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069), with
/// which a name could make the text around it read backwards.
fn is_displayable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_names() {
        assert!(is_valid_organization_name("Example News — Investigations"));
        for bad in ["", "   ", "a\nb", "a\u{0}", &"x".repeat(65), "\u{202e}sweN", "a\u{2067}b"] {
            assert!(!is_valid_organization_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn person_names() {
        for good in ["", "Zoë", "محمد", &"x".repeat(100)] {
            assert!(is_valid_person_name(good), "{good:?}");
        }
        for bad in [&"x".repeat(101), "Ann\u{0}", "a\tb", "\u{202e}nosnhoJ", "x\u{2066}"] {
            assert!(!is_valid_person_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn usernames() {
        assert!(is_valid_username("ada.l-2_x"));
        for bad in ["ab", "Deleted", "a b", "<b>x</b>", "ümlaut", &"x".repeat(65)] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }
}
