//! Sanitising the original file names of uploads, as Werkzeug's `secure_filename`.

/// Longest sanitised name we keep, in bytes (a common file-system limit).
const MAX_NAME_BYTES: usize = 255;

/// Names Windows reserves for devices: a file may not be called this.
const WINDOWS_DEVICE_NAMES: &[&str] =
    &["con", "aux", "com1", "com2", "com3", "com4", "lpt1", "lpt2", "lpt3", "prn", "nul"];

/// A safe file name for `name`, as SecureDrop stores in the gzip header:
/// path separators become spaces, runs of white space become `_`, only ASCII
/// letters, digits, `_`, `.` and `-` are kept, leading and trailing `.` and `_`
/// are removed, and Windows device names get a leading `_`. Empty results
/// become `unknown.file`. `../../bin/gpg` becomes `bin_gpg`.
pub fn secure_filename(name: &str) -> String {
    let spaced: String = name.chars().map(|c| if c == '/' || c == '\\' { ' ' } else { c }).collect();
    let joined = spaced.split_whitespace().collect::<Vec<_>>().join("_");
    let kept: String = joined.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).collect();
    let mut out = kept.trim_matches(|c| c == '.' || c == '_').to_owned();
    if out.len() > MAX_NAME_BYTES {
        // ASCII only, so any byte index is a char boundary; keep the extension.
        let ext = out.rfind('.').map(|i| out[i..].to_owned()).filter(|e| e.len() < 16).unwrap_or_default();
        out.truncate(MAX_NAME_BYTES - ext.len());
        out.push_str(&ext);
    }
    let stem = out.split('.').next().unwrap_or_default().to_ascii_lowercase();
    if WINDOWS_DEVICE_NAMES.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    if out.is_empty() { "unknown.file".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitises_like_securedrop() {
        assert_eq!(secure_filename("../../bin/gpg"), "bin_gpg");
        assert_eq!(secure_filename("My cool movie.mov"), "My_cool_movie.mov");
        assert_eq!(secure_filename("../../../etc/passwd"), "etc_passwd");
        assert_eq!(secure_filename(".hidden"), "hidden");
        assert_eq!(secure_filename("CON"), "_CON");
        assert_eq!(secure_filename("nul.txt"), "_nul.txt");
        assert_eq!(secure_filename("a\0b\nc.pdf"), "ab_c.pdf");
        assert_eq!(secure_filename("résumé\u{202e}fdp.exe"), "rsumfdp.exe");
        assert_eq!(secure_filename(""), "unknown.file");
        assert_eq!(secure_filename("///"), "unknown.file");
    }

    #[test]
    fn truncates_long_names_keeping_the_extension() {
        let long = format!("{}.pdf", "a".repeat(1000));
        let safe = secure_filename(&long);
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with(".pdf"));
    }
}
