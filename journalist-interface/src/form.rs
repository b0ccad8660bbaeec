//! URL-encoded form bodies with repeated fields (`doc_names_selected`, `cols_selected`),
//! which `serde_urlencoded` cannot collect, and the CSRF check every POST goes through.

use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;

use crate::session::{Flash, Session};
use crate::state::JournalistState;

/// A parsed `application/x-www-form-urlencoded` body.
pub(crate) struct FormData(Vec<(String, String)>);

/// A form body that carried this session's CSRF token, as a handler argument; a
/// failure ends the session (see [`JournalistState::csrf_failure`]).
pub(crate) struct CheckedForm(pub(crate) FormData);

impl axum::extract::FromRequest<JournalistState> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, app: &JournalistState) -> Result<Self, Response> {
        let session = req.extensions().get::<Session>().cloned();
        let body = Bytes::from_request(req, app).await.map_err(IntoResponse::into_response)?;
        let Some(session) = session else { return Err(Redirect::to("/login").into_response()) };
        app.checked_form(&session, &body).map(Self)
    }
}

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (with or without a `[]` suffix).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.0.iter().filter(|(k, _)| *k == name || *k == bracketed).map(|(_, v)| v.clone()).collect()
    }

    /// Every field in order, to repeat a form on a confirmation page.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A checkbox: present and not "false"/"0"/"".
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !matches!(v.as_str(), "" | "0" | "false" | "n"))
    }
}

impl JournalistState {
    /// The form, if it carries this session's CSRF token. A failure ends the session
    /// and says so on the login page (SecureDrop's behaviour), never a stack trace.
    #[expect(clippy::result_large_err, reason = "the error is the response itself, sent once")]
    pub(crate) fn checked_form(&self, session: &Session, body: &Bytes) -> Result<FormData, Response> {
        let form = FormData::parse(body);
        if session.csrf_ok(form.get("csrf_token")) {
            return Ok(form);
        }
        Err(self.csrf_failure(session))
    }

    /// Ends the session and sends the journalist to the login page with the reason.
    pub(crate) fn csrf_failure(&self, session: &Session) -> Response {
        session.restart_with(Flash::error(
            "You have been logged out because the form you sent had expired or was not from this site. \
                 Please log in again.",
        ));
        Redirect::to("/login").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_flags() {
        let f = FormData::parse(b"a=1&doc_names_selected=x&doc_names_selected%5B%5D=y&c=on&d=&m=%3Cb%3E+x");
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.all("doc_names_selected"), ["x", "y"]);
        assert!(f.flag("c") && !f.flag("d") && !f.flag("missing"));
        assert_eq!(f.get("m"), "<b> x");
    }
}
