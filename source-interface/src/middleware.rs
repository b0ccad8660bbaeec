//! Layers applied to every response: Host checks, Tor2Web refusal, the offline switch,
//! and session resolution (the security headers are postern-web's).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::state::AppState;
use crate::views::layout::PageCtx;
use crate::views::pages;

/// A request whose `Host` names neither us nor loopback gets 421, before any session
/// or store work: a browser sends those only when a hostile name was made to resolve
/// to this server (DNS rebinding).
pub(crate) async fn expected_host(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or_default());
    let onion = app.v3_source_url();
    if host.is_some_and(|h| !postern_core::is_expected_host(h, onion.as_deref(), &app.inner.config.exposed_addresses)) {
        let tr = &app.inner.tr;
        let ctx = PageCtx { tr, org: String::new(), notices: vec![], error: None, logout_csrf: None, has_logo: false };
        let page = pages::error(&ctx, &tr.get("misdirected-heading"), &tr.get("misdirected-body"));
        return (StatusCode::MISDIRECTED_REQUEST, Html(page.into_string())).into_response();
    }
    next.run(req).await
}

/// Any request that a Tor2Web proxy relayed ends at the 403 warning page.
pub(crate) async fn refuse_tor2web(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if req.headers().contains_key("x-tor2web") {
        return tor2web_page(&app).await;
    }
    next.run(req).await
}

/// The 403 "proxy service detected" page.
pub(crate) async fn tor2web_page(app: &AppState) -> Response {
    let session = app.inner.sessions.resolve(&axum::http::HeaderMap::new());
    let ctx = app.page_ctx(&session, None).await;
    let onion = app.v3_source_url();
    let page = pages::tor2web(&ctx, onion.as_deref());
    (StatusCode::FORBIDDEN, Html(page.into_string())).into_response()
}

/// With an unusable submission key, every page (but the stylesheet) answers 503.
pub(crate) async fn offline_without_key(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !app.key_usable() && req.uri().path() != "/static/style.css" {
        let session = app.inner.sessions.resolve(req.headers());
        session.end(&app.inner.sessions);
        let tr = &app.inner.tr;
        let ctx = app.page_ctx(&session, None).await;
        let page = pages::error(&ctx, &tr.get("offline-heading"), &tr.get("offline-body"));
        let mut res = (StatusCode::SERVICE_UNAVAILABLE, Html(page.into_string())).into_response();
        if let Some(cookie) = session.cookie_header().and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        return res;
    }
    next.run(req).await
}

/// How often a valid submission key is checked again (it may expire while we run).
const KEY_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

impl AppState {
    /// Whether the submission key is usable now; re-checked once a minute, and logged
    /// once when it stops being usable.
    fn key_usable(&self) -> bool {
        let Ok(key) = &self.inner.key else { return false };
        let mut check = self.inner.key_check.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if check.0.elapsed() >= KEY_RECHECK {
            let usable = key.check_usable();
            if let (true, Err(problem)) = (check.1, &usable) {
                tracing::error!("submission key unusable, the source interface is offline: {problem}");
            }
            *check = (std::time::Instant::now(), usable.is_ok());
        }
        check.1
    }
}

/// Finds the request's session (by cookie) for the handlers, and sends back any
/// cookie change they made.
pub(crate) async fn sessions(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let session = app.inner.sessions.resolve(req.headers());
    req.extensions_mut().insert(session.clone());
    let mut res = next.run(req).await;
    if let Some(cookie) = session.cookie_header().and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}
