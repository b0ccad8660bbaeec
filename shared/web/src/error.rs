//! The one error boundary: handlers return `Result<Response, HttpError>` and use `?`; the
//! [`error_boundary`] layer logs each failure once, at a level chosen by its kind, and
//! renders it as the interface's page (or as JSON for an API).
//!
//! A failure is logged by what was being done and by its error chain. Our error chains
//! name operations, never request data (no codename, filename, text or size), so the
//! chain is safe to log.

use std::error::Error;
use std::future::Future;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use postern_core::{Bug, ErrorKind, HasKind};

/// A request that failed: its kind, what was being done, and why.
#[derive(Debug)]
pub struct HttpError {
    kind: ErrorKind,
    doing: &'static str,
    cause: Option<Box<dyn Error + Send + Sync>>,
}

impl HttpError {
    /// `cause` stopped us while we tried to `doing` ("list sources", "store a reply").
    pub fn new<E>(doing: &'static str, cause: E) -> Self
    where
        E: Error + HasKind + Send + Sync + 'static,
    {
        Self { kind: cause.kind(), doing, cause: Some(Box::new(cause)) }
    }

    /// A failure with no error behind it: the thing asked for is missing, say.
    pub fn of_kind(kind: ErrorKind, doing: &'static str) -> Self {
        Self { kind, doing, cause: None }
    }

    /// The kind, which chooses the status, the page and the log level.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What was being done.
    pub fn doing(&self) -> &'static str {
        self.doing
    }

    /// The status this failure is answered with.
    pub fn status(&self) -> StatusCode {
        status_for(self.kind)
    }

    /// `response`, already chosen by a handler that recovered from this failure (a notice
    /// and a redirect, say): the boundary still logs the failure, and leaves the answer.
    pub fn recovered(self, mut response: Response) -> Response {
        response.extensions_mut().insert(Failure { error: Arc::new(self), rendered: true });
        response
    }

    /// "unable to `doing`: cause: its cause …".
    fn report(&self) -> String {
        let mut out = format!("unable to {}", self.doing);
        let mut next: Option<&(dyn Error + 'static)> = match &self.cause {
            Some(cause) => Some(cause.as_ref()),
            None => None,
        };
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }

    /// Logs once, at `error` if an operator must act and at `debug` otherwise: a client's
    /// mistakes and refusals are not the operator's business.
    fn log(&self, interface: &'static str) {
        let kind = self.kind;
        if kind.needs_operator() {
            tracing::error!(interface, error.kind = %kind, "{}", self.report());
        } else {
            tracing::debug!(interface, error.kind = %kind, "{}", self.report());
        }
    }
}

impl From<Bug> for HttpError {
    fn from(bug: Bug) -> Self {
        Self::new("finish the request", bug)
    }
}

/// `?` with what was being done: `store.sources().doing("list sources")?`.
pub trait Doing<T> {
    /// The error, if any, as an [`HttpError`] while doing `what`.
    fn doing(self, what: &'static str) -> Result<T, HttpError>;
}

impl<T, E> Doing<T> for Result<T, E>
where
    E: Error + HasKind + Send + Sync + 'static,
{
    fn doing(self, what: &'static str) -> Result<T, HttpError> {
        self.map_err(|e| HttpError::new(what, e))
    }
}

/// The one status for each kind, on both interfaces and the API.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Unauthorized => StatusCode::FORBIDDEN,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        // Each of these passes: a retry later may succeed.
        ErrorKind::RateLimited | ErrorKind::DiskFull | ErrorKind::StoreUnavailable | ErrorKind::KeyMissing => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What travels from a handler's `Err` to the boundary, in the response's extensions.
#[derive(Clone)]
struct Failure {
    error: Arc<HttpError>,
    /// The handler answered already ([`HttpError::recovered`]).
    rendered: bool,
}

impl IntoResponse for HttpError {
    /// The bare status; the boundary turns it into the page and logs it.
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Failure { error: Arc::new(self), rendered: false });
        response
    }
}

/// How an interface shows a failure.
pub trait ErrorPage: Clone + Send + Sync + 'static {
    /// The interface's name in the log line.
    const INTERFACE: &'static str;
    /// What the page needs from the request (its session, say), taken before the handler runs.
    type Context: Send + 'static;

    /// Takes what [`render`](Self::render) will need from the request.
    fn context(&self, req: &Request) -> Self::Context;

    /// The answer for `error`, with `error.status()` unless there is a reason for another.
    fn render(&self, context: Self::Context, error: &HttpError) -> impl Future<Output = Response> + Send;
}

/// The layer: `from_fn_with_state(page, error_boundary::<Page>)`.
pub async fn error_boundary<P: ErrorPage>(State(page): State<P>, req: Request, next: Next) -> Response {
    let context = page.context(&req);
    let response = next.run(req).await;
    let Some(failure) = response.extensions().get::<Failure>().cloned() else { return response };
    failure.error.log(P::INTERFACE);
    if failure.rendered {
        return response;
    }
    let mut page = page.render(context, &failure.error).await;
    // Headers set by the handler (a cleared cookie, say) stay.
    let (parts, _) = response.into_parts();
    for (name, value) in &parts.headers {
        if !page.headers().contains_key(name) {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// Failures as SecureDrop's API answers them: `{"error": …, "message": …}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonErrors;

impl ErrorPage for JsonErrors {
    const INTERFACE: &'static str = "api";
    type Context = ();

    fn context(&self, _: &Request) -> Self::Context {}

    async fn render(&self, (): (), error: &HttpError) -> Response {
        let status = error.status();
        let body = serde_json::json!({
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": format!("Unable to {}.", error.doing()),
        });
        (status, Json(body)).into_response()
    }
}

/// Runs `work` on tokio's blocking threads; a panic there becomes a [`Bug`].
pub async fn blocking<T, E, F>(work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<Bug> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(postern_core::internal!("a blocking task panicked").into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt;

    #[derive(Debug, thiserror::Error)]
    #[error("the disk is full")]
    struct Full;

    impl HasKind for Full {
        fn kind(&self) -> ErrorKind {
            ErrorKind::DiskFull
        }
    }

    async fn fails() -> Result<Response, HttpError> {
        Err::<(), _>(Full).doing("store a message")?;
        Ok(StatusCode::OK.into_response())
    }

    async fn recovers() -> Result<Response, HttpError> {
        let redirect = (StatusCode::SEE_OTHER, [("location", "/")]).into_response();
        Ok(HttpError::new("store a message", Full).recovered(redirect))
    }

    async fn call(router: Router, path: &str) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        let res = router.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = res.into_parts();
        (parts.status, axum::body::to_bytes(body, 1 << 16).await.unwrap().to_vec(), parts.headers)
    }

    fn api() -> Router {
        Router::new()
            .route("/fails", get(fails))
            .route("/recovers", get(recovers))
            .layer(from_fn_with_state(JsonErrors, error_boundary::<JsonErrors>))
    }

    #[tokio::test]
    async fn a_failure_becomes_the_json_answer_with_the_status_of_its_kind() {
        let (status, body, _) = call(api(), "/fails").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "Service Unavailable");
        assert_eq!(json["message"], "Unable to store a message.");
    }

    #[tokio::test]
    async fn a_recovered_failure_keeps_the_handlers_answer() {
        let (status, body, headers) = call(api(), "/recovers").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/");
        assert!(body.is_empty());
    }

    #[test]
    fn the_report_names_the_operation_and_the_chain() {
        let e = HttpError::new("store a message", Full);
        assert_eq!(e.report(), "unable to store a message: the disk is full");
        assert_eq!(HttpError::of_kind(ErrorKind::NotFound, "read a reply").report(), "unable to read a reply");
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn every_kind_has_one_status() {
        assert_eq!(status_for(ErrorKind::BadInput), StatusCode::BAD_REQUEST);
        assert_eq!(status_for(ErrorKind::Unauthorized), StatusCode::FORBIDDEN);
        assert_eq!(status_for(ErrorKind::TooLarge), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status_for(ErrorKind::Internal), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status_for(ErrorKind::ConfigInvalid), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
