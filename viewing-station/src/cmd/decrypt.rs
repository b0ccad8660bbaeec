//! `svs decrypt`: submissions, replies and bulk downloads, with original names
//! restored safely.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use postern_crypto::{GzipError, SCRUB_NOTE_HEADER, ViewingKey, ViewingKeyProblem};

use crate::cli::DecryptArgs;
use crate::cmd::{Done, out_err};
use crate::output::{self, Table, escaped};
use crate::text::shown;
use crate::{SvsError, passphrase};

/// Files larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_FROM_BYTES: u64 = 16 * 1024 * 1024;
/// Most entries read from one bulk-download zip.
const MAX_ZIP_ENTRIES: usize = 100_000;

/// What a ciphertext's name says it is (SecureDrop's `N-designation-kind.gpg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Document,
    LegacyZip,
    Reply,
    Unknown,
}

impl Kind {
    fn of(name: &str) -> Self {
        if name.ends_with("-msg.gpg") {
            Self::Message
        } else if name.ends_with("-doc.gz.gpg") {
            Self::Document
        } else if name.ends_with("-doc.zip.gpg") {
            Self::LegacyZip
        } else if name.ends_with("-reply.gpg") {
            Self::Reply
        } else {
            Self::Unknown
        }
    }
}

/// One line of the result table.
struct Row {
    input: String,
    wrote: String,
    note: String,
    failed: bool,
}

pub(crate) fn run(args: &DecryptArgs, out: &mut dyn Write) -> Result<Done, SvsError> {
    let key = load_key(&args.key, args.passphrase_file.as_deref())?;
    output::ensure_dir(&args.out)?;
    let mut rows = Vec::new();
    for input in &args.inputs {
        let shown_input = shown(input);
        if input.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            decrypt_zip(&key, input, &args.out, &mut rows);
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let row = match File::open(input) {
                Ok(file) => decrypt_one(&key, file, &name, &args.out),
                Err(e) => Err(format!("cannot read it: {e}")),
            };
            rows.push(finish_row(shown_input, row));
        }
    }
    let mut table = Table::new(vec!["INPUT", "WROTE", "NOTE"]);
    let failures = rows.iter().filter(|r| r.failed).count();
    for r in rows {
        table.row(vec![r.input, r.wrote, r.note]);
    }
    table.print(out).map_err(out_err)?;
    if failures > 0 {
        writeln!(out, "{failures} input(s) could not be decrypted; see NOTE.").map_err(out_err)?;
    }
    Ok(Done::from_failures(failures))
}

fn finish_row(input: String, result: Result<(String, String), String>) -> Row {
    match result {
        Ok((wrote, note)) => Row { input, wrote, note, failed: false },
        Err(note) => Row { input, wrote: "-".to_owned(), note: format!("FAILED: {note}"), failed: true },
    }
}

fn load_key(path: &Path, passphrase_file: Option<&Path>) -> Result<ViewingKey, SvsError> {
    let data = std::fs::read(path).map_err(|cause| SvsError::KeyUnreadable { path: shown(path), cause })?;
    let mut key = ViewingKey::parse(&data).map_err(|problem| SvsError::KeyUnusable { path: shown(path), problem })?;
    if key.is_locked() {
        let prompt = format!("Passphrase for the key {}: ", key.fingerprint());
        let pass = passphrase::read(passphrase_file, &prompt)?;
        key.unlock(pass.as_bytes()).map_err(|problem| match problem {
            ViewingKeyProblem::WrongPassphrase => SvsError::WrongPassphrase { path: shown(path) },
            problem => SvsError::KeyUnusable { path: shown(path), problem },
        })?;
    }
    Ok(key)
}

/// Decrypts one ciphertext read from `file` (named `name`) into `dir`; returns
/// what it wrote and a note, or why it failed.
fn decrypt_one(key: &ViewingKey, file: File, name: &str, dir: &Path) -> Result<(String, String), String> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(size, name);
    let input = bar.wrap_read(file);
    let kind = Kind::of(name);
    let result = match kind {
        Kind::Document => decrypt_document(key, input, dir),
        _ => decrypt_plain(key, input, name, kind, dir),
    };
    bar.finish_and_clear();
    result
}

fn progress(size: u64, name: &str) -> ProgressBar {
    if size < PROGRESS_FROM_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(escaped(name));
    bar
}

/// Messages, replies, legacy zips and unknown names: the plaintext as it is.
fn decrypt_plain<R: Read + Send + Sync>(
    key: &ViewingKey,
    input: R,
    name: &str,
    kind: Kind,
    dir: &Path,
) -> Result<(String, String), String> {
    let stem = name.strip_suffix(".gpg").unwrap_or(name);
    let (out_name, note) = match kind {
        Kind::Message => (format!("{stem}.txt"), "message"),
        Kind::Reply => (format!("{stem}.txt"), "reply"),
        Kind::LegacyZip => (stem.to_owned(), "document (legacy zip, not unpacked)"),
        _ => (format!("{stem}.decrypted"), "unrecognised name; decrypted as it is"),
    };
    let (safe, _) = output::safe_name(out_name.as_bytes());
    let mut temp = output::temp_in(dir).map_err(|e| format!("cannot write to the output directory: {e}"))?;
    key.decrypt(input, &mut temp).map_err(|e| decrypt_failure(&e))?;
    let (path, renamed) = output::persist_new(temp, dir, &safe).map_err(|e| format!("cannot save it: {e}"))?;
    Ok((shown(&path), with_rename(note.to_owned(), renamed, &safe)))
}

/// Documents: decrypt and gunzip in one pass (a pipe between two threads), then
/// name the file after the sanitised original name in the gzip header.
fn decrypt_document<R: Read + Send + Sync>(key: &ViewingKey, input: R, dir: &Path) -> Result<(String, String), String> {
    let mut temp = output::temp_in(dir).map_err(|e| format!("cannot write to the output directory: {e}"))?;
    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot start decrypting: {e}"))?;
    let (decrypted, members) = std::thread::scope(|s| {
        let decrypting = s.spawn(move || key.decrypt(input, writer));
        let mut plain = BufReader::new(reader);
        let members = postern_crypto::read_gzip_members(&mut plain, &mut temp);
        if members.is_err() {
            // Let decryption finish, so its result says whether the key was right.
            let _ = std::io::copy(&mut plain, &mut std::io::sink());
        }
        drop(plain);
        let decrypted = decrypting.join();
        (decrypted, members)
    });
    if let Err(GzipError::Write(failed)) = &members {
        return Err(format!("cannot save it: {failed}"));
    }
    match decrypted {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(decrypt_failure(&e)),
        Err(_) => return Err("decryption stopped unexpectedly".to_owned()),
    }
    let members =
        members.map_err(|_| "it decrypted, but the content is not the gzip data a document should be".to_owned())?;
    let raw_name = members.first().and_then(|m| m.name.clone()).unwrap_or_else(|| b"unknown.file".to_vec());
    let (safe, changed) = output::safe_name(&raw_name);
    let mut note = "document".to_owned();
    if changed {
        note.push_str(&format!("; name made safe (was \"{}\")", escaped(&String::from_utf8_lossy(&raw_name))));
    }
    if let Some(removed) = server_scrub_note(&members) {
        note.push_str(&format!("; {removed}"));
    }
    let (path, renamed) = output::persist_new(temp, dir, &safe).map_err(|e| format!("cannot save it: {e}"))?;
    Ok((shown(&path), with_rename(note, renamed, &safe)))
}

/// What the source interface's opt-in scrub says it removed, if it ran.
fn server_scrub_note(members: &[postern_crypto::GzipMember]) -> Option<String> {
    let first = members.first()?.comment.as_deref()?;
    if first != SCRUB_NOTE_HEADER.as_bytes() {
        return None;
    }
    let last = members.last().and_then(|m| m.comment.as_deref()).filter(|_| members.len() > 1);
    Some(match last {
        Some(text) => escaped(&String::from_utf8_lossy(text)),
        None => "the server cleaned it, but its list of what was removed is missing".to_owned(),
    })
}

fn with_rename(mut note: String, renamed: bool, wanted: &str) -> String {
    if renamed {
        note.push_str(&format!("; {wanted} already existed, so it was not replaced"));
    }
    note
}

fn decrypt_failure(e: &postern_crypto::CryptoError) -> String {
    match e {
        postern_crypto::CryptoError::Sink(io) => format!("cannot save it: {io}"),
        _ => "cannot decrypt it with this key (not a submission for this key, or damaged)".to_owned(),
    }
}

/// A bulk download: every `.gpg` entry, into a folder per source.
fn decrypt_zip(key: &ViewingKey, input: &Path, out: &Path, rows: &mut Vec<Row>) {
    let shown_input = shown(input);
    let archive =
        File::open(input).map_err(|e| e.to_string()).and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
    let mut archive = match archive {
        Ok(a) => a,
        Err(e) => {
            rows.push(finish_row(shown_input, Err(format!("cannot read the zip: {e}"))));
            return;
        }
    };
    if archive.len() > MAX_ZIP_ENTRIES {
        rows.push(finish_row(shown_input, Err("the zip holds too many entries".to_owned())));
        return;
    }
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                rows.push(finish_row(format!("{shown_input} entry {i}"), Err(format!("cannot read it: {e}"))));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let raw: Vec<u8> = entry.name_raw().to_vec();
        let label = format!("{shown_input}: {}", escaped(&String::from_utf8_lossy(&raw)));
        // Empty, "." and ".." components say nothing about the source and are dropped.
        let parts: Vec<&[u8]> =
            raw.split(|b| *b == b'/' || *b == b'\\').filter(|p| !p.is_empty() && *p != b"." && *p != b"..").collect();
        let file_name = String::from_utf8_lossy(parts.last().copied().unwrap_or_default()).into_owned();
        // SecureDrop's layout: <source designation>/<N>_<date>/<file>; one folder per source.
        let dir: PathBuf = match parts.first().filter(|_| parts.len() > 1) {
            Some(folder) => out.join(output::safe_name(folder).0),
            None => out.to_path_buf(),
        };
        if !file_name.ends_with(".gpg") {
            rows.push(Row {
                input: label,
                wrote: "-".to_owned(),
                note: "skipped: not an encrypted submission".to_owned(),
                failed: false,
            });
            continue;
        }
        // The entry is copied (still encrypted) to a temporary file: decryption reads
        // from another thread, which a zip entry cannot move to.
        let result = std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", shown(&dir)))
            .and_then(|()| copy_to_temp(&mut entry, &dir))
            .and_then(|file| decrypt_one(key, file, &file_name, &dir));
        rows.push(finish_row(label, result));
    }
}

fn copy_to_temp(entry: &mut dyn Read, dir: &Path) -> Result<File, String> {
    let mut temp = tempfile::tempfile_in(dir).map_err(|e| format!("cannot write to the output directory: {e}"))?;
    std::io::copy(entry, &mut temp).map_err(|e| format!("cannot read it from the zip: {e}"))?;
    use std::io::Seek;
    temp.rewind().map_err(|e| format!("cannot read it back: {e}"))?;
    Ok(temp)
}
