//! The suite's log scan (non-negotiable 2): every secret a test makes or sends is
//! remembered here — codenames, journalists' passphrases, second-factor secrets and
//! codes, file names, message texts — and every log line the suite captures is checked
//! against all of them: the in-process routers' lines, at every level, whenever a
//! [`crate::Stack`] ends, and each server process's stderr when its
//! [`crate::Running`] ends.

use std::sync::{Mutex, PoisonError};

/// What a remembered secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A source's codename.
    Codename,
    /// A journalist's passphrase.
    Passphrase,
    /// A second-factor secret (base32).
    OtpSecret,
    /// A one-time code: matched as a whole number only.
    OtpCode,
    /// A submitted file's name.
    Filename,
    /// A submitted message's text.
    Message,
}

impl Kind {
    /// Values shorter than this are too common to tell a leak from chance.
    fn shortest(self) -> usize {
        match self {
            Self::OtpCode | Self::Filename => 6,
            Self::Message => 8,
            Self::Passphrase => 12,
            Self::Codename | Self::OtpSecret => 16,
        }
    }
}

static KNOWN: Mutex<Vec<(Kind, String)>> = Mutex::new(Vec::new());
/// How far the scans have gone: every secret before the first number has been looked
/// for in the in-process capture up to the second.
static SCANNED: Mutex<(usize, usize)> = Mutex::new((0, 0));

/// Remembers `value` as a secret of `kind`.
pub fn remember(kind: Kind, value: &str) {
    let value = value.trim();
    if value.chars().count() >= kind.shortest() {
        KNOWN.lock().unwrap_or_else(PoisonError::into_inner).push((kind, value.to_owned()));
    }
}

/// Each line of `log` that holds a remembered secret, with the kind it holds (the
/// secret itself is not repeated).
pub fn leaks(log: &str) -> Vec<String> {
    let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner).clone();
    leaks_of(log, &known)
}

fn leaks_of(log: &str, known: &[(Kind, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for line in log.lines() {
        for (kind, value) in known {
            if holds(line, *kind, value) {
                found.push(format!("a {kind:?} in: {}", line.replace(value.as_str(), "<the secret>")));
            }
        }
    }
    found
}

fn holds(line: &str, kind: Kind, value: &str) -> bool {
    if kind != Kind::OtpCode {
        return line.contains(value);
    }
    line.match_indices(value).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + value.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// Panics, naming the lines, if `log` (what `whose` logged) holds a remembered secret;
/// never while the thread already panics.
pub fn assert_no_leaks(whose: &str, log: &str) {
    if !std::thread::panicking() {
        fail_on(whose, &leaks(log));
    }
}

fn fail_on(whose: &str, found: &[String]) {
    assert!(found.is_empty(), "{whose} logged secrets:\n{}", found.join("\n"));
}

/// Sends every log event of this process, at every level, to the capture (once).
pub fn capture_logs() {
    postern_fixtures::LogCapture::global();
}

/// Scans the in-process capture: what was logged since the last scan for every secret,
/// and what was logged before it for the secrets remembered since (a line may be logged
/// before the test that made its secret remembers it). Not while the thread panics:
/// the next scan covers it.
pub fn scan_captured() {
    if std::thread::panicking() {
        return;
    }
    let text = postern_fixtures::LogCapture::global().contents();
    let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut scanned = SCANNED.lock().unwrap_or_else(PoisonError::into_inner);
    let (secrets_done, text_done) = *scanned;
    let boundary = (text_done.min(text.len())..=text.len()).find(|&at| text.is_char_boundary(at)).unwrap_or(0);
    let mut found = leaks_of(&text[boundary..], &known);
    found.extend(leaks_of(&text[..boundary], &known[secrets_done.min(known.len())..]));
    *scanned = (known.len(), text.len());
    drop(scanned);
    fail_on("the in-process interfaces", &found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_in_a_line_is_found_without_being_repeated_and_codes_match_whole() {
        remember(Kind::Codename, "alpha bravo charlie delta echo foxtrot golf");
        remember(Kind::OtpCode, "314159");
        remember(Kind::Filename, "a.txt");
        let found =
            leaks("ok\nlogin of alpha bravo charlie delta echo foxtrot golf failed\nport 13141592 code 314159.");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|l| !l.contains("alpha bravo") && l.contains("<the secret>")));
        assert!(leaks("a.txt is too short to tell").is_empty());
    }
}
