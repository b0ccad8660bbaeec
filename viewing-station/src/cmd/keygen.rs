//! `svs keygen`: the newsroom's submission key pair.

use std::io::Write;

use crate::cli::KeygenArgs;
use crate::cmd::{Done, out_err};
use crate::text::shown;
use crate::{SvsError, output, passphrase};

const SECRET_FILE: &str = "submission-secret.asc";
const PUBLIC_FILE: &str = "submission-public.asc";

pub(crate) fn run(args: &KeygenArgs, out: &mut dyn Write) -> Result<Done, SvsError> {
    output::ensure_dir(&args.out)?;
    for name in [SECRET_FILE, PUBLIC_FILE] {
        let path = args.out.join(name);
        if path.exists() {
            return Err(SvsError::WouldOverwrite { path: shown(&path) });
        }
    }
    let pass = passphrase::new(args.passphrase_file.as_deref())?;
    let pair = postern_crypto::generate_protected_key_pair(&args.name, args.modern, pass.as_bytes())
        .map_err(SvsError::Keygen)?;
    write_new(&args.out, SECRET_FILE, &pair.secret_armored, 0o600)?;
    write_new(&args.out, PUBLIC_FILE, &pair.public_armored, 0o644)?;
    let kind = if args.modern { "RFC 9580 (v6), for newer OpenPGP tools" } else { "OpenPGP v4, readable by GnuPG 2.2" };
    writeln!(
        out,
        "Created a submission key pair ({kind}).\n\
         Fingerprint: {fpr}\n\
         Secret key:  {secret} (protected by your passphrase; keep it on the viewing station only)\n\
         Public key:  {public} (for the server: postern init --dir DIR --submission-key {public_name})",
        fpr = pair.fingerprint,
        secret = shown(&args.out.join(SECRET_FILE)),
        public = shown(&args.out.join(PUBLIC_FILE)),
        public_name = PUBLIC_FILE,
    )
    .map_err(out_err)?;
    Ok(Done::All)
}

fn write_new(dir: &std::path::Path, name: &str, text: &str, mode: u32) -> Result<(), SvsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let failed = |cause| SvsError::Write { path: shown(&path), cause };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&path).map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}
