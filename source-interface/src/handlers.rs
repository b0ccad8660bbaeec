//! Request handlers, one page flow per module, and the helpers they share.

pub(crate) mod account;
pub(crate) mod info;
pub(crate) mod replies;
pub(crate) mod submit;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;

use crate::models::Flash;
use crate::session::{Session, SourceSession};
use crate::state::SourceState;
use crate::views::{PageCtx, pages};

/// Shown when the organisation name cannot be read.
const FALLBACK_ORG: &str = "Postern";

impl SourceState {
    /// The frame facts of a page: organisation name and this session's pending notices.
    pub(crate) async fn page_ctx(&self, session: &Session, error: Option<String>) -> PageCtx<'_> {
        // One trip to the blocking pool for both frame facts.
        let (org, has_logo) = self
            .with_store(|s| Ok((s.instance_settings()?.organization_name, s.has_logo())))
            .await
            .unwrap_or_else(|_| (FALLBACK_ORG.to_owned(), false));
        let tr = &self.inner.tr;
        let notices = session.take_flashes().iter().flat_map(|f| flash_texts(tr, f)).collect();
        let logout_csrf = session.logged_in().map(|l| l.csrf);
        PageCtx { tr, org, notices, error, logout_csrf, has_logo }
    }

    /// A CSRF failure ends the session: the "logged out" page, never a stack trace.
    pub(crate) async fn csrf_failure(&self, session: &Session) -> Response {
        session.end();
        let mut ctx = self.page_ctx(session, None).await;
        ctx.notices.push(self.inner.tr.get("session-expired"));
        (StatusCode::FORBIDDEN, html(pages::logout(&ctx))).into_response()
    }

    /// Where a page that needs a logged-in source sends everyone else.
    pub(crate) fn not_logged_in(&self, session: &Session) -> Response {
        if session.was_expired() {
            session.restart_with(Flash::SessionExpired);
            axum::response::Redirect::to("/").into_response()
        } else {
            axum::response::Redirect::to("/login").into_response()
        }
    }
}

fn flash_texts(tr: &crate::i18n::Tr, flash: &Flash) -> Vec<String> {
    match flash {
        Flash::Cleaned(files) => files.iter().map(|f| cleaning_text(tr, f)).collect(),
        other => vec![flash_text(tr, other)],
    }
}

/// What the opt-in cleaning did to one file, in categories only.
fn cleaning_text(tr: &crate::i18n::Tr, file: &crate::upload::FileCleaning) -> String {
    use crate::upload::CleaningResult;
    let name = file.name.expose().as_str();
    let what = |categories: &[postern_scrub::Category]| {
        categories.iter().map(|c| tr.get(&format!("scrub-category-{}", c.key()))).collect::<Vec<_>>().join("; ")
    };
    match &file.result {
        CleaningResult::Removed(categories) => tr.get2("scrub-removed", ("file", name), ("what", what(categories))),
        CleaningResult::NothingFound => tr.get1("scrub-nothing-found", "file", name),
        CleaningResult::NotAPhoto => tr.get1("scrub-not-a-photo", "file", name),
        CleaningResult::UnsupportedPhoto => tr.get1("scrub-photo-not-supported", "file", name),
        CleaningResult::NotSentDamaged => tr.get1("scrub-not-sent-damaged", "file", name),
        CleaningResult::NotSentTooLarge => tr.get1("scrub-not-sent-too-large", "file", name),
        CleaningResult::NotSentBusy => tr.get1("scrub-not-sent-busy", "file", name),
    }
}

fn flash_text(tr: &crate::i18n::Tr, flash: &Flash) -> String {
    match flash {
        Flash::Cleaned(_) => String::new(),
        Flash::SessionExpired => tr.get("session-expired"),
        Flash::TemporaryProblem => tr.get("session-temporary-problem"),
        Flash::AlreadyLoggedIn => tr.get("generate-already-logged-in"),
        Flash::Thanks { first: true, .. } => tr.get("submit-thanks-first"),
        Flash::Thanks { first: false, what } => tr.get1("submit-thanks", "what", *what),
        Flash::ReplyDeleted { all: false } => tr.get("reply-deleted"),
        Flash::ReplyDeleted { all: true } => tr.get("replies-deleted"),
    }
}

/// A rendered page as an HTML body.
pub(crate) fn html(page: Markup) -> Html<String> {
    Html(page.into_string())
}
