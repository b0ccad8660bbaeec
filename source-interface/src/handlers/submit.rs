//! The logged-in source's page, and receiving submissions: read (`upload.rs`), then
//! checked against the instance's rules and recorded here.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::{Codename, ErrorKind, HasKind};
use postern_intake::{IntakeError, record_submission, write_message};
use postern_store::{FinishedBlob, InstanceSettings, SourceRecord};
use postern_web::HttpError;
use zeroize::Zeroizing;

use super::html;
use crate::admission::NoSlot;
use crate::derivation::Requester;
use crate::error::AppError;
use crate::i18n::human_size;
use crate::models::{Flash, LoggedIn};
use crate::session::{Session, SourceSession};
use crate::state::SourceState;
use crate::upload::{
    self, MAX_FILES, MAX_MESSAGE_CHARS, Received, Receiver, Refusal, Submission, SubmitError, finish_blob,
};
use crate::views::pages::{self, LookupView};

/// `GET /lookup`: the submission form (and, later, replies).
pub(crate) async fn lookup(State(app): State<SourceState>, session: Session) -> Response {
    match app.current_source(&session).await {
        Ok((login, source, settings)) => app.lookup_page(&session, &login, &source, &settings, None).await,
        Err(res) => res,
    }
}

/// `POST /submit`: a message and/or files, streamed and encrypted on receipt. Every
/// refusal is answered without reading the rest of the body.
pub(crate) async fn submit(
    State(app): State<SourceState>,
    session: Session,
    by: Requester,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    let (login, source, settings) = match app.current_source(&session).await {
        Ok(found) => found,
        Err(res) => return Ok(closing(res)),
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > app.inner.config.max_upload_bytes) {
        return Ok(closing(app.refusal(&session, &login, &source, &settings, Refusal::TooLarge).await));
    }
    let slot = match app.inner.upload_slots.take(login.source, by.circuit()).await {
        Ok(slot) => slot,
        Err(no_slot) => return Ok(closing(app.no_slot_page(&session, no_slot).await)),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let sent = Sent { by: &by, content_type, meter: slot.meter() };
    match app.receive_submission(&session, &sent, &source, &settings, body).await {
        Ok(received) => Ok(app.thanks(&session, received, source.interaction_count == 0)),
        Err(SubmitError::Refused(refusal)) => {
            Ok(closing(app.refusal(&session, &login, &source, &settings, refusal).await))
        }
        Err(SubmitError::Failed(e)) if e.kind() == ErrorKind::Unauthorized => {
            // The account was deleted during the upload: as for any ended session.
            session.restart_with(Flash::SessionExpired);
            Ok(closing(Redirect::to("/").into_response()))
        }
        // Rendered by the error boundary, which keeps the `Connection: close`.
        Err(SubmitError::Failed(e)) => Ok(closing(HttpError::new("receive a submission", e).into_response())),
    }
}

/// `res` with `Connection: close`: the body may not have been read to its end, so the
/// connection cannot carry another request (the server lingers so the client reads it).
fn closing(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
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

/// Encrypts the message text into a finished blob, to the receiver's key.
async fn encrypt_text(to: &Receiver<'_>, message: Zeroizing<String>) -> Result<FinishedBlob, AppError> {
    let mut blob = to.store.begin_blob(to.source)?;
    write_message(to.key, &message, &mut blob)?;
    finish_blob(blob).await
}

/// How a submission arrives: who sends it, its type, its slot's meter.
struct Sent<'a> {
    by: &'a Requester,
    content_type: &'a str,
    meter: &'a Arc<crate::body::BodyMeter>,
}

/// The instance's rules for one source's submission.
struct Rules<'a> {
    /// Who sends it (a codename check costs a derivation in their name).
    by: &'a Requester,
    first: bool,
    min_len: u32,
    reject_codename: bool,
}

impl SourceState {
    /// Reads a submission, checks it against the instance's rules, and records it.
    async fn receive_submission(
        &self,
        session: &Session,
        sent: &Sent<'_>,
        source: &SourceRecord,
        settings: &InstanceSettings,
        body: Body,
    ) -> Result<Received, SubmitError> {
        let key = self.inner.key.as_ref().map_err(|p| AppError::from(IntakeError::from(*p)))?;
        let csrf_ok = |token: &str| session.csrf_ok(token);
        let to = Receiver {
            store: &self.inner.store,
            key,
            source,
            csrf_ok: &csrf_ok,
            max_bytes: self.inner.config.max_upload_bytes,
            allow_uploads: settings.allow_document_uploads,
            meter: sent.meter,
        };
        let submission = upload::receive(&to, sent.content_type, body).await?;
        let rules = Rules {
            by: sent.by,
            first: source.interaction_count == 0,
            min_len: settings.initial_message_min_len,
            reject_codename: settings.reject_message_with_codename,
        };
        self.accept(&to, submission, &rules).await
    }

    /// Records `submission` if it keeps the rules; nothing of it is kept otherwise.
    async fn accept(
        &self,
        to: &Receiver<'_>,
        submission: Submission,
        rules: &Rules<'_>,
    ) -> Result<Received, SubmitError> {
        let Submission { message, files, cleaning } = submission;
        if message.trim().is_empty() && files.is_empty() && cleaning.iter().any(|c| c.result.not_sent()) {
            // Only photos that could not be cleaned: nothing is stored, and the next page says why.
            return Ok(Received { message: false, files: 0, cleaning });
        }
        self.check_rules(to.source, rules, &message, files.len()).await?;
        let has_message = !message.trim().is_empty();
        let message = if has_message { Some(encrypt_text(to, message).await?) } else { None };
        let count = files.len();
        let (store, id) = (Arc::clone(to.store), to.source.id);
        postern_web::blocking(move || record_submission(&store, id, message, files)).await.map_err(AppError::from)?;
        Ok(Received { message: has_message, files: count, cleaning })
    }

    async fn check_rules(
        &self,
        source: &SourceRecord,
        rules: &Rules<'_>,
        message: &str,
        files: usize,
    ) -> Result<(), SubmitError> {
        let message = message.trim();
        if message.is_empty() && files == 0 {
            return Err(SubmitError::Refused(Refusal::Empty));
        }
        if !rules.first {
            return Ok(());
        }
        if rules.min_len > 0 && files == 0 && message.chars().count() < rules.min_len as usize {
            return Err(SubmitError::Refused(Refusal::FirstMessageTooShort(rules.min_len)));
        }
        // Only text that parses as a codename costs a derivation; it is refused if it is
        // this source's own codename.
        if rules.reject_codename
            && let Ok(candidate) = Codename::parse(message)
            && self.is_codename_of(rules.by, candidate, source.id).await?
        {
            return Err(SubmitError::Refused(Refusal::Codename));
        }
        Ok(())
    }

    /// The notices after a stored submission, and back to the source's page.
    fn thanks(&self, session: &Session, received: Received, first: bool) -> Response {
        if received.message || received.files > 0 {
            session.flash(Flash::Thanks { first, what: thanks_for(&received) });
        }
        if !received.cleaning.is_empty() {
            session.flash(Flash::Cleaned(received.cleaning));
        }
        Redirect::to("/lookup").into_response()
    }
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
            Err(e) => Err(HttpError::new("read the source's account", e).into_response()),
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

    /// The page for an upload that may not start now.
    async fn no_slot_page(&self, session: &Session, no_slot: NoSlot) -> Response {
        match no_slot {
            NoSlot::Busy => {
                self.error_page(session, StatusCode::SERVICE_UNAVAILABLE, "error-heading", "error-busy").await
            }
            NoSlot::ClientLimit => {
                self.error_page(session, StatusCode::TOO_MANY_REQUESTS, "error-heading", "error-uploads-at-once").await
            }
        }
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
            Refusal::TooSlow => {
                return self.error_page(session, StatusCode::REQUEST_TIMEOUT, "error-heading", "error-too-slow").await;
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
