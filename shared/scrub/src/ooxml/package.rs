//! The zip package: opening it within the member and size limits, part names and
//! relationship targets, the parts the package relationships name, and writing members.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read, Seek, Write};

use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::{Category, Format, NotCleaned, ScrubError};

use super::Dropped;
use super::xml::{Item, attr, walk_xml};

const MAX_MEMBERS: usize = 10_000;
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

pub(super) fn write_member<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(), ScrubError> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    zip.start_file(name, options).map_err(|error| zip_error(error, format))?;
    zip.write_all(bytes)?;
    Ok(())
}

pub(super) fn zip_error(error: ZipError, format: Format) -> ScrubError {
    match error {
        ZipError::Io(error) => ScrubError::Io(error),
        _ => ScrubError::malformed(format, "the cleaned archive could not be written"),
    }
}

/// The zip, its member names and the decompression budget.
pub(super) struct Package<'d> {
    archive: ZipArchive<Cursor<&'d [u8]>>,
    /// Member names as stored.
    pub(super) names: Vec<String>,
    /// The same as part names (`part_key`).
    pub(super) keys: Vec<String>,
    pub(super) format: Format,
    /// Bytes that may still be decompressed.
    budget: u64,
}

impl<'d> Package<'d> {
    pub(super) fn open(data: &'d [u8], format: Format) -> Result<Self, ScrubError> {
        // Checked before the zip crate allocates for every declared member.
        match declared_members(data) {
            Some(count) if count <= MAX_MEMBERS as u64 => {}
            Some(_) => return Err(ScrubError::malformed(format, "it has more than 10,000 parts")),
            None => return Err(ScrubError::malformed(format, "its zip directory could not be found")),
        }
        let archive = ZipArchive::new(Cursor::new(data))
            .map_err(|_| ScrubError::malformed(format, "its zip directory could not be read"))?;
        if archive.len() > MAX_MEMBERS {
            return Err(ScrubError::malformed(format, "it has more than 10,000 parts"));
        }
        let mut names = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let name = match archive.name_for_index(index) {
                Some(Ok(name)) => name.into_owned(),
                _ => return Err(ScrubError::malformed(format, "a part name could not be read")),
            };
            if !safe_name(&name) {
                return Err(ScrubError::malformed(format, "a part name points outside the document"));
            }
            names.push(name);
        }
        let keys: Vec<String> = names.iter().map(|name| part_key(name)).collect();
        // Part names are case-insensitive: two members for one part would be read differently
        // by different programs.
        let distinct: HashSet<&String> = keys.iter().collect();
        if archive.has_duplicate_names() || distinct.len() != keys.len() {
            return Err(ScrubError::malformed(format, "two parts have the same name"));
        }
        Ok(Self { archive, names, keys, format, budget: MAX_TOTAL_BYTES })
    }

    pub(super) fn index_of(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|candidate| candidate == key)
    }

    /// A member's content, within the per-member and total limits.
    pub(super) fn read(&mut self, index: usize) -> Result<Vec<u8>, ScrubError> {
        let format = self.format;
        let limit = MAX_MEMBER_BYTES.min(self.budget);
        let file = match self.archive.by_index(index) {
            Ok(file) => file,
            Err(ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED)) => return Err(NotCleaned::Encrypted.into()),
            Err(_) => return Err(ScrubError::malformed(format, "a part could not be opened")),
        };
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|_| ScrubError::malformed(format, "a part could not be decompressed"))?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if len > limit {
            let limit_mib = if limit < MAX_MEMBER_BYTES { MAX_TOTAL_BYTES >> 20 } else { MAX_MEMBER_BYTES >> 20 };
            return Err(NotCleaned::TooLarge { limit_mib }.into());
        }
        self.budget = self.budget.saturating_sub(len);
        Ok(bytes)
    }
}

/// The member count the end-of-directory record declares (zip64 included).
fn declared_members(data: &[u8]) -> Option<u64> {
    let tail = data.get(data.len().saturating_sub(22 + 0xFFFF)..)?;
    let at = tail.windows(4).rposition(|window| window == b"PK\x05\x06")?;
    let record = tail.get(at..)?;
    let total = u16::from_le_bytes([*record.get(10)?, *record.get(11)?]);
    if total != u16::MAX {
        return Some(u64::from(total));
    }
    // Zip64: a locator just before the record points at the zip64 record with the real count.
    let locator = tail.get(at.checked_sub(20)?..at)?;
    if locator.get(..4)? != b"PK\x06\x07" {
        return Some(u64::from(total));
    }
    let offset = usize::try_from(u64::from_le_bytes(locator.get(8..16)?.try_into().ok()?)).ok()?;
    let record = data.get(offset..)?;
    if record.get(..4)? != b"PK\x06\x06" {
        return None;
    }
    Some(u64::from_le_bytes(record.get(32..40)?.try_into().ok()?))
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.starts_with('\\')
        && !name.contains('\0')
        && name.split(['/', '\\']).all(|part| part != "..")
}

/// A member name as a part name: percent-decoded, `.` and empty segments removed, lower case
/// (part names are case-insensitive).
fn part_key(name: &str) -> String {
    resolve_target("", name)
}

/// A relationship target resolved against `base` (the source part's directory, `""` for the
/// package root), as a part name.
pub(super) fn resolve_target(base: &str, target: &str) -> String {
    let target = percent_decode(target.split(['#', '?']).next().unwrap_or_default());
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("{base}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/").to_ascii_lowercase()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = bytes
            .get(at + 1..at + 3)
            .filter(|_| byte == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                at += 3;
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// For a relationships part: its source part (`""` for the package) and the directory its
/// relative targets start from.
pub(super) fn rels_source(key: &str) -> Option<(String, String)> {
    let (dir, file) = match key.strip_prefix("_rels/") {
        Some(file) => ("", file),
        None => {
            let at = key.rfind("/_rels/")?;
            (key.get(..=at)?, key.get(at + "/_rels/".len()..)?)
        }
    };
    if file.contains('/') {
        return None;
    }
    let source = file.strip_suffix(".rels")?;
    Some((format!("{dir}{source}"), dir.to_owned()))
}

pub(super) fn has_extension(key: &str, extensions: &[&str]) -> bool {
    key.rsplit_once('.').is_some_and(|(_, extension)| extensions.contains(&extension))
}

/// Parts the package relationships name by type, whatever they are called.
#[derive(Default)]
pub(super) struct RootParts {
    pub(super) core: HashSet<String>,
    pub(super) app: HashSet<String>,
    pub(super) dropped: HashMap<String, Dropped>,
}

impl RootParts {
    pub(super) fn read(package: &mut Package<'_>) -> Result<Self, ScrubError> {
        let mut root = Self::default();
        let Some(index) = package.index_of("_rels/.rels") else { return Ok(root) };
        let data = package.read(index)?;
        walk_xml(&data, package.format, |item| {
            let Item::Element(element, attrs) = item else { return };
            let external = attr(attrs, b"TargetMode").is_some_and(|mode| mode.eq_ignore_ascii_case("external"));
            let (Some(kind), Some(target)) = (attr(attrs, b"Type"), attr(attrs, b"Target")) else { return };
            if element != b"Relationship" || external {
                return;
            }
            let part = resolve_target("", target);
            if kind.ends_with("/metadata/core-properties") {
                root.core.insert(part);
            } else if kind.ends_with("/extended-properties") {
                root.app.insert(part);
            } else if kind.ends_with("/custom-properties") {
                root.dropped.insert(part, Dropped::CustomProperties);
            } else if kind.ends_with("/metadata/thumbnail") {
                root.dropped.insert(part, Dropped::Plain(Category::Thumbnail, "thumbnail"));
            } else if kind.contains("/digital-signature/") {
                root.dropped.insert(part, Dropped::Plain(Category::People, "digital signature"));
            }
        })?;
        Ok(root)
    }
}

/// The format a `[Content_Types].xml` names as its main part.
pub(super) fn main_part_format(data: &[u8]) -> Option<Format> {
    let mut found = None;
    walk_xml(data, Format::Zip, |item| {
        let Item::Element(element, attrs) = item else { return };
        let kind = attr(attrs, b"ContentType").unwrap_or_default().to_ascii_lowercase();
        if found.is_some() || element != b"Override" || !kind.ends_with(".main+xml") {
            return;
        }
        found = if kind.contains("wordprocessingml") || kind.contains("ms-word") {
            Some(Format::Docx)
        } else if kind.contains("spreadsheetml") || kind.contains("ms-excel") {
            Some(Format::Xlsx)
        } else if kind.contains("presentationml") || kind.contains("ms-powerpoint") {
            Some(Format::Pptx)
        } else {
            None
        };
    })
    .ok()?;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets_resolve() {
        assert_eq!(resolve_target("word/", "../docProps/Custom.xml"), "docprops/custom.xml");
        assert_eq!(resolve_target("word/", "/word/media/image%201.png"), "word/media/image 1.png");
        assert_eq!(rels_source("word/_rels/document.xml.rels"), Some(("word/document.xml".into(), "word/".into())));
        assert_eq!(rels_source("_rels/.rels"), Some((String::new(), String::new())));
        assert_eq!(rels_source("word/document.xml"), None);
        assert!(safe_name("word/document.xml"));
        assert!(!safe_name("../evil.xml") && !safe_name("/abs.xml") && !safe_name("word/../../x"));
    }
}
