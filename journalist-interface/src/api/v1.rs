//! Journalist API v1: SecureDrop's paths, methods, field names, timestamps and status
//! codes, so that SecureDrop's workstation client and SDK work unchanged.
//!
//! Every authentication failure is 403 (never 401); every error is JSON
//! `{"error", "message"}`; trailing slashes are 404; nothing here sets a cookie (tokens
//! travel in `Authorization: Token …`). Unlike SecureDrop, every item route checks that
//! the item belongs to the source in its path.

mod download;
mod handlers;
mod json;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::response::Redirect;
use axum::routing::{delete, get, post};
use postern_web::JsonErrors;

use crate::state::JournalistState;

/// The largest request body: an armoured reply of [`postern_crypto::MAX_ARMORED_REPLY_BYTES`],
/// JSON-escaped, with room to spare.
const MAX_API_BODY: usize = 2 * postern_crypto::MAX_ARMORED_REPLY_BYTES + 4096;

/// A login is a few hundred bytes, as on the web login; anything much larger is refused
/// unread.
const MAX_TOKEN_BODY: usize = 16 * 1024;

/// Where this version lives.
pub(crate) const PREFIX: &str = "/api/v1";

/// The API's routes, under [`PREFIX`].
pub(crate) fn router(state: JournalistState) -> Router {
    Router::new()
        .route("/api/v1", get(|| async { Redirect::permanent("/api/v1/") }))
        .route("/api/v1/", get(handlers::root))
        .route("/api/v1/token", post(handlers::token).layer(DefaultBodyLimit::max(MAX_TOKEN_BODY)))
        .route("/api/v1/logout", post(handlers::logout))
        .route("/api/v1/user", get(handlers::user))
        .route("/api/v1/users", get(handlers::users))
        .route("/api/v1/sources", get(handlers::sources))
        .route("/api/v1/sources/{source}", get(handlers::source).delete(handlers::delete_source))
        .route("/api/v1/sources/{source}/add_star", post(handlers::add_star))
        .route("/api/v1/sources/{source}/remove_star", delete(handlers::remove_star))
        .route("/api/v1/sources/{source}/flag", post(handlers::flag))
        .route("/api/v1/sources/{source}/conversation", delete(handlers::delete_conversation))
        .route("/api/v1/sources/{source}/submissions", get(handlers::source_submissions))
        .route(
            "/api/v1/sources/{source}/submissions/{item}",
            get(handlers::submission).delete(handlers::delete_submission),
        )
        .route("/api/v1/sources/{source}/submissions/{item}/download", get(download::submission))
        .route("/api/v1/sources/{source}/replies", get(handlers::source_replies).post(handlers::post_reply))
        .route("/api/v1/sources/{source}/replies/{item}", get(handlers::reply).delete(handlers::delete_reply))
        .route("/api/v1/sources/{source}/replies/{item}/download", get(download::reply))
        .route("/api/v1/submissions", get(handlers::submissions))
        .route("/api/v1/replies", get(handlers::replies))
        .route("/api/v1/seen", post(handlers::seen))
        .fallback(super::error::no_such_route)
        .method_not_allowed_fallback(super::error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_API_BODY))
        .layer(from_fn_with_state(JsonErrors, postern_web::error_boundary::<JsonErrors>))
        .layer(axum::middleware::from_fn(super::request_id))
        .with_state(state)
}
