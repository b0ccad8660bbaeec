//! Getting a codename, creating the account, logging in and out.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::{Codename, ErrorKind, HasKind};
use rand::rngs::OsRng;
use serde::Deserialize;

use super::html;
use postern_core::random_token;
use postern_web::{Doing, HttpError};

use crate::derivation::Requester;
use crate::error::AppError;
use crate::form::{CheckedForm, CsrfForm};
use crate::models::Flash;
use crate::session::{Session, SourceSession};
use crate::state::SourceState;
use crate::views::pages::{self, TOR2WEB_CANARY};

/// `POST /generate` form.
#[derive(Deserialize)]
pub(crate) struct GenerateForm {
    #[serde(default)]
    csrf_token: String,
    tor2web_check: Option<String>,
}

/// `POST /generate`: a new codename for this tab.
pub(crate) async fn generate(
    State(app): State<SourceState>,
    session: Session,
    CheckedForm(form): CheckedForm<GenerateForm>,
) -> Response {
    match form.tor2web_check.as_deref() {
        None => return app.error_page(&session, StatusCode::FORBIDDEN, "error-heading", "error-forbidden").await,
        Some(v) if v != TOR2WEB_CANARY => return Redirect::to("/tor2web-warning").into_response(),
        Some(_) => {}
    }
    if let Some(res) = already_logged_in(&session) {
        return res;
    }
    let codename = Codename::generate(&mut OsRng);
    let tab_id = random_token();
    let ctx = app.page_ctx(&session, None).await;
    let page = pages::generate(&ctx, codename.expose_secret(), &tab_id, &form.csrf_token);
    session.add_tab(tab_id, codename);
    html(page).into_response()
}

/// `GET /generate`: codenames are only made on the front page's POST.
pub(crate) async fn generate_get() -> Response {
    Redirect::to("/").into_response()
}

/// `POST /create` form.
#[derive(Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    tab_id: String,
}

/// `POST /create`: the account for the codename this tab was shown.
pub(crate) async fn create(
    State(app): State<SourceState>,
    session: Session,
    by: Requester,
    CheckedForm(form): CheckedForm<CreateForm>,
) -> Response {
    if let Some(res) = already_logged_in(&session) {
        return res;
    }
    let Some(codename) = session.take_tab(&form.tab_id) else {
        session.restart_with(Flash::SessionExpired);
        return Redirect::to("/").into_response();
    };
    match app.create_source(&by, &codename).await {
        Ok((source, sealed, pad)) => {
            session.log_in_source(source.id, Some(codename), sealed, &pad);
            Redirect::to("/lookup").into_response()
        }
        Err(e) if e.kind() == ErrorKind::RateLimited => {
            // Too many unused accounts, or this client is already creating one: said
            // plainly, and the codename stays valid for a retry from this tab.
            session.add_tab(form.tab_id, codename);
            let body = if matches!(e, AppError::Store(_)) { "error-too-many-accounts" } else { "error-busy" };
            app.error_page(&session, StatusCode::SERVICE_UNAVAILABLE, "error-heading", body).await
        }
        Err(e) => {
            // Logged at the boundary; the source sees a retry notice on the front page.
            session.restart_with(Flash::TemporaryProblem);
            HttpError::new("create an account", e).recovered(Redirect::to("/").into_response())
        }
    }
}

/// `GET /login`.
pub(crate) async fn login_form(State(app): State<SourceState>, session: Session) -> Response {
    let csrf = session.csrf();
    let ctx = app.page_ctx(&session, None).await;
    html(pages::login(&ctx, &csrf)).into_response()
}

/// `POST /login` form.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    codename: String,
}

/// `POST /login`: one generic message for every failure.
pub(crate) async fn login(
    State(app): State<SourceState>,
    session: Session,
    by: Requester,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> Result<Response, HttpError> {
    // Parsing is cheap and bounded, and runs before any key derivation.
    let found = match Codename::parse(&form.codename) {
        Ok(codename) => app.find_source(&by, codename).await,
        Err(_) => Ok(None),
    };
    let Some((source, sealed, pad)) = found.doing("log a source in")? else {
        let csrf = session.csrf();
        let ctx = app.page_ctx(&session, Some(app.inner.tr.get("login-failed"))).await;
        return Ok((StatusCode::UNAUTHORIZED, html(pages::login(&ctx, &csrf))).into_response());
    };
    session.log_in_source(source.id, None, sealed, &pad);
    Ok(Redirect::to("/lookup").into_response())
}

/// `POST /logout` form.
#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /logout`: end the session and advise Tor Browser's New Identity.
pub(crate) async fn logout(
    State(app): State<SourceState>,
    session: Session,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let token = form.map(|Form(f)| f.csrf_token).unwrap_or_default();
    if !session.csrf_ok(&token) {
        return app.csrf_failure(&session).await;
    }
    session.end();
    let ctx = app.page_ctx(&session, None).await;
    html(pages::logout(&ctx)).into_response()
}

impl CsrfForm for GenerateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CsrfForm for CreateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.codename);
    }
}

impl CsrfForm for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `/generate` and `/create` send a logged-in source to its page, with a notice.
fn already_logged_in(session: &Session) -> Option<Response> {
    session.logged_in()?;
    session.flash(Flash::AlreadyLoggedIn);
    Some(Redirect::to("/lookup").into_response())
}
