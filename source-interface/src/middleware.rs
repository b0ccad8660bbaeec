//! Layers applied to every response: Host checks, Tor2Web refusal, the offline switch,
//! and session resolution (the security headers are postern-web's).

use axum::extract::FromRequestParts;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::session::Session;
use crate::state::SourceState;
use crate::views::layout::PageCtx;
use crate::views::pages;

/// A request whose `Host` names neither us nor loopback gets 421, before any session
/// or store work: a browser sends those only when a hostile name was made to resolve
/// to this server (DNS rebinding).
pub(crate) async fn expected_host(State(app): State<SourceState>, req: Request, next: Next) -> Response {
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
pub(crate) async fn refuse_tor2web(State(app): State<SourceState>, req: Request, next: Next) -> Response {
    if req.headers().contains_key("x-tor2web") {
        return tor2web_page(&app).await;
    }
    next.run(req).await
}

/// The 403 "proxy service detected" page.
pub(crate) async fn tor2web_page(app: &SourceState) -> Response {
    let session = app.inner.sessions.detached();
    let ctx = app.page_ctx(&session, None).await;
    let onion = app.v3_source_url();
    let page = pages::tor2web(&ctx, onion.as_deref());
    (StatusCode::FORBIDDEN, Html(page.into_string())).into_response()
}

/// With an unusable submission key, every page (but the stylesheet) answers 503.
pub(crate) async fn offline_without_key(State(app): State<SourceState>, req: Request, next: Next) -> Response {
    if !app.key_usable() && req.uri().path() != "/static/style.css" {
        // Inside the session layer, which clears the cookie on the way out.
        let (mut parts, _) = req.into_parts();
        let Ok(session) = Session::from_request_parts(&mut parts, &app).await;
        session.end();
        let tr = &app.inner.tr;
        let ctx = app.page_ctx(&session, None).await;
        let page = pages::error(&ctx, &tr.get("offline-heading"), &tr.get("offline-body"));
        return (StatusCode::SERVICE_UNAVAILABLE, Html(page.into_string())).into_response();
    }
    next.run(req).await
}

/// How often a valid submission key is checked again (it may expire while we run).
const KEY_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

impl SourceState {
    /// Whether the submission key is usable now; re-checked once a minute, and logged
    /// once when it stops being usable.
    fn key_usable(&self) -> bool {
        let Ok(key) = &self.inner.key else { return false };
        let mut check = self.inner.key_check.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = self.inner.config.clock.now();
        if now - check.0 >= KEY_RECHECK {
            let usable = key.check_usable();
            if let (true, Err(problem)) = (check.1, &usable) {
                tracing::error!("submission key unusable, the source interface is offline: {problem}");
            }
            *check = (now, usable.is_ok());
        }
        check.1
    }
}
