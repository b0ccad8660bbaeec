//! The archive's namespace: which paths a backup writes, and what each one is. A
//! restore takes nothing else: no absolute paths, no `..`, no links, no surprises.

/// What an archive member is, by its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Member<'a> {
    /// `data/db.sqlite`: the database snapshot.
    Database,
    /// `data/logo.png`: the instance logo.
    Logo,
    /// `data/store/DIR` (a directory): one source's directory.
    SourceDir(&'a str),
    /// `data/store/DIR/FILE`: a ciphertext.
    Ciphertext(&'a str, &'a str),
    /// `secrets/instance-secrets.toml`.
    Secrets,
    /// `tor/ROLE/…`: an onion service role's state and keys (a file or a directory;
    /// the rest of the path is relative to the role's directory, empty for itself).
    Tor(&'a str, &'a str),
    /// `devices/NAME.auth`: an authorised journalist device.
    Device(&'a str),
    /// `config/…`: for the administrator's reference only.
    Config,
    /// `manifest.json`, the last member.
    Manifest,
}

pub(crate) const DATABASE: &str = "data/db.sqlite";
pub(crate) const LOGO: &str = "data/logo.png";
pub(crate) const STORE: &str = "data/store";
pub(crate) const SECRETS: &str = "secrets/instance-secrets.toml";
pub(crate) const TOR: &str = "tor";
pub(crate) const DEVICES: &str = "devices";
pub(crate) const CONFIG_FILE: &str = "config/postern.toml";
pub(crate) const SUBMISSION_KEY: &str = "config/submission-key.asc";
/// The directory of each role's state that a backup leaves out: arti rebuilds it.
pub(crate) const TOR_CACHE: &str = "cache";
/// How deep a role's state may nest (arti's keystore is a few levels deep).
const MAX_TOR_DEPTH: usize = 8;

/// A file or directory name we write and accept: no leading dot (no `.`, `..` or
/// hidden leftovers), nothing a shell or a file system treats specially.
pub(crate) fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
}

/// What `path` is, if it is a member a backup writes (directories as `is_dir`).
pub(crate) fn classify(path: &str, is_dir: bool) -> Option<Member<'_>> {
    let path = if is_dir { path.strip_suffix('/').unwrap_or(path) } else { path };
    let parts: Vec<&str> = path.split('/').collect();
    if !parts.iter().all(|p| is_safe_name(p)) {
        return None;
    }
    let member = match (parts.as_slice(), is_dir) {
        (["manifest.json"], false) => Member::Manifest,
        (["data", "db.sqlite"], false) => Member::Database,
        (["data", "logo.png"], false) => Member::Logo,
        (["data", "store", dir], true) => Member::SourceDir(dir),
        (["data", "store", dir, file], false) => Member::Ciphertext(dir, file),
        (["secrets", "instance-secrets.toml"], false) => Member::Secrets,
        (["config", "postern.toml" | "submission-key.asc"], false) => Member::Config,
        (["devices", name], false) if name.ends_with(".auth") => Member::Device(name),
        (["tor", role, rest @ ..], _) if rest.len() < MAX_TOR_DEPTH && rest.first() != Some(&TOR_CACHE) => {
            let start = TOR.len() + 1 + role.len();
            Member::Tor(role, path.get(start..).map_or("", |r| r.trim_start_matches('/')))
        }
        _ => return None,
    };
    Some(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_backup_writes_is_recognised() {
        assert_eq!(classify(DATABASE, false), Some(Member::Database));
        assert_eq!(classify("data/store/ab12/", true), Some(Member::SourceDir("ab12")));
        assert_eq!(classify("data/store/ab12/1-x-msg.gpg", false), Some(Member::Ciphertext("ab12", "1-x-msg.gpg")));
        assert_eq!(classify("tor/source", true), Some(Member::Tor("source", "")));
        assert_eq!(classify("tor/source/state/keystore/k.x", false), Some(Member::Tor("source", "state/keystore/k.x")));
        assert_eq!(classify("devices/laptop.auth", false), Some(Member::Device("laptop.auth")));
        assert_eq!(classify(SECRETS, false), Some(Member::Secrets));
        assert_eq!(classify(CONFIG_FILE, false), Some(Member::Config));
    }

    #[test]
    fn anything_else_is_refused() {
        for (path, is_dir) in [
            ("/etc/passwd", false),
            ("../x", false),
            ("data/../../etc/shadow", false),
            ("data/store/ab12/../../db.sqlite", false),
            ("data/store/.tmp-x", false),
            ("data/store/ab12/.tmp-x", false),
            ("data/db.sqlite", true),
            ("data/store/ab12", false),
            ("data/store/a/b/c", false),
            ("data/db.sqlite-wal", false),
            ("secrets/other.toml", false),
            ("tor/source/cache/x", false),
            ("tor/a/b/c/d/e/f/g/h/i", false),
            ("devices/laptop.key", false),
            ("data//db.sqlite", false),
            ("elsewhere", false),
            ("data/store/ab 12", true),
        ] {
            assert_eq!(classify(path, is_dir), None, "{path}");
        }
    }
}
