//! `postern demo`: a complete throwaway instance on loopback.

use std::path::{Path, PathBuf};

use anyhow::Context;
use postern_config::PosternConfig;
use postern_crypto::generate_submission_key_pair;
use postern_store::files::{replace_file, write_new_file};

use crate::cli::DemoArgs;
use crate::init::{CONFIG_FILE, create_instance};
use crate::instance::{init_logging, journalist_state, source_state};
use crate::serve::{bind_all, purge_pending_daily, run_async, serve_all_until_ctrl_c};

const SECRET_KEY_FILE: &str = "submission-secret.asc";

/// `postern demo [--dir DIR] [--source-addr ADDR] [--journalist-addr ADDR]`.
pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).context("unable to create the demo directory")?;
    let dir = args.dir.canonicalize().context("unable to resolve the demo directory")?;
    if !dir.join(CONFIG_FILE).exists() {
        let pair = generate_submission_key_pair("Postern demo submission key <demo@postern.invalid>", false)
            .context("unable to generate the demo submission key")?;
        write_new_file(&dir.join(SECRET_KEY_FILE), pair.secret_armored.as_bytes(), 0o600)
            .context("unable to write the demo secret key")?;
        let config = create_instance(&dir, &pair.public_armored, &args.source_addr.to_string(), false)?;
        create_demo_journalist(&dir, &config)?;
    }
    if args.sample_data {
        let config = PosternConfig::load(&dir.join(CONFIG_FILE)).context("unable to load the demo configuration")?;
        let made = crate::sample::fill(&config, DEMO_JOURNALIST)?;
        if !made.is_empty() {
            let text = serde_json::to_string_pretty(&made).context("unable to write the sample sources")?;
            replace_file(&crate::sample::facts_file(&dir), text.as_bytes(), 0o600)
                .context("unable to write the sample sources")?;
        }
    }
    let mut config = crate::serve::load_config(&dir.join(CONFIG_FILE), args.tor_network.as_deref())?;
    config.source.listen = vec![args.source_addr];
    config.journalist.listen = vec![args.journalist_addr];
    config.source.onion.enabled = args.onion;
    config.journalist.onion.enabled = args.onion;
    init_logging(&config.logging.level);
    run_async(async {
        let (state, store) = source_state(&config)?;
        let newsroom = journalist_state(&config, std::sync::Arc::clone(&store), false);
        let listeners = bind_all(&config.source.listen).await?;
        let journalist_listeners = bind_all(&config.journalist.listen).await?;
        tokio::spawn(purge_pending_daily(store));
        let url = |l: &tokio::net::TcpListener| -> anyhow::Result<String> {
            Ok(format!("http://{}/", l.local_addr().context("unable to read the bound address")?))
        };
        let source_url = url(&listeners[0])?;
        let journalist_url = url(&journalist_listeners[0])?;
        let source_router = source_interface::router(state.clone());
        let journalist_router = journalist_interface::router(newsroom.clone());
        let mut onion_facts = serde_json::Map::new();
        let mut _onion = None;
        if args.onion {
            let device = demo_device(&dir, &config)?;
            let tor = crate::onion::start(&config, "demo")?;
            let source = crate::onion::launch_source(&tor, &config, source_router.clone())?;
            let journalist = crate::onion::launch_journalist(&tor, &config, journalist_router.clone())?;
            state.set_v3_source_url(source.address().expose());
            newsroom.set_onion_address(journalist.address().expose());
            crate::serve::announce_source_onion(source.address());
            onion_facts.insert("source_onion".into(), source.address().expose().into());
            onion_facts.insert("journalist_onion".into(), journalist.address().expose().into());
            onion_facts.insert("journalist_device".into(), DEMO_DEVICE.into());
            onion_facts.insert("journalist_device_key".into(), device.private_base32().as_str().into());
            let auth = device.ctor_auth_private(journalist.address());
            onion_facts.insert("journalist_device_auth_private".into(), auth.as_str().into());
            _onion = Some((tor, source, journalist));
        }
        let facts = write_demo_json(&dir, &config, &source_url, &journalist_url, onion_facts)?;
        announce(&dir, &source_url, &journalist_url, &facts);
        serve_all_until_ctrl_c(vec![(listeners, source_router), (journalist_listeners, journalist_router)]).await
    })
}

/// The demo's journalist device, authorised for the journalist onion service; its
/// private key is kept (0600) for demo.json.
const DEMO_DEVICE: &str = "demo-device";
const DEMO_DEVICE_KEY_FILE: &str = "demo-device.key";

fn demo_device(dir: &Path, config: &PosternConfig) -> anyhow::Result<postern_onion::ClientKey> {
    let file = dir.join(DEMO_DEVICE_KEY_FILE);
    let kept = std::fs::read_to_string(&file).ok();
    if let Some(key) = kept.and_then(|t| postern_onion::ClientKey::from_private_base32(&t)) {
        // Authorised again in case its key file was removed.
        postern_onion::authorize_client(&config.tor.journalist_devices_dir, DEMO_DEVICE, &key)
            .context("unable to authorise the demo device")?;
        return Ok(key);
    }
    let key = crate::onion::add_device(&config.tor.journalist_devices_dir, DEMO_DEVICE)?;
    replace_file(&file, key.private_base32().as_bytes(), 0o600).context("unable to keep the demo device key")?;
    Ok(key)
}

/// The demo's journalist account; its credentials are kept (0600) for demo.json.
const DEMO_JOURNALIST: &str = "journalist";
const DEMO_JOURNALIST_FILE: &str = "demo-journalist.json";

fn create_demo_journalist(dir: &Path, config_path: &Path) -> anyhow::Result<()> {
    let config = PosternConfig::load(config_path).context("unable to load the demo configuration")?;
    let store = crate::instance::open_store(&config)?;
    let creds = crate::journalist::add(&store, DEMO_JOURNALIST, true, None)?;
    let facts = serde_json::json!({
        "journalist_username": DEMO_JOURNALIST,
        "journalist_password": creds.password.as_str(),
        "journalist_totp_secret": match &creds.second_factor {
            crate::journalist::SecondFactor::Totp { secret, .. } => Some(secret.as_str()),
            crate::journalist::SecondFactor::Hotp => None,
        },
    });
    write_new_file(&dir.join(DEMO_JOURNALIST_FILE), facts.to_string().as_bytes(), 0o600)
        .context("unable to write the demo journalist's credentials")
}

/// Writes `DIR/demo.json`, the demo's facts for people and scripts.
fn write_demo_json(
    dir: &Path,
    config: &PosternConfig,
    source_url: &str,
    journalist_url: &str,
    onion: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<PathBuf> {
    let mut facts = serde_json::json!({
        "source_url": source_url,
        "journalist_url": journalist_url,
        "submission_secret_key": dir.join(SECRET_KEY_FILE),
        "submission_public_key": config.instance.submission_key,
        "data_dir": config.instance.data_dir,
        "store_dir": config.instance.data_dir.join("store"),
        "config": dir.join(CONFIG_FILE),
    });
    if let Some(all) = facts.as_object_mut() {
        all.extend(onion);
    }
    // Demo instances made before journalists existed have no such file.
    if let Ok(text) = std::fs::read_to_string(dir.join(DEMO_JOURNALIST_FILE)) {
        let journalist: serde_json::Value = serde_json::from_str(&text).context("demo-journalist.json")?;
        if let (Some(all), Some(extra)) = (facts.as_object_mut(), journalist.as_object()) {
            all.extend(extra.clone());
        }
    }
    if let Ok(text) = std::fs::read_to_string(crate::sample::facts_file(dir)) {
        let sources: serde_json::Value = serde_json::from_str(&text).context("demo-sources.json")?;
        if let Some(all) = facts.as_object_mut() {
            all.insert("sample_sources".into(), sources);
        }
    }
    let path = dir.join("demo.json");
    let text = serde_json::to_string_pretty(&facts).context("unable to write demo.json")?;
    replace_file(&path, text.as_bytes(), 0o600).context("unable to write demo.json")?;
    Ok(path)
}

#[expect(clippy::print_stdout, reason = "the demo's instructions to the person running it")]
fn announce(dir: &Path, source_url: &str, journalist_url: &str, facts: &Path) {
    let secret = dir.join(SECRET_KEY_FILE);
    println!("Postern demo instance in {}", dir.display());
    println!("  Source interface:       {source_url}");
    println!("  Journalist interface:   {journalist_url}");
    println!("    log in as \"{DEMO_JOURNALIST}\"; passphrase and TOTP secret are in demo.json");
    println!("  Submission secret key:  {}", secret.display());
    println!("  Encrypted submissions:  {}", dir.join("data/store").display());
    println!("  Facts for scripts:      {}", facts.display());
    println!("Decrypt a submission with GnuPG:");
    println!("  export GNUPGHOME=$(mktemp -d); gpg --import {}", secret.display());
    println!("  gpg -d N-designation-msg.gpg");
    println!("  gpg -d N-designation-doc.gz.gpg > doc.gz && gunzip -N doc.gz   # restores the original name");
    println!("Press Ctrl-C to stop.");
}
