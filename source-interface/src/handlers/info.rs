//! The landing page and the informational pages and files.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_web::{Doing, HttpError};
use serde::Serialize;

use super::html;
use crate::middleware::tor2web_page;
use crate::session::Session;
use crate::state::SourceState;
use crate::views::pages;

/// `GET /`: get started, or log in.
pub(crate) async fn index(State(app): State<SourceState>, session: Session) -> Response {
    let csrf = session.csrf();
    let ctx = app.page_ctx(&session, None).await;
    html(pages::index(&ctx, &csrf)).into_response()
}

/// `GET /public-key`: the submission key as `<FINGERPRINT>.asc`.
pub(crate) async fn public_key(State(app): State<SourceState>) -> Response {
    let Ok(key) = &app.inner.key else {
        // The offline layer answers first; this is only reached if that changes.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let disposition = format!("attachment; filename=\"{}.asc\"", key.fingerprint());
    let mut res = key.armored().to_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pgp-keys"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `GET /journalist-key`: the old name of `/public-key`.
pub(crate) async fn journalist_key() -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/public-key")]).into_response()
}

/// `GET /why-public-key`.
pub(crate) async fn why_public_key(State(app): State<SourceState>, session: Session) -> Response {
    let fingerprint = app.inner.key.as_ref().map(|k| k.fingerprint()).unwrap_or_default();
    let ctx = app.page_ctx(&session, None).await;
    html(pages::why_public_key(&ctx, &fingerprint)).into_response()
}

/// `GET /use-tor`.
pub(crate) async fn use_tor(State(app): State<SourceState>, session: Session) -> Response {
    let ctx = app.page_ctx(&session, None).await;
    html(pages::use_tor(&ctx)).into_response()
}

/// `GET /tor2web-warning`: 403 "proxy service detected".
pub(crate) async fn tor2web_warning(State(app): State<SourceState>) -> Response {
    tor2web_page(&app).await
}

/// `/metadata`'s JSON, with SecureDrop's field names plus our own version.
#[derive(Serialize)]
struct Metadata {
    organization_name: Option<String>,
    allow_document_uploads: bool,
    gpg_fpr: Option<String>,
    /// Null: Postern is not a SecureDrop release; `postern_version` says what we are.
    sd_version: Option<&'static str>,
    postern_version: &'static str,
    server_os: Option<String>,
    supported_languages: Vec<String>,
    v3_source_url: Option<String>,
}

/// `GET /metadata`.
pub(crate) async fn metadata(State(app): State<SourceState>) -> Result<Response, HttpError> {
    let settings = app.with_store(|s| s.instance_settings()).await.doing("read the instance settings")?;
    let body = Metadata {
        organization_name: Some(settings.organization_name),
        allow_document_uploads: settings.allow_document_uploads,
        gpg_fpr: app.inner.key.as_ref().ok().map(|k| k.fingerprint()),
        sd_version: None,
        postern_version: env!("CARGO_PKG_VERSION"),
        server_os: app.inner.server_os.clone(),
        // SecureDrop's form: en_US, not en-US.
        supported_languages: app.inner.config.locales.iter().map(|l| l.replace('-', "_")).collect(),
        v3_source_url: app.v3_source_url().filter(|u| postern_core::is_v3_onion_host(u)),
    };
    Ok(axum::Json(body).into_response())
}

/// `GET /robots.txt`: no indexing anywhere.
pub(crate) async fn robots_txt() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "User-agent: *\nDisallow: /\n").into_response()
}

/// `GET /static/style.css`: the one stylesheet.
pub(crate) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../static/style.css")).into_response()
}

/// `/static/i/logo.png`: the logo an administrator uploaded, if any.
pub(crate) async fn logo(State(app): State<SourceState>) -> Response {
    match app.with_store(|s| s.logo()).await {
        Ok(Some(png)) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Any other path.
pub(crate) async fn not_found(State(app): State<SourceState>, session: Session) -> Response {
    app.error_page(&session, StatusCode::NOT_FOUND, "error-not-found-heading", "error-not-found").await
}

/// A known path with a method it does not take.
pub(crate) async fn method_not_allowed(State(app): State<SourceState>, session: Session) -> Response {
    app.error_page(&session, StatusCode::METHOD_NOT_ALLOWED, "error-heading", "error-method").await
}
