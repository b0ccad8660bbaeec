//! PDF: what a document reveals, and a cleaned copy written as one fresh revision.
//!
//! Cleaning edits the object graph with lopdf and saves a new, non-incremental file, so
//! earlier revisions (incremental updates) and anything after the end are gone. Removed:
//! the document information dictionary (`/Info`) and the trailer `/ID`; every XMP
//! `/Metadata` stream; `/PieceInfo` and `/LastModified` application data; page thumbnails
//! (`/Thumb`); comment, attachment and media annotations (Text, FreeText, Popup,
//! FileAttachment, Sound, Movie, Screen) and the author, dates, ids and comment text of the
//! annotations that stay; embedded files; JavaScript and automatic actions (`/AA`, a
//! JavaScript `/OpenAction` or link); digital signatures and their validation data (they
//! name the signer and would no longer verify); and the metadata of embedded JPEG images,
//! cleaned by [`crate::image`] with their compressed pixel data kept byte for byte.
//!
//! Kept: what the pages show (content streams, fonts, images, links, outlines, structure),
//! form fields with their names and values (reported as kept).
//!
//! Not touched, and not looked at: the visible content itself. Text under black boxes drawn
//! over it (and redaction annotations never applied), hidden optional-content layers, XFA
//! form data, JPEG 2000 images and printer tracking dots in scanned pages stay as they are.

use std::collections::HashSet;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::{Category, Finding, Format, NotCleaned, Report, ScrubError, ScrubOutcome, printable};

/// Deepest nesting of direct objects walked. lopdf's parser stops at 100, so nothing it
/// loads is cut short; the bound only keeps the stack safe.
const MAX_DEPTH: usize = 128;

/// Keys removed from every dictionary, with what they reveal. Each names the same thing
/// wherever it appears, so no context is needed.
const REMOVED_KEYS: &[(&[u8], Category)] = &[
    (b"Metadata", Category::Xmp),
    (b"PieceInfo", Category::Software),
    (b"LastModified", Category::Times),
    (b"Thumb", Category::Thumbnail),
    (b"AA", Category::EmbeddedContent),
    (b"JS", Category::EmbeddedContent),
    // These two are keys only of the catalog's name dictionary.
    (b"JavaScript", Category::EmbeddedContent),
    (b"EmbeddedFiles", Category::EmbeddedContent),
    // Associated files (PDF 2.0, PDF/A-3): embedded files hung on any object.
    (b"AF", Category::EmbeddedContent),
    // Document security store: certificates and revocation data of signers.
    (b"DSS", Category::People),
];

/// Annotations that are comments (sticky notes, text boxes and their pop-ups).
const COMMENT_ANNOTATIONS: &[&[u8]] = &[b"Text", b"FreeText", b"Popup"];
/// Annotations removed whole: comments, attachments and media.
const DROPPED_ANNOTATIONS: &[&[u8]] =
    &[b"Text", b"FreeText", b"Popup", b"FileAttachment", b"Sound", b"Movie", b"Screen"];

const UNREADABLE: &str = "the PDF structure could not be read";
const BAD_IMAGE: &str = "an embedded image that could not be cleaned";
const ODD_IMAGE: &str = "an embedded image in an unusual encoding";
const CONTENT_NOTE: &str =
    "the page content itself is not examined: text under black boxes, hidden layers and printer dots stay";
const ENCRYPTED_NOTE: &str = "the document is encrypted, so its contents could not be read";

/// Inventories a PDF in memory.
pub(crate) fn inspect(data: &[u8]) -> Result<Report, ScrubError> {
    let Some(doc) = load(data)? else {
        return Ok(Report {
            format: Format::Pdf,
            findings: revision_findings(data, None),
            unchecked: vec![ENCRYPTED_NOTE.to_owned()],
            not_cleanable: Some(NotCleaned::Encrypted),
        });
    };
    let encrypted = is_encrypted(&doc);
    if !encrypted && doc.catalog().is_err() {
        return Err(ScrubError::malformed(Format::Pdf, "the document catalog is missing"));
    }
    let survey = survey(&doc, Some(data), true);
    let mut findings = survey.findings;
    findings.extend(survey.kept);
    let mut unchecked = survey.unchecked;
    if doc.trailer.has(b"Encrypt") {
        // Not decrypted with the empty password: only the trailer could be read.
        unchecked.insert(0, ENCRYPTED_NOTE.to_owned());
    }
    let not_cleanable = if encrypted { Some(NotCleaned::Encrypted) } else { survey.blocker };
    Ok(Report { format: Format::Pdf, findings, unchecked, not_cleanable })
}

/// Writes a cleaned copy of a PDF in memory to `out` (nothing is written on error).
pub(crate) fn scrub(data: &[u8], out: &mut dyn Write) -> Result<ScrubOutcome, ScrubError> {
    let Some(mut doc) = load(data)? else { return Err(NotCleaned::Encrypted.into()) };
    if is_encrypted(&doc) {
        return Err(NotCleaned::Encrypted.into());
    }
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok()
        .filter(|id| doc.get_dictionary(*id).is_ok())
        .ok_or_else(|| ScrubError::malformed(Format::Pdf, "the document catalog is missing"))?;

    let before = survey(&doc, Some(data), false);
    let (mut removed, mut kept) = (before.findings, before.kept);
    clean_images(&mut doc, &mut removed, &mut kept)?;
    let plan = plan(&doc);
    apply(&mut doc, &plan);
    // A fresh trailer: no /Info, /ID, /Prev or stale cross-reference-stream keys.
    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root));
    doc.trailer = trailer;

    let saved = catch_unwind(AssertUnwindSafe(|| {
        // Drops what nothing reaches any more: the old Info, XMP and earlier versions.
        doc.prune_objects();
        let mut bytes = Vec::with_capacity(data.len());
        doc.save_to(&mut bytes).map(|()| bytes)
    }));
    drop(doc);
    let bytes = match saved {
        Ok(Ok(bytes)) => bytes,
        _ => return Err(ScrubError::malformed(Format::Pdf, "the cleaned PDF could not be written")),
    };
    verify(&bytes)?;
    out.write_all(&bytes)?;
    Ok(ScrubOutcome { format: Format::Pdf, removed, kept })
}

/// The document, `None` when it is encrypted and could not be read at all.
fn load(data: &[u8]) -> Result<Option<Document>, ScrubError> {
    // lopdf may panic on hostile input; a panic is a damaged file, not a crash.
    match catch_unwind(AssertUnwindSafe(|| Document::load_mem(data))) {
        Ok(Ok(doc)) => Ok(Some(doc)),
        _ if find(data, b"/Encrypt").is_some() => Ok(None),
        Ok(Err(error)) => Err(ScrubError::malformed(Format::Pdf, describe(&error))),
        Err(_) => Err(ScrubError::malformed(Format::Pdf, UNREADABLE)),
    }
}

/// What went wrong, in words (lopdf's messages can quote the file).
fn describe(error: &lopdf::Error) -> &'static str {
    use lopdf::Error as E;
    match error {
        E::Parse(lopdf::ParseError::InvalidFileHeader) => "it does not start with a PDF header",
        E::Decompress(_) => "a compressed part could not be decoded or is too large",
        E::Parse(_)
        | E::Xref(_)
        | E::IndirectObject { .. }
        | E::InvalidOffset(_)
        | E::MissingXrefEntry
        | E::ObjectIdMismatch
        | E::ObjectNotFound(_) => "its cross-reference table or objects could not be read",
        _ => UNREADABLE,
    }
}

/// Encrypted, whether or not lopdf could decrypt it with the empty password.
fn is_encrypted(doc: &Document) -> bool {
    doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some()
}

/// Reads the cleaned file back and refuses it if anything removable is left.
fn verify(bytes: &[u8]) -> Result<(), ScrubError> {
    let Ok(Some(doc)) = load(bytes) else {
        return Err(ScrubError::malformed(Format::Pdf, "the cleaned PDF could not be read back"));
    };
    if survey(&doc, None, false).findings.is_empty() {
        Ok(())
    } else {
        Err(NotCleaned::Uncleanable("metadata that could not be removed".to_owned()).into())
    }
}

/// What one pass over a document found.
#[derive(Default)]
struct Survey {
    /// What cleaning removes.
    findings: Vec<Finding>,
    /// What cleaning keeps (form values, image orientation).
    kept: Vec<Finding>,
    unchecked: Vec<String>,
    blocker: Option<NotCleaned>,
}

impl Survey {
    fn block(&mut self, reason: &str) {
        if self.blocker.is_none() {
            self.blocker = Some(NotCleaned::Uncleanable(reason.to_owned()));
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        // A bounded list: a file with thousands of odd objects costs no quadratic search.
        if self.unchecked.len() >= 100 {
            return;
        }
        let text = text.into();
        if !self.unchecked.contains(&text) {
            self.unchecked.push(text);
        }
    }
}

/// Everything identifying in `doc`; `raw` adds what only the bytes show (revisions), and
/// `images` looks inside embedded JPEGs.
fn survey(doc: &Document, raw: Option<&[u8]>, images: bool) -> Survey {
    let mut s = Survey::default();
    s.note(CONTENT_NOTE);
    if let Some(raw) = raw {
        s.findings.extend(revision_findings(raw, Some(doc)));
    }
    info_findings(doc, &mut s.findings);
    if doc.trailer.has(b"ID") {
        s.findings.push(Finding::new(Category::DocumentIds, "PDF trailer", "ID"));
    }
    let root = doc.trailer.get(b"Root").and_then(Object::as_reference).ok();
    let annotations = annotations(doc);
    for (&id, object) in &doc.objects {
        let place = if Some(id) == root { "catalog".to_owned() } else { format!("object {} {}", id.0, id.1) };
        let listed = annotations.ids.contains(&id);
        each_dict(object, 0, &mut |dict: &Dictionary, top: bool| survey_dict(dict, top && listed, &place, &mut s));
        if let (true, Object::Stream(stream)) = (images, object) {
            survey_image(doc, &place, stream, &mut s);
        }
    }
    s
}

/// The trailer's document information dictionary, entry by entry.
fn info_findings(doc: &Document, out: &mut Vec<Finding>) {
    let Ok(info) = doc.trailer.get(b"Info") else { return };
    let Ok((_, Object::Dictionary(dict))) = doc.dereference(info) else {
        if doc.trailer.has(b"Encrypt") {
            out.push(Finding::new(Category::Other, "PDF Info", "document information (encrypted)"));
        }
        return;
    };
    for (key, value) in dict {
        let category = match key.as_slice() {
            b"Author" => Category::People,
            b"Creator" | b"Producer" => Category::Software,
            b"CreationDate" | b"ModDate" => Category::Times,
            b"Title" | b"Subject" | b"Keywords" | b"Trapped" => Category::Other,
            _ => Category::CustomProperties,
        };
        out.push(finding(category, "PDF Info", key, doc.dereference(value).ok().map(|(_, v)| v)));
    }
}

/// Earlier revisions kept after an incremental update, and data after the last `%%EOF`.
fn revision_findings(data: &[u8], doc: Option<&Document>) -> Vec<Finding> {
    let mut out = Vec::new();
    let (eofs, last) = eof_markers(data);
    // A linearized file has two sections (first page, then the rest) in one revision.
    let linearized =
        doc.is_some_and(|d| d.linearization.is_some()) || find(&data[..data.len().min(1024)], b"/Linearized").is_some();
    let normal = if linearized { 2 } else { 1 };
    let updated =
        eofs > normal || doc.is_some_and(|d| d.revision_count() > 1 || (!linearized && d.trailer.has(b"Prev")));
    if updated {
        out.push(Finding::new(Category::EarlierRevisions, "PDF file", "incremental updates"));
    }
    let tail = last.map_or(&[][..], |at| &data[at + 5..]);
    if tail.iter().any(|b| !b.is_ascii_whitespace() && *b != 0) {
        out.push(Finding::new(Category::TrailingData, "PDF file", "data after %%EOF"));
    }
    out
}

/// How many `%%EOF` markers start a line, and where the last one is.
fn eof_markers(data: &[u8]) -> (usize, Option<usize>) {
    let mut found = (0, None);
    for (at, window) in data.windows(5).enumerate() {
        if window == b"%%EOF" && (at == 0 || matches!(data[at - 1], b'\r' | b'\n')) {
            found = (found.0 + 1, Some(at));
        }
    }
    found
}

/// Checks one dictionary; `listed` says it is an annotation named in a page's `/Annots`.
fn survey_dict(dict: &Dictionary, listed: bool, place: &str, s: &mut Survey) {
    for &(key, category) in REMOVED_KEYS {
        if let Ok(value) = dict.get(key) {
            s.findings.push(finding(category, place, key, (key == b"LastModified").then_some(value)));
        }
    }
    if dict.has_type(b"EmbeddedFile") || is_file_spec(dict) {
        s.findings.push(Finding::new(Category::EmbeddedContent, place, "embedded file"));
    }
    if is_signature(dict) {
        s.findings.push(Finding::new(Category::People, place, "digital signature (signer and certificate)"));
    }
    if dict.has(b"OCProperties") {
        s.note("optional-content layers (which can hide content) are not examined");
    }
    if dict.has(b"XFA") {
        s.note("XFA form data is not inspected");
    }
    if listed || dict.has_type(b"Annot") {
        survey_annotation(dict, place, s);
    }
    let field = dict.has(b"FT") || dict.has(b"T") || dict.has(b"Parent");
    if let (true, Ok(value)) = (field && name(dict, b"FT") != b"Sig", dict.get(b"V")) {
        s.kept.push(finding(Category::Other, place, b"form field value", Some(value)));
    }
}

fn survey_annotation(dict: &Dictionary, place: &str, s: &mut Survey) {
    let subtype = name(dict, b"Subtype");
    let label = format!("{} annotation", String::from_utf8_lossy(subtype));
    if COMMENT_ANNOTATIONS.contains(&subtype) {
        s.findings.push(finding(Category::Comments, place, label.as_bytes(), dict.get(b"Contents").ok()));
    } else if DROPPED_ANNOTATIONS.contains(&subtype) {
        s.findings.push(finding(Category::EmbeddedContent, place, label.as_bytes(), None));
    } else if subtype == b"Redact" {
        s.note("a redaction was marked but never applied: the content under it is still in the file");
    }
    for (key, category) in annotation_keys(subtype) {
        if let Ok(value) = dict.get(key) {
            s.findings.push(finding(category, place, key, Some(value)));
        }
    }
}

/// The keys removed from an annotation that stays, with what they reveal.
fn annotation_keys(subtype: &[u8]) -> Vec<(&'static [u8], Category)> {
    let mut keys: Vec<(&'static [u8], Category)> = vec![
        (&b"M"[..], Category::Times),
        (&b"CreationDate"[..], Category::Times),
        (&b"NM"[..], Category::DocumentIds),
    ];
    // A widget's /T is its form field's name, needed for the form to work.
    if subtype != b"Widget" {
        keys.extend([
            (&b"T"[..], Category::People),
            (&b"RC"[..], Category::Comments),
            (&b"Subj"[..], Category::Comments),
        ]);
    }
    if is_markup(subtype) {
        keys.push((&b"Contents"[..], Category::Comments));
    }
    keys
}

/// Embedded JPEGs, inventoried by the image cleaner.
fn survey_image(doc: &Document, place: &str, stream: &lopdf::Stream, s: &mut Survey) {
    let Some(filters) = filters(doc, &stream.dict) else { return };
    if filters.iter().any(|f| f == b"JPXDecode") {
        s.note("JPEG 2000 images are not inspected");
    }
    if !filters.iter().any(|f| f == b"DCTDecode") {
        return;
    }
    if filters.len() != 1 {
        s.note(format!("an image in {place} is wrapped in another encoding and was not inspected"));
        s.block(ODD_IMAGE);
        return;
    }
    match crate::image::inspect_bytes(&stream.content) {
        Ok(report) => {
            s.findings.extend(report.findings.into_iter().map(|f| in_image(place, f)));
            for line in report.unchecked {
                s.note(format!("image in {place}: {line}"));
            }
            if report.not_cleanable.is_some() {
                s.block(BAD_IMAGE);
            }
        }
        Err(_) => {
            s.note(format!("an image in {place} could not be read"));
            s.block(BAD_IMAGE);
        }
    }
}

/// Replaces each embedded JPEG with its cleaned copy (set_content also fixes /Length).
fn clean_images(doc: &mut Document, removed: &mut Vec<Finding>, kept: &mut Vec<Finding>) -> Result<(), ScrubError> {
    let mut jpegs = Vec::new();
    for (&id, object) in &doc.objects {
        let Object::Stream(stream) = object else { continue };
        let Some(filters) = filters(doc, &stream.dict) else { continue };
        if filters.iter().any(|f| f == b"DCTDecode") {
            if filters.len() != 1 {
                return Err(NotCleaned::Uncleanable(ODD_IMAGE.to_owned()).into());
            }
            jpegs.push(id);
        }
    }
    for id in jpegs {
        let Some(Object::Stream(stream)) = doc.objects.get_mut(&id) else { continue };
        let (clean, outcome) = crate::image::scrub_bytes(&stream.content)
            .map_err(|_| ScrubError::from(NotCleaned::Uncleanable(BAD_IMAGE.to_owned())))?;
        stream.set_content(clean);
        let place = format!("object {} {}", id.0, id.1);
        removed.extend(outcome.removed.into_iter().map(|f| in_image(&place, f)));
        kept.extend(outcome.kept.into_iter().map(|f| in_image(&place, f)));
    }
    Ok(())
}

/// A stream's filter names, following references; `None` if they are not names.
fn filters(doc: &Document, dict: &Dictionary) -> Option<Vec<Vec<u8>>> {
    let Ok(filter) = dict.get(b"Filter") else { return Some(Vec::new()) };
    let name_of = |object: &Object| doc.dereference(object).ok()?.1.as_name().ok().map(<[u8]>::to_vec);
    match doc.dereference(filter).ok()?.1 {
        Object::Null => Some(Vec::new()),
        Object::Array(items) => items.iter().map(name_of).collect(),
        other => name_of(other).map(|name| vec![name]),
    }
}

/// Annotations named by pages, and the array objects that list them.
#[derive(Default)]
struct Annotations {
    ids: HashSet<ObjectId>,
    arrays: HashSet<ObjectId>,
}

fn annotations(doc: &Document) -> Annotations {
    let mut found = Annotations::default();
    for object in doc.objects.values() {
        each_dict(object, 0, &mut |dict: &Dictionary, _: bool| {
            let list = match dict.get(b"Annots") {
                Ok(Object::Array(items)) => items,
                Ok(Object::Reference(id)) => match doc.objects.get(id) {
                    Some(Object::Array(items)) => {
                        found.arrays.insert(*id);
                        items
                    }
                    _ => return,
                },
                _ => return,
            };
            found.ids.extend(list.iter().filter_map(|item| item.as_reference().ok()));
        });
    }
    found
}

/// What cleaning deletes outright, decided before anything changes.
struct Plan {
    /// Dropped annotations, embedded files and signatures; references to them become null.
    delete: HashSet<ObjectId>,
    /// JavaScript actions, so the keys that point at them can go.
    scripts: HashSet<ObjectId>,
    annotations: Annotations,
}

/// A file specification that embeds a file (its `/EF` streams need no `/Type`, so the
/// specification, which also names the file, goes; the streams become unreferenced).
fn is_file_spec(dict: &Dictionary) -> bool {
    dict.has(b"EF") || dict.has_type(b"Filespec")
}

fn plan(doc: &Document) -> Plan {
    let annotations = annotations(doc);
    let (mut delete, mut scripts) = (HashSet::new(), HashSet::new());
    for (&id, object) in &doc.objects {
        let dict = match object {
            Object::Dictionary(dict) => dict,
            Object::Stream(stream) => &stream.dict,
            _ => continue,
        };
        let annotation = dict.has_type(b"Annot") || annotations.ids.contains(&id);
        if (annotation && dropped(dict)) || dict.has_type(b"EmbeddedFile") || is_file_spec(dict) || is_signature(dict) {
            delete.insert(id);
        }
        if is_script(dict) {
            scripts.insert(id);
        }
    }
    Plan { delete, scripts, annotations }
}

fn apply(doc: &mut Document, plan: &Plan) {
    doc.objects.retain(|id, _| !plan.delete.contains(id));
    for (id, object) in doc.objects.iter_mut() {
        if let (true, Object::Array(items)) = (plan.annotations.arrays.contains(id), &mut *object) {
            keep_annotations(items, &plan.delete);
        }
        let listed = plan.annotations.ids.contains(id);
        each_dict_mut(object, 0, &mut |dict: &mut Dictionary, top: bool| clean_dict(dict, top && listed, plan));
    }
}

fn clean_dict(dict: &mut Dictionary, listed: bool, plan: &Plan) {
    for (key, _) in REMOVED_KEYS {
        dict.remove(key);
    }
    for key in [&b"A"[..], &b"OpenAction"[..]] {
        let script = match dict.get(key) {
            Ok(Object::Dictionary(action)) => is_script(action),
            Ok(Object::Reference(id)) => plan.scripts.contains(id),
            _ => false,
        };
        if script {
            dict.remove(key);
        }
    }
    if matches!(dict.get(b"V"), Ok(Object::Dictionary(value)) if is_signature(value)) {
        dict.remove(b"V");
    }
    if let Ok(Object::Array(items)) = dict.get_mut(b"Annots") {
        keep_annotations(items, &plan.delete);
    }
    if listed || dict.has_type(b"Annot") {
        let subtype = name(dict, b"Subtype").to_vec();
        for (key, _) in annotation_keys(&subtype) {
            dict.remove(key);
        }
        if subtype != b"Widget" {
            // Links to removed pop-ups and replied-to comments.
            dict.remove(b"Popup");
            dict.remove(b"IRT");
        }
    }
}

/// Drops deleted and dropped annotations from an `/Annots` array.
fn keep_annotations(items: &mut Vec<Object>, delete: &HashSet<ObjectId>) {
    items.retain(|item| match item {
        Object::Reference(id) => !delete.contains(id),
        Object::Dictionary(dict) => !dropped(dict),
        _ => true,
    });
}

/// Markup annotations, whose `/Contents` is the reviewer's comment rather than alt text.
fn is_markup(subtype: &[u8]) -> bool {
    matches!(
        subtype,
        b"Line"
            | b"Square"
            | b"Circle"
            | b"Polygon"
            | b"PolyLine"
            | b"Highlight"
            | b"Underline"
            | b"Squiggly"
            | b"StrikeOut"
            | b"Stamp"
            | b"Caret"
            | b"Ink"
            | b"Redact"
    )
}

fn dropped(dict: &Dictionary) -> bool {
    DROPPED_ANNOTATIONS.contains(&name(dict, b"Subtype"))
}

fn is_script(dict: &Dictionary) -> bool {
    name(dict, b"S") == b"JavaScript" || dict.has(b"JS")
}

fn is_signature(dict: &Dictionary) -> bool {
    dict.has(b"ByteRange") || dict.has_type(b"Sig") || dict.has_type(b"DocTimeStamp")
}

/// Calls `f` on every dictionary in `object` (and stream dictionaries), with whether it is
/// the object itself rather than nested in it. Direct objects only: references are not
/// followed, so the walk ends.
fn each_dict(object: &Object, depth: usize, f: &mut dyn FnMut(&Dictionary, bool)) {
    if depth > MAX_DEPTH {
        return;
    }
    let dict = match object {
        Object::Dictionary(dict) => dict,
        Object::Stream(stream) => &stream.dict,
        Object::Array(items) => {
            for item in items {
                each_dict(item, depth + 1, f);
            }
            return;
        }
        _ => return,
    };
    f(dict, depth == 0);
    for (_, value) in dict {
        each_dict(value, depth + 1, f);
    }
}

/// [`each_dict`] with changes; `f` runs before the dictionary's values are walked.
fn each_dict_mut(object: &mut Object, depth: usize, f: &mut dyn FnMut(&mut Dictionary, bool)) {
    if depth > MAX_DEPTH {
        return;
    }
    let dict = match object {
        Object::Dictionary(dict) => dict,
        Object::Stream(stream) => &mut stream.dict,
        Object::Array(items) => {
            for item in items.iter_mut() {
                each_dict_mut(item, depth + 1, f);
            }
            return;
        }
        _ => return,
    };
    f(dict, depth == 0);
    for (_, value) in dict.iter_mut() {
        each_dict_mut(value, depth + 1, f);
    }
}

/// A name entry, or nothing.
fn name<'a>(dict: &'a Dictionary, key: &[u8]) -> &'a [u8] {
    dict.get(key).and_then(Object::as_name).unwrap_or_default()
}

/// A finding for `key`, with the value when it is text.
fn finding(category: Category, place: &str, key: &[u8], value: Option<&Object>) -> Finding {
    let field = printable(&String::from_utf8_lossy(key));
    let text = match value {
        Some(Object::String(bytes, _)) => Some(decode(bytes)),
        Some(Object::Name(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    };
    match text {
        Some(text) if !text.trim().is_empty() => Finding::with_value(category, place, field, &text),
        _ => Finding::new(category, place, field),
    }
}

/// A PDF text string: UTF-16BE or UTF-8 with a byte-order mark, else PDFDocEncoding,
/// read as Latin-1 (they differ only in a few punctuation marks). Only the start is
/// decoded: findings show short values.
fn decode(bytes: &[u8]) -> String {
    let bytes = &bytes[..bytes.len().min(1024)];
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().copied().map(char::from).collect()
    }
}

/// An embedded image's finding, placed inside the PDF.
fn in_image(place: &str, finding: Finding) -> Finding {
    Finding { place: format!("image in {place}: {}", finding.place), ..finding }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use lopdf::xref::XrefType;
    use lopdf::{Stream, StringFormat};

    use super::*;

    const CONTENT: &[u8] = b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET q 64 0 0 48 72 600 cm /Im1 Do Q";
    const XMP: &[u8] =
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\
<rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator>Jane Source</dc:creator>\
</rdf:Description></rdf:RDF></x:xmpmeta>";

    fn dict(entries: Vec<(&str, Object)>) -> Dictionary {
        let mut dict = Dictionary::new();
        for (key, value) in entries {
            dict.set(key, value);
        }
        dict
    }

    fn n(name: &str) -> Object {
        Object::Name(name.as_bytes().to_vec())
    }

    fn int(value: i64) -> Object {
        Object::Integer(value)
    }

    fn text(value: &str) -> Object {
        Object::string_literal(value)
    }

    /// One page with text and a JPEG, and every kind of metadata the cleaner removes.
    fn sample() -> Document {
        let mut doc = Document::with_version("1.7");
        doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
        let pages = doc.new_object_id();
        let content = doc.add_object(Stream::new(Dictionary::new(), CONTENT.to_vec()));
        let image = dict(vec![
            ("Type", n("XObject")),
            ("Subtype", n("Image")),
            ("Width", int(64)),
            ("Height", int(48)),
            ("ColorSpace", n("DeviceRGB")),
            ("BitsPerComponent", int(8)),
            ("Filter", n("DCTDecode")),
        ]);
        let image = doc.add_object(Stream::new(image, crate::image::test_jpeg_with_exif()));
        let note = doc.add_object(dict(vec![
            ("Type", n("Annot")),
            ("Subtype", n("Text")),
            ("Rect", Object::Array(vec![int(0), int(0), int(20), int(20)])),
            ("T", text("Jane Source")),
            ("Contents", text("check the ledger")),
            ("M", text("D:20240301120000Z")),
        ]));
        let resources = dict(vec![("XObject", Object::Dictionary(dict(vec![("Im1", Object::Reference(image))])))]);
        let page = doc.add_object(dict(vec![
            ("Type", n("Page")),
            ("Parent", Object::Reference(pages)),
            ("MediaBox", Object::Array(vec![int(0), int(0), int(612), int(792)])),
            ("Contents", Object::Reference(content)),
            ("Resources", Object::Dictionary(resources)),
            ("Annots", Object::Array(vec![Object::Reference(note)])),
        ]));
        let kids = Object::Array(vec![Object::Reference(page)]);
        doc.objects
            .insert(pages, Object::Dictionary(dict(vec![("Type", n("Pages")), ("Kids", kids), ("Count", int(1))])));
        let xmp = doc.add_object(Stream::new(dict(vec![("Type", n("Metadata")), ("Subtype", n("XML"))]), XMP.to_vec()));
        let script = doc.add_object(dict(vec![("S", n("JavaScript")), ("JS", text("app.alert('hello')"))]));
        let catalog = doc.add_object(dict(vec![
            ("Type", n("Catalog")),
            ("Pages", Object::Reference(pages)),
            ("Metadata", Object::Reference(xmp)),
            ("OpenAction", Object::Reference(script)),
        ]));
        let info = doc.add_object(dict(vec![
            ("Author", text("Jane Source")),
            ("Creator", text("Writer")),
            ("Producer", text("LibreOffice 7.6")),
            ("CreationDate", text("D:20240301120000Z")),
        ]));
        doc.trailer.set("Root", Object::Reference(catalog));
        doc.trailer.set("Info", Object::Reference(info));
        let id = Object::String(b"0123456789abcdef".to_vec(), StringFormat::Hexadecimal);
        doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
        doc
    }

    fn save(doc: &mut Document) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn assert_clean(out: &[u8]) {
        let report = inspect(out).unwrap();
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(report.not_cleanable, None);
        assert_eq!(eof_markers(out).0, 1);
        for word in crate::fixtures::IDENTIFYING_STRINGS.iter().chain(&["Jane Source", "LibreOffice", "ledger"]) {
            assert!(find(out, word.as_bytes()).is_none(), "{word} survived");
        }
    }

    #[test]
    fn associated_files_go_with_their_names() {
        let mut doc = sample();
        // PDF/A-3 style: /AF on the catalog → a file specification → an /EF stream
        // without /Type (the key is optional).
        let stream = doc.add_object(Stream::new(Dictionary::new(), b"attached spreadsheet by Jane Source".to_vec()));
        let spec = doc.add_object(dict(vec![
            ("F", text("salaries-jane.xlsx")),
            ("UF", text("salaries-jane.xlsx")),
            ("EF", Object::Dictionary(dict(vec![("F", Object::Reference(stream))]))),
        ]));
        let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
        doc.get_dictionary_mut(root).unwrap().set("AF", Object::Array(vec![Object::Reference(spec)]));
        let data = save(&mut doc);
        let report = inspect(&data).unwrap();
        assert!(report.categories().contains(&Category::EmbeddedContent));
        let mut out = Vec::new();
        scrub(&data, &mut out).unwrap();
        assert!(find(&out, b"salaries-jane").is_none());
        assert!(find(&out, b"attached spreadsheet").is_none());
        assert_clean(&out);
    }

    #[test]
    fn inspect_finds_every_kind() {
        let report = inspect(&save(&mut sample())).unwrap();
        assert_eq!(report.format, Format::Pdf);
        assert_eq!(report.not_cleanable, None);
        let categories = report.categories();
        for category in [
            Category::People,
            Category::Software,
            Category::Times,
            Category::Xmp,
            Category::DocumentIds,
            Category::Comments,
            Category::EmbeddedContent,
            Category::Location,
        ] {
            assert!(categories.contains(&category), "{category} missing from {:?}", report.findings);
        }
        let has = |category: Category, place: &str, value: Option<&str>| {
            report
                .findings
                .iter()
                .any(|f| f.category == category && f.place.starts_with(place) && f.value.as_deref() == value)
        };
        assert!(has(Category::People, "PDF Info", Some("Jane Source")));
        assert!(has(Category::People, "object", Some("Jane Source")), "annotation author");
        assert!(has(Category::Comments, "object", Some("check the ledger")));
        assert!(has(Category::Xmp, "catalog", None));
        assert!(report.findings.iter().any(|f| f.place.starts_with("image in object")));
        assert!(!report.categories().contains(&Category::EarlierRevisions));
    }

    #[test]
    fn scrub_removes_metadata_and_keeps_the_page() {
        let data = save(&mut sample());
        let mut out: Vec<u8> = Vec::new();
        let outcome = scrub(&data, &mut out).unwrap();
        for category in [Category::People, Category::Xmp, Category::DocumentIds, Category::Location] {
            assert!(outcome.removed_categories().contains(&category), "{category} not removed");
        }
        assert_clean(&out);

        let doc = Document::load_mem(&out).unwrap();
        assert!(doc.trailer.get(b"Info").is_err() && doc.trailer.get(b"ID").is_err());
        let pages = doc.get_pages();
        assert_eq!(pages.len(), 1);
        let page = *pages.values().next().unwrap();
        let contents = doc.get_page_contents(page);
        assert_eq!(contents.len(), 1);
        assert_eq!(doc.get_object(contents[0]).unwrap().as_stream().unwrap().content, CONTENT);
        let image = doc
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .find(|s| s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(&b"Image"[..]))
            .unwrap();
        assert!(image.content.starts_with(&[0xff, 0xd8]));
        assert!(image.content.len() < crate::image::test_jpeg_with_exif().len());
        // The fixture's orientation is kept as an orientation-only EXIF block.
        assert!(crate::image::inspect_bytes(&image.content).unwrap().findings.is_empty());
    }

    #[test]
    fn incremental_update_is_reported_and_dropped() {
        let base = save(&mut sample());
        let doc = Document::load_mem(&base).unwrap();
        let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
        let (prev, info) = (doc.xref_start, doc.max_id + 1);
        let mut data = base;
        data.push(b'\n');
        let object_at = data.len();
        data.extend_from_slice(format!("{info} 0 obj\n<< /Author (Second Editor) >>\nendobj\n").as_bytes());
        let xref_at = data.len();
        let update = format!(
            "xref\n0 1\n0000000000 65535 f \n{info} 1\n{object_at:010} 00000 n \ntrailer\n\
             << /Size {} /Root {} {} R /Info {info} 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
            info + 1,
            root.0,
            root.1
        );
        data.extend_from_slice(update.as_bytes());

        let report = inspect(&data).unwrap();
        assert!(report.categories().contains(&Category::EarlierRevisions), "{:?}", report.findings);
        assert!(report.findings.iter().any(|f| f.value.as_deref() == Some("Second Editor")));
        let mut out: Vec<u8> = Vec::new();
        scrub(&data, &mut out).unwrap();
        assert!(find(&out, b"Second Editor").is_none());
        assert_clean(&out);
    }

    #[test]
    fn damaged_input_never_panics() {
        let data = save(&mut sample());
        for cut in (0..data.len()).step_by(97) {
            let _ = inspect(&data[..cut]);
            let _ = scrub(&data[..cut], &mut Vec::<u8>::new());
        }
        let mut junk = b"%PDF-1.7\n".to_vec();
        let mut x: u32 = 0x1234_5678;
        for _ in 0..4096 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            junk.push(x.to_be_bytes()[0]);
        }
        junk.extend_from_slice(b"\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF");
        let _ = inspect(&junk);
        let _ = scrub(&junk, &mut Vec::<u8>::new());
        assert!(inspect(b"%PDF-1.7\n").is_err());
    }

    #[test]
    fn encrypted_pdf_is_refused() {
        let mut doc = sample();
        let encrypt = doc.add_object(dict(vec![
            ("Filter", n("Standard")),
            ("V", int(1)),
            ("R", int(2)),
            ("O", Object::String(vec![7; 32], StringFormat::Hexadecimal)),
            ("U", Object::String(vec![9; 32], StringFormat::Hexadecimal)),
            ("P", int(-4)),
        ]));
        doc.trailer.set("Encrypt", Object::Reference(encrypt));
        let data = save(&mut doc);
        assert!(matches!(scrub(&data, &mut Vec::<u8>::new()), Err(ScrubError::NotCleaned(NotCleaned::Encrypted))));
        let report = inspect(&data).unwrap();
        assert_eq!(report.not_cleanable, Some(NotCleaned::Encrypted));
    }
}
