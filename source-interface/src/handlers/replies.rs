//! Replies on the source's page: decrypted in memory with the key rebuilt for this
//! request, and hidden from the source on request (journalists still list them).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::ErrorKind;
use std::sync::Arc;

use postern_intake::open_replies;
use postern_store::SourceRecord;
use postern_web::{Doing, HttpError};
use serde::Deserialize;

use crate::form::{CheckedForm, CsrfForm};
use crate::models::{Flash, OpenedReply};
use crate::session::{Session, SourceSession};
use crate::state::SourceState;

/// `POST /delete` form.
#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reply_filename: String,
}

/// `POST /delete-all` form.
#[derive(Deserialize)]
pub(crate) struct DeleteAllForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfForm for DeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CsrfForm for DeleteAllForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `POST /delete`: hides one of the logged-in source's own replies from it.
pub(crate) async fn delete(
    State(app): State<SourceState>,
    session: Session,
    CheckedForm(form): CheckedForm<DeleteForm>,
) -> Result<Response, HttpError> {
    let Some(login) = session.logged_in() else { return Ok(app.not_logged_in(&session)) };
    let id = login.source;
    let deleted = app.with_store(move |s| s.delete_reply_for_source(id, &form.reply_filename)).await;
    if !deleted.doing("hide a reply")? {
        // Not one of this source's visible replies: the same as any missing page.
        return Err(HttpError::of_kind(ErrorKind::NotFound, "hide a reply"));
    }
    session.flash(Flash::ReplyDeleted { all: false });
    Ok(Redirect::to("/lookup").into_response())
}

/// `POST /delete-all`: hides all of the logged-in source's replies from it.
pub(crate) async fn delete_all(
    State(app): State<SourceState>,
    session: Session,
    CheckedForm(_): CheckedForm<DeleteAllForm>,
) -> Result<Response, HttpError> {
    let Some(login) = session.logged_in() else { return Ok(app.not_logged_in(&session)) };
    let id = login.source;
    app.with_store(move |s| s.delete_all_replies_for_source(id)).await.doing("hide all replies")?;
    session.flash(Flash::ReplyDeleted { all: true });
    Ok(Redirect::to("/lookup").into_response())
}

impl SourceState {
    /// The source's visible replies, newest first, decrypted in memory. A reply whose
    /// file is missing or does not decrypt is listed without text; it never breaks the page.
    pub(crate) async fn shown_replies(&self, session: &Session, source: &SourceRecord) -> Vec<OpenedReply> {
        let (store, source, key) = (Arc::clone(&self.inner.store), source.clone(), session.reply_key());
        postern_web::blocking(move || open_replies(&store, &source, key.as_ref())).await.unwrap_or_default()
    }
}
