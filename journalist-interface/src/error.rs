//! How a failure looks on the journalist interface; postern-web's boundary logs it and
//! chooses the status.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_core::ErrorKind;
use postern_web::{ErrorPage, HttpError};

use crate::handlers::html;
use crate::session::Session;
use crate::state::JournalistState;
use crate::views::layout;

/// The journalist interface's failure pages, for postern-web's error boundary.
#[derive(Clone)]
pub(crate) struct ErrorPages(pub(crate) JournalistState);

impl ErrorPage for ErrorPages {
    const INTERFACE: &'static str = "journalist interface";
    type Context = Session;

    fn context(&self, req: &Request) -> Session {
        Session::of_request(req.extensions(), &self.0.inner.sessions)
    }

    /// A page that says whether to retry or call an administrator.
    async fn render(&self, session: Session, error: &HttpError) -> Response {
        let body = match error.kind() {
            ErrorKind::DiskFull => "The server's disk is full. An administrator must free space.",
            ErrorKind::RateLimited => "The server is busy checking other logins. Try again in a minute.",
            ErrorKind::StoreUnavailable => "The store is unavailable right now. Try again in a minute.",
            ErrorKind::NotFound => "There is no such page.",
            ErrorKind::BadInput | ErrorKind::TooLarge => "The request could not be used.",
            _ => "Something went wrong on the server. Try again, or ask an administrator to check the logs.",
        };
        // A full disk is 507 here, as it always was on this interface: the journalist
        // must call an administrator, not retry.
        let status = match error.kind() {
            ErrorKind::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
            _ => error.status(),
        };
        let ctx = self.0.page_ctx(&session, None).await;
        (status, html(layout::message(&ctx, "The request failed", body))).into_response()
    }
}
