//! How the API refuses a request: SecureDrop's `{"error": <reason>, "message": …}`
//! with its status. Failures of ours go to postern-web's JSON error boundary instead,
//! which logs them.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_web::HttpError;

/// Werkzeug's words for a 404, which SecureDrop's API answers with.
pub(crate) const NOT_FOUND: &str = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";

/// Every failed login, whatever the reason (SecureDrop's words).
pub(crate) const LOGIN_FAILED: &str = "Token authentication failed.";

/// A refusal, or a failure of ours.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The client's request was refused: this status, this message.
    Refused(StatusCode, Cow<'static, str>),
    /// We failed; the boundary logs and answers it.
    Failed(HttpError),
}

impl ApiError {
    pub(crate) fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Refused(StatusCode::BAD_REQUEST, message.into())
    }

    pub(crate) fn forbidden(message: &'static str) -> Self {
        Self::Refused(StatusCode::FORBIDDEN, message.into())
    }

    pub(crate) fn not_found() -> Self {
        Self::Refused(StatusCode::NOT_FOUND, NOT_FOUND.into())
    }

    pub(crate) fn not_found_because(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Refused(StatusCode::NOT_FOUND, message.into())
    }
}

impl From<HttpError> for ApiError {
    fn from(e: HttpError) -> Self {
        Self::Failed(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(status, message) => refusal(status, &message),
            Self::Failed(e) => e.into_response(),
        }
    }
}

/// The JSON answer for a refused request.
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": status.canonical_reason().unwrap_or("Error"), "message": message });
    (status, Json(body)).into_response()
}

/// Any other path under an API version's prefix (trailing slashes too).
pub(crate) async fn no_such_route() -> Response {
    refusal(StatusCode::NOT_FOUND, NOT_FOUND)
}

/// A known path with the wrong method.
pub(crate) async fn method_not_allowed() -> Response {
    refusal(StatusCode::METHOD_NOT_ALLOWED, "The method is not allowed for the requested URL.")
}
