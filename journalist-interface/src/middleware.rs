//! Layers applied to every response: security headers and session resolution.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::state::JournalistState;
use crate::views::layout;

/// The content security policy of every response: nothing runs, nothing loads from
/// elsewhere, forms post only to us, and no one may frame us.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; \
     font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The source interface's security headers (securedrop-reference §4.1), on every
/// response, errors and downloads included.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-embedder-policy", "require-corp"),
        ("cross-origin-resource-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
        ("permissions-policy", "interest-cohort=()"),
        ("x-robots-tag", "noindex, nofollow"),
        ("vary", "Cookie"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.remove(header::SERVER);
    res
}

/// A request whose `Host` names neither us nor loopback gets 421, before any session
/// or store work (DNS rebinding).
pub(crate) async fn expected_host(State(app): State<JournalistState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or_default());
    let onion = app.inner.onion.get().map(String::as_str);
    if host.is_some_and(|h| !postern_core::is_expected_host(h, onion, &app.inner.config.exposed_addresses)) {
        let page = layout::misdirected();
        return (StatusCode::MISDIRECTED_REQUEST, Html(page.into_string())).into_response();
    }
    next.run(req).await
}

/// Finds the request's session for the handlers and sends back any cookie change.
pub(crate) async fn sessions(State(app): State<JournalistState>, mut req: Request, next: Next) -> Response {
    let session = app.inner.sessions.resolve(req.headers());
    req.extensions_mut().insert(session.clone());
    let mut res = next.run(req).await;
    if let Some(cookie) = session.cookie_header().and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}
