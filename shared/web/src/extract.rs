//! Extractors whose refusals go through the error boundary, so that a bad request gets
//! the interface's own page (or JSON error), never axum's plain-text rejection, which
//! repeats what the client sent.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use postern_core::ErrorKind;
use serde::de::DeserializeOwned;

use crate::HttpError;

/// The parameters of a route's path, as [`axum::extract::Path`] gives them; a value
/// that does not parse (`/admin/edit/abc`, an id past `i64`) names nothing there is,
/// and is answered as "not found".
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = HttpError;

    #[allow(clippy::disallowed_types, reason = "the one place that may name axum's Path")]
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(params)) => Ok(Self(params)),
            Err(_) => Err(HttpError::of_kind(ErrorKind::NotFound, "read the address")),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_path_that_does_not_parse_is_not_found_and_not_repeated() {
        let app = axum::Router::new()
            .route("/item/{id}", get(|PathParams(id): PathParams<i64>| async move { id.to_string() }));
        for (path, status) in [
            ("/item/7", StatusCode::OK),
            ("/item/abc", StatusCode::NOT_FOUND),
            ("/item/99999999999999999999", StatusCode::NOT_FOUND),
        ] {
            let res = app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(res.status(), status, "{path}");
            let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
            assert!(
                !String::from_utf8_lossy(&body).contains("abc") && !String::from_utf8_lossy(&body).contains("9999")
            );
        }
    }
}
