//! The journalist API, for workstation clients: version 1 is SecureDrop's REST API,
//! version 2 the sync protocol of SecureDrop Inbox. Both take the same tokens, answer
//! in JSON only, and echo a well-formed `X-Request-ID`.

pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod error;
pub(crate) mod v1;
pub(crate) mod v2;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use postern_store::{Store, StoreError};
use postern_web::HttpError;

use self::error::ApiError;
use crate::state::JournalistState;

/// Whether `path` is the API's: a version's prefix, or under it.
pub(crate) fn is_api_path(path: &str) -> bool {
    [v1::PREFIX, v2::PREFIX]
        .into_iter()
        .any(|prefix| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/')))
}

/// The API's answer to a request whose `Host` names neither us nor loopback (JSON, like
/// its every other error).
pub(crate) fn misdirected() -> Response {
    error::refusal(axum::http::StatusCode::MISDIRECTED_REQUEST, "This server does not answer for that host.")
}

/// Both versions' routers; a request goes to the one whose prefix it has.
#[derive(Clone)]
pub(crate) struct ApiRouters {
    v1: Router,
    v2: Router,
}

impl ApiRouters {
    pub(crate) fn new(state: JournalistState) -> Self {
        Self { v1: v1::router(state.clone()), v2: v2::router(state) }
    }

    /// Answers an API request (see [`is_api_path`]).
    pub(crate) async fn answer(self, req: Request) -> Response {
        let v2 = req.uri().path().starts_with(v2::PREFIX);
        let router = if v2 { self.v2 } else { self.v1 };
        tower::ServiceExt::oneshot(router, req).await.unwrap_or_else(|never| match never {})
    }
}

/// The `X-Request-ID` header of SecureDrop's clients.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `req-` and a lower-case hyphenated UUID.
fn is_request_id(value: &[u8]) -> bool {
    value
        .strip_prefix(b"req-")
        .and_then(|id| std::str::from_utf8(id).ok())
        .is_some_and(|id| body::is_uuid(id) && !id.bytes().any(|b| b.is_ascii_uppercase()))
}

/// Echoes a well-formed `X-Request-ID` on the response; any other is ignored (neither
/// echoed nor logged: it is the client's text).
pub(crate) async fn request_id(req: Request, next: Next) -> Response {
    let echo: Option<HeaderValue> = req.headers().get(&REQUEST_ID).filter(|v| is_request_id(v.as_bytes())).cloned();
    let mut response = next.run(req).await;
    if let Some(id) = echo {
        response.headers_mut().insert(REQUEST_ID.clone(), id);
    }
    response
}

impl JournalistState {
    /// Runs a store operation for the API; a failure is ours (logged, 5xx).
    pub(crate) async fn api_store<T, F>(&self, doing: &'static str, op: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        self.with_store(op).await.map_err(|e| ApiError::Failed(HttpError::new(doing, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_and_only_their_paths_are_the_apis() {
        for path in ["/api/v1", "/api/v1/", "/api/v1/sources", "/api/v2", "/api/v2/index/a,b"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/api", "/api/v10", "/api/v2x", "/", "/login", "/api/v3/index"] {
            assert!(!is_api_path(path), "{path}");
        }
    }

    #[test]
    fn only_req_and_a_lower_case_uuid_is_a_request_id() {
        assert!(is_request_id(b"req-72d64b57-4632-4d3e-96b0-24a0428f7ec1"));
        for bad in [
            &b"req-72D64B57-4632-4D3E-96B0-24A0428F7EC1"[..],
            b"72d64b57-4632-4d3e-96b0-24a0428f7ec1",
            b"req-72d64b57",
            b"req-72d64b57-4632-4d3e-96b0-24a0428f7ec1\n",
            b"",
        ] {
            assert!(!is_request_id(bad), "{bad:?}");
        }
    }
}
