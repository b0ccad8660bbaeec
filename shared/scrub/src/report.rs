//! What a file reveals and what scrubbing removed, in classes people understand.

use std::fmt;

use serde::Serialize;

/// A file format the library recognises (not necessarily one it can clean).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JPEG/JFIF/EXIF image.
    Jpeg,
    /// PNG or APNG image.
    Png,
    /// WebP image (RIFF).
    Webp,
    /// PDF document.
    Pdf,
    /// Word document (OOXML).
    Docx,
    /// Excel workbook (OOXML).
    Xlsx,
    /// PowerPoint presentation (OOXML).
    Pptx,
    /// HEIC/HEIF/AVIF (ISO base media): recognised, not cleaned.
    Heif,
    /// GIF: recognised, not cleaned.
    Gif,
    /// TIFF (and raw camera formats built on it): recognised, not cleaned.
    Tiff,
    /// A zip archive that is not an Office document.
    Zip,
    /// Anything else.
    Unknown,
}

impl Format {
    /// The usual name of the format.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
            Self::Pdf => "PDF",
            Self::Docx => "Word (DOCX)",
            Self::Xlsx => "Excel (XLSX)",
            Self::Pptx => "PowerPoint (PPTX)",
            Self::Heif => "HEIC/HEIF/AVIF",
            Self::Gif => "GIF",
            Self::Tiff => "TIFF",
            Self::Zip => "zip archive",
            Self::Unknown => "unknown",
        }
    }

    /// Whether [`crate::scrub`] can clean files of this format.
    pub fn is_cleanable(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Webp | Self::Pdf | Self::Docx | Self::Xlsx | Self::Pptx)
    }

    /// Whether the streaming scrubber (used by the source interface) handles it.
    pub fn is_streamable_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Webp)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A class of identifying information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// GPS coordinates, altitude, direction, place names.
    Location,
    /// Camera or device make, model, serial numbers, lens, maker notes.
    Device,
    /// Owner, author, creator, last editor, company or manager names.
    People,
    /// Capture, creation, modification and print times, time zones.
    Times,
    /// Software names and versions, editing history, templates, editing time.
    Software,
    /// Embedded thumbnails and previews (may show an uncropped original).
    Thumbnail,
    /// XMP packets (Adobe's extensible metadata).
    Xmp,
    /// IPTC/Photoshop information (captions, by-lines, places).
    Iptc,
    /// ICC colour profiles (can fingerprint a device).
    ColourProfile,
    /// Comments, annotations and their authors.
    Comments,
    /// Data after the end of the image or document.
    TrailingData,
    /// Document and image identifiers that link copies and versions.
    DocumentIds,
    /// Earlier revisions kept inside the file (PDF incremental updates).
    EarlierRevisions,
    /// Tracked changes, with their authors and times, including deleted text.
    TrackedChanges,
    /// Editing-session identifiers (Word rsids).
    EditSessions,
    /// Custom document properties, sensitivity labels, attached XML.
    CustomProperties,
    /// Embedded files, scripts, OLE objects and links to outside resources.
    EmbeddedContent,
    /// Other data not needed to display the file (unknown chunks, private segments).
    Other,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 18] = [
        Self::Location,
        Self::Device,
        Self::People,
        Self::Times,
        Self::Software,
        Self::Thumbnail,
        Self::Xmp,
        Self::Iptc,
        Self::ColourProfile,
        Self::Comments,
        Self::TrailingData,
        Self::DocumentIds,
        Self::EarlierRevisions,
        Self::TrackedChanges,
        Self::EditSessions,
        Self::CustomProperties,
        Self::EmbeddedContent,
        Self::Other,
    ];

    /// A stable machine name (also used in gzip header comments).
    pub fn key(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::Device => "device",
            Self::People => "people",
            Self::Times => "times",
            Self::Software => "software",
            Self::Thumbnail => "thumbnail",
            Self::Xmp => "xmp",
            Self::Iptc => "iptc",
            Self::ColourProfile => "colour-profile",
            Self::Comments => "comments",
            Self::TrailingData => "trailing-data",
            Self::DocumentIds => "document-ids",
            Self::EarlierRevisions => "earlier-revisions",
            Self::TrackedChanges => "tracked-changes",
            Self::EditSessions => "edit-sessions",
            Self::CustomProperties => "custom-properties",
            Self::EmbeddedContent => "embedded-content",
            Self::Other => "other",
        }
    }

    /// Plain words for people who are not file-format experts.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Location => "location (GPS coordinates or place names)",
            Self::Device => "camera or device details (make, model, serial numbers)",
            Self::People => "names of people (owner, author, editor, company)",
            Self::Times => "dates and times (when it was taken, created or changed)",
            Self::Software => "software and editing history",
            Self::Thumbnail => "embedded thumbnails or previews",
            Self::Xmp => "XMP metadata",
            Self::Iptc => "IPTC/Photoshop information (captions, credits, places)",
            Self::ColourProfile => "colour profile",
            Self::Comments => "comments and annotations",
            Self::TrailingData => "hidden data after the end of the file",
            Self::DocumentIds => "document identifiers that link copies and versions",
            Self::EarlierRevisions => "earlier versions kept inside the file",
            Self::TrackedChanges => "tracked changes (including deleted text) and their authors",
            Self::EditSessions => "editing-session identifiers",
            Self::CustomProperties => "custom properties and labels",
            Self::EmbeddedContent => "embedded files, scripts or links to outside resources",
            Self::Other => "other data not needed to show the file",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One piece of identifying information found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Its class.
    pub category: Category,
    /// Where in the file: "EXIF IFD0", "PNG tEXt", "PDF Info", "docProps/core.xml".
    pub place: String,
    /// The field or tag: "GPSLatitude", "Author", "w:rsidR".
    pub field: String,
    /// The value as text, shortened, when it is short and printable (never for the
    /// source interface, which shows categories only).
    pub value: Option<String>,
}

impl Finding {
    /// A finding without a value.
    pub fn new(category: Category, place: impl Into<String>, field: impl Into<String>) -> Self {
        Self { category, place: place.into(), field: field.into(), value: None }
    }

    /// A finding with a value (shortened to [`MAX_VALUE_CHARS`], control characters replaced).
    pub fn with_value(category: Category, place: impl Into<String>, field: impl Into<String>, value: &str) -> Self {
        Self { category, place: place.into(), field: field.into(), value: Some(printable(value)) }
    }
}

/// Longest value kept in a finding.
pub const MAX_VALUE_CHARS: usize = 120;

/// `value` without control or bidirectional-override characters, shortened.
pub fn printable(value: &str) -> String {
    let mut out: String = value
        .trim()
        .chars()
        .map(|c| if c.is_control() || is_bidi_control(c) { ' ' } else { c })
        .take(MAX_VALUE_CHARS)
        .collect();
    if value.trim().chars().count() > MAX_VALUE_CHARS {
        out.push('…');
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// What [`crate::inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The format, from the file's content (never its name).
    pub format: Format,
    /// Everything identifying that was found, in file order.
    pub findings: Vec<Finding>,
    /// Parts the inspection could not look into, in words ("an OLE object was not inspected").
    pub unchecked: Vec<String>,
    /// Why [`crate::scrub`] would refuse this file, if it would.
    pub not_cleanable: Option<NotCleaned>,
}

impl Report {
    /// The distinct categories found, in display order.
    pub fn categories(&self) -> Vec<Category> {
        categories_of(&self.findings)
    }
}

/// The distinct categories of `findings`, in display order.
pub fn categories_of(findings: &[Finding]) -> Vec<Category> {
    let mut out: Vec<Category> = findings.iter().map(|f| f.category).collect();
    out.sort();
    out.dedup();
    out
}

/// What [`crate::scrub`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubOutcome {
    /// The format cleaned.
    pub format: Format,
    /// What was removed.
    pub removed: Vec<Finding>,
    /// What was deliberately kept because viewers need it (e.g. EXIF orientation).
    pub kept: Vec<Finding>,
}

impl ScrubOutcome {
    /// The distinct categories removed, in display order.
    pub fn removed_categories(&self) -> Vec<Category> {
        categories_of(&self.removed)
    }
}

/// Why a file was not cleaned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", content = "detail", rename_all = "kebab-case")]
pub enum NotCleaned {
    /// The content matches no format we know.
    #[error("the file type was not recognised")]
    UnknownFormat,
    /// A format we recognise but do not clean yet.
    #[error("{0} files cannot be cleaned yet")]
    Unsupported(Format),
    /// The file is encrypted or password-protected.
    #[error("the file is encrypted or password-protected")]
    Encrypted,
    /// The file is damaged or not what it claims to be.
    #[error("the file is damaged or not a valid {format}: {detail}")]
    Malformed {
        /// The format it claimed to be.
        format: Format,
        /// What was wrong, in words (never file contents).
        detail: String,
    },
    /// Too large to process within the memory limit.
    #[error("the file is larger than the {limit_mib} MiB this tool cleans")]
    TooLarge {
        /// The limit in MiB.
        limit_mib: u64,
    },
    /// The server is holding as many large files as it allows; try again later.
    #[error("the server is busy cleaning other large files")]
    Busy,
    /// It contains something that cannot be cleaned with confidence.
    #[error("it contains {0}, which cannot be cleaned with confidence")]
    Uncleanable(String),
}

impl NotCleaned {
    /// A [`NotCleaned::Malformed`] for `format`.
    pub fn malformed(format: Format, detail: impl Into<String>) -> Self {
        Self::Malformed { format, detail: detail.into() }
    }
}

/// A failure to inspect or scrub.
#[derive(Debug, thiserror::Error)]
pub enum ScrubError {
    /// The file was not cleaned, for this reason.
    #[error("not cleaned: {0}")]
    NotCleaned(#[from] NotCleaned),
    /// Reading the input or writing the output failed.
    #[error("reading or writing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ScrubError {
    /// A malformed-file error for `format`.
    pub fn malformed(format: Format, detail: impl Into<String>) -> Self {
        Self::NotCleaned(NotCleaned::malformed(format, detail))
    }
}
