//! Replies on the source's page: decrypted in memory with the key rebuilt for this
//! request, and hidden from the source on request (journalists still list them).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use postern_crypto::SourceReplyKey;
use postern_store::{ReplyRecord, SourceRecord};
use serde::Deserialize;

use super::account::CsrfForm;
use crate::models::{Flash, ShownReply};
use crate::session::Session;
use crate::state::SourceState;

/// Replies larger than this are not read (ours are at most a few hundred KiB).
const MAX_REPLY_BYTES: u64 = 4 * 1024 * 1024;

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
    form: Result<Form<DeleteForm>, FormRejection>,
) -> Response {
    let form = match app.csrf_checked(&session, form).await {
        Ok(form) => form,
        Err(res) => return res,
    };
    let Some(login) = session.logged_in() else { return app.not_logged_in(&session) };
    let id = login.source;
    match app.with_store(move |s| s.delete_reply_for_source(id, &form.reply_filename)).await {
        Ok(true) => {
            session.flash(Flash::ReplyDeleted { all: false });
            Redirect::to("/lookup").into_response()
        }
        // Not one of this source's visible replies: the same as any missing page.
        Ok(false) => {
            app.error_page(&session, axum::http::StatusCode::NOT_FOUND, "error-heading", "error-not-found").await
        }
        Err(e) => app.failure(&session, &e).await,
    }
}

/// `POST /delete-all`: hides all of the logged-in source's replies from it.
pub(crate) async fn delete_all(
    State(app): State<SourceState>,
    session: Session,
    form: Result<Form<DeleteAllForm>, FormRejection>,
) -> Response {
    if let Err(res) = app.csrf_checked(&session, form).await {
        return res;
    }
    let Some(login) = session.logged_in() else { return app.not_logged_in(&session) };
    let id = login.source;
    match app.with_store(move |s| s.delete_all_replies_for_source(id)).await {
        Ok(_) => {
            session.flash(Flash::ReplyDeleted { all: true });
            Redirect::to("/lookup").into_response()
        }
        Err(e) => app.failure(&session, &e).await,
    }
}

impl SourceState {
    /// The source's visible replies, newest first, decrypted in memory. A reply whose
    /// file is missing or does not decrypt is listed without text; it never breaks the page.
    pub(crate) async fn shown_replies(&self, session: &Session, source: &SourceRecord) -> Vec<ShownReply> {
        let source = source.clone();
        let Ok(replies) = self.with_store(move |s| s.replies(&source)).await else { return Vec::new() };
        let visible: Vec<ReplyRecord> = replies.into_iter().filter(|r| !r.deleted_by_source).rev().collect();
        if visible.is_empty() {
            return Vec::new();
        }
        let key = session.reply_key();
        tokio::task::spawn_blocking(move || visible.into_iter().map(|r| decrypt_one(key.as_ref(), r)).collect())
            .await
            .unwrap_or_default()
    }
}

fn decrypt_one(key: Option<&SourceReplyKey>, reply: ReplyRecord) -> ShownReply {
    let text = key.and_then(|key| {
        let ciphertext = read_bounded(&reply.path)?;
        let plain = key.decrypt(&ciphertext).ok()?;
        Some(String::from_utf8_lossy(&plain).into_owned())
    });
    ShownReply { filename: reply.filename, text }
}

fn read_bounded(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path).ok()?.take(MAX_REPLY_BYTES).read_to_end(&mut buf).ok()?;
    Some(buf)
}
