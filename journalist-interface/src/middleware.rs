//! Layers applied to every response: Host checks, and the API's requests sent to the
//! API's router (sessions and the security headers are postern-web's).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::state::JournalistState;
use crate::views::layout;

/// A request whose `Host` names neither us nor loopback gets 421, before any session
/// or store work (DNS rebinding).
pub(crate) async fn expected_host(State(app): State<JournalistState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or_default());
    let onion = app.inner.onion.get().map(String::as_str);
    if host.is_some_and(|h| !postern_core::is_expected_host(h, onion, &app.inner.config.exposed_addresses)) {
        if crate::api::is_api_path(req.uri().path()) {
            return crate::api::misdirected();
        }
        let page = layout::misdirected();
        return (StatusCode::MISDIRECTED_REQUEST, Html(page.into_string())).into_response();
    }
    next.run(req).await
}

/// Requests for `/api/v1`, `/api/v2` and under go to the API's routers, with their own
/// layers; the rest go on to the web pages.
pub(crate) async fn api_apart(State(api): State<crate::api::ApiRouters>, req: Request, next: Next) -> Response {
    if crate::api::is_api_path(req.uri().path()) {
        return api.answer(req).await;
    }
    next.run(req).await
}
