//! Form bodies and the CSRF check every form POST goes through, as one extractor.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::session::Session;
use crate::state::SourceState;

/// A form with a CSRF token.
pub(crate) trait CsrfForm {
    fn csrf_token(&self) -> &str;
}

/// A form body that parsed and carried this session's CSRF token, as a handler
/// argument. A body that does not parse gets the 400 page; a wrong token ends the
/// session (see [`SourceState::csrf_failure`]).
pub(crate) struct CheckedForm<T>(pub(crate) T);

impl<T> FromRequest<SourceState> for CheckedForm<T>
where
    T: CsrfForm + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, app: &SourceState) -> Result<Self, Response> {
        let session = Session::of_request(req.extensions(), &app.inner.sessions);
        let form = Form::<T>::from_request(req, app).await;
        app.csrf_checked(&session, form).await.map(Self)
    }
}

impl SourceState {
    /// The form, if it parsed and carries this session's CSRF token; else the answer.
    pub(crate) async fn csrf_checked<T: CsrfForm>(
        &self,
        session: &Session,
        form: Result<Form<T>, FormRejection>,
    ) -> Result<T, Response> {
        let Ok(Form(form)) = form else {
            return Err(self.error_page(session, StatusCode::BAD_REQUEST, "error-heading", "error-bad-request").await);
        };
        if !session.csrf_ok(form.csrf_token()) {
            return Err(self.csrf_failure(session).await);
        }
        Ok(form)
    }
}
