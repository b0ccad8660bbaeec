//! `postern init`: a new production instance.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use postern_config::PosternConfig;
use postern_crypto::{InstanceSecrets, SubmissionKey};
use postern_store::Store;
use postern_store::files::write_new_file;
use rand::rngs::OsRng;

use crate::cli::InitArgs;

/// The documented example configuration; new instances start from it.
const EXAMPLE_CONFIG: &str = include_str!("../config.example.toml");
/// File names inside an instance directory.
pub(crate) const CONFIG_FILE: &str = "postern.toml";
const KEY_FILE: &str = "submission-key.asc";
const SECRETS_FILE: &str = "instance-secrets.toml";
const DATA_DIR: &str = "data";

/// `postern init --dir DIR --submission-key PUBKEY.asc`.
#[expect(clippy::print_stdout, reason = "the command's report to the administrator")]
pub(crate) fn run(args: &InitArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.submission_key)
        .with_context(|| format!("unable to read the submission key {}", args.submission_key.display()))?;
    if let Err(problem) = SubmissionKey::from_armored(&text) {
        bail!(
            "the submission key {} cannot be used: {problem}\n\
             Export the newsroom's public key on the viewing station with `gpg --armor --export FINGERPRINT`, \
             check that it is not expired or revoked and has an encryption subkey, and try again.",
            args.submission_key.display()
        );
    }
    let config = create_instance(&args.dir, &text, "127.0.0.1:8080", args.onion)?;
    println!("Created a Postern instance in {}", args.dir.display());
    println!("  configuration:  {}", config.display());
    println!("  secrets:        {} (mode 0600; back it up with the database)", args.dir.join(SECRETS_FILE).display());
    println!("Start it with:  postern serve source --config {}", config.display());
    Ok(())
}

/// `postern init-secrets --config FILE`: the one-time secrets of a deployed instance,
/// made on the server at first install and never replaced.
#[expect(clippy::print_stdout, reason = "the command's report (Ansible reads it)")]
pub(crate) fn secrets(config: &Path) -> anyhow::Result<()> {
    let config = PosternConfig::load(config).context("unable to load the configuration")?;
    let path = &config.instance.secrets_file;
    if path.exists() {
        crate::instance::load_secrets(path)?;
        println!("kept: {} (instance secrets are never replaced)", path.display());
        return Ok(());
    }
    let secrets = InstanceSecrets::generate(&mut OsRng);
    write_new_file(path, secrets.to_file_text().as_bytes(), 0o600).context("unable to write the instance secrets")?;
    println!("created: {} (mode 0600; back it up with the database)", path.display());
    Ok(())
}

/// `postern set-organization-name [--if-default] NAME`.
#[expect(clippy::print_stdout, reason = "the command's report (Ansible reads it)")]
pub(crate) fn organization_name(config: &Path, if_default: bool, name: &str) -> anyhow::Result<()> {
    if !postern_core::is_valid_organization_name(name) {
        bail!("an organization name has 1 to 64 characters, none of them control or direction-override characters");
    }
    let config = PosternConfig::load(config).context("unable to load the configuration")?;
    let store = crate::instance::open_store(&config)?;
    let mut settings = store.instance_settings().context("unable to read the instance settings")?;
    let keep = settings.organization_name == name
        || (if_default && settings.organization_name != postern_core::DEFAULT_ORGANIZATION_NAME);
    if keep {
        println!("unchanged");
        return Ok(());
    }
    settings.organization_name = name.to_owned();
    store.set_instance_settings(&settings).context("unable to set the organization name")?;
    println!("set");
    Ok(())
}

/// Creates an instance directory around `public_key` and returns its config path.
pub(crate) fn create_instance(dir: &Path, public_key: &str, listen: &str, onion: bool) -> anyhow::Result<PathBuf> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir).context("unable to create the instance directory")?;
    let config_path = dir.join(CONFIG_FILE);
    if config_path.exists() {
        bail!("{} already holds an instance; choose another --dir", dir.display());
    }
    write_new_file(&dir.join(KEY_FILE), public_key.as_bytes(), 0o644).context("unable to write the submission key")?;
    let secrets = InstanceSecrets::generate(&mut OsRng);
    write_new_file(&dir.join(SECRETS_FILE), secrets.to_file_text().as_bytes(), 0o600)
        .context("unable to write the instance secrets")?;
    Store::open(&dir.join(DATA_DIR)).context("unable to create the database")?;
    write_new_file(&config_path, instance_config(listen, onion).as_bytes(), 0o600)
        .context("unable to write the configuration")?;
    Ok(config_path)
}

/// The example configuration, pointed at files inside the instance directory, with
/// both onion services on if `onion`.
fn instance_config(listen: &str, onion: bool) -> String {
    let text =
        if onion { EXAMPLE_CONFIG.replace("enabled = false", "enabled = true") } else { EXAMPLE_CONFIG.to_owned() };
    text.replace("data_dir = \"/var/lib/postern\"", &format!("data_dir = \"{DATA_DIR}\""))
        .replace("submission_key = \"/etc/postern/submission-key.asc\"", &format!("submission_key = \"{KEY_FILE}\""))
        .replace(
            "secrets_file = \"/var/lib/postern/instance-secrets.toml\"",
            &format!("secrets_file = \"{SECRETS_FILE}\""),
        )
        .replace("listen = [\"127.0.0.1:8080\"]", &format!("listen = [\"{listen}\"]"))
        .replace("state_dir = \"/var/lib/postern/tor\"", "state_dir = \"tor\"")
        .replace(
            "journalist_devices_dir = \"/var/lib/postern/journalist-devices\"",
            "journalist_devices_dir = \"journalist-devices\"",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_is_exactly_the_defaults() {
        assert_eq!(PosternConfig::parse(EXAMPLE_CONFIG).unwrap(), PosternConfig::default());
    }

    #[test]
    fn instance_config_points_inside_the_instance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, instance_config("127.0.0.1:9999", false)).unwrap();
        let c = PosternConfig::load(&path).unwrap();
        assert_eq!(c.tor.state_dir, dir.path().join("tor"));
        assert!(!c.source.onion.enabled && !c.journalist.onion.enabled);
        std::fs::write(&path, instance_config("127.0.0.1:9999", true)).unwrap();
        let c = PosternConfig::load(&path).unwrap();
        assert!(c.source.onion.enabled && c.journalist.onion.enabled);
        assert_eq!(c.instance.data_dir, dir.path().join(DATA_DIR));
        assert_eq!(c.instance.submission_key, dir.path().join(KEY_FILE));
        assert_eq!(c.source.listen[0].port(), 9999);
    }
}
