//! `postern backup` and `postern restore`: the configuration wired to postern-backup,
//! with the archive encrypted to the administrator's key before it leaves this process.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::os::unix::fs::OpenOptionsExt;

use anyhow::{Context, bail};
use postern_backup::{Identity, Layout, RestoreChecks};
use postern_config::PosternConfig;
use postern_crypto::SubmissionKey;
use postern_store::DataAccess;

use crate::cli::{BackupArgs, RestoreArgs};

/// `postern backup --recipient KEY.asc --out FILE`.
#[expect(clippy::print_stdout, reason = "the command's report to the administrator")]
pub(crate) fn back_up(args: &BackupArgs) -> anyhow::Result<()> {
    let config = PosternConfig::load(&args.instance.config).context("unable to load the configuration")?;
    let text = std::fs::read_to_string(&args.recipient).context("unable to read the administrator's key")?;
    let recipient = SubmissionKey::from_armored(&text)
        .map_err(|p| anyhow::anyhow!("the administrator's key {} cannot be used: {p}", args.recipient.display()))?;
    if let Some(expected) = &args.recipient_fingerprint
        && crate::check::normalise_fingerprint(expected) != recipient.fingerprint()
    {
        bail!("the administrator's key has fingerprint {}, not the expected one", recipient.fingerprint());
    }
    let identity = Identity {
        instance_id: crate::instance::load_secrets(&config.instance.secrets_file)?.instance_id(),
        submission_key_fingerprint: submission_key_fingerprint(&config)?,
    };
    let store = crate::instance::open_store(&config)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .with_context(|| format!("unable to create {} (it must not exist yet)", args.out.display()))?;
    let written = (|| -> anyhow::Result<postern_backup::Summary> {
        let encrypted = postern_crypto::encrypt_archive(&recipient, BufWriter::new(&file))
            .context("unable to start encrypting the backup")?;
        let (encrypted, summary) =
            postern_backup::back_up(&layout(&config, &args.instance.config), &store, &identity, encrypted)
                .context("unable to write the backup")?;
        encrypted.finish().context("unable to finish encrypting the backup")?;
        file.sync_all().context("unable to write the backup to disk")?;
        Ok(summary)
    })();
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&args.out);
            return Err(e);
        }
    };
    println!(
        "Backed up {} files ({} bytes) to {}, encrypted to {}.",
        summary.files,
        summary.bytes,
        args.out.display(),
        recipient.fingerprint()
    );
    Ok(())
}

/// `postern restore ARCHIVE`.
#[expect(clippy::print_stdout, reason = "the command's report to the administrator")]
pub(crate) fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let config = PosternConfig::load(&args.instance.config).context("unable to load the configuration")?;
    let checks = RestoreChecks {
        submission_key_fingerprint: submission_key_fingerprint(&config)?,
        current_instance: current_instance(&config)?,
    };
    let archive = File::open(&args.archive).context("unable to open the archive")?;
    let summary = postern_backup::restore(&layout(&config, &args.instance.config), BufReader::new(archive), &checks)
        .context("unable to restore")?;
    println!("Restored {} files ({} bytes). Start both services again.", summary.files, summary.bytes);
    Ok(())
}

/// The instance this server holds, if it holds any source or account.
fn current_instance(config: &PosternConfig) -> anyhow::Result<Option<String>> {
    let secrets = &config.instance.secrets_file;
    if !secrets.exists() || !config.instance.data_dir.join("db.sqlite").exists() {
        return Ok(None);
    }
    let store = crate::instance::open_store(config)?;
    if !store.holds_anything().context("unable to read the store")? {
        return Ok(None);
    }
    Ok(Some(crate::instance::load_secrets(secrets)?.instance_id()))
}

fn submission_key_fingerprint(config: &PosternConfig) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&config.instance.submission_key)
        .context("unable to read the submission key (instance.submission_key)")?;
    postern_crypto::key_fingerprint(&text).map_err(|p| anyhow::anyhow!("instance.submission_key: {p}"))
}

fn layout(config: &PosternConfig, config_file: &std::path::Path) -> Layout {
    Layout {
        data_dir: config.instance.data_dir.clone(),
        access: if config.instance.group_shared { DataAccess::GroupShared } else { DataAccess::Private },
        secrets_file: config.instance.secrets_file.clone(),
        tor_state_dir: config.tor.state_dir.clone(),
        devices_dir: config.tor.journalist_devices_dir.clone(),
        config_file: config_file.to_owned(),
        submission_key_file: config.instance.submission_key.clone(),
    }
}
