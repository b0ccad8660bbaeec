//! Streaming XML: reading parts for their values, rewriting them element by element with
//! the tags and attributes a caller decides to drop, and the per-part findings; UTF-8 only,
//! no DTDs, bounded nesting and namespace declarations.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Writer};

use crate::{Category, Finding, Format, ScrubError};

const MAX_DEPTH: usize = 5_000;
/// quick-xml looks prefixes up linearly, so declarations in scope bound the cost per element.
const MAX_NAMESPACES: usize = 256;

/// Findings for one part, each reported once.
pub(super) struct Notes {
    place: String,
    pub(super) findings: Vec<Finding>,
    seen: HashSet<(Category, &'static str, Option<String>)>,
}

impl Notes {
    pub(super) fn new(place: &str) -> Self {
        Self { place: place.to_owned(), findings: Vec::new(), seen: HashSet::new() }
    }

    pub(super) fn add(&mut self, category: Category, field: &'static str, value: Option<&str>) {
        let value = value.map(str::trim).filter(|value| !value.is_empty());
        if self.seen.insert((category, field, value.map(str::to_owned))) {
            self.findings.push(match value {
                Some(value) => Finding::with_value(category, self.place.as_str(), field, value),
                None => Finding::new(category, self.place.as_str(), field),
            });
        }
    }
}

pub(super) fn property_findings(
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

pub(super) fn custom_property_names(data: &[u8], format: Format) -> Result<Vec<String>, ScrubError> {
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
pub(super) fn names_in(data: &[u8], format: Format) -> Result<Vec<String>, ScrubError> {
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

/// What the rewriter does with an element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Action {
    /// Written (less the attributes listed with it).
    Keep,
    /// Its tags go, its content stays.
    Unwrap,
    /// Removed with everything inside.
    Remove,
}

/// An action and the indices of attributes to drop from a kept element.
pub(super) type Decision = (Action, Vec<usize>);

pub(super) fn bound<'a>(result: &ResolveResult<'a>) -> &'a [u8] {
    match result {
        ResolveResult::Bound(Namespace(ns)) => ns,
        _ => b"",
    }
}

pub(super) fn is_one_of(local: &[u8], names: &[&str]) -> bool {
    names.iter().any(|name| name.as_bytes() == local)
}

pub(super) fn bad_xml(format: Format) -> ScrubError {
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
pub(super) fn rewrite_xml<F>(data: &[u8], format: Format, mut decide: F) -> Result<Vec<u8>, ScrubError>
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
pub(super) enum Item<'a> {
    /// A start or empty element's local name and its attributes (local name, unescaped value).
    Element(&'a [u8], &'a [(Vec<u8>, String)]),
    /// A leaf element's local name and its unescaped text.
    Text(&'a [u8], &'a str),
}

/// Reads a part for its values only.
pub(super) fn walk_xml(data: &[u8], format: Format, mut visit: impl FnMut(Item<'_>)) -> Result<(), ScrubError> {
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

pub(super) fn attributes(e: &BytesStart<'_>, format: Format) -> Result<Vec<(Vec<u8>, String)>, ScrubError> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|_| bad_xml(format))?;
        let text = value(&attr, e, format)?;
        out.push((attr.key.local_name().into_inner().to_vec(), text));
    }
    Ok(out)
}

pub(super) fn value(attr: &Attribute<'_>, e: &BytesStart<'_>, format: Format) -> Result<String, ScrubError> {
    attr.decoded_and_normalized_value(quick_xml::XmlVersion::Implicit1_0, e.decoder())
        .map(Cow::into_owned)
        .map_err(|_| bad_xml(format))
}

pub(super) fn attr<'a>(attrs: &'a [(Vec<u8>, String)], key: &[u8]) -> Option<&'a str> {
    attrs.iter().find(|(name, _)| name.as_slice() == key).map(|(_, value)| value.as_str())
}
