//! The route table, and nothing else. Paths and field names follow SecureDrop's
//! journalist interface.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use postern_web::HeaderPolicy;

use crate::error::ErrorPages;
use crate::handlers::{self, account, admin, collection, download, login, reply};
use crate::middleware;
use crate::session::JournalistData;
use crate::state::JournalistState;

/// Form bodies (replies of up to 100,000 characters, percent-encoded) stay below this.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// A login form is a few hundred bytes; anything much larger is refused unread.
const MAX_LOGIN_BYTES: usize = 16 * 1024;

/// The whole journalist interface, testable without Tor: the API under `/api/v1` and `/api/v2`
/// (JSON errors, token authentication, no cookies) and the web pages everywhere else.
pub fn router(state: JournalistState) -> Router {
    let api = crate::api::ApiRouters::new(state.clone());
    pages(state.clone())
        // Outside the pages' sessions and error pages: API requests never meet them.
        .layer(from_fn_with_state(api, middleware::api_apart))
        .layer(from_fn_with_state(state, middleware::expected_host))
        .layer(from_fn_with_state(&HeaderPolicy::INTERFACE, postern_web::security_headers))
}

/// The web pages, with their sessions and HTML error pages.
fn pages(state: JournalistState) -> Router {
    Router::new()
        .route("/login", get(login::login_form).post(login::login).layer(DefaultBodyLimit::max(MAX_LOGIN_BYTES)))
        .route("/logout", post(login::logout))
        .route("/", get(collection::index))
        .route("/col/{uuid}", get(collection::collection))
        .route("/col/{uuid}/{filename}", get(download::download_one))
        .route("/col/add_star/{uuid}", post(collection::add_star))
        .route("/col/remove_star/{uuid}", post(collection::remove_star))
        .route("/col/delete/{uuid}", post(collection::delete_source))
        .route("/col/process", post(collection::process))
        .route("/bulk", post(collection::bulk))
        .route("/download_unread/{uuid}", get(collection::download_unread))
        .route("/reply", post(reply::reply))
        .route("/account/account", get(account::account_page))
        .route("/account/change-name", post(account::change_name))
        .route("/account/new-password", post(account::new_password))
        .route("/account/reset-2fa-totp", post(account::reset_totp))
        .route("/account/reset-2fa-hotp", post(account::reset_hotp))
        .route("/account/verify-2fa-totp", post(account::verify_factor))
        .route("/account/verify-2fa-hotp", post(account::verify_factor))
        .route("/admin/", get(admin::index))
        .route("/admin", get(admin::index))
        .route("/admin/add", get(admin::add_form).post(admin::add))
        .route("/admin/edit/{id}", get(admin::edit_form).post(admin::edit))
        .route("/admin/edit/{id}/new-password", post(admin::edit_password))
        .route("/admin/delete/{id}", post(admin::delete))
        .route("/admin/reset-2fa-totp", post(admin::reset_totp))
        .route("/admin/reset-2fa-hotp", post(admin::reset_hotp))
        .route("/admin/verify-2fa-totp", post(admin::verify_factor))
        .route("/admin/verify-2fa-hotp", post(admin::verify_factor))
        .route("/admin/config", get(admin::config).post(admin::upload_logo))
        .route("/admin/update-org-name", post(admin::update_org_name))
        .route("/admin/update-submission-preferences", post(admin::update_preferences))
        .route("/static/journalist.css", get(handlers::stylesheet))
        .route("/static/i/logo.png", get(download::logo))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(from_fn_with_state(ErrorPages(state.clone()), postern_web::error_boundary::<ErrorPages>))
        .layer(from_fn_with_state(state.inner.sessions.clone(), postern_web::sessions::<JournalistData>))
        .with_state(state)
}
