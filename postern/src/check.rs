//! `postern check-key` and `postern check-config`: the checks `serve` makes, for the
//! deployment to run before anything is installed (Ansible's validation, `validate:`
//! on templates), so that a wrong key or a typo stops the playbook, not the service.

use anyhow::{Context, bail};
use postern_crypto::SubmissionKey;

use crate::cli::CheckKeyArgs;

/// `postern check-key FILE [--fingerprint FPR]`.
#[expect(clippy::print_stdout, reason = "the command's report")]
pub(crate) fn key(args: &CheckKeyArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("unable to read the key file {}", args.file.display()))?;
    let key = SubmissionKey::from_armored(&text)
        .map_err(|problem| anyhow::anyhow!("the key in {} cannot be used: {problem}", args.file.display()))?;
    if let Some(expected) = &args.fingerprint {
        let expected = normalise_fingerprint(expected);
        if expected != key.fingerprint() {
            bail!(
                "the key in {} has fingerprint {}, not the expected {expected}: check that this is the right key",
                args.file.display(),
                key.fingerprint()
            );
        }
    }
    println!("ok: {} is usable, fingerprint {}", args.file.display(), key.fingerprint());
    Ok(())
}

/// `postern check-config FILE`.
#[expect(clippy::print_stdout, reason = "the command's report")]
pub(crate) fn config(file: &std::path::Path) -> anyhow::Result<()> {
    postern_config::PosternConfig::load(file)
        .with_context(|| format!("{} is not a valid configuration", file.display()))?;
    println!("ok: {} is a valid configuration", file.display());
    Ok(())
}

/// Upper-case hex without spaces or `0x`, as sequoia prints fingerprints.
pub(crate) fn normalise_fingerprint(text: &str) -> String {
    let text = text.trim();
    let text = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compare_without_spaces_case_or_prefix() {
        assert_eq!(normalise_fingerprint(" 0xab12 CD34\n"), "AB12CD34");
        assert_eq!(normalise_fingerprint("AB12CD34"), "AB12CD34");
    }
}
