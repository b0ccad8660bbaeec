//! Downloads: the stored ciphertext as `application/pgp-encrypted`, with
//! `Etag: sha256:<digest>` (kept in the store since the file was written), and byte
//! ranges, so a client on a flaky Tor circuit resumes where it stopped. Streamed from
//! disk a chunk at a time, whatever the size.

use std::io::SeekFrom;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_store::StoredFile;
use postern_web::{HttpError, PathParams};
use tokio::io::AsyncSeekExt;

use crate::api::auth::ApiJournalist;
use crate::api::error::ApiError;
use crate::bulk::{file_body, set_download_headers};
use crate::state::JournalistState;

/// `GET /api/v1/sources/<uuid>/submissions/<uuid>/download`.
pub(crate) async fn submission(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let found = app.api_store("find a file", move |s| s.client_submission_file(&source, &item)).await?;
    serve(found.ok_or_else(ApiError::not_found)?, &headers).await
}

/// `GET /api/v1/sources/<uuid>/replies/<uuid>/download`.
pub(crate) async fn reply(
    State(app): State<JournalistState>,
    PathParams((source, item)): PathParams<(String, String)>,
    _: ApiJournalist,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let found = app.api_store("find a file", move |s| s.client_reply_file(&source, &item)).await?;
    serve(found.ok_or_else(ApiError::not_found)?, &headers).await
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// All of it: no `Range`, another unit, or several ranges (which we may ignore).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// Nothing we can serve: 416.
    Unsatisfiable,
}

/// Reads `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` (RFC 9110 §14.1.2).
fn wanted(range: Option<&HeaderValue>, len: u64) -> Wanted {
    let Some(value) = range else { return Wanted::Whole };
    let Some(spec) = value.to_str().ok().and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Unsatisfiable };
    let number = |s: &str| if s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        // A suffix: the last n bytes.
        (true, false) => match number(last) {
            Some(n) if n > 0 && len > 0 => (len.saturating_sub(n), len - 1),
            _ => return Wanted::Unsatisfiable,
        },
        (false, true) => match number(first) {
            Some(start) if len > 0 => (start, len - 1),
            _ => return Wanted::Unsatisfiable,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end && len > 0 => (start, end.min(len - 1)),
            _ => return Wanted::Unsatisfiable,
        },
        (true, true) => return Wanted::Unsatisfiable,
    };
    if start >= len { Wanted::Unsatisfiable } else { Wanted::Part { start, end } }
}

/// The file, whole or the part asked for, with its digest.
async fn serve(file: StoredFile, headers: &HeaderMap) -> Result<Response, ApiError> {
    // The file was there a moment ago; the disk failing now is ours to report.
    let failed = |_: std::io::Error| {
        ApiError::Failed(HttpError::of_kind(postern_core::ErrorKind::StoreUnavailable, "read a stored file"))
    };
    let mut handle = tokio::fs::File::open(&file.path).await.map_err(failed)?;
    let len = handle.metadata().await.map_err(failed)?.len();
    let (status, start, count) = match wanted(headers.get(header::RANGE), len) {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Wanted::Unsatisfiable => {
            let mut res = crate::api::error::refusal(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "The requested range is not satisfiable.",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    handle.seek(SeekFrom::Start(start)).await.map_err(failed)?;
    let mut res = (status, file_body(handle, count)).into_response();
    set_download_headers(&mut res, "application/pgp-encrypted", &file.filename);
    let h = res.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&file.checksum) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", start + count - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(range: &str, len: u64) -> Wanted {
        wanted(Some(&HeaderValue::from_str(range).unwrap()), len)
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(ask("bytes=0-9", 100), Wanted::Part { start: 0, end: 9 });
        assert_eq!(ask("bytes=90-", 100), Wanted::Part { start: 90, end: 99 });
        assert_eq!(ask("bytes=-10", 100), Wanted::Part { start: 90, end: 99 });
        assert_eq!(ask("bytes=-1000", 100), Wanted::Part { start: 0, end: 99 });
        assert_eq!(ask("bytes=50-1000", 100), Wanted::Part { start: 50, end: 99 });
        assert_eq!(ask("items=0-9", 100), Wanted::Whole, "another unit is ignored");
        assert_eq!(ask("bytes=0-1,5-6", 100), Wanted::Whole, "several ranges are ignored");
        for bad in ["bytes=100-", "bytes=9-1", "bytes=-0", "bytes=abc", "bytes=-", "bytes=1-x", "bytes=+1-2"] {
            assert_eq!(ask(bad, 100), Wanted::Unsatisfiable, "{bad}");
        }
        assert_eq!(ask("bytes=0-", 0), Wanted::Unsatisfiable, "an empty file has no bytes to give");
    }
}
