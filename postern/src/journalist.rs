//! `postern journalist add|delete|reset-password|reset-2fa`: account administration
//! from the server's shell. Passphrases are generated here and shown once.

use std::path::Path;

use anyhow::{Context, bail};
use postern_core::PosternConfig;
use postern_crypto::{OtpSecret, generate_password, hash_password};
use postern_store::{NewJournalist, OtpKind, Store};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::cli::{JournalistArgs, JournalistCommand};

/// The name of the placeholder account that deleted journalists' replies belong to.
const RESERVED_USERNAME: &str = "deleted";
/// Shown as the issuer in authenticator apps.
const OTP_ISSUER: &str = "Postern";

/// What a new account's holder needs, shown once.
pub(crate) struct NewCredentials {
    pub(crate) password: Zeroizing<String>,
    /// Base32 TOTP secret (None for HOTP).
    pub(crate) totp_secret: Option<Zeroizing<String>>,
    pub(crate) totp_uri: Option<Zeroizing<String>>,
}

/// Runs a `postern journalist …` command.
pub(crate) fn run(args: &JournalistArgs) -> anyhow::Result<()> {
    let config = PosternConfig::load(&args.config).context("unable to load the configuration")?;
    let store = open_store(&config.instance.data_dir)?;
    match &args.command {
        JournalistCommand::Add { username, admin, hotp_secret } => {
            let creds = add(&store, username, *admin, hotp_secret.as_deref())?;
            report(&format!("Created journalist {username}{}.", if *admin { " (administrator)" } else { "" }), &creds);
        }
        JournalistCommand::Delete { username } => {
            if !store.delete_journalist(username).context("unable to delete the journalist")? {
                bail!("there is no journalist called {username}");
            }
            say(&format!("Deleted journalist {username}. Their replies remain, attributed to a deleted account."));
        }
        JournalistCommand::ResetPassword { username } => {
            let password = generate_password(&mut OsRng);
            let hash = hash_password(&mut OsRng, &password).context("unable to hash the passphrase")?;
            if !store.set_journalist_password(username, &hash).context("unable to set the passphrase")? {
                bail!("there is no journalist called {username}");
            }
            report(
                &format!("New passphrase for {username}."),
                &NewCredentials { password, totp_secret: None, totp_uri: None },
            );
        }
        JournalistCommand::Reset2fa { username, hotp_secret } => {
            let (kind, secret, creds) = second_factor(username, hotp_secret.as_deref())?;
            if !store.set_journalist_otp(username, kind, &secret).context("unable to set the second factor")? {
                bail!("there is no journalist called {username}");
            }
            report(&format!("New second factor for {username}."), &creds);
        }
    }
    Ok(())
}

fn open_store(data_dir: &Path) -> anyhow::Result<Store> {
    Store::open(data_dir).context("unable to open the store (instance.data_dir)")
}

/// Creates an account; returns its new passphrase and second-factor details.
pub(crate) fn add(
    store: &Store,
    username: &str,
    admin: bool,
    hotp_secret: Option<&str>,
) -> anyhow::Result<NewCredentials> {
    check_username(username)?;
    let (otp_kind, otp_secret, creds) = second_factor(username, hotp_secret)?;
    let password_hash = hash_password(&mut OsRng, &creds.password).context("unable to hash the passphrase")?;
    let new =
        NewJournalist { username, password_hash: &password_hash, is_admin: admin, otp_kind, otp_secret: &otp_secret };
    match store.create_journalist(&new) {
        Err(postern_store::StoreError::UsernameTaken) => bail!("the user name {username} is taken; choose another"),
        other => other.context("unable to create the journalist")?,
    };
    Ok(creds)
}

/// A new passphrase plus a TOTP secret, or the given YubiKey HOTP secret.
fn second_factor(
    username: &str,
    hotp_secret: Option<&str>,
) -> anyhow::Result<(OtpKind, Zeroizing<String>, NewCredentials)> {
    let password = generate_password(&mut OsRng);
    match hotp_secret {
        Some(hex) => {
            let secret = OtpSecret::from_hex(hex).context("--hotp-secret")?;
            Ok((OtpKind::Hotp, secret.to_base32(), NewCredentials { password, totp_secret: None, totp_uri: None }))
        }
        None => {
            let secret = OtpSecret::generate(&mut OsRng);
            let creds = NewCredentials {
                password,
                totp_secret: Some(secret.to_base32()),
                totp_uri: Some(secret.totp_uri(OTP_ISSUER, username)),
            };
            Ok((OtpKind::Totp, secret.to_base32(), creds))
        }
    }
}

fn check_username(username: &str) -> anyhow::Result<()> {
    let ok_chars = username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !(3..=64).contains(&username.len()) || !ok_chars {
        bail!("a user name has 3 to 64 characters: letters, digits, '.', '_' or '-'");
    }
    if username.eq_ignore_ascii_case(RESERVED_USERNAME) {
        bail!("the user name {RESERVED_USERNAME} is reserved");
    }
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the administrator's one chance to read the new credentials")]
fn report(headline: &str, creds: &NewCredentials) {
    println!("{headline}");
    println!("Passphrase (shown once; hand it over in person):");
    println!("  {}", creds.password.as_str());
    match (&creds.totp_secret, &creds.totp_uri) {
        (Some(secret), Some(uri)) => {
            println!("Two-factor authentication (TOTP): enter this secret in an authenticator app,");
            println!("  {}", grouped(secret));
            println!("or open this URI on the phone:");
            println!("  {}", uri.as_str());
        }
        _ => println!("Two-factor authentication: the HOTP (YubiKey) secret given is set; its counter starts at 0."),
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
