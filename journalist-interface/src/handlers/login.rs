//! `/login` and `/logout`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_web::HttpError;

use super::html;
use crate::auth::LoginError;
use crate::form::CheckedForm;
use crate::session::{Flash, JournalistSession, Session};
use crate::state::JournalistState;
use crate::views::account;

/// `GET /login`.
pub(crate) async fn login_form(State(app): State<JournalistState>, session: Session) -> Response {
    if session.user().is_some() {
        return Redirect::to("/").into_response();
    }
    session.csrf();
    let ctx = app.page_ctx(&session, None).await;
    html(account::login(&ctx)).into_response()
}

/// `POST /login`: `username`, `password`, `token`.
pub(crate) async fn login(
    State(app): State<JournalistState>,
    session: Session,
    CheckedForm(form): CheckedForm,
) -> Response {
    let (username, password, token) = (
        form.get("username").trim().to_owned(),
        zeroize::Zeroizing::new(form.get("password").to_owned()),
        form.get("token").to_owned(),
    );
    let result = app.with_login(username, password, token, |_, j| Ok(j)).await;
    let refused = |text: &str| {
        session.flash(Flash::error(text));
        StatusCode::UNAUTHORIZED
    };
    let status = match result {
        Ok(Ok(j)) => {
            app.start_session(&session, &j);
            return Redirect::to("/").into_response();
        }
        Ok(Err(LoginError::Invalid)) => {
            refused("Login failed. Check your user name, passphrase and two-factor code; a code works only once.")
        }
        Ok(Err(LoginError::Throttled)) => {
            refused("Too many login attempts for this user name. Please wait at least 60 seconds before trying again.")
        }
        Ok(Err(LoginError::BadOtpSecret)) => {
            refused("Your two-factor secret is damaged. Ask an administrator to reset your two-factor authentication.")
        }
        Ok(Err(LoginError::Store(e))) => return HttpError::new("check a login", e).into_response(),
        Err(e) => return HttpError::new("check a login", e).into_response(),
    };
    session.csrf();
    let ctx = app.page_ctx(&session, None).await;
    (status, html(account::login(&ctx))).into_response()
}

/// `POST /logout`.
pub(crate) async fn logout(session: Session, CheckedForm(_): CheckedForm) -> Response {
    session.restart_with(Flash::info("You have been logged out."));
    Redirect::to("/login").into_response()
}
