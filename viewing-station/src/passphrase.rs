//! Passphrases: from a file, or asked on the terminal without echo.

use std::path::Path;

use zeroize::Zeroizing;

use crate::SvsError;
use crate::text::shown;

/// Shortest passphrase `svs keygen` accepts: a key that guards every submission.
const MIN_CHARS: usize = 12;

/// The first line of `file`, or, without a file, what is typed after `prompt`.
pub(crate) fn read(file: Option<&Path>, prompt: &str) -> Result<Zeroizing<String>, SvsError> {
    match file {
        Some(path) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(path).map_err(|cause| SvsError::PassphraseFile { path: shown(path), cause })?,
            );
            Ok(Zeroizing::new(text.lines().next().unwrap_or_default().to_owned()))
        }
        None => rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|_| SvsError::NoTerminal),
    }
}

/// A new passphrase: from a file, or typed twice.
pub(crate) fn new(file: Option<&Path>) -> Result<Zeroizing<String>, SvsError> {
    let first = read(file, "New passphrase for the secret key: ")?;
    if file.is_none() {
        let again = read(None, "Type it again: ")?;
        if !postern_core::constant_time_eq(first.as_bytes(), again.as_bytes()) {
            return Err(SvsError::Passphrase("the two passphrases differ"));
        }
    }
    if first.chars().count() < MIN_CHARS {
        return Err(SvsError::Passphrase("the passphrase is shorter than 12 characters"));
    }
    Ok(first)
}
