//! `POST /reply`: the server encrypts the journalist's text to the source's derived key
//! and the submission key, stores `N-designation-reply.gpg`, and forgets the text.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_intake::{IntakeError, store_reply};
use postern_web::{Doing, HttpError};
use zeroize::Zeroizing;

use crate::auth::Journalist;
use crate::form::CheckedForm;
use crate::session::{Flash, Session};
use crate::state::JournalistState;

/// Longest reply, in characters (SecureDrop's limit for source messages).
const MAX_REPLY_CHARS: usize = 100_000;

/// `POST /reply`: `message` to source `filesystem_id`.
pub(crate) async fn reply(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Result<Response, HttpError> {
    let uuid = form.get("filesystem_id").to_owned();
    let back = format!("/col/{uuid}");
    let text = Zeroizing::new(form.get("message").to_owned());
    drop(form);
    let refuse = |why: &str| {
        session.flash(Flash::error(why));
        Ok(Redirect::to(&back).into_response())
    };
    if text.trim().is_empty() {
        return refuse("You cannot send an empty reply.");
    }
    if text.chars().count() > MAX_REPLY_CHARS {
        return refuse("The reply is too long: at most 100,000 characters.");
    }
    if app.inner.key.is_err() {
        return refuse("Replies are turned off: the submission key is missing or unusable.");
    }
    let (state, author) = (app.clone(), j.id);
    let stored: Result<bool, IntakeError> = postern_web::blocking(move || {
        let store = &state.inner.store;
        let (Ok(key), Some(source)) = (&state.inner.key, store.source_by_uuid(&uuid)?) else { return Ok(false) };
        store_reply(store, key, &source, Some(author), &text).map(|()| true)
    })
    .await;
    if !stored.doing("store a reply")? {
        return Ok(app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await);
    }
    session.flash(Flash::info("Your reply has been stored, encrypted. The source sees it the next time they log in."));
    Ok(Redirect::to(&back).into_response())
}
