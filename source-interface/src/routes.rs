//! The route table, and nothing else.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use postern_web::HeaderPolicy;

use crate::error::ErrorPages;
use crate::handlers::{account, info, replies, submit};
use crate::middleware;
use crate::session::SourceData;
use crate::state::SourceState;

/// The whole source interface, testable without Tor.
pub fn router(state: SourceState) -> Router {
    Router::new()
        .route("/", get(info::index))
        .route("/generate", get(account::generate_get).post(account::generate))
        .route("/create", post(account::create))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/lookup", get(submit::lookup))
        .route("/submit", post(submit::submit))
        .route("/delete", post(replies::delete))
        .route("/delete-all", post(replies::delete_all))
        .route("/public-key", get(info::public_key))
        .route("/journalist-key", get(info::journalist_key))
        .route("/why-public-key", get(info::why_public_key))
        .route("/use-tor", get(info::use_tor))
        .route("/tor2web-warning", get(info::tor2web_warning))
        .route("/metadata", get(info::metadata))
        .route("/robots.txt", get(info::robots_txt))
        .route("/static/style.css", get(info::stylesheet))
        .route("/static/i/logo.png", get(info::logo))
        .fallback(info::not_found)
        .method_not_allowed_fallback(info::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), middleware::offline_without_key))
        .layer(from_fn_with_state(ErrorPages(state.clone()), postern_web::error_boundary::<ErrorPages>))
        .layer(from_fn_with_state(state.inner.sessions.clone(), postern_web::sessions::<SourceData>))
        .layer(from_fn_with_state(state.clone(), middleware::refuse_tor2web))
        .layer(from_fn_with_state(state.clone(), middleware::expected_host))
        .layer(from_fn_with_state(&HeaderPolicy::INTERFACE, postern_web::security_headers))
        .with_state(state)
}
