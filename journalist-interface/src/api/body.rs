//! Request bodies: SecureDrop requires a JSON body on every POST but the star, flag and
//! logout ones, whatever the `Content-Type` (its SDK sends none when logging in), and
//! answers anything else with 400 "malformed request".

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ApiError;

/// What a client sent for anything that is not JSON.
const MALFORMED: &str = "malformed request";

/// A JSON object from the request body.
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::Refused(StatusCode::PAYLOAD_TOO_LARGE, "request too large".into())
            }
            _ => ApiError::bad_request(MALFORMED),
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            // Valid JSON that is not an object has none of the fields any endpoint needs.
            Ok(_) => Err(ApiError::bad_request("Please send requests in valid JSON.")),
            Err(_) => Err(ApiError::bad_request(MALFORMED)),
        }
    }
}

impl JsonObject {
    /// The string field `name`: `Ok(None)` if absent, 400 if not a string.
    pub(crate) fn string(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
        }
    }

    /// The string field `name`, which must be there (400 "<name> field is missing").
    pub(crate) fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.string(name)?.ok_or_else(|| ApiError::bad_request(format!("{name} field is missing")))
    }

    /// The list of strings `name`: empty if absent, 400 if anything else.
    pub(crate) fn strings(&self, name: &'static str) -> Result<Vec<String>, ApiError> {
        let wrong = || ApiError::bad_request(format!("{name} must be a list of UUIDs"));
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong)).collect()
            }
            Some(_) => Err(wrong()),
        }
    }
}

/// Whether `text` is a UUID in its canonical form (8-4-4-4-12 hex digits).
pub(crate) fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_pass() {
        assert!(is_uuid("0a1b2c3d-0000-4000-8000-00000000ABCD"));
        for bad in [
            "",
            "0a1b2c3d00004000800000000000abcd",
            "{0a1b2c3d-0000-4000-8000-00000000abcd}",
            "0a1b2c3d-0000-4000-8000-00000000abcg",
            "0a1b2c3d-0000-4000-8000-00000000abcd-",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }
}
