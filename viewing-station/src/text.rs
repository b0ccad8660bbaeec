//! Text shown on the terminal: names and paths from hostile files, made visible.

use std::path::Path;

/// `text` with control, bidirectional-override and other invisible characters
/// escaped, so a hostile name cannot rewrite the terminal or disguise itself.
pub(crate) fn escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let invisible = c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
            let s: String = if invisible { c.escape_unicode().collect() } else { c.to_string() };
            s.chars().collect::<Vec<_>>()
        })
        .collect()
}

/// A path for messages (lossy, escaped: names may hold control characters).
pub(crate) fn shown(path: &Path) -> String {
    escaped(&path.to_string_lossy())
}
