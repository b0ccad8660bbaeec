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

/// Whether `name` can be the organization name: 1 to 64 characters, none a control.
pub fn is_valid_organization_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_names() {
        assert!(is_valid_organization_name("Example News — Investigations"));
        for bad in ["", "a\nb", &"x".repeat(65)] {
            assert!(!is_valid_organization_name(bad), "{bad:?}");
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
