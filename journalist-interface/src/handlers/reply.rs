//! `POST /reply`: the server encrypts the journalist's text to the source's derived key
//! and the submission key, stores `N-designation-reply.gpg`, and forgets the text.

use std::io::Write;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::{ErrorKind, HasKind};
use postern_crypto::{CryptoError, SourceCert, SubmissionKey, encrypt_reply};
use postern_store::{Store, StoreError};
use zeroize::Zeroizing;

use crate::auth::Journalist;
use crate::form::CheckedForm;
use crate::session::{Flash, Session};
use crate::state::JournalistState;

/// Longest reply, in characters (SecureDrop's limit for source messages).
const MAX_REPLY_CHARS: usize = 100_000;

/// Why a reply was not stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl HasKind for ReplyError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(e) => e.kind(),
            Self::Crypto(e) => e.kind(),
        }
    }
}

/// `POST /reply`: `message` to source `filesystem_id`.
pub(crate) async fn reply(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    let uuid = form.get("filesystem_id").to_owned();
    let back = format!("/col/{uuid}");
    let text = Zeroizing::new(form.get("message").to_owned());
    drop(form);
    let refuse = |why: &str| {
        session.flash(Flash::error(why));
        Redirect::to(&back).into_response()
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
    let state = app.clone();
    let author = j.id;
    let stored = tokio::task::spawn_blocking(move || {
        let Ok(key) = &state.inner.key else { return Ok(false) };
        store_reply(&state.inner.store, key, &uuid, author, &text)
    })
    .await
    .unwrap_or_else(|_| Err(ReplyError::Store(postern_core::internal!("a reply task panicked").into())));
    match stored {
        Ok(true) => {
            session.flash(Flash::info(
                "Your reply has been stored, encrypted. The source sees it the next time they log in.",
            ));
            Redirect::to(&back).into_response()
        }
        Ok(false) => app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await,
        Err(e) => app.failure(&session, "store a reply", &e).await,
    }
}

/// Encrypts and records a reply; false if the source does not exist.
fn store_reply(store: &Store, key: &SubmissionKey, uuid: &str, author: i64, text: &str) -> Result<bool, ReplyError> {
    let Some(source) = store.source_by_uuid(uuid)? else { return Ok(false) };
    let cert = SourceCert::from_armored(&store.source_public_key(source.id)?)?;
    let mut blob = store.begin_blob(&source)?;
    {
        let mut plain = encrypt_reply(key, &cert, &mut blob)?;
        plain.write_all(text.as_bytes()).map_err(CryptoError::Sink)?;
        plain.finish()?;
    }
    store.record_reply(source.id, Some(author), blob.finish()?)?;
    Ok(true)
}
