//! Tokens: `POST /api/v1/token` checks a login exactly as the web login does (the same
//! throttle, the code recorded as used before the passphrase is checked) and issues a
//! token with a web session's lifetime and renewals; every other route takes the token
//! from `Authorization: Token <token>` and answers anything else with 403.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use postern_store::JournalistRecord;
use postern_web::HttpError;

use super::error::ApiError;
use crate::session::{JournalistData, JournalistSession, Session, SessionUser};
use crate::state::JournalistState;

/// No usable `Authorization` header.
const NO_TOKEN: &str = "API token not found in Authorization header.";
/// A token that was never issued, has ended, or whose account changed.
const BAD_TOKEN: &str = "API token is invalid or expired.";

/// The journalist whose token came with the request, and the token's session (ending
/// it revokes the token).
pub(crate) struct ApiJournalist {
    pub(crate) journalist: JournalistRecord,
    pub(crate) token: Session,
}

impl FromRequestParts<JournalistState> for ApiJournalist {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &JournalistState) -> Result<Self, ApiError> {
        let token = token_of(parts).ok_or(ApiError::forbidden(NO_TOKEN))?;
        let session = app.inner.api_tokens.resolve_token(token).ok_or(ApiError::forbidden(BAD_TOKEN))?;
        let user = session.user().ok_or(ApiError::forbidden(BAD_TOKEN))?;
        let id = user.id;
        let found = app.with_store(move |s| s.journalist_by_id(id)).await;
        match found.map_err(|e| HttpError::new("read your account", e))? {
            Some(j) if j.uuid == user.uuid && j.session_generation == user.generation && !j.is_placeholder => {
                Ok(Self { journalist: j, token: session })
            }
            // Deleted, or its passphrase or second factor changed since: the token ends.
            _ => {
                session.end();
                Err(ApiError::forbidden(BAD_TOKEN))
            }
        }
    }
}

/// The token of `Authorization: Token <token>`: exactly two parts, that scheme.
fn token_of(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut words = value.split(' ');
    match (words.next(), words.next(), words.next()) {
        (Some("Token"), Some(token), None) if !token.is_empty() => Some(token),
        _ => None,
    }
}

impl JournalistState {
    /// A new API token for `j`, and how long it lives unrenewed.
    pub(crate) fn issue_token(&self, j: &JournalistRecord) -> (postern_core::Sensitive<String>, std::time::Duration) {
        let user = SessionUser { id: j.id, uuid: j.uuid.clone(), generation: j.session_generation };
        self.inner.api_tokens.issue_token(JournalistData::of(user))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts_with(value: Option<&str>) -> Parts {
        let mut req = Request::get("/api/v1/sources");
        if let Some(v) = value {
            req = req.header(header::AUTHORIZATION, v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_the_token_scheme_with_one_token_is_read() {
        let t = "ab".repeat(32);
        assert_eq!(token_of(&parts_with(Some(&format!("Token {t}")))), Some(t.as_str()));
        for bad in
            [None, Some(""), Some("Token"), Some("Token "), Some("Bearer abc"), Some("token abc"), Some("Token a b")]
        {
            assert_eq!(token_of(&parts_with(bad)), None, "{bad:?}");
        }
    }
}
