//! Word, Excel and PowerPoint documents (OOXML): inventory and cleaning.
//!
//! A package is a zip of XML parts. Cleaning writes a fresh zip (members in their original
//! order, deflated, dated 1980-01-01, no extra fields or comments) and follows MAT2's
//! `office.py`:
//!
//! - **Dropped whole**: custom properties, thumbnails, `customXml/`, `docMetadata/`
//!   (sensitivity labels), comments (legacy, threaded and modern, with `commentsExtended`,
//!   `commentsIds` and `commentsExtensible`), comment authors, `people.xml`, `persons/`,
//!   Excel revision logs and user names, web and view settings, printer settings and
//!   digital signatures. Their relationships, their `[Content_Types].xml` overrides and the
//!   relationship ids kept parts cite for them go too.
//! - **Emptied**: the core and extended properties (`docProps/core.xml`, `docProps/app.xml`).
//! - **Filtered**, every other XML part, streamed and written back as read: `rsid*`
//!   attributes and `w:rsids`, `w14:paraId`/`w14:textId`, the settings' attached template,
//!   `docId`s and document variables, comment anchors, and Excel's `absPath`, `revisionPtr`
//!   and pivot-cache `refreshedBy`.
//! - **Tracked changes are accepted**: insertions and moved-to text stay (their `w:ins` and
//!   `w:moveTo` wrappers go), deletions and moved-from text are removed with their content,
//!   and formatting-change records are removed, so no deleted text or change author survives.
//! - **Pictures**: JPEG, PNG and WebP are cleaned by `crate::image`; EMF, WMF and SVG are kept
//!   unchecked; anything else (GIF, TIFF, BMP, HEIC, sound, video) is refused, as are embedded
//!   objects, ActiveX controls and macros.
//! - **External links**: hyperlinks are content and stay (listed as kept); external
//!   templates and comment links are dropped.
//!
//! Hostile input: at most 10,000 members, 256 MiB per member and 1 GiB in all decompressed;
//! no DTDs (OOXML never has one, so `<!DOCTYPE` is refused and no entity is ever expanded);
//! bounded nesting and namespace declarations; member names with `..` or a leading `/` are
//! refused.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read, Seek, Write};

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Writer};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::{Category, Finding, Format, NotCleaned, Report, ScrubError, ScrubOutcome};

const MAX_MEMBERS: usize = 10_000;
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
const MAX_DEPTH: usize = 5_000;
/// quick-xml looks prefixes up linearly, so declarations in scope bound the cost per element.
const MAX_NAMESPACES: usize = 256;

const EMBEDDED: &str = "embedded objects or macros";
const MEDIA: &str = "pictures, sound or video in a format other than JPEG, PNG or WebP";
const UNKNOWN_PART: &str = "parts of an unrecognised type";
const RSID_FIELD: &str = "w:rsid*";

const WORD_NS: [&str; 2] = [
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];
const RELATIONSHIP_NS: [&str; 2] = [
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
];
/// w14, w15, w16… extensions.
const WORD_EXT_NS: &[u8] = b"http://schemas.microsoft.com/office/word/";
/// x14ac, x15ac, xr… extensions.
const EXCEL_EXT_NS: &[u8] = b"http://schemas.microsoft.com/office/spreadsheetml/";

/// Word tracked changes accepted by keeping their content without the wrapper.
const ACCEPTED: &[&str] = &["ins", "moveTo"];
/// Word tracked-change markup removed with its content: deleted text, former formatting.
/// Cell markers (`cellIns`, `cellDel`, `cellMerge`) go too; the cell itself is kept.
const REJECTED: &[&str] = &[
    "del",
    "moveFrom",
    "delText",
    "delInstrText",
    "rPrChange",
    "pPrChange",
    "sectPrChange",
    "tblPrChange",
    "tblPrExChange",
    "trPrChange",
    "tcPrChange",
    "tblGridChange",
    "numberingChange",
    "cellIns",
    "cellDel",
    "cellMerge",
    "moveFromRangeStart",
    "moveFromRangeEnd",
    "moveToRangeStart",
    "moveToRangeEnd",
    "customXmlInsRangeStart",
    "customXmlInsRangeEnd",
    "customXmlDelRangeStart",
    "customXmlDelRangeEnd",
    "customXmlMoveFromRangeStart",
    "customXmlMoveFromRangeEnd",
    "customXmlMoveToRangeStart",
    "customXmlMoveToRangeEnd",
];
/// Other Word elements removed with their content, and what they reveal.
const WORD_REMOVED: &[(&str, Category, &str)] = &[
    ("commentRangeStart", Category::Comments, "comment anchors"),
    ("commentRangeEnd", Category::Comments, "comment anchors"),
    ("commentReference", Category::Comments, "comment anchors"),
    ("rsids", Category::EditSessions, RSID_FIELD),
    ("attachedTemplate", Category::Software, "w:attachedTemplate"),
    ("docVars", Category::CustomProperties, "w:docVars"),
    // Mail-merge data source: its connection string and query name files and folders.
    ("mailMerge", Category::Other, "w:mailMerge"),
];

const CORE_FIELDS: &[(&str, Category, &str)] = &[
    ("creator", Category::People, "dc:creator"),
    ("lastModifiedBy", Category::People, "cp:lastModifiedBy"),
    ("created", Category::Times, "dcterms:created"),
    ("modified", Category::Times, "dcterms:modified"),
    ("lastPrinted", Category::Times, "cp:lastPrinted"),
    ("revision", Category::Other, "cp:revision"),
    ("title", Category::Other, "dc:title"),
    ("subject", Category::Other, "dc:subject"),
    ("description", Category::Other, "dc:description"),
    ("keywords", Category::Other, "cp:keywords"),
    ("category", Category::Other, "cp:category"),
    ("contentStatus", Category::Other, "cp:contentStatus"),
    ("identifier", Category::DocumentIds, "dc:identifier"),
    ("language", Category::Other, "dc:language"),
    ("version", Category::Other, "cp:version"),
];
const APP_FIELDS: &[(&str, Category, &str)] = &[
    ("Application", Category::Software, "Application"),
    ("AppVersion", Category::Software, "AppVersion"),
    ("Template", Category::Software, "Template"),
    ("TotalTime", Category::Software, "TotalTime"),
    ("Company", Category::People, "Company"),
    ("Manager", Category::People, "Manager"),
    ("HyperlinkBase", Category::Other, "HyperlinkBase"),
];
const CORE_SHELL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#;
const APP_SHELL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>"#;

/// The Office format of the zip in `data`, from its part names or else the main part's
/// content type; `None` if it is not a zip or not an Office document.
pub(crate) fn detect(data: &[u8]) -> Option<Format> {
    let mut package = Package::open(data, Format::Zip).ok()?;
    let mains = [
        ("word/document.xml", Format::Docx),
        ("xl/workbook.xml", Format::Xlsx),
        ("ppt/presentation.xml", Format::Pptx),
    ];
    for (main, format) in mains {
        if package.index_of(main).is_some() {
            return Some(format);
        }
    }
    let index = package.index_of("[content_types].xml")?;
    main_part_format(&package.read(index).ok()?)
}

/// What identifying information the Office document in `data` carries.
pub(crate) fn inspect(data: &[u8], format: Format) -> Result<Report, ScrubError> {
    let run = run(data, format, None)?;
    let mut findings = run.removed;
    findings.extend(run.kept);
    Ok(Report { format, findings, unchecked: run.unchecked, not_cleanable: run.not_cleanable })
}

/// Writes a cleaned copy of the Office document in `data` to `out`.
pub(crate) fn scrub(data: &[u8], format: Format, out: &mut dyn Write) -> Result<ScrubOutcome, ScrubError> {
    let run = run(data, format, Some(out))?;
    Ok(ScrubOutcome { format, removed: run.removed, kept: run.kept })
}

/// What a pass over a package found and, when scrubbing, did.
#[derive(Default)]
struct Run {
    removed: Vec<Finding>,
    kept: Vec<Finding>,
    unchecked: Vec<String>,
    not_cleanable: Option<NotCleaned>,
    /// Vector pictures kept without inspection.
    vectors: usize,
}

impl Run {
    /// Records why the package cannot be cleaned; when scrubbing, that ends the run.
    fn refuse(&mut self, reason: NotCleaned, scrubbing: bool) -> Result<(), ScrubError> {
        if scrubbing {
            return Err(reason.into());
        }
        if self.not_cleanable.is_none() {
            self.not_cleanable = Some(reason);
        }
        Ok(())
    }
}

/// What happens to a zip member.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Directory,
    ContentTypes,
    Rels,
    Core,
    App,
    Drop(Dropped),
    Xml,
    Embedded,
    Binary,
}

/// Why a member is dropped, which decides what is reported for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dropped {
    /// Relationships of a dropped part: reported with the part.
    Silent,
    Plain(Category, &'static str),
    CustomProperties,
    Comments,
    People,
    Revisions,
}

/// Inspects (`out` is `None`) or cleans a package: one pass, so both report the same things.
fn run(data: &[u8], format: Format, out: Option<&mut dyn Write>) -> Result<Run, ScrubError> {
    let scrubbing = out.is_some();
    let mut package = Package::open(data, format)?;
    let root = RootParts::read(&mut package)?;
    let names = package.names.clone();
    let keys = package.keys.clone();
    let roles: Vec<Role> = names.iter().zip(&keys).map(|(name, key)| role(name, key, &root)).collect();
    let dropped: HashSet<String> =
        keys.iter().zip(&roles).filter(|(_, role)| matches!(role, Role::Drop(_))).map(|(key, _)| key.clone()).collect();
    let mut run = Run::default();
    // Refused by name before anything is written.
    if roles.contains(&Role::Embedded) {
        run.refuse(NotCleaned::Uncleanable(EMBEDDED.to_owned()), scrubbing)?;
    }

    // Relationships first: a part must know which of its relationship ids are gone.
    let mut rels = HashMap::new();
    let mut dropped_ids: HashMap<String, HashSet<String>> = HashMap::new();
    for (index, (name, key)) in names.iter().zip(&keys).enumerate() {
        let (Some(Role::Rels), Some((source, base))) = (roles.get(index), rels_source(key)) else { continue };
        let outcome = filter_rels(&package.read(index)?, format, name, &base, &dropped)?;
        run.removed.extend(outcome.removed);
        run.kept.extend(outcome.kept);
        dropped_ids.insert(source, outcome.ids);
        rels.insert(index, outcome.bytes);
    }

    let mut zip = out.map(ZipWriter::new_stream);
    for (index, ((name, key), role)) in names.iter().zip(&keys).zip(&roles).enumerate() {
        let bytes = match *role {
            Role::Directory => None,
            Role::Drop(kind) => {
                run.removed.extend(dropped_findings(&mut package, index, name, kind));
                None
            }
            Role::ContentTypes => Some(filter_content_types(&package.read(index)?, format, &dropped)?),
            Role::Rels => rels.remove(&index),
            Role::Core | Role::App => {
                let (fields, shell) =
                    if *role == Role::Core { (CORE_FIELDS, CORE_SHELL) } else { (APP_FIELDS, APP_SHELL) };
                run.removed.extend(property_findings(&package.read(index)?, format, name, fields));
                Some(shell.as_bytes().to_vec())
            }
            Role::Xml => {
                let mut notes = Notes::new(name);
                let cleaned = filter_part(&package.read(index)?, format, &mut notes, dropped_ids.get(key))?;
                run.removed.extend(notes.findings);
                Some(cleaned)
            }
            Role::Embedded => {
                let what = if key.contains("vbaproject") { "macros" } else { "embedded object" };
                run.removed.push(Finding::new(Category::EmbeddedContent, name.as_str(), what));
                None
            }
            Role::Binary => binary_part(package.read(index)?, name, key, scrubbing, &mut run)?,
        };
        if let (Some(zip), Some(bytes)) = (zip.as_mut(), bytes) {
            write_member(zip, name, &bytes, format)?;
        }
    }
    if run.vectors > 0 {
        let vectors = run.vectors;
        run.unchecked.push(format!("{vectors} vector picture(s) (EMF, WMF or SVG) kept without inspection"));
    }
    if let Some(zip) = zip {
        zip.finish().map_err(|error| zip_error(error, format))?.into_inner().flush()?;
    }
    Ok(run)
}

/// What happens to the member `name` (`key`: its part name, see `part_key`).
fn role(name: &str, key: &str, root: &RootParts) -> Role {
    if name.ends_with('/') {
        return Role::Directory;
    }
    if key == "[content_types].xml" {
        return Role::ContentTypes;
    }
    if let Some((source, _)) = rels_source(key) {
        let gone = !source.is_empty() && matches!(part_role(&source, root), Role::Drop(_));
        return if gone { Role::Drop(Dropped::Silent) } else { Role::Rels };
    }
    part_role(key, root)
}

fn part_role(key: &str, root: &RootParts) -> Role {
    if root.core.contains(key) || key == "docprops/core.xml" {
        return Role::Core;
    }
    if root.app.contains(key) || key == "docprops/app.xml" {
        return Role::App;
    }
    if let Some(kind) = root.dropped.get(key).copied().or_else(|| dropped_by_name(key)) {
        return Role::Drop(kind);
    }
    let file = key.rsplit('/').next().unwrap_or(key);
    if key.contains("/embeddings/")
        || key.contains("/activex/")
        || file.starts_with("vbaproject")
        || file == "vbadata.xml"
        || file.ends_with(".bin")
    {
        return Role::Embedded;
    }
    if has_extension(key, &["xml", "rels", "vml"]) { Role::Xml } else { Role::Binary }
}

/// The drop list, by part name.
fn dropped_by_name(key: &str) -> Option<Dropped> {
    let file = key.rsplit('/').next().unwrap_or(key);
    // ppt/presProps.xml is kept: ECMA-376 requires exactly one in a presentation (MAT2 drops
    // it anyway). It holds show and print settings, nothing identifying, and is filtered like
    // any other part, so it is not reported either.
    let kind = if key == "docprops/custom.xml" {
        Dropped::CustomProperties
    } else if key.starts_with("docprops/thumbnail") {
        Dropped::Plain(Category::Thumbnail, "thumbnail")
    } else if key.starts_with("customxml/") {
        Dropped::Plain(Category::CustomProperties, "custom XML data")
    } else if key.starts_with("docmetadata/") {
        Dropped::Plain(Category::CustomProperties, "sensitivity label")
    } else if key.starts_with("_xmlsignatures/") {
        Dropped::Plain(Category::People, "digital signature")
    } else if key.contains("/printersettings/") {
        Dropped::Plain(Category::Other, "printer settings")
    } else if key.contains("/comments/")
        || key.contains("/threadedcomments/")
        || (file.starts_with("comments") && file.ends_with(".xml"))
        || file == "commentauthors.xml"
    {
        Dropped::Comments
    } else if file == "people.xml" || key.contains("/persons/") || key == "ppt/authors.xml" || key == "xl/usernames.xml"
    {
        Dropped::People
    } else if key.starts_with("xl/revisions/") {
        Dropped::Revisions
    } else if key.starts_with("ppt/changesinfos/") {
        // PowerPoint co-authoring history: names, account ids and providers of editors.
        Dropped::Plain(Category::People, "co-authoring change history")
    } else if key == "ppt/revisioninfo.xml" {
        Dropped::Plain(Category::DocumentIds, "revision info")
    } else if file == "websettings.xml" {
        Dropped::Plain(Category::Other, "web settings")
    } else if file == "viewprops.xml" {
        Dropped::Plain(Category::Other, "view settings")
    } else {
        return None;
    };
    Some(kind)
}

/// What a dropped part revealed. It goes whole, so one that cannot be read or parsed is
/// still reported, only without names.
fn dropped_findings(package: &mut Package<'_>, index: usize, name: &str, kind: Dropped) -> Vec<Finding> {
    let format = package.format;
    let mut notes = Notes::new(name);
    let mut read = |parse: fn(&[u8], Format) -> Result<Vec<String>, ScrubError>| {
        package.read(index).ok().and_then(|data| parse(&data, format).ok()).unwrap_or_default()
    };
    match kind {
        Dropped::Silent => {}
        Dropped::Plain(category, field) => notes.add(category, field, None),
        Dropped::CustomProperties => {
            let properties = read(custom_property_names);
            if properties.is_empty() {
                notes.add(Category::CustomProperties, "custom properties", None);
            }
            for property in &properties {
                notes.add(Category::CustomProperties, "custom property", Some(property.as_str()));
            }
        }
        Dropped::Comments | Dropped::People | Dropped::Revisions => {
            let (category, field) = match kind {
                Dropped::Comments => (Category::Comments, "comments"),
                Dropped::Revisions => (Category::TrackedChanges, "revision log"),
                _ => (Category::People, "people"),
            };
            notes.add(category, field, None);
            for person in &read(names_in) {
                notes.add(Category::People, "author", Some(person.as_str()));
            }
        }
    }
    notes.findings
}

/// A picture, font or other binary member: cleaned, kept or refused by its content.
fn binary_part(
    bytes: Vec<u8>,
    name: &str,
    key: &str,
    scrubbing: bool,
    run: &mut Run,
) -> Result<Option<Vec<u8>>, ScrubError> {
    let kind = crate::sniff(bytes.get(..64).unwrap_or(bytes.as_slice()));
    match kind {
        Format::Jpeg | Format::Png | Format::Webp if scrubbing => {
            let (clean, outcome) = crate::image::scrub_bytes(&bytes)?;
            run.removed.extend(outcome.removed.into_iter().map(|finding| within(name, finding)));
            run.kept.extend(outcome.kept.into_iter().map(|finding| within(name, finding)));
            Ok(Some(clean))
        }
        Format::Jpeg | Format::Png | Format::Webp => {
            match crate::image::inspect_bytes(&bytes) {
                Ok(report) => {
                    run.removed.extend(report.findings.into_iter().map(|finding| within(name, finding)));
                    run.unchecked.extend(report.unchecked.into_iter().map(|note| format!("{name}: {note}")));
                    if let Some(reason) = report.not_cleanable {
                        run.refuse(reason, false)?;
                    }
                }
                Err(ScrubError::NotCleaned(reason)) => {
                    run.unchecked.push(format!("{name} could not be inspected"));
                    run.refuse(reason, false)?;
                }
                Err(error) => return Err(error),
            }
            Ok(Some(bytes))
        }
        Format::Unknown if has_extension(key, &["emf", "wmf", "svg"]) => {
            run.vectors += 1;
            Ok(Some(bytes))
        }
        Format::Unknown if has_extension(key, &["odttf", "ttf", "otf", "fntdata"]) => Ok(Some(bytes)),
        other => {
            let what = if other == Format::Unknown { "unrecognised content" } else { other.name() };
            run.unchecked.push(format!("{name} ({what}) was not inspected"));
            let reason = if key.contains("/media/") { MEDIA } else { UNKNOWN_PART };
            run.refuse(NotCleaned::Uncleanable(reason.to_owned()), scrubbing)?;
            Ok(None)
        }
    }
}

/// A finding of an embedded picture, placed inside its member.
fn within(member: &str, finding: Finding) -> Finding {
    Finding { place: format!("{member}: {}", finding.place), ..finding }
}

fn write_member<W: Write + Seek>(
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

fn zip_error(error: ZipError, format: Format) -> ScrubError {
    match error {
        ZipError::Io(error) => ScrubError::Io(error),
        _ => ScrubError::malformed(format, "the cleaned archive could not be written"),
    }
}

/// The zip, its member names and the decompression budget.
struct Package<'d> {
    archive: ZipArchive<Cursor<&'d [u8]>>,
    /// Member names as stored.
    names: Vec<String>,
    /// The same as part names (`part_key`).
    keys: Vec<String>,
    format: Format,
    /// Bytes that may still be decompressed.
    budget: u64,
}

impl<'d> Package<'d> {
    fn open(data: &'d [u8], format: Format) -> Result<Self, ScrubError> {
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

    fn index_of(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|candidate| candidate == key)
    }

    /// A member's content, within the per-member and total limits.
    fn read(&mut self, index: usize) -> Result<Vec<u8>, ScrubError> {
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
fn resolve_target(base: &str, target: &str) -> String {
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
fn rels_source(key: &str) -> Option<(String, String)> {
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

fn has_extension(key: &str, extensions: &[&str]) -> bool {
    key.rsplit_once('.').is_some_and(|(_, extension)| extensions.contains(&extension))
}

/// Parts the package relationships name by type, whatever they are called.
#[derive(Default)]
struct RootParts {
    core: HashSet<String>,
    app: HashSet<String>,
    dropped: HashMap<String, Dropped>,
}

impl RootParts {
    fn read(package: &mut Package<'_>) -> Result<Self, ScrubError> {
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
fn main_part_format(data: &[u8]) -> Option<Format> {
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

/// Findings for one part, each reported once.
struct Notes {
    place: String,
    findings: Vec<Finding>,
    seen: HashSet<(Category, &'static str, Option<String>)>,
}

impl Notes {
    fn new(place: &str) -> Self {
        Self { place: place.to_owned(), findings: Vec::new(), seen: HashSet::new() }
    }

    fn add(&mut self, category: Category, field: &'static str, value: Option<&str>) {
        let value = value.map(str::trim).filter(|value| !value.is_empty());
        if self.seen.insert((category, field, value.map(str::to_owned))) {
            self.findings.push(match value {
                Some(value) => Finding::with_value(category, self.place.as_str(), field, value),
                None => Finding::new(category, self.place.as_str(), field),
            });
        }
    }
}

fn property_findings(
    data: &[u8],
    format: Format,
    place: &str,
    fields: &[(&str, Category, &'static str)],
) -> Vec<Finding> {
    let mut notes = Notes::new(place);
    let parsed = walk_xml(data, format, |item| {
        let Item::Text(element, text) = item else { return };
        if let Some((_, category, field)) = fields.iter().find(|(name, _, _)| name.as_bytes() == element) {
            notes.add(*category, field, Some(text));
        }
    });
    // The part is replaced whatever it holds; one that does not parse is still reported.
    if parsed.is_err() {
        notes.add(Category::Other, "document properties", None);
    }
    notes.findings
}

fn custom_property_names(data: &[u8], format: Format) -> Result<Vec<String>, ScrubError> {
    let mut names = Vec::new();
    walk_xml(data, format, |item| {
        let Item::Element(element, attrs) = item else { return };
        if element == b"property" {
            names.extend(attr(attrs, b"name").map(str::to_owned));
        }
    })?;
    Ok(names)
}

/// Names of people in a comments, people or revisions part.
fn names_in(data: &[u8], format: Format) -> Result<Vec<String>, ScrubError> {
    let mut names = Vec::new();
    walk_xml(data, format, |item| match item {
        Item::Element(element, attrs) => {
            for (key, value) in attrs {
                let named =
                    key.as_slice() == b"name" && is_one_of(element, &["cmAuthor", "author", "userInfo", "person"]);
                if named || is_one_of(key, &["author", "displayName", "userName"]) {
                    names.push(value.clone());
                }
            }
        }
        Item::Text(element, text) => {
            if element == b"author" {
                names.push(text.to_owned());
            }
        }
    })?;
    Ok(names)
}

/// What a relationships part becomes.
struct RelsOutcome {
    bytes: Vec<u8>,
    /// Ids of the relationships removed.
    ids: HashSet<String>,
    removed: Vec<Finding>,
    kept: Vec<Finding>,
}

fn filter_rels(
    data: &[u8],
    format: Format,
    place: &str,
    base: &str,
    dropped: &HashSet<String>,
) -> Result<RelsOutcome, ScrubError> {
    let mut removed = Notes::new(place);
    let mut kept = Notes::new(place);
    let mut ids = HashSet::new();
    let bytes = rewrite_xml(data, format, |_, e| {
        if e.local_name().into_inner() != b"Relationship" {
            return Ok((Action::Keep, Vec::new()));
        }
        let attrs = attributes(e, format)?;
        let kind = attr(&attrs, b"Type").unwrap_or_default();
        let target = attr(&attrs, b"Target").unwrap_or_default();
        let remove = if attr(&attrs, b"TargetMode").is_some_and(|mode| mode.eq_ignore_ascii_case("external")) {
            // Template paths name users and servers; hyperlinks are content and stay.
            if kind.ends_with("/attachedTemplate") {
                removed.add(Category::Software, "attachedTemplate", Some(target));
                true
            } else if is_comment_relationship(kind) {
                removed.add(Category::Comments, "external comments", Some(target));
                true
            } else {
                kept.add(Category::EmbeddedContent, "external link", Some(target));
                false
            }
        } else {
            dropped.contains(&resolve_target(base, target))
        };
        if !remove {
            return Ok((Action::Keep, Vec::new()));
        }
        ids.insert(attr(&attrs, b"Id").unwrap_or_default().to_owned());
        Ok((Action::Remove, Vec::new()))
    })?;
    Ok(RelsOutcome { bytes, ids, removed: removed.findings, kept: kept.findings })
}

fn is_comment_relationship(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    kind.contains("comment") || kind.ends_with("/people") || kind.ends_with("/person")
}

fn filter_content_types(data: &[u8], format: Format, dropped: &HashSet<String>) -> Result<Vec<u8>, ScrubError> {
    rewrite_xml(data, format, |_, e| {
        if e.local_name().into_inner() == b"Override" {
            let attrs = attributes(e, format)?;
            if attr(&attrs, b"PartName").is_some_and(|part| dropped.contains(&resolve_target("", part))) {
                return Ok((Action::Remove, Vec::new()));
            }
        }
        Ok((Action::Keep, Vec::new()))
    })
}

/// Any other kept XML part: tracked changes accepted, identifiers and anchors removed.
fn filter_part(
    data: &[u8],
    format: Format,
    notes: &mut Notes,
    dropped_ids: Option<&HashSet<String>>,
) -> Result<Vec<u8>, ScrubError> {
    rewrite_xml(data, format, |reader, e| examine(reader, e, notes, dropped_ids, format))
}

/// What the rewriter does with an element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    /// Written (less the attributes listed with it).
    Keep,
    /// Its tags go, its content stays.
    Unwrap,
    /// Removed with everything inside.
    Remove,
}

/// An action and the indices of attributes to drop from a kept element.
type Decision = (Action, Vec<usize>);

/// Decides the fate of one element of a kept part and notes what it reveals; called for
/// elements inside removed ones too, so every author is reported.
fn examine(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    notes: &mut Notes,
    dropped_ids: Option<&HashSet<String>>,
    format: Format,
) -> Result<Decision, ScrubError> {
    // Matched by namespace, not prefix: `<x:del xmlns:x="…wordprocessingml…">` is a deletion too.
    let (resolved, local) = reader.resolve_element(e.name());
    let ns = bound(&resolved);
    let local = local.into_inner();
    let word = WORD_NS.iter().any(|candidate| candidate.as_bytes() == ns);
    let mut action = Action::Keep;
    let mut tracked = false;
    let mut abs_path = false;
    if word && is_one_of(local, ACCEPTED) {
        action = Action::Unwrap;
        tracked = true;
    } else if word && is_one_of(local, REJECTED) {
        action = Action::Remove;
        tracked = true;
    } else if let Some((_, category, field)) = WORD_REMOVED.iter().find(|(name, _, _)| word && name.as_bytes() == local)
    {
        action = Action::Remove;
        notes.add(*category, field, None);
    } else if local == b"docId" && ns.starts_with(WORD_EXT_NS) {
        action = Action::Remove;
        notes.add(Category::DocumentIds, "docId", None);
    } else if local == b"creationId" {
        // a16:/p14:creationId: GUIDs kept across saves that link copies, like paraId.
        action = Action::Remove;
        notes.add(Category::DocumentIds, "creationId", None);
    } else if local == b"revisionPtr" && ns.starts_with(EXCEL_EXT_NS) {
        action = Action::Remove;
        notes.add(Category::DocumentIds, "xr:revisionPtr", None);
    } else if local == b"absPath" && ns.starts_with(EXCEL_EXT_NS) {
        // The folder the workbook was saved in, usually with a user name.
        action = Action::Remove;
        abs_path = true;
    }

    let mut removed_attrs = Vec::new();
    let mut author = None;
    let mut url = None;
    for (index, attr) in e.attributes().enumerate() {
        let attr = attr.map_err(|_| bad_xml(format))?;
        if attr.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let (resolved, name) = reader.resolve_attribute(attr.key);
        let name = name.into_inner();
        if name.starts_with(b"rsid") {
            notes.add(Category::EditSessions, RSID_FIELD, None);
            removed_attrs.push(index);
        } else if (name == b"paraId" || name == b"textId") && bound(&resolved).starts_with(WORD_EXT_NS) {
            // Random per paragraph but kept across saves, so they tie a copy to its original.
            // Word needs them only for comments, which are dropped, and makes new ones.
            notes.add(Category::DocumentIds, "w14:paraId", None);
            removed_attrs.push(index);
        } else if name == b"userName" || (word && (name == b"ed" || name == b"edGrp")) {
            // Excel's fileSharing user, Word's editors allowed in a protected range.
            let who = value(&attr, e, format)?;
            notes.add(Category::People, "editor or sharing user name", Some(who.as_str()));
            removed_attrs.push(index);
        } else if name == b"refreshedBy" {
            let who = value(&attr, e, format)?;
            notes.add(Category::People, "refreshedBy", Some(who.as_str()));
            removed_attrs.push(index);
        } else if tracked && name == b"author" {
            author = Some(value(&attr, e, format)?);
        } else if abs_path && name == b"url" {
            url = Some(value(&attr, e, format)?);
        } else if dropped_ids.is_some() && RELATIONSHIP_NS.iter().any(|r| r.as_bytes() == bound(&resolved)) {
            // A reference to a relationship that was dropped with its part (e.g. printer settings).
            let id = value(&attr, e, format)?;
            if dropped_ids.is_some_and(|ids| ids.contains(&id)) {
                removed_attrs.push(index);
            }
        }
    }
    if tracked {
        match author.as_deref() {
            Some(author) => notes.add(Category::TrackedChanges, "w:author", Some(author)),
            None => notes.add(Category::TrackedChanges, "tracked change", None),
        }
    }
    if abs_path {
        notes.add(Category::Other, "x15ac:absPath", url.as_deref());
    }
    Ok((action, removed_attrs))
}

fn bound<'a>(result: &ResolveResult<'a>) -> &'a [u8] {
    match result {
        ResolveResult::Bound(Namespace(ns)) => ns,
        _ => b"",
    }
}

fn is_one_of(local: &[u8], names: &[&str]) -> bool {
    names.iter().any(|name| name.as_bytes() == local)
}

fn bad_xml(format: Format) -> ScrubError {
    ScrubError::malformed(format, "an XML part is not well-formed")
}

/// A reader for one part. Without quick-xml's `encoding` feature only UTF-8 is read, and a
/// UTF-16 part would be misread rather than rejected, so it is refused here.
fn xml_reader(data: &[u8], format: Format) -> Result<NsReader<&[u8]>, ScrubError> {
    if data.starts_with(&[0xFE, 0xFF]) || data.starts_with(&[0xFF, 0xFE]) || data.get(..4).unwrap_or(data).contains(&0)
    {
        return Err(ScrubError::malformed(format, "an XML part is not in UTF-8"));
    }
    Ok(NsReader::from_reader(data))
}

/// The next event; a DTD is refused (quick-xml never expands entities, and OOXML has none).
fn next_event<'i>(reader: &mut NsReader<&'i [u8]>, format: Format) -> Result<Event<'i>, ScrubError> {
    match reader.read_event() {
        Ok(Event::DocType(_)) => Err(ScrubError::malformed(format, "an XML part has a document type declaration")),
        Ok(event) => Ok(event),
        Err(_) => Err(bad_xml(format)),
    }
}

/// Open elements and the namespace declarations in scope, both bounded.
#[derive(Default)]
struct Scope {
    declared: Vec<usize>,
    in_scope: usize,
}

impl Scope {
    fn enter(&mut self, e: &BytesStart<'_>, is_start: bool, format: Format) -> Result<(), ScrubError> {
        let mut declared = 0;
        for attr in e.attributes() {
            if attr.map_err(|_| bad_xml(format))?.key.as_ref().starts_with(b"xmlns") {
                declared += 1;
            }
        }
        self.in_scope += declared;
        if self.in_scope > MAX_NAMESPACES || self.declared.len() >= MAX_DEPTH {
            return Err(ScrubError::malformed(format, "an XML part is nested too deeply or has too many namespaces"));
        }
        if is_start {
            self.declared.push(declared);
        } else {
            self.in_scope -= declared;
        }
        Ok(())
    }

    fn leave(&mut self) {
        if let Some(declared) = self.declared.pop() {
            self.in_scope = self.in_scope.saturating_sub(declared);
        }
    }

    fn finish(&self, format: Format) -> Result<(), ScrubError> {
        if self.declared.is_empty() { Ok(()) } else { Err(ScrubError::malformed(format, "an XML part ends too early")) }
    }
}

/// Streams a part through `decide`, which keeps, unwraps or removes each element; all else
/// (declaration, text, comments) is written back as read.
fn rewrite_xml<F>(data: &[u8], format: Format, mut decide: F) -> Result<Vec<u8>, ScrubError>
where
    F: FnMut(&NsReader<&[u8]>, &BytesStart<'_>) -> Result<Decision, ScrubError>,
{
    let mut reader = xml_reader(data, format)?;
    let mut writer = Writer::new(Vec::with_capacity(data.len()));
    let mut scope = Scope::default();
    // Per open element outside removed content: whether its end tag is dropped (unwrapped).
    let mut unwrapped: Vec<bool> = Vec::new();
    // Depth inside a removed element; 0 outside.
    let mut removing = 0usize;
    loop {
        let event = next_event(&mut reader, format)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let is_start = matches!(event, Event::Start(_));
                scope.enter(e, is_start, format)?;
                let (action, removed_attrs) = decide(&reader, e)?;
                if removing > 0 {
                    if is_start {
                        removing += 1;
                    }
                    continue;
                }
                match action {
                    Action::Remove if is_start => removing = 1,
                    Action::Unwrap if is_start => unwrapped.push(true),
                    Action::Remove | Action::Unwrap => {}
                    Action::Keep => {
                        if removed_attrs.is_empty() {
                            writer.write_event(event.borrow())?;
                        } else {
                            let kept = without_attributes(e, &removed_attrs, format)?;
                            writer.write_event(if is_start { Event::Start(kept) } else { Event::Empty(kept) })?;
                        }
                        if is_start {
                            unwrapped.push(false);
                        }
                    }
                }
            }
            Event::End(_) => {
                scope.leave();
                if removing > 0 {
                    removing -= 1;
                } else if unwrapped.pop() == Some(false) {
                    writer.write_event(event.borrow())?;
                }
            }
            Event::Eof => break,
            _ => {
                if removing == 0 {
                    writer.write_event(event.borrow())?;
                }
            }
        }
    }
    scope.finish(format)?;
    Ok(writer.into_inner())
}

/// `e` without the attributes at `removed` (indices in attribute order).
fn without_attributes(
    e: &BytesStart<'_>,
    removed: &[usize],
    format: Format,
) -> Result<BytesStart<'static>, ScrubError> {
    let mut kept = e.to_owned();
    kept.clear_attributes();
    for (index, attr) in e.attributes().enumerate() {
        let attr = attr.map_err(|_| bad_xml(format))?;
        if removed.contains(&index) {
            continue;
        }
        // quick-xml writes the raw value between double quotes; a value that was single-quoted
        // may hold one.
        let mut raw = Vec::with_capacity(attr.value.len());
        for &byte in attr.value.iter() {
            if byte == b'"' {
                raw.extend_from_slice(b"&quot;");
            } else {
                raw.push(byte);
            }
        }
        kept.push_attribute(Attribute { key: attr.key, value: Cow::Owned(raw) });
    }
    Ok(kept)
}

/// What `walk_xml` reports.
enum Item<'a> {
    /// A start or empty element's local name and its attributes (local name, unescaped value).
    Element(&'a [u8], &'a [(Vec<u8>, String)]),
    /// A leaf element's local name and its unescaped text.
    Text(&'a [u8], &'a str),
}

/// Reads a part for its values only.
fn walk_xml(data: &[u8], format: Format, mut visit: impl FnMut(Item<'_>)) -> Result<(), ScrubError> {
    let mut reader = xml_reader(data, format)?;
    let mut scope = Scope::default();
    // The innermost open element and its text so far; a child start clears it.
    let mut leaf: Option<(Vec<u8>, String)> = None;
    loop {
        match next_event(&mut reader, format)? {
            Event::Start(e) => {
                scope.enter(&e, true, format)?;
                let attrs = attributes(&e, format)?;
                visit(Item::Element(e.local_name().into_inner(), &attrs));
                leaf = Some((e.local_name().into_inner().to_vec(), String::new()));
            }
            Event::Empty(e) => {
                scope.enter(&e, false, format)?;
                let attrs = attributes(&e, format)?;
                visit(Item::Element(e.local_name().into_inner(), &attrs));
            }
            Event::Text(text) => {
                if let Some((_, so_far)) = leaf.as_mut() {
                    so_far.push_str(&text.decode().map_err(|_| bad_xml(format))?);
                }
            }
            Event::CData(text) => {
                if let Some((_, so_far)) = leaf.as_mut() {
                    so_far.push_str(&text.decode().map_err(|_| bad_xml(format))?);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, so_far)) = leaf.as_mut() {
                    so_far.push_str(&resolve_reference(&reference, format)?);
                }
            }
            Event::End(_) => {
                scope.leave();
                if let Some((element, text)) = leaf.take() {
                    visit(Item::Text(&element, &text));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    scope.finish(format)
}

/// A character reference or one of the five predefined entities; anything else reads as nothing.
fn resolve_reference(reference: &BytesRef<'_>, format: Format) -> Result<String, ScrubError> {
    match reference.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        Ok(None) => {
            let name = reference.decode().map_err(|_| bad_xml(format))?;
            Ok(resolve_predefined_entity(&name).unwrap_or_default().to_owned())
        }
        Err(_) => Err(bad_xml(format)),
    }
}

fn attributes(e: &BytesStart<'_>, format: Format) -> Result<Vec<(Vec<u8>, String)>, ScrubError> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|_| bad_xml(format))?;
        let text = value(&attr, e, format)?;
        out.push((attr.key.local_name().into_inner().to_vec(), text));
    }
    Ok(out)
}

fn value(attr: &Attribute<'_>, e: &BytesStart<'_>, format: Format) -> Result<String, ScrubError> {
    attr.decode_and_unescape_value(e.decoder()).map(Cow::into_owned).map_err(|_| bad_xml(format))
}

fn attr<'a>(attrs: &'a [(Vec<u8>, String)], key: &[u8]) -> Option<&'a str> {
    attrs.iter().find(|(name, _)| name.as_slice() == key).map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for (name, data) in members {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn is_malformed<T>(result: &Result<T, ScrubError>) -> bool {
        matches!(result, Err(ScrubError::NotCleaned(NotCleaned::Malformed { .. })))
    }

    fn members(data: &[u8]) -> Vec<(String, Vec<u8>, DateTime)> {
        let mut archive = ZipArchive::new(Cursor::new(data)).unwrap();
        let count = archive.len();
        (0..count)
            .map(|index| {
                let mut file = archive.by_index(index).unwrap();
                let name = file.name().unwrap().to_string();
                let modified = file.last_modified().unwrap();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                (name, bytes, modified)
            })
            .collect()
    }

    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>"#;

    const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>"#;

    const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p w:rsidR="00AB12CD" w:rsidRDefault="00AB12CD"><w:r><w:t xml:space="preserve">Kept text, </w:t></w:r><w:commentRangeStart w:id="0"/><w:ins w:id="1" w:author="Alice Editor" w:date="2024-05-01T10:00:00Z"><w:r w:rsidR="00EF3456"><w:t>inserted words</w:t></w:r></w:ins><w:del w:id="2" w:author="Alice Editor" w:date="2024-05-01T10:01:00Z"><w:r><w:delText>secret deleted text</w:delText></w:r></w:del><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p><w:sectPr w:rsidR="00AB12CD"/></w:body></w:document>"#;

    const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="file:///C:/Users/jdoe/Templates/Normal.dotm" TargetMode="External"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>"#;

    const COMMENTS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="Bob Commenter" w:date="2024-05-02T08:00:00Z" w:initials="BC"><w:p><w:r><w:t>Check this</w:t></w:r></w:p></w:comment></w:comments>"#;

    const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:zoom w:percent="100"/><w:attachedTemplate r:id="rId2"/><w:rsids><w:rsidRoot w:val="00AB12CD"/><w:rsid w:val="00AB12CD"/><w:rsid w:val="00EF3456"/></w:rsids></w:settings>"#;

    const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jane Source</dc:creator><cp:lastModifiedBy>Jane Source</cp:lastModifiedBy><cp:revision>3</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2024-05-01T09:00:00Z</dcterms:created></cp:coreProperties>"#;

    const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><TotalTime>42</TotalTime><Company>ACME Secret Unit</Company></Properties>"#;

    const CUSTOM: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="DMS ID"><vt:lpwstr>4711</vt:lpwstr></property></Properties>"#;

    fn sample_docx() -> Vec<u8> {
        let jpeg = crate::image::test_jpeg_with_exif();
        build(&[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes().to_vec()),
            ("_rels/.rels", ROOT_RELS.as_bytes().to_vec()),
            ("word/document.xml", DOCUMENT.as_bytes().to_vec()),
            ("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes().to_vec()),
            ("word/comments.xml", COMMENTS.as_bytes().to_vec()),
            ("word/settings.xml", SETTINGS.as_bytes().to_vec()),
            ("word/media/image1.jpeg", jpeg.clone()),
            ("docProps/core.xml", CORE.as_bytes().to_vec()),
            ("docProps/app.xml", APP.as_bytes().to_vec()),
            ("docProps/custom.xml", CUSTOM.as_bytes().to_vec()),
            ("docProps/thumbnail.jpeg", jpeg),
        ])
    }

    #[test]
    fn docx_is_inspected_and_cleaned() {
        let docx = sample_docx();
        assert_eq!(detect(&docx), Some(Format::Docx));

        let report = inspect(&docx, Format::Docx).unwrap();
        let categories = report.categories();
        for category in [
            Category::People,
            Category::Times,
            Category::Software,
            Category::CustomProperties,
            Category::Thumbnail,
            Category::Comments,
            Category::EditSessions,
            Category::TrackedChanges,
            Category::Location,
        ] {
            assert!(categories.contains(&category), "{category:?} not found in {report:#?}");
        }
        assert_eq!(report.not_cleanable, None);
        let has = |category: Category, value: &str| {
            report.findings.iter().any(|f| f.category == category && f.value.as_deref() == Some(value))
        };
        assert!(has(Category::TrackedChanges, "Alice Editor"));
        assert!(has(Category::People, "Bob Commenter"));
        assert!(has(Category::People, "Jane Source"));
        assert!(has(Category::CustomProperties, "DMS ID"));
        assert!(has(Category::Software, "file:///C:/Users/jdoe/Templates/Normal.dotm"));
        // One edit-session finding per part, not per attribute.
        let sessions = report.findings.iter().filter(|f| f.category == Category::EditSessions).count();
        assert_eq!(sessions, 2, "{report:#?}");

        let mut out: Vec<u8> = Vec::new();
        let outcome = scrub(&docx, Format::Docx, &mut out).unwrap();
        assert!(outcome.removed_categories().contains(&Category::TrackedChanges));
        let cleaned = members(&out);
        let names: Vec<&str> = cleaned.iter().map(|(name, _, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "word/document.xml",
                "word/_rels/document.xml.rels",
                "word/settings.xml",
                "word/media/image1.jpeg",
                "docProps/core.xml",
                "docProps/app.xml",
            ]
        );
        for (name, bytes, modified) in &cleaned {
            assert_eq!((modified.year(), modified.month(), modified.day()), (1980, 1, 1), "{name}");
            let text = String::from_utf8_lossy(bytes);
            for secret in
                ["Jane Source", "Alice Editor", "Bob Commenter", "secret deleted text", "rsid", "ACME", "jdoe"]
            {
                assert!(!text.contains(secret), "{name} still contains {secret}");
            }
        }
        let text_of = |wanted: &str| {
            let (_, bytes, _) = cleaned.iter().find(|(name, _, _)| name == wanted).unwrap();
            String::from_utf8(bytes.clone()).unwrap()
        };
        let document = text_of("word/document.xml");
        assert!(document.starts_with("<?xml version=\"1.0\""));
        assert!(document.contains("inserted words") && document.contains("Kept text"));
        assert!(!document.contains("w:ins") && !document.contains("w:del") && !document.contains("comment"));
        let types = text_of("[Content_Types].xml");
        assert!(!types.contains("comments.xml") && !types.contains("custom.xml"));
        assert!(types.contains("/word/document.xml") && types.contains("/word/settings.xml"));
        let rels = text_of("_rels/.rels") + &text_of("word/_rels/document.xml.rels");
        for gone in ["comments.xml", "thumbnail", "custom.xml", "attachedTemplate"] {
            assert!(!rels.contains(gone), "relationships still name {gone}");
        }
        assert!(rels.contains("media/image1.jpeg") && rels.contains("settings.xml"));
        assert!(!text_of("word/settings.xml").contains("attachedTemplate"));
        assert!(text_of("docProps/core.xml").contains("cp:coreProperties"));

        let again = inspect(&out, Format::Docx).unwrap();
        assert!(again.findings.is_empty(), "{:#?}", again.findings);
        assert_eq!(detect(&out), Some(Format::Docx));
    }

    #[test]
    fn workbooks_and_other_zips_are_told_apart() {
        let xlsx = build(&[
            (
                "[Content_Types].xml",
                b"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_vec(),
            ),
            ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ]);
        assert_eq!(detect(&xlsx), Some(Format::Xlsx));
        let renamed = build(&[
            (
                "[Content_Types].xml",
                br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/main.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_vec(),
            ),
            ("word/main.xml", b"<w:document/>".to_vec()),
        ]);
        assert_eq!(detect(&renamed), Some(Format::Docx));
        assert_eq!(detect(&build(&[("notes.txt", b"hello".to_vec())])), None);
        assert_eq!(detect(b"not a zip at all"), None);
    }

    #[test]
    fn presentations_and_workbooks_lose_coauthors_and_sharing_names() {
        let types = br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/changesInfos/changesInfo1.xml" ContentType="application/vnd.ms-powerpoint.changesinfo+xml"/><Override PartName="/ppt/revisionInfo.xml" ContentType="application/vnd.ms-powerpoint.revisioninfo+xml"/></Types>"#;
        let pptx = build(&[
            ("[Content_Types].xml", types.to_vec()),
            (
                "ppt/presentation.xml",
                br#"<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main"><p:extLst><p:ext uri="x"><p14:creationId val="3141592653"/></p:ext></p:extLst></p:presentation>"#.to_vec(),
            ),
            (
                "ppt/changesInfos/changesInfo1.xml",
                br#"<pc:chgInfo xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command"><pc:docChgLst><pc:chgData name="Carol Coauthor" userId="carol@example.org" providerId="AD"/></pc:docChgLst></pc:chgInfo>"#.to_vec(),
            ),
            ("ppt/revisionInfo.xml", br#"<p1510:revInfo xmlns:p1510="http://schemas.microsoft.com/office/powerpoint/2015/10/main"><p1510:revLst><p1510:client id="{0042}" v="2"/></p1510:revLst></p1510:revInfo>"#.to_vec()),
        ]);
        assert_eq!(detect(&pptx), Some(Format::Pptx));
        let report = inspect(&pptx, Format::Pptx).unwrap();
        assert!(report.findings.iter().any(|f| f.field == "co-authoring change history"), "{:?}", report.findings);
        let mut out = Vec::new();
        scrub(&pptx, Format::Pptx, &mut out).unwrap();
        let names: Vec<String> = members(&out).into_iter().map(|(n, _, _)| n).collect();
        assert!(!names.iter().any(|n| n.contains("changesInfo") || n.contains("revisionInfo")), "{names:?}");
        let all: Vec<u8> = members(&out).into_iter().flat_map(|(_, d, _)| d).collect();
        let text = String::from_utf8_lossy(&all);
        for gone in ["Carol", "carol@example.org", "3141592653", "changesInfo", "revisionInfo"] {
            assert!(!text.contains(gone), "{gone} survived: {text}");
        }

        let xlsx = build(&[
            ("[Content_Types].xml", br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_vec()),
            (
                "xl/workbook.xml",
                br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fileSharing readOnlyRecommended="1" userName="Dave Sharer"/><sheets/></workbook>"#.to_vec(),
            ),
        ]);
        let mut out = Vec::new();
        let outcome = scrub(&xlsx, Format::Xlsx, &mut out).unwrap();
        assert!(outcome.removed.iter().any(|f| f.value.as_deref() == Some("Dave Sharer")));
        let all: Vec<u8> = members(&out).into_iter().flat_map(|(_, d, _)| d).collect();
        let text = String::from_utf8_lossy(&all);
        assert!(!text.contains("Dave Sharer") && text.contains("readOnlyRecommended"), "{text}");
    }

    #[test]
    fn a_doctype_is_refused() {
        let doc = build(&[(
            "word/document.xml",
            br#"<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x "boom">]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>&x;</w:body></w:document>"#.to_vec(),
        )]);
        assert!(is_malformed(&inspect(&doc, Format::Docx)));
        assert!(is_malformed(&scrub(&doc, Format::Docx, &mut Vec::<u8>::new())));
    }

    #[test]
    fn deletions_are_removed_whatever_the_prefix() {
        let doc = build(&[(
            "word/document.xml",
            br#"<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><x:body><x:p><x:del x:author="Mallory"><x:r><x:delText>hidden words</x:delText></x:r></x:del><x:r><x:t>shown words</x:t></x:r></x:p></x:body></x:document>"#.to_vec(),
        )]);
        let mut out: Vec<u8> = Vec::new();
        scrub(&doc, Format::Docx, &mut out).unwrap();
        let (_, bytes, _) = members(&out).remove(0);
        let document = String::from_utf8(bytes).unwrap();
        assert!(!document.contains("hidden words") && !document.contains("Mallory"));
        assert!(document.contains("shown words"));
    }

    #[test]
    fn embedded_objects_are_refused() {
        let doc = build(&[
            ("word/document.xml", DOCUMENT.as_bytes().to_vec()),
            ("word/embeddings/oleObject1.bin", b"\xD0\xCF\x11\xE0".to_vec()),
        ]);
        let report = inspect(&doc, Format::Docx).unwrap();
        assert_eq!(report.not_cleanable, Some(NotCleaned::Uncleanable(EMBEDDED.to_owned())));
        assert!(report.categories().contains(&Category::EmbeddedContent));
        let mut out: Vec<u8> = Vec::new();
        let refused = scrub(&doc, Format::Docx, &mut out);
        assert!(matches!(refused, Err(ScrubError::NotCleaned(NotCleaned::Uncleanable(_)))));
        assert!(out.is_empty());
    }

    #[test]
    fn damaged_archives_give_errors_not_panics() {
        let docx = sample_docx();
        let len = docx.len();
        let cuts = [0, 1, 4, 22, 100, len / 3, len / 2, len.saturating_sub(200), len.saturating_sub(23), len - 1];
        for cut in cuts {
            let part = &docx[..cut];
            let _ = detect(part);
            let _ = inspect(part, Format::Docx);
            let _ = scrub(part, Format::Docx, &mut Vec::<u8>::new());
        }
        let mut bent = docx.clone();
        for at in [len / 4, len / 2, len - 30] {
            bent[at] ^= 0xA5;
            let _ = detect(&bent);
            let _ = inspect(&bent, Format::Docx);
            let _ = scrub(&bent, Format::Docx, &mut Vec::<u8>::new());
        }
    }

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
