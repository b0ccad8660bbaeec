//! What happens to each part and element: the drop list, the emptied property fields, the
//! relationships and Word markup removed, tracked changes accepted or rejected, and what each
//! of these is reported as.

use std::collections::HashSet;

use quick_xml::NsReader;
use quick_xml::events::BytesStart;

use crate::{Category, Finding, Format, ScrubError};

use super::package::{Package, RootParts, has_extension, rels_source, resolve_target};
use super::xml::{
    Action, Decision, Notes, attr, attributes, bad_xml, bound, custom_property_names, is_one_of, names_in, rewrite_xml,
    value,
};
use super::{Dropped, Role};

pub(super) const EMBEDDED: &str = "embedded objects or macros";
pub(super) const MEDIA: &str = "pictures, sound or video in a format other than JPEG, PNG or WebP";
pub(super) const UNKNOWN_PART: &str = "parts of an unrecognised type";
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

pub(super) const CORE_FIELDS: &[(&str, Category, &str)] = &[
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
pub(super) const APP_FIELDS: &[(&str, Category, &str)] = &[
    ("Application", Category::Software, "Application"),
    ("AppVersion", Category::Software, "AppVersion"),
    ("Template", Category::Software, "Template"),
    ("TotalTime", Category::Software, "TotalTime"),
    ("Company", Category::People, "Company"),
    ("Manager", Category::People, "Manager"),
    ("HyperlinkBase", Category::Other, "HyperlinkBase"),
];

/// What happens to the member `name` (`key`: its part name, see `part_key`).
pub(super) fn role(name: &str, key: &str, root: &RootParts) -> Role {
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
pub(super) fn dropped_findings(package: &mut Package<'_>, index: usize, name: &str, kind: Dropped) -> Vec<Finding> {
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

/// What a relationships part becomes.
pub(super) struct RelsOutcome {
    pub(super) bytes: Vec<u8>,
    /// Ids of the relationships removed.
    pub(super) ids: HashSet<String>,
    pub(super) removed: Vec<Finding>,
    pub(super) kept: Vec<Finding>,
}

pub(super) fn filter_rels(
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

pub(super) fn filter_content_types(
    data: &[u8],
    format: Format,
    dropped: &HashSet<String>,
) -> Result<Vec<u8>, ScrubError> {
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
pub(super) fn filter_part(
    data: &[u8],
    format: Format,
    notes: &mut Notes,
    dropped_ids: Option<&HashSet<String>>,
) -> Result<Vec<u8>, ScrubError> {
    rewrite_xml(data, format, |reader, e| examine(reader, e, notes, dropped_ids, format))
}

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
    let (resolved, local) = reader.resolver().resolve_element(e.name());
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
        let (resolved, name) = reader.resolver().resolve_attribute(attr.key);
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
