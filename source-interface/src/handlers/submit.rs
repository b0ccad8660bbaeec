//! The logged-in source's page, and receiving submissions.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::{ErrorKind, HasKind};
use postern_store::{InstanceSettings, SourceRecord};

use super::html;
use crate::i18n::human_size;
use crate::models::{Flash, LoggedIn};
use crate::session::Session;
use crate::state::SourceState;
use crate::upload::{self, DRAIN_FACTOR, MAX_FILES, MAX_MESSAGE_CHARS, Received, Refusal, Rules, SubmitError};
use crate::views::pages::{self, LookupView};

/// `GET /lookup`: the submission form (and, later, replies).
pub(crate) async fn lookup(State(app): State<SourceState>, session: Session) -> Response {
    match app.current_source(&session).await {
        Ok((login, source, settings)) => app.lookup_page(&session, &login, &source, &settings, None).await,
        Err(res) => res,
    }
}

/// `POST /submit`: a message and/or files, streamed and encrypted on receipt.
pub(crate) async fn submit(
    State(app): State<SourceState>,
    session: Session,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let max_bytes = app.inner.config.max_upload_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (login, source, settings) = match app.current_source(&session).await {
        Ok(found) => found,
        Err(res) => return after_draining(body, declared, max_bytes, res).await,
    };
    if declared.is_some_and(|len| len > max_bytes) {
        let res = app.refusal(&session, &login, &source, &settings, Refusal::TooLarge).await;
        return after_draining(body, declared, max_bytes, res).await;
    }
    let Ok(_upload_permit) = Arc::clone(&app.inner.upload_permits).try_acquire_owned() else {
        let res = app.error_page(&session, StatusCode::SERVICE_UNAVAILABLE, "error-heading", "error-busy").await;
        return after_draining(body, declared, max_bytes, res).await;
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let rules = Rules {
        max_bytes,
        allow_uploads: settings.allow_document_uploads,
        first: source.interaction_count == 0,
        min_len: settings.initial_message_min_len,
        reject_codename: settings.reject_message_with_codename,
    };
    match upload::receive(&app, &session, &source, content_type, body, &rules).await {
        Ok(received) => {
            if received.message || received.files > 0 {
                session.flash(Flash::Thanks { first: rules.first, what: thanks_for(&received) });
            }
            if !received.cleaning.is_empty() {
                session.flash(Flash::Cleaned(received.cleaning));
            }
            Redirect::to("/lookup").into_response()
        }
        Err(SubmitError::Refused(refusal)) => app.refusal(&session, &login, &source, &settings, refusal).await,
        Err(SubmitError::Failed(e)) if e.kind() == ErrorKind::Unauthorized => {
            // The account was deleted during the upload: as for any ended session.
            session.restart_with(Flash::SessionExpired);
            Redirect::to("/").into_response()
        }
        Err(SubmitError::Failed(e)) => app.failure(&session, &e).await,
    }
}

/// `res`, after reading what is left of the body, so that a browser, which sends the
/// whole body before it reads an answer, shows this page instead of a reset
/// connection. Bodies over [`DRAIN_FACTOR`] times the upload limit are cut off.
async fn after_draining(body: Body, declared: Option<u64>, max_bytes: u64, res: Response) -> Response {
    let cap = max_bytes.saturating_mul(DRAIN_FACTOR);
    if declared.is_none_or(|len| len <= cap) {
        upload::drain_body(body, cap).await;
    }
    res
}

/// The Fluent selector of the thank-you notice.
fn thanks_for(r: &Received) -> &'static str {
    match (r.message, r.files) {
        (true, 0) => "message",
        (false, 1) => "file",
        (false, _) => "files",
        (true, 1) => "message-file",
        (true, _) => "message-files",
    }
}

impl SourceState {
    /// The logged-in source with the instance settings, or the response for everyone else.
    async fn current_source(&self, session: &Session) -> Result<(LoggedIn, SourceRecord, InstanceSettings), Response> {
        let Some(login) = session.logged_in() else {
            return Err(self.not_logged_in(session));
        };
        let id = login.source;
        match self.with_store(move |s| Ok((s.source(id)?, s.instance_settings()?))).await {
            Ok((Some(source), settings)) => Ok((login, source, settings)),
            Ok((None, _)) => {
                // Deleted while logged in: the same notice as an expired session.
                session.restart_with(Flash::SessionExpired);
                Err(Redirect::to("/").into_response())
            }
            Err(e) => Err(self.failure(session, &e).await),
        }
    }

    async fn lookup_page(
        &self,
        session: &Session,
        login: &LoggedIn,
        source: &SourceRecord,
        settings: &InstanceSettings,
        error: Option<String>,
    ) -> Response {
        let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        let replies = self.shown_replies(session, source).await;
        let view = LookupView {
            replies,
            csrf: login.csrf.clone(),
            show_codename: login.show_codename.clone(),
            allow_uploads: settings.allow_document_uploads,
            max_upload: human_size(self.inner.config.max_upload_bytes),
            first_min_len: (source.interaction_count == 0 && settings.initial_message_min_len > 0)
                .then_some(settings.initial_message_min_len),
        };
        let ctx = self.page_ctx(session, error).await;
        (status, html(pages::lookup(&ctx, &view))).into_response()
    }

    /// The page for a refused submission; nothing of it was stored.
    async fn refusal(
        &self,
        session: &Session,
        login: &LoggedIn,
        source: &SourceRecord,
        settings: &InstanceSettings,
        refusal: Refusal,
    ) -> Response {
        let tr = &self.inner.tr;
        let error = match refusal {
            Refusal::Csrf => return self.csrf_failure(session).await,
            Refusal::Honeypot => {
                return self.error_page(session, StatusCode::FORBIDDEN, "error-heading", "error-forbidden").await;
            }
            Refusal::TooLarge => {
                let ctx = self.page_ctx(session, None).await;
                let body = tr.get1("error-too-large", "size", human_size(self.inner.config.max_upload_bytes));
                let page = pages::error(&ctx, &tr.get("error-too-large-heading"), &body);
                return (StatusCode::PAYLOAD_TOO_LARGE, html(page)).into_response();
            }
            Refusal::Malformed => tr.get("submit-malformed"),
            Refusal::TooManyFiles => tr.get1("submit-too-many-files", "max", MAX_FILES),
            Refusal::Empty => tr.get("submit-empty"),
            Refusal::MessageTooLong => tr.get1("submit-too-long", "max", MAX_MESSAGE_CHARS),
            Refusal::FirstMessageTooShort(min) => tr.get1("submit-too-short", "min", min),
            Refusal::Codename => tr.get("submit-codename"),
        };
        self.lookup_page(session, login, source, settings, Some(error)).await
    }
}
