//! The outside tools the tests lean on, checked before use by `scripts/check-tools`, so
//! that a missing package fails a test with its name ("ExifTool cannot read Office
//! files: install libarchive-zip-perl") rather than with a confusing fixture error.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// What each capability's check said, in this process.
static CHECKED: Mutex<BTreeMap<&'static str, Result<(), String>>> = Mutex::new(BTreeMap::new());

/// Fails the calling test, naming the Debian package to install, unless
/// `scripts/check-tools CAPABILITY` passes. Each capability is checked once per process.
///
/// Capabilities: `build`, `exiftool`, `exiftool-office`, `imagemagick`, `gnupg`, `gzip`, `kill`, `tor`,
/// `chromium` (see the script).
pub fn require_tool(capability: &'static str) {
    let mut checked = CHECKED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let outcome = checked.entry(capability).or_insert_with(|| check(capability)).clone();
    drop(checked);
    if let Err(why) = outcome {
        panic!("{why}");
    }
}

fn check(capability: &str) -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/check-tools");
    let out =
        Command::new(&script).arg(capability).output().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "unknown capability")]
    fn an_unknown_capability_is_refused() {
        require_tool("teleporter");
    }
}
