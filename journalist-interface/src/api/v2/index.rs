//! `GET /api/v2/index` and `GET /api/v2/index/<prefix,prefix,…>`: every record's
//! version, of the whole store or of the sources whose UUIDs start with the prefixes
//! (their items with them; journalists always). The index's version is its body's, sent
//! as the `ETag`; a client whose `If-None-Match` holds it gets 304 and no body.
//!
//! Built indexes are cached with the change counts of the shards they cover: while
//! those are unchanged (one small read), the index is served from memory.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_store::SyncShape;
use postern_sync::Version;
use postern_web::PathParams;

use super::cache::{Built, Key};
use super::{Minor, refused};
use crate::api::auth::ApiJournalist;
use crate::api::error::ApiError;
use crate::state::JournalistState;

/// A prefix must be shorter than a UUID (SecureDrop's limit: its column's length).
const PREFIX_MAX_LEN: usize = 36;

impl JournalistState {
    /// The index for `key`, from the cache if its shards have not changed.
    async fn index(&self, key: Key) -> Result<Built, ApiError> {
        let prefixes = key.prefixes.clone();
        let stamp = self.api_store("read the sync index", postern_store::Store::sync_stamp).await?;
        let covered = stamp.covering(prefixes.as_deref());
        if let Some(built) = self.inner.sync_index.get(&key, &covered) {
            return Ok(built);
        }
        let shape = key.shape;
        let (index, stamp) =
            self.api_store("read the sync index", move |s| s.sync_index(prefixes.as_deref(), shape)).await?;
        let body = index.to_json(key.journalists);
        let built = Built {
            stamp: stamp.covering(key.prefixes.as_deref()),
            version: Version::of_bytes(&body),
            body: Bytes::from(body),
            sources: index.sources.len(),
            items: index.items.len(),
        };
        self.inner.sync_index.put(key, built.clone());
        Ok(built)
    }

    /// The hints a new token carries (minor version 4).
    pub(crate) async fn sync_hints(&self) -> Result<super::cache::Hints, ApiError> {
        let whole = self.index(Key { shape: SyncShape::Current, journalists: true, prefixes: None }).await?;
        Ok(super::cache::Hints { items: whole.items, sources: whole.sources, version: whole.version.to_string() })
    }
}

/// `GET /api/v2/index`.
pub(super) async fn whole(
    State(app): State<JournalistState>,
    _: ApiJournalist,
    minor: Minor,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&app, minor, None, &headers).await
}

/// `GET /api/v2/index/<prefixes>`.
pub(super) async fn shards(
    State(app): State<JournalistState>,
    PathParams(spec): PathParams<String>,
    _: ApiJournalist,
    minor: Minor,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&app, minor, Some(prefixes(&spec)?), &headers).await
}

/// The prefixes of a shard list, lower-cased (UUIDs are), sorted and without repeats;
/// 422 if one is as long as a UUID.
fn prefixes(spec: &str) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for prefix in spec.split(',') {
        if prefix.chars().count() >= PREFIX_MAX_LEN {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("malformed request; each prefix must be shorter than {PREFIX_MAX_LEN} characters"),
            ));
        }
        out.push(prefix.to_ascii_lowercase());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

async fn answer(
    app: &JournalistState,
    minor: Minor,
    prefixes: Option<Vec<String>>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let key = Key { shape: minor.shape(), journalists: minor.has_journalists(), prefixes };
    let built = app.index(key).await?;
    let etag = HeaderValue::try_from(format!("\"{}\"", built.version))
        .map_err(|_| postern_web::HttpError::of_kind(postern_core::ErrorKind::Internal, "write an ETag"))?;
    if matches(headers, &built.version) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let json = HeaderValue::from_static("application/json");
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, json), (header::ETAG, etag)], built.body).into_response())
}

/// Whether `If-None-Match` names `version`: quoted or bare (SecureDrop Inbox sends it
/// bare), weak or strong, or `*`; an empty value names nothing.
fn matches(headers: &HeaderMap, version: &Version) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            let tag = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
            tag == "*" || tag == version.as_str()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_every_form_of_the_version_and_nothing_else() {
        let version = Version::of_bytes(b"{}");
        let v = version.as_str();
        for (value, hit) in [
            (v.to_owned(), true),
            (format!("\"{v}\""), true),
            (format!("W/\"{v}\""), true),
            (format!("\"other\", \"{v}\""), true),
            ("*".to_owned(), true),
            (String::new(), false),
            ("\"\"".to_owned(), false),
            (v[..63].to_owned(), false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, value.parse().unwrap());
            assert_eq!(matches(&headers, &version), hit, "{value:?}");
        }
        assert!(!matches(&HeaderMap::new(), &version));
    }

    #[test]
    fn shard_lists_are_normalised_and_long_prefixes_refused() {
        assert_eq!(prefixes("b,A,,b").unwrap(), ["", "a", "b"]);
        assert!(prefixes(&"a".repeat(35)).is_ok());
        for bad in ["a".repeat(36), format!("a,{}", "b".repeat(100))] {
            let Err(ApiError::Refused(status, message)) = prefixes(&bad) else { panic!("{bad}") };
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(message.contains("malformed request; each prefix must be shorter than"));
        }
    }
}
