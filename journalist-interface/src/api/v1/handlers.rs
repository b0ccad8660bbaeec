//! The API's handlers: each reads the request, makes one call on the store (the same
//! operations the web pages use, and the listing queries made for clients), and
//! answers with one JSON view.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use postern_store::{SeenTargetKind, SeenTargets, Store, StoreError};
use postern_web::{HttpError, PathParams};
use zeroize::Zeroizing;

use super::json::{self, Listing, Message};
use crate::api::auth::ApiJournalist;
use crate::api::body::{JsonObject, is_uuid};
use crate::api::error::{ApiError, LOGIN_FAILED};
use crate::auth::LoginError;
use crate::state::JournalistState;

type Answer = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(body: T) -> Answer {
    Ok(Json(body).into_response())
}

/// `{"<key>": [items]}`, written into a buffer sized for it at once (a listing of
/// 100,000 submissions is about 45 MiB: doubling from axum's 128 bytes copies it ~19 times).
fn listing<T: serde::Serialize>(key: &'static str, items: Vec<T>, bytes_each: usize) -> Answer {
    let mut out = Vec::with_capacity(64 + items.len() * bytes_each);
    serde_json::to_writer(&mut out, &Listing(key, items))
        .map_err(|_| HttpError::of_kind(postern_core::ErrorKind::Internal, "write a listing"))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], out).into_response())
}

fn message(status: StatusCode, text: &'static str) -> Answer {
    Ok((status, Json(Message::only(text))).into_response())
}

/// `GET /api/v1/`: the endpoints (no token needed).
pub(crate) async fn root() -> Answer {
    ok(json::ENDPOINTS)
}

/// `POST /api/v1/token`: `username`, `passphrase`, `one_time_code` → a token, with the
/// sync hints for a client that names API v2's minor version 4 or later in `Prefer`.
pub(crate) async fn token(State(app): State<JournalistState>, headers: HeaderMap, body: JsonObject) -> Answer {
    let username = body.required("username")?.trim().to_owned();
    let passphrase = Zeroizing::new(body.required("passphrase")?.to_owned());
    let code = body.required("one_time_code")?.to_owned();
    drop(body);
    let j = match app.with_login(username, passphrase, code, |_, j| Ok(j)).await {
        Ok(Ok(j)) => j,
        Ok(Err(LoginError::Store(e))) => return Err(HttpError::new("check a login", e).into()),
        // Unknown user, wrong or used code, wrong or over-long passphrase, throttled,
        // damaged second factor: one answer, as SecureDrop gives.
        Ok(Err(_)) => return Err(ApiError::forbidden(LOGIN_FAILED)),
        Err(e) => return Err(HttpError::new("check a login", e).into()),
    };
    let hints = match crate::api::v2::Minor::requested(&headers) {
        Some(minor) if minor.0 >= 4 => Some(app.sync_hints().await?),
        _ => None,
    };
    let (token, lives) = app.issue_token(&j);
    let expires = i64::try_from(app.unix_now() + lives.as_secs()).unwrap_or(i64::MAX);
    ok(json::Token {
        expiration: json::timestamp(expires),
        hints,
        journalist_first_name: &j.first_name,
        journalist_last_name: &j.last_name,
        journalist_uuid: &j.uuid,
        token: token.expose(),
    })
}

/// `POST /api/v1/logout`: the token ends.
pub(crate) async fn logout(api: ApiJournalist) -> Answer {
    api.token.end();
    message(StatusCode::OK, "Your token has been revoked.")
}

/// `GET /api/v1/user`.
pub(crate) async fn user(api: ApiJournalist) -> Answer {
    ok(json::CurrentUser::from(&api.journalist))
}

/// `GET /api/v1/users`: every account, the `deleted` placeholder too.
pub(crate) async fn users(State(app): State<JournalistState>, _: ApiJournalist) -> Answer {
    let all = app.api_store("list journalists", Store::all_journalists).await?;
    listing("users", all.iter().map(json::User::from).collect(), 160)
}

/// `GET /api/v1/sources`.
pub(crate) async fn sources(State(app): State<JournalistState>, _: ApiJournalist) -> Answer {
    let all = app.api_store("list sources", Store::client_sources).await?;
    listing("sources", all.iter().map(json::Source::from).collect(), 2400)
}

/// `GET /api/v1/sources/<uuid>`.
pub(crate) async fn source(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let found = app.api_store("read a source", move |s| s.client_source(&uuid)).await?;
    ok(json::Source::from(&found.ok_or_else(ApiError::not_found)?))
}

/// What a source-wide action does.
#[derive(Clone, Copy)]
enum SourceAction {
    Delete,
    DeleteData,
    Star(bool),
}

/// Applies `action` to source `uuid` with the web pages' own operations; false if no
/// source that submitted has that UUID.
async fn on_source(app: &JournalistState, uuid: String, action: SourceAction) -> Result<bool, ApiError> {
    app.api_store("change a source", move |s| {
        if s.active_source(&uuid)?.is_none() {
            return Ok(false);
        }
        let uuids = [uuid];
        match action {
            SourceAction::Delete => s.delete_sources(&uuids)?,
            SourceAction::DeleteData => s.delete_sources_data(&uuids)?,
            SourceAction::Star(on) => s.set_starred_all(&uuids, on)?,
        };
        Ok(true)
    })
    .await
}

/// Answers `text` with `status` if `done`, else 404.
fn done_or_404(done: bool, status: StatusCode, text: &'static str) -> Answer {
    if done { message(status, text) } else { Err(ApiError::not_found()) }
}

/// `DELETE /api/v1/sources/<uuid>`: the account and everything it sent or received.
pub(crate) async fn delete_source(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let done = on_source(&app, uuid, SourceAction::Delete).await?;
    done_or_404(done, StatusCode::OK, "Source and submissions deleted")
}

/// `DELETE /api/v1/sources/<uuid>/conversation`: every item; the account stays.
pub(crate) async fn delete_conversation(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let done = on_source(&app, uuid, SourceAction::DeleteData).await?;
    done_or_404(done, StatusCode::OK, "Source data deleted")
}

/// `POST /api/v1/sources/<uuid>/add_star`.
pub(crate) async fn add_star(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let done = on_source(&app, uuid, SourceAction::Star(true)).await?;
    done_or_404(done, StatusCode::CREATED, "Star added")
}

/// `DELETE /api/v1/sources/<uuid>/remove_star`.
pub(crate) async fn remove_star(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let done = on_source(&app, uuid, SourceAction::Star(false)).await?;
    done_or_404(done, StatusCode::OK, "Star removed")
}

/// `POST /api/v1/sources/<uuid>/flag`: obsolete, kept for old clients (a no-op).
pub(crate) async fn flag(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let exists = app.api_store("read a source", move |s| s.active_source(&uuid)).await?.is_some();
    done_or_404(exists, StatusCode::OK, "Sources no longer need to be flagged for reply")
}

/// `GET /api/v1/submissions`.
pub(crate) async fn submissions(State(app): State<JournalistState>, _: ApiJournalist) -> Answer {
    let all = app.api_store("list submissions", |s| s.client_submissions(None)).await?;
    listing("submissions", all.iter().map(json::Submission::from).collect(), 480)
}

/// `GET /api/v1/sources/<uuid>/submissions`.
pub(crate) async fn source_submissions(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let found = app.api_store("list submissions", move |s| s.client_submissions_of(&uuid)).await?;
    let all = found.ok_or_else(ApiError::not_found)?;
    listing("submissions", all.iter().map(json::Submission::from).collect(), 480)
}

/// `GET /api/v1/sources/<uuid>/submissions/<uuid>`: only if it is that source's.
pub(crate) async fn submission(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
) -> Answer {
    let found = app.api_store("read a submission", move |s| s.client_submission(&source, &item)).await?;
    ok(json::Submission::from(&found.ok_or_else(ApiError::not_found)?))
}

/// Deletes item `item` of source `source` (a reply if `reply`), row then file.
async fn delete_item(app: &JournalistState, source: String, item: String, reply: bool) -> Result<bool, ApiError> {
    app.api_store("delete an item", move |s| match s.active_source(&source)? {
        Some(record) => s.delete_item_by_uuid(&record, &item, reply),
        None => Ok(false),
    })
    .await
}

/// `DELETE /api/v1/sources/<uuid>/submissions/<uuid>`.
pub(crate) async fn delete_submission(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
) -> Answer {
    let done = delete_item(&app, source, item, false).await?;
    done_or_404(done, StatusCode::OK, "Submission deleted")
}

/// `GET /api/v1/replies`.
pub(crate) async fn replies(State(app): State<JournalistState>, _: ApiJournalist) -> Answer {
    let all = app.api_store("list replies", |s| s.client_replies(None)).await?;
    listing("replies", all.iter().map(json::Reply::from).collect(), 560)
}

/// `GET /api/v1/sources/<uuid>/replies`.
pub(crate) async fn source_replies(
    State(app): State<JournalistState>,
    PathParams(uuid): PathParams<String>,
    _: ApiJournalist,
) -> Answer {
    let found = app.api_store("list replies", move |s| s.client_replies_of(&uuid)).await?;
    let all = found.ok_or_else(ApiError::not_found)?;
    listing("replies", all.iter().map(json::Reply::from).collect(), 560)
}

/// `GET /api/v1/sources/<uuid>/replies/<uuid>`: only if it is to that source.
pub(crate) async fn reply(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
) -> Answer {
    let found = app.api_store("read a reply", move |s| s.client_reply(&source, &item)).await?;
    ok(json::Reply::from(&found.ok_or_else(ApiError::not_found)?))
}

/// `DELETE /api/v1/sources/<uuid>/replies/<uuid>`.
pub(crate) async fn delete_reply(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
) -> Answer {
    let done = delete_item(&app, source, item, true).await?;
    done_or_404(done, StatusCode::OK, "Reply deleted")
}

/// `POST /api/v1/sources/<uuid>/replies`: `reply`, an armoured OpenPGP message the
/// client encrypted itself, and optionally the `uuid` it chose.
pub(crate) async fn post_reply(
    State(app): State<JournalistState>,
    PathParams(source): PathParams<String>,
    api: ApiJournalist,
    body: JsonObject,
) -> Answer {
    let armored = body.string("reply")?.ok_or_else(|| ApiError::bad_request("reply not found in request body"))?;
    if armored.trim().is_empty() {
        return Err(ApiError::bad_request("reply should not be empty"));
    }
    let uuid = body.string("uuid")?.map(str::to_ascii_lowercase);
    if uuid.as_deref().is_some_and(|u| !is_uuid(u)) {
        return Err(ApiError::bad_request("'uuid' was not a valid UUID"));
    }
    let ciphertext = postern_crypto::dearmor_encrypted_reply(armored)
        .map_err(|_| ApiError::bad_request("You must encrypt replies client side"))?;
    drop(body);
    let author = api.journalist.id;
    let stored = postern_web::blocking(move || {
        let store = &app.inner.store;
        let Some(record) = store.active_source(&source)? else { return Ok(None) };
        postern_intake::store_encrypted_reply(store, &record, author, &ciphertext, uuid.as_deref()).map(Some)
    })
    .await;
    match stored {
        Ok(Some((uuid, filename))) => {
            let body = Message { filename: Some(&filename), message: "Your reply has been stored", uuid: Some(&uuid) };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        // Deleted meanwhile: not found, never 403 (which clients take for a logout).
        Ok(None) | Err(postern_intake::IntakeError::Store(StoreError::NoSuchSource)) => Err(ApiError::not_found()),
        Err(postern_intake::IntakeError::Store(StoreError::UuidTaken)) => {
            Err(ApiError::Refused(StatusCode::CONFLICT, "That UUID is already in use.".into()))
        }
        Err(e) => Err(HttpError::new("store a reply", e).into()),
    }
}

/// `POST /api/v1/seen`: `files`, `messages`, `replies` (UUIDs), at least one not
/// empty; all or nothing.
pub(crate) async fn seen(State(app): State<JournalistState>, api: ApiJournalist, body: JsonObject) -> Answer {
    let targets = SeenTargets {
        files: body.strings("files")?,
        messages: body.strings("messages")?,
        replies: body.strings("replies")?,
    };
    if targets.files.is_empty() && targets.messages.is_empty() && targets.replies.is_empty() {
        return Err(ApiError::bad_request("Please specify the resources to mark seen."));
    }
    let journalist = api.journalist.id;
    match app.api_store("mark items seen", move |s| s.mark_seen_by_uuid(journalist, &targets)).await? {
        Ok(()) => message(StatusCode::OK, "resources marked seen"),
        Err((kind, uuid)) => {
            let what = match kind {
                SeenTargetKind::File => "file",
                SeenTargetKind::Message => "message",
                SeenTargetKind::Reply => "reply",
            };
            // SecureDrop names the UUID; we repeat it only if it is one.
            let uuid = if is_uuid(&uuid) { uuid } else { String::new() };
            Err(ApiError::not_found_because(format!("{what} not found: {uuid}").trim_end().to_owned()))
        }
    }
}
