//! The one place a failure becomes a status and a page, and the one place it is logged.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use postern_core::{ErrorKind, HasKind};

use crate::session::Session;
use crate::state::SourceState;
use crate::views::pages;

impl SourceState {
    /// A generic error page with `status`, a heading and one explanation (message ids).
    pub(crate) async fn error_page(
        &self,
        session: &Session,
        status: StatusCode,
        heading: &str,
        body: &str,
    ) -> Response {
        let ctx = self.page_ctx(session, None).await;
        let tr = &self.inner.tr;
        (status, Html(pages::error(&ctx, &tr.get(heading), &tr.get(body)).into_string())).into_response()
    }

    /// Turns an internal failure into a generic page, logging it once, by kind.
    ///
    /// Our error chains carry no request data (see docs: errors name operations), so the
    /// report is safe to log.
    pub(crate) async fn failure<E>(&self, session: &Session, err: &E) -> Response
    where
        E: HasKind + std::error::Error,
    {
        let kind = err.kind();
        if kind.needs_operator() {
            tracing::error!(error.kind = %kind, "request failed: {}", report(err));
        }
        let (status, body) = match kind {
            ErrorKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error-bad-request"),
            ErrorKind::BadInput => (StatusCode::BAD_REQUEST, "error-bad-request"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            ErrorKind::RateLimited => (StatusCode::SERVICE_UNAVAILABLE, "error-busy"),
            ErrorKind::KeyMissing | ErrorKind::DiskFull | ErrorKind::StoreUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "error-server")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "error-server"),
        };
        self.error_page(session, status, "error-heading", body).await
    }
}

/// `err` and its sources, joined by `: `.
fn report(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A failure of a domain operation behind a handler.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] postern_store::StoreError),
    /// Encryption or derivation failed.
    #[error(transparent)]
    Crypto(#[from] postern_crypto::CryptoError),
    /// A background task panicked or was cancelled.
    #[error("a background task ended abnormally")]
    Task,
    /// Too many codename derivations are queued, or one did not finish.
    #[error(transparent)]
    Work(#[from] postern_web::WorkError),
}

impl HasKind for AppError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(e) => e.kind(),
            Self::Crypto(e) => e.kind(),
            Self::Task => ErrorKind::Internal,
            Self::Work(e) => e.kind(),
        }
    }
}
