//! A redacting wrapper for values we may hold but must never log.

use std::fmt;

/// A value we may hold but must never log: filenames, sizes, designations, ids.
///
/// Both `Display` and `Debug` print `[redacted]`. Unlike Arti's `safelog`,
/// there is no global switch to turn redaction off.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value. Use only to hand it to storage or rendering, never to a formatter.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_redacted() {
        let s = Sensitive::new("secret-name.pdf");
        assert_eq!(format!("{s} {s:?} {s:#?}"), "[redacted] [redacted] [redacted]");
        assert_eq!(*s.expose(), "secret-name.pdf");
    }
}
