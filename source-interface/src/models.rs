//! What the interface's parts hand each other: notices, cleaning outcomes, replies as
//! shown. It depends on nothing else in this crate, so that the modules that produce
//! these and the views that show them need not depend on each other.

use postern_core::Sensitive;

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

pub(crate) use postern_intake::{CleaningResult, OpenedReply};

/// The logged-in source of a request.
pub(crate) struct LoggedIn {
    pub(crate) source: postern_store::SourceId,
    pub(crate) csrf: String,
    /// A new source's codename, opened from its session with the cookie's pad.
    pub(crate) show_codename: Option<zeroize::Zeroizing<String>>,
}
