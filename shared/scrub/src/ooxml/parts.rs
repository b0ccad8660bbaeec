//! Members that are not filtered XML: pictures, fonts and other binary parts (cleaned, kept
//! or refused by their content), and the empty shells that replace the document properties.

use crate::{Finding, Format, NotCleaned, ScrubError};

use super::Run;
use super::package::has_extension;
use super::policy::{MEDIA, UNKNOWN_PART};

pub(super) const CORE_SHELL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#;
pub(super) const APP_SHELL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>"#;

/// A picture, font or other binary member: cleaned, kept or refused by its content.
pub(super) fn binary_part(
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
