//! How a failure looks on the source interface (postern-web's boundary logs it and
//! chooses the status), and the errors of the work behind the handlers.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use postern_core::{ErrorKind, HasKind};
use postern_web::{ErrorPage, HttpError};

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
}

/// The source interface's failure pages, for postern-web's error boundary.
#[derive(Clone)]
pub(crate) struct ErrorPages(pub(crate) SourceState);

impl ErrorPage for ErrorPages {
    const INTERFACE: &'static str = "source interface";
    type Context = Session;

    fn context(&self, req: &Request) -> Session {
        Session::of_request(req.extensions(), &self.0.inner.sessions)
    }

    /// A generic page that says whether to retry; never what the source sent.
    async fn render(&self, session: Session, error: &HttpError) -> Response {
        let body = match error.kind() {
            ErrorKind::TooLarge | ErrorKind::BadInput => "error-bad-request",
            ErrorKind::NotFound => "error-not-found",
            ErrorKind::RateLimited => "error-busy",
            ErrorKind::DiskFull => "error-not-stored",
            _ => "error-server",
        };
        self.0.error_page(&session, error.status(), "error-heading", body).await
    }
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
    /// A submission could not be encrypted or recorded.
    #[error(transparent)]
    Intake(#[from] postern_intake::IntakeError),
    /// An invariant did not hold.
    #[error(transparent)]
    Bug(#[from] postern_core::Bug),
    /// Too many codename derivations are queued, or one did not finish.
    #[error(transparent)]
    Work(#[from] postern_web::WorkError),
}

impl HasKind for AppError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(e) => e.kind(),
            Self::Crypto(e) => e.kind(),
            Self::Intake(e) => e.kind(),
            Self::Bug(e) => e.kind(),
            Self::Work(e) => e.kind(),
        }
    }
}
