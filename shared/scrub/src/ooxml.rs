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

mod package;
mod parts;
mod policy;
mod xml;

use std::collections::{HashMap, HashSet};
use std::io::Write;

use zip::ZipWriter;

use crate::{Category, Finding, Format, NotCleaned, Report, ScrubError, ScrubOutcome};

use self::package::{Package, RootParts, main_part_format, rels_source, write_member, zip_error};
use self::parts::{APP_SHELL, CORE_SHELL, binary_part};
use self::policy::{
    APP_FIELDS, CORE_FIELDS, EMBEDDED, dropped_findings, filter_content_types, filter_part, filter_rels, role,
};
use self::xml::{Notes, property_findings};

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

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipArchive};

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
}
