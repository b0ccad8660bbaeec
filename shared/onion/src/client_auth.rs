//! Restricted discovery keys of journalist devices: x25519 key pairs whose public
//! halves sit in the service's authorised-clients directory as `<device>.auth`
//! (`descriptor:x25519:<base32>`, the format arti and C tor share).

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use data_encoding::BASE32_NOPAD;
use rand::rngs::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{OnionAddress, OnionError};

/// A device's client-authorisation key pair. `Debug` is redacted.
pub struct ClientKey {
    secret: StaticSecret,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientKey([redacted])")
    }
}

impl ClientKey {
    /// A new random key pair.
    pub fn generate() -> Self {
        Self { secret: StaticSecret::random_from_rng(OsRng) }
    }

    /// The key whose private half is [`Self::private_base32`].
    pub fn from_private_base32(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = BASE32_NOPAD.decode(text.trim().as_bytes()).ok()?.try_into().ok()?;
        Some(Self { secret: StaticSecret::from(bytes) })
    }

    /// The public half as the service stores it: `descriptor:x25519:<BASE32>`.
    pub fn public_line(&self) -> String {
        format!("descriptor:x25519:{}", BASE32_NOPAD.encode(PublicKey::from(&self.secret).as_bytes()))
    }

    /// The private half as Tor Browser asks for it: 52 base32 characters.
    pub fn private_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(self.secret.as_bytes()))
    }

    /// A line for a C tor `ClientOnionAuthDir` file (`<name>.auth_private`):
    /// `<address without .onion>:descriptor:x25519:<BASE32 private key>`.
    pub fn ctor_auth_private(&self, onion: &OnionAddress) -> Zeroizing<String> {
        let host = onion.expose().trim_end_matches(".onion");
        Zeroizing::new(format!("{host}:descriptor:x25519:{}", self.private_base32().as_str()))
    }
}

/// Checks a device name: it becomes a file name and arti's client nickname, which
/// allows lower-case letters, digits, '-' and '_', not starting with '-'.
fn device_file(dir: &Path, name: &str) -> Result<PathBuf, OnionError> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    let ok = (1..=64).contains(&name.len()) && name.bytes().all(allowed) && !name.starts_with('-');
    if !ok {
        return Err(OnionError::BadDeviceName);
    }
    Ok(dir.join(format!("{name}.auth")))
}

/// The mode of a device's `.auth` file.
const DEVICE_FILE_MODE: u32 = 0o640;

/// Authorises `key` as device `name` (replacing a device of that name). The running
/// service notices the new file and republishes its descriptor. The file is 0640: an
/// administrator writes it, and the journalist service reads it through the
/// directory's group (a public key; no secret).
pub fn authorize_client(dir: &Path, name: &str, key: &ClientKey) -> Result<(), OnionError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|cause| OnionError::Io { op: "create the authorised devices directory", cause })?;
    let path = device_file(dir, name)?;
    let temp = dir.join(format!(".{name}.auth.tmp"));
    let write = || -> std::io::Result<()> {
        // A stale temporary file would keep its old mode: start from none.
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(DEVICE_FILE_MODE).open(&temp)?;
        file.set_permissions(std::fs::Permissions::from_mode(DEVICE_FILE_MODE))?;
        writeln!(file, "{}", key.public_line())?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    };
    write().map_err(|cause| {
        let _ = std::fs::remove_file(&temp);
        OnionError::Io { op: "write an authorised device key", cause }
    })
}

/// Removes device `name`. Returns false if there was no such device.
pub fn revoke_client(dir: &Path, name: &str) -> Result<bool, OnionError> {
    match std::fs::remove_file(device_file(dir, name)?) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(cause) => Err(OnionError::Io { op: "remove an authorised device key", cause }),
    }
}

/// The authorised devices' public keys, by name (`descriptor:x25519:<BASE32>`).
/// Files that are not a valid device key are left out, with a warning.
pub(crate) fn authorized_keys(dir: &Path) -> Result<BTreeMap<String, String>, OnionError> {
    let mut keys = BTreeMap::new();
    for name in authorized_clients(dir)? {
        let Ok(path) = device_file(dir, &name) else {
            tracing::warn!("a file in the journalist devices directory is not named like a device; it is ignored");
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // Revoked meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(cause) => return Err(OnionError::Io { op: "read an authorised device key", cause }),
        };
        match parse_public_line(&text) {
            Some(line) => {
                keys.insert(name, line);
            }
            None => tracing::warn!("a journalist device file does not hold a device key; it is ignored"),
        }
    }
    Ok(keys)
}

/// A `descriptor:x25519:<BASE32>` line with a 32-byte key, trimmed.
fn parse_public_line(text: &str) -> Option<String> {
    let line = text.trim();
    let key = line.strip_prefix("descriptor:x25519:")?;
    let bytes = BASE32_NOPAD.decode(key.as_bytes()).ok()?;
    (bytes.len() == 32).then(|| line.to_owned())
}

/// The names of the authorised devices, sorted.
pub fn authorized_clients(dir: &Path) -> Result<Vec<String>, OnionError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(cause) => return Err(OnionError::Io { op: "list authorised devices", cause }),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".auth").map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_formats_tor_expects() {
        let key = ClientKey::generate();
        let public = key.public_line();
        assert!(public.starts_with("descriptor:x25519:") && public.len() == 18 + 52, "{public}");
        assert_eq!(key.private_base32().len(), 52);
        let again = ClientKey::from_private_base32(&key.private_base32()).unwrap();
        assert_eq!(again.public_line(), public);
        assert!(ClientKey::from_private_base32("not base32").is_none());
        let onion = OnionAddress(format!("{}.onion", "a".repeat(56)));
        let line = key.ctor_auth_private(&onion);
        assert!(line.starts_with(&format!("{}:descriptor:x25519:", "a".repeat(56))));
        assert_eq!(format!("{key:?}"), "ClientKey([redacted])");
    }

    #[test]
    fn devices_are_added_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let devices = dir.path().join("devices");
        authorize_client(&devices, "laptop-1", &ClientKey::generate()).unwrap();
        authorize_client(&devices, "phone", &ClientKey::generate()).unwrap();
        assert_eq!(authorized_clients(&devices).unwrap(), ["laptop-1", "phone"]);
        for bad in ["../x", "Laptop", "-x", ""] {
            assert!(matches!(authorize_client(&devices, bad, &ClientKey::generate()), Err(OnionError::BadDeviceName)));
        }
        assert!(revoke_client(&devices, "phone").unwrap());
        assert!(!revoke_client(&devices, "phone").unwrap());
        assert_eq!(authorized_clients(&devices).unwrap(), ["laptop-1"]);
        let text = std::fs::read_to_string(devices.join("laptop-1.auth")).unwrap();
        assert!(text.starts_with("descriptor:x25519:"));
        std::fs::write(devices.join("broken.auth"), "descriptor:x25519:TOOSHORT").unwrap();
        let keys = authorized_keys(&devices).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["laptop-1"], "a broken file is left out");
        assert_eq!(keys["laptop-1"], text.trim());
    }
}
