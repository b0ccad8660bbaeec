//! `/account/…`: a journalist's own name, passphrase and second factor.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::JournalistId;
use postern_crypto::{OtpSecret, generate_password, hash_password, is_acceptable_password, verify_hotp, verify_totp};
use postern_store::{JournalistRecord, OtpKind, Store, StoreError};
use postern_web::HttpError;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::html;
use crate::auth::{Journalist, LoginError, PasswordError};
use crate::form::{CheckedForm, FormData};
use crate::session::{Flash, JournalistSession, Session};
use crate::state::JournalistState;
use crate::views::account::{self, Enrolment};

/// What the passphrase shown on the account page is for.
const OWN_PASSWORD: &str = "own";

/// What the second-factor secret an enrolment page showed is remembered as: for the
/// journalist `userid` (administrators' pages), or for one's own account (shown only
/// after re-authentication). Its verification must echo it.
pub(crate) fn factor_purpose(userid: Option<JournalistId>) -> String {
    userid.map_or_else(|| "own-factor".to_owned(), |id| format!("factor:{}", id.raw()))
}

/// `GET /account/account`.
pub(crate) async fn account_page(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
) -> Response {
    let password = generate_password(&mut OsRng);
    session.set_pending_password(OWN_PASSWORD, password.clone());
    let ctx = app.page_ctx(&session, Some(&j)).await;
    html(account::account(&ctx, &j.first_name, &j.last_name, &password)).into_response()
}

/// `POST /account/change-name`: `first_name`, `last_name`.
pub(crate) async fn change_name(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    let Some((first, last)) = names(&form) else {
        session.flash(Flash::error(NAMES_RULE));
        return Redirect::to("/account/account").into_response();
    };
    let id = j.id;
    match app.with_store(move |s| s.set_journalist_names(id, &first, &last)).await {
        Ok(_) => {
            session.flash(Flash::info("Name updated."));
            Redirect::to("/account/account").into_response()
        }
        Err(e) => HttpError::new("change a name", e).into_response(),
    }
}

/// `POST /account/new-password`: the shown `password`, `current_password` and `token`.
/// Success ends every session of this journalist.
pub(crate) async fn new_password(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    let refuse = |text: &str| {
        session.flash(Flash::error(text));
        Redirect::to("/account/account").into_response()
    };
    if !session.take_pending_password(OWN_PASSWORD, form.get("password")) {
        return refuse("The new passphrase must be the one this page showed. Nothing was changed.");
    }
    let new = form.get("password").trim().to_owned();
    let result = app
        .with_login(j.username.clone(), current_password(&form), form.get("token").to_owned(), move |s, j| {
            set_password(s, &j.username, &new)
        })
        .await;
    match result {
        Ok(Ok(())) => {
            app.end_sessions_of(j.id);
            session.restart_with(Flash::info("Passphrase changed. Log in with the new one."));
            Redirect::to("/login").into_response()
        }
        Ok(Err(e)) => refuse(reauthentication_refused(&e)),
        Err(e) => HttpError::new("change a passphrase", e).into_response(),
    }
}

/// The `current_password` a form carries, for re-authentication.
fn current_password(form: &FormData) -> Zeroizing<String> {
    Zeroizing::new(form.get("current_password").to_owned())
}

/// What a journalist is told when re-authentication for a change of their own
/// passphrase or second factor failed.
fn reauthentication_refused(e: &LoginError) -> &'static str {
    match e {
        LoginError::Throttled => "Too many attempts. Wait 60 seconds; nothing was changed.",
        _ => "Your current passphrase or two-factor code was wrong (a code works only once). Nothing was changed.",
    }
}

/// Hashes and stores a new passphrase (which bumps the session generation).
pub(crate) fn set_password(s: &Store, username: &str, password: &str) -> Result<(), PasswordError> {
    if !is_acceptable_password(password) {
        return Err(postern_core::internal!("a generated passphrase was not acceptable").into());
    }
    let hash = hash_password(&mut OsRng, password).map_err(PasswordError::Hash)?;
    s.set_journalist_password(username, &hash)?;
    Ok(())
}

/// `POST /account/reset-2fa-totp`: `current_password` and `token`; shows a new secret
/// to enrol. Nothing changes yet.
pub(crate) async fn reset_totp(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    app.reauthenticated_enrolment(&session, &j, &form, "/account/verify-2fa-totp", NewFactor::fresh_totp()).await
}

/// `POST /account/reset-2fa-hotp`: `current_password`, `token`, and the `otp_secret`
/// (hex) of a YubiKey to enrol.
pub(crate) async fn reset_hotp(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    match NewFactor::hotp(form.get("otp_secret")) {
        Some(factor) => app.reauthenticated_enrolment(&session, &j, &form, "/account/verify-2fa-hotp", factor).await,
        None => {
            session.flash(Flash::error("A YubiKey HOTP secret is 40 hexadecimal digits."));
            Redirect::to("/account/account").into_response()
        }
    }
}

/// `POST /account/verify-2fa-totp` and `…-hotp`: `otp_secret` and a `token` it made.
/// Only a secret this session was shown after re-authenticating is accepted.
pub(crate) async fn verify_factor(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    if !session.take_pending_password(&factor_purpose(None), form.get("otp_secret")) {
        session.flash(Flash::error(
            "Confirm with your current passphrase and two-factor code first. Nothing was changed.",
        ));
        return Redirect::to("/account/account").into_response();
    }
    match app.apply_new_factor(&j, &form).await {
        Ok(true) => {
            app.end_sessions_of(j.id);
            session.restart_with(Flash::info("Two-factor authentication updated. Log in with your new code."));
            Redirect::to("/login").into_response()
        }
        Ok(false) => {
            session.flash(Flash::error("That code did not match, so nothing was changed. Start again."));
            Redirect::to("/account/account").into_response()
        }
        Err(e) => HttpError::new("change a second factor", e).into_response(),
    }
}

/// What a first or last name may be, as the pages say it.
pub(crate) const NAMES_RULE: &str =
    "Names have at most 100 characters and no control or direction-override characters.";

/// First and last name from a form, if within limits.
pub(crate) fn names(form: &FormData) -> Option<(String, String)> {
    let first = form.get("first_name").trim().to_owned();
    let last = form.get("last_name").trim().to_owned();
    (postern_core::is_valid_person_name(&first) && postern_core::is_valid_person_name(&last)).then_some((first, last))
}

/// A second factor being enrolled: its secret travels in the form, never in a lookup.
pub(crate) struct NewFactor {
    kind: OtpKind,
    secret: OtpSecret,
    /// What the form carries: base32 (TOTP) or the hex the administrator typed (HOTP).
    shown: String,
}

impl NewFactor {
    pub(crate) fn fresh_totp() -> Self {
        let secret = OtpSecret::generate(&mut OsRng);
        let shown = secret.to_base32().to_string();
        Self { kind: OtpKind::Totp, secret, shown }
    }

    pub(crate) fn hotp(hex: &str) -> Option<Self> {
        let compact: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
        let secret = OtpSecret::from_hex(&compact).ok()?;
        Some(Self { kind: OtpKind::Hotp, secret, shown: compact })
    }

    /// How it is stored: kind and base32 secret.
    pub(crate) fn stored(&self) -> (OtpKind, String) {
        (self.kind, self.secret.to_base32().to_string())
    }

    /// The factor a verification form carries.
    fn from_form(form: &FormData) -> Option<Self> {
        let text = form.get("otp_secret");
        Self::hotp(text).or_else(|| {
            let secret = OtpSecret::from_base32(text).ok()?;
            Some(Self { kind: OtpKind::Totp, secret, shown: text.to_owned() })
        })
    }
}

impl JournalistState {
    /// The enrolment page for a new factor of the journalist's own account, once the
    /// form's current passphrase and code check out (a hijacked or unattended session
    /// cannot swap the factor and lock its owner out).
    async fn reauthenticated_enrolment(
        &self,
        session: &Session,
        j: &JournalistRecord,
        form: &FormData,
        action: &str,
        factor: NewFactor,
    ) -> Response {
        let checked = self
            .with_login(j.username.clone(), current_password(form), form.get("token").to_owned(), |_, _| Ok(()))
            .await;
        match checked {
            Ok(Ok(())) => self.enrol_page(session, j, action, None, &j.username, factor).await,
            Ok(Err(e)) => {
                session.flash(Flash::error(reauthentication_refused(&e)));
                Redirect::to("/account/account").into_response()
            }
            Err(e) => HttpError::new("check a passphrase", e).into_response(),
        }
    }

    /// The enrolment page for `factor` of `username`; the session remembers the secret
    /// shown, which the verification must echo.
    pub(crate) async fn enrol_page(
        &self,
        session: &Session,
        viewer: &JournalistRecord,
        action: &str,
        userid: Option<JournalistId>,
        username: &str,
        factor: NewFactor,
    ) -> Response {
        let uri =
            (factor.kind == OtpKind::Totp).then(|| factor.secret.totp_uri(&self.inner.config.otp_issuer, username));
        let e = Enrolment {
            action,
            userid: userid.map(JournalistId::raw),
            username,
            otp_secret: &factor.shown,
            totp_uri: uri.as_ref().map(|u| u.as_str()),
        };
        session.set_pending_password(&factor_purpose(userid), Zeroizing::new(factor.shown.clone()));
        let ctx = self.page_ctx(session, Some(viewer)).await;
        (StatusCode::OK, html(account::enrol(&ctx, &e))).into_response()
    }

    /// Stores the form's new factor for `target` if the form's code proves it works,
    /// and marks that code used. Returns false if the code did not match.
    pub(crate) async fn apply_new_factor(
        &self,
        target: &JournalistRecord,
        form: &FormData,
    ) -> Result<bool, StoreError> {
        let Some(factor) = NewFactor::from_form(form) else { return Ok(false) };
        let token = form.get("token").to_owned();
        let (id, username, now) = (target.id, target.username.clone(), self.unix_now());
        self.with_store(move |s| {
            let b32 = factor.secret.to_base32();
            match factor.kind {
                OtpKind::Totp => {
                    let Some(step) = verify_totp(&factor.secret, &token, now, None) else { return Ok(false) };
                    s.set_journalist_otp(&username, OtpKind::Totp, &b32)?;
                    s.use_totp_step(id, step)?;
                }
                OtpKind::Hotp => {
                    let Some(next) = verify_hotp(&factor.secret, &token, 0) else { return Ok(false) };
                    s.set_journalist_otp(&username, OtpKind::Hotp, &b32)?;
                    s.advance_hotp_counter(id, next)?;
                }
            }
            Ok(true)
        })
        .await
    }
}
