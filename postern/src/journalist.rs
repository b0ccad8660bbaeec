//! `postern journalist add|delete|reset-password|reset-2fa`: account administration
//! from the server's shell. Passphrases are generated here and shown once.

use anyhow::{Context, bail};
use postern_config::PosternConfig;
use postern_core::RESERVED_USERNAME;
use postern_crypto::{OtpSecret, generate_password, hash_password};
use postern_store::files::write_new_file;
use postern_store::{NewJournalist, OtpKind, Store};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::cli::{DeviceCommand, JournalistArgs, JournalistCommand};

/// The name of the placeholder account that deleted journalists' replies belong to.
/// Shown as the issuer in authenticator apps.
const OTP_ISSUER: &str = "Postern";

/// What a new account's holder needs, shown once.
pub(crate) struct NewCredentials {
    pub(crate) password: Zeroizing<String>,
    pub(crate) second_factor: SecondFactor,
}

/// A second factor as the administrator must pass it on.
pub(crate) enum SecondFactor {
    /// A new TOTP secret: base32 and the `otpauth://` URI.
    Totp { secret: Zeroizing<String>, uri: Zeroizing<String> },
    /// The YubiKey HOTP secret the administrator gave.
    Hotp,
}

/// Runs a `postern journalist …` command.
pub(crate) fn run(args: &JournalistArgs) -> anyhow::Result<()> {
    let config = PosternConfig::load(&args.config).context("unable to load the configuration")?;
    if let JournalistCommand::Device(command) = &args.command {
        return device(&config, command);
    }
    let store = crate::instance::open_store(&config)?;
    match &args.command {
        JournalistCommand::Add { username, admin, hotp, passphrase_file, totp_secret_file } => {
            let from_stdin =
                [passphrase_file.as_deref().is_some_and(is_stdin), totp_secret_file.as_deref().is_some_and(is_stdin)];
            if from_stdin.iter().filter(|s| **s).count() + usize::from(*hotp && from_stdin.contains(&true)) > 1 {
                bail!(
                    "only one secret can come from standard input (--passphrase-file -, --totp-secret-file -, --hotp)"
                );
            }
            let given = Given {
                passphrase: passphrase_file.as_deref().map(read_secret_file).transpose()?,
                totp_secret: totp_secret_file.as_deref().map(read_secret_file).transpose()?,
                hotp_secret: if *hotp { Some(read_hotp_secret()?) } else { None },
            };
            let creds = add_given(&store, username, *admin, &given)?;
            say(&format!("Created journalist {username}{}.", if *admin { " (administrator)" } else { "" }));
            if given.passphrase.is_none() {
                report_password(&creds.password);
            }
            if given.totp_secret.is_none() {
                report_second_factor(&creds.second_factor);
            }
        }
        JournalistCommand::Delete { username } => {
            if !store.delete_journalist(username).context("unable to delete the journalist")? {
                bail!("there is no journalist called {username}");
            }
            say(&format!("Deleted journalist {username}. Their replies remain, attributed to a deleted account."));
        }
        JournalistCommand::ResetPassword { username } => {
            let (password, hash) = new_password()?;
            if !store.set_journalist_password(username, &hash).context("unable to set the passphrase")? {
                bail!("there is no journalist called {username}");
            }
            say(&format!("New passphrase for {username}."));
            report_password(&password);
        }
        JournalistCommand::Reset2fa { username, hotp } => {
            let hotp_secret = if *hotp { Some(read_hotp_secret()?) } else { None };
            let (kind, secret, factor) = second_factor(username, hotp_secret.as_ref().map(|s| s.as_str()))?;
            if !store.set_journalist_otp(username, kind, &secret).context("unable to set the second factor")? {
                bail!("there is no journalist called {username}");
            }
            say(&format!("New second factor for {username}."));
            report_second_factor(&factor);
        }
        JournalistCommand::Device(_) => {}
    }
    Ok(())
}

/// `postern journalist device add|revoke|list`.
fn device(config: &PosternConfig, command: &DeviceCommand) -> anyhow::Result<()> {
    let devices = &config.tor.journalist_devices_dir;
    match command {
        DeviceCommand::Add { name, key_out } => {
            let key = crate::onion::add_device(devices, name)?;
            match key_out {
                Some(path) => {
                    write_new_file(path, key.private_base32().as_bytes(), 0o600)
                        .context("unable to write the device's private key file")?;
                    say(&format!("Authorised device {name}. Its private key is in {}.", path.display()));
                }
                None => {
                    say(&format!(
                        "Authorised device {name}. Its private key (shown once; give it to the device in person):"
                    ));
                    report_device_key(&key, crate::onion::journalist_address(config).as_ref());
                }
            }
        }
        DeviceCommand::Revoke { name } => {
            if !postern_onion::revoke_client(devices, name).context("unable to revoke the device")? {
                bail!("there is no device called {name}");
            }
            say(&format!(
                "Revoked device {name}. The running service republishes its descriptor without it \
                 within a minute or two; a Tor client that already holds the old descriptor can keep \
                 reaching the introduction points until they rotate (up to about a day). If the \
                 device was lost, also reset the passphrase and 2FA of the journalists who used it."
            ));
        }
        DeviceCommand::List => {
            for name in postern_onion::authorized_clients(devices).context("unable to list devices")? {
                say(&name);
            }
        }
    }
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the administrator's one chance to read the device key")]
fn report_device_key(key: &postern_onion::ClientKey, address: Option<&postern_onion::OnionAddress>) {
    println!("  Tor Browser (paste when it asks for the onion service key): {}", key.private_base32().as_str());
    match address {
        Some(onion) => {
            println!("  C tor (a file <name>.auth_private in ClientOnionAuthDir):");
            println!("    {}", key.ctor_auth_private(onion).as_str());
            println!("  Journalist interface: http://{}/", onion.expose());
        }
        None => println!(
            "  C tor: start the journalist onion service once, then see \
             tor.state_dir/journalist/journalist-onion-address \
             for <address>; the auth_private line is <address without .onion>:descriptor:x25519:<the key above>"
        ),
    }
}

/// Secrets an administrator gave instead of having them generated.
#[derive(Default)]
pub(crate) struct Given {
    pub(crate) passphrase: Option<Zeroizing<String>>,
    pub(crate) totp_secret: Option<Zeroizing<String>>,
    pub(crate) hotp_secret: Option<Zeroizing<String>>,
}

/// Creates an account; returns its new passphrase and second-factor details.
pub(crate) fn add(
    store: &Store,
    username: &str,
    admin: bool,
    hotp_secret: Option<&str>,
) -> anyhow::Result<NewCredentials> {
    let given = Given { hotp_secret: hotp_secret.map(|s| Zeroizing::new(s.to_owned())), ..Given::default() };
    add_given(store, username, admin, &given)
}

/// Creates an account with the secrets given, generating the others.
pub(crate) fn add_given(store: &Store, username: &str, admin: bool, given: &Given) -> anyhow::Result<NewCredentials> {
    check_username(username)?;
    let (otp_kind, otp_secret, second_factor) = match &given.totp_secret {
        Some(b32) => {
            let secret = OtpSecret::from_base32(b32.trim()).context("the TOTP secret")?;
            let shown = SecondFactor::Totp { secret: secret.to_base32(), uri: secret.totp_uri(OTP_ISSUER, username) };
            (OtpKind::Totp, secret.to_base32(), shown)
        }
        None => second_factor(username, given.hotp_secret.as_ref().map(|s| s.as_str()))?,
    };
    let (password, password_hash) = match &given.passphrase {
        Some(p) => {
            if !postern_crypto::is_acceptable_password(p) {
                bail!("a passphrase has 14 to 128 characters and at least 7 words");
            }
            let hash = hash_password(&mut OsRng, p).context("unable to hash the passphrase")?;
            (p.clone(), hash)
        }
        None => new_password()?,
    };
    let new =
        NewJournalist { username, password_hash: &password_hash, is_admin: admin, otp_kind, otp_secret: &otp_secret };
    match store.create_journalist(&new) {
        Err(postern_store::StoreError::UsernameTaken) => bail!("the user name {username} is taken; choose another"),
        other => other.context("unable to create the journalist")?,
    };
    Ok(NewCredentials { password, second_factor })
}

/// A generated passphrase and its hash.
fn new_password() -> anyhow::Result<(Zeroizing<String>, String)> {
    let password = generate_password(&mut OsRng);
    let hash = hash_password(&mut OsRng, &password).context("unable to hash the passphrase")?;
    Ok((password, hash))
}

/// A new TOTP secret, or the given YubiKey HOTP secret: (kind, base32 to store, what to show).
fn second_factor(
    username: &str,
    hotp_secret: Option<&str>,
) -> anyhow::Result<(OtpKind, Zeroizing<String>, SecondFactor)> {
    match hotp_secret {
        Some(hex) => {
            let secret = OtpSecret::from_hex(hex).context("the HOTP secret")?;
            Ok((OtpKind::Hotp, secret.to_base32(), SecondFactor::Hotp))
        }
        None => {
            let secret = OtpSecret::generate(&mut OsRng);
            let shown = SecondFactor::Totp { secret: secret.to_base32(), uri: secret.totp_uri(OTP_ISSUER, username) };
            Ok((OtpKind::Totp, secret.to_base32(), shown))
        }
    }
}

/// The YubiKey's HOTP secret: asked for without echo on a terminal, else the first line
/// of standard input. Never an argument, which shell history and `/proc` would keep.
fn read_hotp_secret() -> anyhow::Result<Zeroizing<String>> {
    use std::io::{BufRead, IsTerminal};
    let text = if std::io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password("YubiKey HOTP secret (40 hex digits): ")
                .context("unable to read the HOTP secret from the terminal")?,
        )
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line).context("unable to read the HOTP secret from standard input")?;
        line
    };
    Ok(Zeroizing::new(text.trim().to_owned()))
}

fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// A secret from a file, or from standard input for `-`, without its final newline.
fn read_secret_file(path: &std::path::Path) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    if is_stdin(path) {
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .context("unable to read a secret from standard input")?;
    } else {
        let mut file = std::fs::File::open(path).with_context(|| format!("unable to open {}", path.display()))?;
        std::io::Read::read_to_string(&mut file, &mut text)
            .with_context(|| format!("unable to read {}", path.display()))?;
    }
    Ok(Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_owned()))
}

fn check_username(username: &str) -> anyhow::Result<()> {
    if username.eq_ignore_ascii_case(RESERVED_USERNAME) {
        bail!("the user name {RESERVED_USERNAME} is reserved");
    }
    if !postern_core::is_valid_username(username) {
        bail!("a user name has 3 to 64 characters: letters, digits, '.', '_' or '-'");
    }
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the administrator's one chance to read the new passphrase")]
fn report_password(password: &str) {
    println!("Passphrase (shown once; hand it over in person):");
    println!("  {password}");
}

#[expect(clippy::print_stdout, reason = "the administrator's one chance to read the new secret")]
fn report_second_factor(factor: &SecondFactor) {
    match factor {
        SecondFactor::Totp { secret, uri } => {
            println!("Two-factor authentication (TOTP): enter this secret in an authenticator app,");
            println!("  {}", grouped(secret));
            println!("or open this URI on the phone:");
            println!("  {}", uri.as_str());
        }
        SecondFactor::Hotp => {
            println!("Two-factor authentication: the HOTP (YubiKey) secret given is set; its counter starts at 0.");
        }
    }
}

#[expect(clippy::print_stdout, reason = "the command's report")]
fn say(line: &str) {
    println!("{line}");
}

/// A secret in groups of four, as authenticator apps show them.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}
