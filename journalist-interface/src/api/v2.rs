//! Journalist API v2: SecureDrop Inbox's sync protocol. `GET /api/v2/index[/<shards>]`
//! lists every record's content version (304 when the client's `If-None-Match` is
//! current); `POST /api/v2/data` applies the client's events, each once, and returns
//! the records asked for and those the events changed. Files still download through
//! v1, and tokens come from `POST /api/v1/token` (with the sync hints from minor
//! version 4).
//!
//! Records, versions and the index's bytes are postern-sync's; the store keeps every
//! record's version current in the transaction that changes it, so an index is read,
//! not computed, and is cached here per shard until its shard changes.

mod batch;
pub(crate) mod cache;
mod events;
mod index;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use postern_web::JsonErrors;

use super::auth::ApiJournalist;
use super::error::ApiError;
use crate::state::JournalistState;

/// Where this version lives.
pub(crate) const PREFIX: &str = "/api/v2";

/// The newest minor version, and the one assumed when a client names none (or one we
/// do not know), as SecureDrop does: 1 added journalists, 2 items' `interaction_count`,
/// 3 events, 4 the token's sync hints and comma-separated shards.
pub(crate) const MINOR_VERSION: u8 = 4;

/// A batch's events at most (SecureDrop's `EVENTS_MAX`); more is 429 for the batch.
pub(crate) const EVENTS_MAX: usize = 50;

/// The largest batch request: the UUIDs of a 500,000-record newsroom's first sync, or
/// [`EVENTS_MAX`] replies of several hundred kilobytes each.
const MAX_BATCH_BODY: usize = 24 * 1024 * 1024;

/// The minor version a client asked for in `Prefer: securedrop=<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Minor(pub(crate) u8);

impl Minor {
    /// From `Prefer`, read as SecureDrop reads it: the number after the first `=`;
    /// [`MINOR_VERSION`] if there is none, it is not a number, or it is newer than ours.
    /// `None` if the header is absent.
    pub(crate) fn requested(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(header::HeaderName::from_static("prefer"))?;
        let asked = value.to_str().ok().and_then(|v| v.split('=').nth(1)).and_then(|n| n.trim().parse::<u8>().ok());
        Some(Self(asked.filter(|&n| n <= MINOR_VERSION).unwrap_or(MINOR_VERSION)))
    }

    fn shape(self) -> postern_store::SyncShape {
        if self.0 >= 2 { postern_store::SyncShape::Current } else { postern_store::SyncShape::WithoutInteractionCount }
    }

    fn has_journalists(self) -> bool {
        self.0 >= 1
    }

    fn has_events(self) -> bool {
        self.0 >= 3
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Minor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::requested(&parts.headers).unwrap_or(Self(MINOR_VERSION)))
    }
}

/// This version's routes, under [`PREFIX`].
pub(crate) fn router(state: JournalistState) -> Router {
    Router::new()
        .route("/api/v2/", get(root))
        .route("/api/v2/index", get(index::whole))
        .route("/api/v2/index/{shards}", get(index::shards))
        .route("/api/v2/data", post(batch::data).layer(DefaultBodyLimit::max(MAX_BATCH_BODY)))
        .fallback(super::error::no_such_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(JsonErrors, postern_web::error_boundary::<JsonErrors>))
        .layer(axum::middleware::from_fn(super::request_id))
        .with_state(state)
}

/// `GET /api/v2/`: the endpoints, to a client with a token.
async fn root(_: ApiJournalist) -> Response {
    let body = serde_json::json!({ "data_url": "/api/v2/data", "index_url": "/api/v2/index" });
    axum::Json(body).into_response()
}

/// A known route with the wrong method: 403 first without a token, as SecureDrop has it
/// (a client learns nothing of the routes before it logs in).
async fn method_not_allowed(State(app): State<JournalistState>, parts: Parts) -> Response {
    let mut parts = parts;
    match ApiJournalist::from_request_parts(&mut parts, &app).await {
        Ok(_) => super::error::method_not_allowed().await,
        Err(refused) => refused.into_response(),
    }
}

/// A refusal of the whole request.
fn refused(status: StatusCode, message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::Refused(status, message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefer(value: Option<&str>) -> Option<Minor> {
        let mut headers = HeaderMap::new();
        if let Some(v) = value {
            headers.insert("prefer", v.parse().unwrap());
        }
        Minor::requested(&headers)
    }

    #[test]
    fn prefer_is_read_as_securedrop_reads_it() {
        assert_eq!(prefer(None), None);
        for (value, minor) in [
            ("securedrop=0", 0),
            ("securedrop=3", 3),
            ("securedrop= 2 ", 2),
            ("anything=1", 1),
            ("securedrop=5", 4),
            ("securedrop=x", 4),
            ("securedrop", 4),
            ("securedrop=3, x=y", 4),
        ] {
            assert_eq!(prefer(Some(value)), Some(Minor(minor)), "{value}");
        }
    }
}
