//! Writing results safely: names made safe, nothing ever replaced, tables.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::SvsError;
pub(crate) use crate::text::escaped;
use crate::text::shown;

/// A safe file name for a name found inside a file (a gzip header, a zip entry):
/// no path separators, control or non-ASCII characters, no leading dot, no device
/// names, at most 255 bytes. The second value says whether it had to change.
pub(crate) fn safe_name(raw: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(raw);
    let safe = postern_core::secure_filename(&text);
    let changed = safe != text;
    (safe, changed)
}

/// Creates `dir` (and parents) if it is missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), SvsError> {
    std::fs::create_dir_all(dir).map_err(|cause| SvsError::OutputDir { path: shown(dir), cause })
}

/// A temporary file in `dir`, to be moved to its final name with [`persist_new`].
pub(crate) fn temp_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new().prefix(".svs-partial-").tempfile_in(dir)
}

/// Moves `temp` to `dir/name`, or, if that exists, to `dir/stem (2).ext`, `(3)`…;
/// never replaces a file. Returns the path written and whether it was renamed.
pub(crate) fn persist_new(temp: NamedTempFile, dir: &Path, name: &str) -> std::io::Result<(PathBuf, bool)> {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut temp = temp;
    for n in 1..10_000u32 {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            // Keep within the 255-byte name limit (names here are ASCII: any cut is a char boundary).
            let suffix = format!(" ({n}){ext}");
            let keep = stem.len().min(255usize.saturating_sub(suffix.len()));
            format!("{}{suffix}", stem.get(..keep).unwrap_or(stem))
        };
        let path = dir.join(&candidate);
        match temp.persist_noclobber(&path) {
            Ok(_) => return Ok((path, n > 1)),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(e.error),
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "too many files with this name"))
}

/// Rows printed with aligned columns.
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: Vec<&'static str>) -> Self {
        Self { header, rows: Vec::new() }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut line = |cells: Vec<&str>| -> std::io::Result<()> {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 < columns {
                    text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
                } else {
                    text.push_str(cell);
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(self.header.clone())?;
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_end_safe() {
        let cases: &[(&[u8], &str)] = &[
            (b"../../etc/passwd", "etc_passwd"),
            (b"a\0b.txt", "ab.txt"),
            (b"line\nbreak.pdf", "line_break.pdf"),
            (b"CON", "_CON"),
            (b"con.txt", "_con.txt"),
            (b".bashrc", "bashrc"),
            (b"..", "unknown.file"),
            ("invoice\u{202e}fdp.exe".as_bytes(), "invoicefdp.exe"),
            (b"/abs/path/x.jpg", "abs_path_x.jpg"),
            (b"C:\\Users\\x.doc", "C_Users_x.doc"),
        ];
        for (raw, want) in cases {
            let (safe, changed) = safe_name(raw);
            assert_eq!(safe, *want, "{raw:?}");
            assert!(changed);
        }
        let long = format!("{}.pdf", "x".repeat(5000));
        let (safe, _) = safe_name(long.as_bytes());
        assert!(safe.len() <= 255 && safe.ends_with(".pdf"));
        assert_eq!(safe_name(b"report.pdf"), ("report.pdf".to_owned(), false));
    }

    #[test]
    fn never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "original").unwrap();
        let mut t = temp_in(dir.path()).unwrap();
        t.write_all(b"new").unwrap();
        let (path, renamed) = persist_new(t, dir.path(), "a.txt").unwrap();
        assert!(renamed);
        assert_eq!(path.file_name().unwrap(), "a (2).txt");
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "original");
    }

    #[test]
    fn renamed_copies_of_the_longest_names_still_fit() {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("{}.txt", "x".repeat(251));
        for _ in 0..2 {
            let t = temp_in(dir.path()).unwrap();
            let (path, _) = persist_new(t, dir.path(), &name).unwrap();
            assert!(path.file_name().unwrap().len() <= 255);
        }
    }

    #[test]
    fn escapes_what_would_fool_a_terminal() {
        assert_eq!(escaped("a\u{1b}[2Jb\u{202e}c"), "a\\u{1b}[2Jb\\u{202e}c");
    }
}
