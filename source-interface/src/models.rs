//! What the interface's parts hand each other: notices, cleaning outcomes, replies as
//! shown. It depends on nothing else in this crate, so that the modules that produce
//! these and the views that show them need not depend on each other.

use postern_core::Sensitive;
use postern_scrub::{Category, Format, NotCleaned, StreamOutcome};

/// A notice shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flash {
    /// Logged out for inactivity or a session problem.
    SessionExpired,
    /// Account creation failed.
    TemporaryProblem,
    /// `/generate` or `/create` while logged in.
    AlreadyLoggedIn,
    /// A submission was stored (Fluent selector for what it held).
    Thanks { first: bool, what: &'static str },
    /// What the opt-in cleaning did to each file of that submission.
    Cleaned(Vec<FileCleaning>),
    /// The source hid one reply, or all.
    ReplyDeleted { all: bool },
}

/// What the opt-in cleaning did to one file: shown once to the source on the next
/// page, in categories only, and never stored or logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileCleaning {
    /// The (sanitised) file name the source chose.
    pub(crate) name: Sensitive<String>,
    /// What happened.
    pub(crate) result: CleaningResult,
}

/// The outcome of cleaning one file, as the source is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CleaningResult {
    /// These kinds of information were found and removed.
    Removed(Vec<Category>),
    /// A photo with nothing to remove.
    NothingFound,
    /// Not a JPEG, PNG or WebP photo: sent as it was.
    NotAPhoto,
    /// A photo of a kind not cleaned here (HEIC, TIFF, GIF): sent as it was.
    UnsupportedPhoto,
    /// A photo that could not be read to its end: not stored (the source asked for it
    /// to be cleaned, and that could not be done with confidence).
    NotSentDamaged,
    /// A WebP too large to clean here: not stored.
    NotSentTooLarge,
    /// A WebP that came while the server held as many as it allows: not stored.
    NotSentBusy,
}

impl CleaningResult {
    pub(crate) fn of(outcome: &StreamOutcome) -> Self {
        match outcome {
            StreamOutcome::Cleaned(o) if o.removed.is_empty() => Self::NothingFound,
            StreamOutcome::Cleaned(o) => Self::Removed(o.removed_categories()),
            StreamOutcome::NotCleaned { format: Format::Heif | Format::Tiff | Format::Gif, .. } => {
                Self::UnsupportedPhoto
            }
            StreamOutcome::NotCleaned { format, .. } if !format.is_streamable_image() => Self::NotAPhoto,
            StreamOutcome::NotCleaned { reason: NotCleaned::TooLarge { .. }, .. } => Self::NotSentTooLarge,
            StreamOutcome::NotCleaned { reason: NotCleaned::Busy, .. } => Self::NotSentBusy,
            StreamOutcome::NotCleaned { .. } => Self::NotSentDamaged,
        }
    }

    /// Whether the file was dropped instead of stored.
    pub(crate) fn not_sent(&self) -> bool {
        matches!(self, Self::NotSentDamaged | Self::NotSentTooLarge | Self::NotSentBusy)
    }
}

/// A reply as the source sees it.
pub(crate) struct ShownReply {
    /// `N-designation-reply.gpg`, to delete it by.
    pub(crate) filename: String,
    /// The plaintext, or `None` if it could not be read or decrypted.
    pub(crate) text: Option<String>,
}

/// The logged-in source of a request.
pub(crate) struct LoggedIn {
    pub(crate) source: postern_store::SourceId,
    pub(crate) csrf: String,
    pub(crate) show_codename: Option<String>,
}
