//! `/admin/…`: accounts and instance settings. Every handler starts with
//! `current_admin`, so every GET and POST refuses non-administrators.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use postern_core::{JournalistId, is_valid_username};
use postern_crypto::{generate_password, hash_password};
use postern_store::{InstanceSettings, JournalistRecord, NewJournalist, OtpKind, StoreError};
use postern_web::{Doing, HttpError, PathParams};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::account::{NAMES_RULE, NewFactor, factor_purpose, names, set_password};
use super::html;
use crate::auth::{Admin, PasswordError};
use crate::form::{CheckedForm, FormData};
use crate::session::{Flash, JournalistSession, Session};
use crate::state::JournalistState;
use crate::views::admin;

/// What the passphrase shown on the "add" form is for.
const NEW_USER_PASSWORD: &str = "new-user";
/// Largest logo accepted.
const MAX_LOGO_BYTES: u64 = 1024 * 1024;
/// Widest and tallest logo accepted, in pixels.
const MAX_LOGO_SIDE: u32 = 4096;
/// Most pixels a logo may have: a source's browser decodes it to 16 MiB at most, so a
/// small PNG that inflates to gigabytes (a decompression bomb) is refused. Animated
/// PNGs are refused too: each frame could be that large.
const MAX_LOGO_PIXELS: u64 = 4 * 1024 * 1024;
/// Longest organisation name.
/// Largest first-message minimum.
const MAX_MIN_MESSAGE_LEN: u32 = 100_000;

/// `GET /admin/`.
pub(crate) async fn index(State(app): State<JournalistState>, session: Session, Admin(j): Admin) -> Response {
    match app.with_store(|s| s.journalists()).await {
        Ok(users) => {
            let ctx = app.page_ctx(&session, Some(&j)).await;
            html(admin::index(&ctx, &users)).into_response()
        }
        Err(e) => HttpError::new("list journalists", e).into_response(),
    }
}

/// `GET /admin/add`.
pub(crate) async fn add_form(State(app): State<JournalistState>, session: Session, Admin(j): Admin) -> Response {
    let password = generate_password(&mut OsRng);
    session.set_pending_password(NEW_USER_PASSWORD, password.clone());
    let ctx = app.page_ctx(&session, Some(&j)).await;
    html(admin::add(&ctx, &password)).into_response()
}

/// `POST /admin/add`: `username`, `first_name`, `last_name`, the shown `password`,
/// `is_admin`, `is_hotp` and `otp_secret`; then the new account's 2FA enrolment.
pub(crate) async fn add(
    State(app): State<JournalistState>,
    session: Session,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Result<Response, HttpError> {
    let refuse = |text: &str| {
        session.flash(Flash::error(text));
        Ok(Redirect::to("/admin/add").into_response())
    };
    let account = match NewAccount::checked(&session, &form) {
        Ok(account) => account,
        Err(text) => return refuse(text),
    };
    let NewAccount { username, first, last, password, is_admin, factor } = account;
    let (kind, secret) = factor.stored();
    let created = app
        .with_password_work(move |s| {
            let hash = hash_password(&mut OsRng, &password).map_err(PasswordError::Hash)?;
            let new = NewJournalist {
                username: &username,
                password_hash: &hash,
                is_admin,
                otp_kind: kind,
                otp_secret: &secret,
            };
            Ok(s.create_journalist_with_names(&new, &first, &last)?)
        })
        .await;
    let user = match created {
        Ok(user) => user,
        Err(PasswordError::Store(StoreError::UsernameTaken)) => {
            return refuse("That user name is taken. Nothing was created.");
        }
        Err(e) => return Err(HttpError::new("add a journalist", e)),
    };
    let action = if kind == OtpKind::Totp { "/admin/verify-2fa-totp" } else { "/admin/verify-2fa-hotp" };
    session.flash(Flash::info(format!("Journalist {} added. Now set up their second factor.", user.username)));
    Ok(app.enrol_page(&session, &j, action, Some(user.id), &user.username, factor).await)
}

/// The "add a journalist" form, checked.
struct NewAccount {
    username: String,
    first: String,
    last: String,
    password: Zeroizing<String>,
    is_admin: bool,
    factor: NewFactor,
}

impl NewAccount {
    /// The account the form asks for, or why it cannot be made.
    fn checked(session: &Session, form: &FormData) -> Result<Self, &'static str> {
        let username = form.get("username").trim().to_owned();
        if !is_valid_username(&username) {
            return Err(
                "A user name has 3 to 64 characters (letters, digits, '.', '_' or '-'), and 'deleted' is reserved.",
            );
        }
        let (first, last) = names(form).ok_or(NAMES_RULE)?;
        if !session.take_pending_password(NEW_USER_PASSWORD, form.get("password")) {
            return Err("The passphrase must be the one the form showed. Nothing was created.");
        }
        let factor = if form.flag("is_hotp") {
            NewFactor::hotp(form.get("otp_secret"))
                .ok_or("A YubiKey HOTP secret is 40 hexadecimal digits. Nothing was created.")?
        } else {
            NewFactor::fresh_totp()
        };
        let password = Zeroizing::new(form.get("password").trim().to_owned());
        Ok(Self { username, first, last, password, is_admin: form.flag("is_admin"), factor })
    }
}

/// `GET /admin/edit/<id>`.
pub(crate) async fn edit_form(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(id): PathParams<i64>,
    Admin(j): Admin,
) -> Response {
    let user = match app.target(&session, &j, JournalistId::new(id)).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let password = generate_password(&mut OsRng);
    session.set_pending_password(&format!("user:{}", user.id.raw()), password.clone());
    let ctx = app.page_ctx(&session, Some(&j)).await;
    html(admin::edit(&ctx, &user, user.id == j.id, &password)).into_response()
}

/// `POST /admin/edit/<id>`: `username`, `first_name`, `last_name`, `is_admin`.
pub(crate) async fn edit(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(id): PathParams<i64>,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let user = match app.target(&session, &j, JournalistId::new(id)).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let back = format!("/admin/edit/{id}");
    let refuse = |text: &str| {
        session.flash(Flash::error(text));
        Redirect::to(&back).into_response()
    };
    let username = form.get("username").trim().to_owned();
    if !is_valid_username(&username) {
        return refuse(
            "A user name has 3 to 64 characters (letters, digits, '.', '_' or '-'), and 'deleted' is reserved.",
        );
    }
    let Some((first, last)) = names(&form) else { return refuse(NAMES_RULE) };
    // Administrators cannot demote themselves (the form disables the box).
    let is_admin = if user.id == j.id { true } else { form.flag("is_admin") };
    match app.with_store(move |s| s.update_journalist_profile(user.id, &username, &first, &last, is_admin)).await {
        Ok(_) => {
            session.flash(Flash::info("Account updated."));
            Redirect::to(&back).into_response()
        }
        Err(StoreError::UsernameTaken) => refuse("That user name is taken."),
        Err(e) => HttpError::new("edit a journalist", e).into_response(),
    }
}

/// `POST /admin/edit/<id>/new-password`: the shown `password`; never one's own.
pub(crate) async fn edit_password(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(id): PathParams<i64>,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let user = match app.other_user(&session, &j, JournalistId::new(id)).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let back = format!("/admin/edit/{id}");
    if !session.take_pending_password(&format!("user:{}", user.id.raw()), form.get("password")) {
        session.flash(Flash::error("The passphrase must be the one the form showed. Nothing was changed."));
        return Redirect::to(&back).into_response();
    }
    let (password, username) = (form.get("password").trim().to_owned(), user.username.clone());
    match app.with_password_work(move |s| set_password(s, &username, &password)).await {
        Ok(()) => {
            app.end_sessions_of(user.id);
            session.flash(Flash::info(format!(
                "Passphrase of {} changed; they were logged out everywhere.",
                user.username
            )));
            Redirect::to(&back).into_response()
        }
        Err(e) => HttpError::new("reset a passphrase", e).into_response(),
    }
}

/// `POST /admin/delete/<id>`: never oneself; replies pass to `deleted`.
pub(crate) async fn delete(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(id): PathParams<i64>,
    Admin(j): Admin,
    CheckedForm(_): CheckedForm,
) -> Response {
    let user = match app.other_user(&session, &j, JournalistId::new(id)).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let username = user.username.clone();
    match app.with_store(move |s| s.delete_journalist(&username)).await {
        Ok(_) => {
            app.end_sessions_of(user.id);
            session.flash(Flash::info(format!("Deleted {}; their replies remain, by “deleted”.", user.username)));
            Redirect::to("/admin/").into_response()
        }
        Err(e) => HttpError::new("delete a journalist", e).into_response(),
    }
}

/// `POST /admin/reset-2fa-totp`: `userid`; shows a new secret to enrol.
pub(crate) async fn reset_totp(
    State(app): State<JournalistState>,
    session: Session,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    // One's own factor is replaced on the account page, after re-authentication.
    let user = match app.other_user(&session, &j, JournalistId::new(form.get("userid").parse().unwrap_or(-1))).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    app.enrol_page(&session, &j, "/admin/verify-2fa-totp", Some(user.id), &user.username, NewFactor::fresh_totp()).await
}

/// `POST /admin/reset-2fa-hotp`: `userid`, `otp_secret` (hex).
pub(crate) async fn reset_hotp(
    State(app): State<JournalistState>,
    session: Session,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let user = match app.other_user(&session, &j, JournalistId::new(form.get("userid").parse().unwrap_or(-1))).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    match NewFactor::hotp(form.get("otp_secret")) {
        Some(f) => app.enrol_page(&session, &j, "/admin/verify-2fa-hotp", Some(user.id), &user.username, f).await,
        None => {
            session.flash(Flash::error("A YubiKey HOTP secret is 40 hexadecimal digits."));
            Redirect::to(&format!("/admin/edit/{}", user.id.raw())).into_response()
        }
    }
}

/// `POST /admin/verify-2fa-totp` and `…-hotp`: `userid`, `otp_secret`, `token`.
pub(crate) async fn verify_factor(
    State(app): State<JournalistState>,
    session: Session,
    Admin(j): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let user = match app.other_user(&session, &j, JournalistId::new(form.get("userid").parse().unwrap_or(-1))).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let back = format!("/admin/edit/{}", user.id.raw());
    // Only a secret this session's reset page showed for this journalist.
    if !session.take_pending_password(&factor_purpose(Some(user.id)), form.get("otp_secret")) {
        session.flash(Flash::error("Start the reset again from this page. Nothing was changed."));
        return Redirect::to(&back).into_response();
    }
    match app.apply_new_factor(&user, &form).await {
        Ok(true) => {
            app.end_sessions_of(user.id);
            session.flash(Flash::info(format!("Two-factor authentication of {} updated.", user.username)));
            Redirect::to(&back).into_response()
        }
        Ok(false) => {
            session.flash(Flash::error("That code did not match, so nothing was changed. Start again."));
            Redirect::to(&back).into_response()
        }
        Err(e) => HttpError::new("change a second factor", e).into_response(),
    }
}

/// `GET /admin/config`.
pub(crate) async fn config(State(app): State<JournalistState>, session: Session, Admin(j): Admin) -> Response {
    match app.with_store(|s| s.instance_settings()).await {
        Ok(settings) => {
            let ctx = app.page_ctx(&session, Some(&j)).await;
            html(admin::config(&ctx, &settings)).into_response()
        }
        Err(e) => HttpError::new("read instance settings", e).into_response(),
    }
}

/// `POST /admin/update-org-name`: `organization_name`, 1–64 characters.
pub(crate) async fn update_org_name(
    State(app): State<JournalistState>,
    session: Session,
    Admin(_): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let name = form.get("organization_name").trim().to_owned();
    if !postern_core::is_valid_organization_name(&name) {
        return app.config_notice(
            &session,
            Flash::error(
                "The organization name has 1 to 64 characters, and no control or direction-override characters.",
            ),
        );
    }
    app.update_settings(&session, move |s| s.organization_name = name).await
}

/// `POST /admin/update-submission-preferences`: `prevent_document_uploads`,
/// `prevent_short_messages`, `min_message_length`, `reject_codename_messages`.
pub(crate) async fn update_preferences(
    State(app): State<JournalistState>,
    session: Session,
    Admin(_): Admin,
    CheckedForm(form): CheckedForm,
) -> Response {
    let min_len = if form.flag("prevent_short_messages") {
        match form.get("min_message_length").trim().parse::<u32>() {
            Ok(n) if n <= MAX_MIN_MESSAGE_LEN => n,
            _ => {
                return app.config_notice(
                    &session,
                    Flash::error("The minimum message length must be a whole number from 0 to 100000."),
                );
            }
        }
    } else {
        0
    };
    let (uploads, codename) = (!form.flag("prevent_document_uploads"), form.flag("reject_codename_messages"));
    app.update_settings(&session, move |s| {
        s.allow_document_uploads = uploads;
        s.initial_message_min_len = min_len;
        s.reject_message_with_codename = codename;
    })
    .await
}

/// `POST /admin/config` (multipart): `csrf_token`, then `logo`, a PNG of at most 1 MiB.
pub(crate) async fn upload_logo(
    State(app): State<JournalistState>,
    session: Session,
    Admin(_): Admin,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    let png = match read_logo(&session, &headers, body).await {
        Ok(png) => png,
        Err(LogoRefusal::Csrf) => return Ok(app.csrf_failure(&session)),
        Err(refusal) => return Ok(app.config_notice(&session, Flash::error(refusal.text()))),
    };
    app.with_store(move |s| s.set_logo(&png)).await.doing("store the logo")?;
    Ok(app.config_notice(&session, Flash::info("Logo updated.")))
}

/// Why a logo upload changed nothing.
enum LogoRefusal {
    Malformed,
    TooLarge,
    TooLargeOrMalformed,
    Csrf,
    NotPng,
    TooManyPixels,
    Animated,
}

impl LogoRefusal {
    fn text(&self) -> &'static str {
        match self {
            Self::Malformed => "The logo form was malformed. Nothing was changed.",
            Self::TooLarge => "The logo is larger than 1 MiB. Nothing was changed.",
            Self::TooLargeOrMalformed => {
                "The logo is larger than 1 MiB, or the form was malformed. Nothing was changed."
            }
            Self::Csrf => "The form has expired. Nothing was changed.",
            Self::NotPng => "The logo must be a PNG image of at most 1 MiB. Nothing was changed.",
            Self::Animated => "The logo must be a still image, not an animated PNG. Nothing was changed.",
            Self::TooManyPixels => {
                "The logo may be at most 4096 pixels wide or high, and 4 megapixels in all. Nothing was changed."
            }
        }
    }
}

/// The logo of a multipart form whose CSRF token (sent first) checks out.
async fn read_logo(session: &Session, headers: &HeaderMap, body: Body) -> Result<Bytes, LogoRefusal> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| LogoRefusal::Malformed)?;
    let limits =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(MAX_LOGO_BYTES + 64 * 1024));
    let mut parts = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let (mut csrf_ok, mut logo) = (false, None);
    while let Some(field) = parts.next_field().await.map_err(|_| LogoRefusal::TooLargeOrMalformed)? {
        match field.name() {
            Some("csrf_token") => csrf_ok = field.text().await.is_ok_and(|t| session.csrf_ok(&t)),
            Some("logo") if csrf_ok => logo = Some(field.bytes().await.map_err(|_| LogoRefusal::TooLarge)?),
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(LogoRefusal::Csrf);
    }
    checked_logo(&logo.ok_or(LogoRefusal::NotPng)?)
}

/// A logo the source interface may serve: a PNG of at most [`MAX_LOGO_BYTES`] whose
/// header declares a size a browser can decode ([`MAX_LOGO_SIDE`], [`MAX_LOGO_PIXELS`]),
/// whose chunks postern-scrub reads through, and with its metadata removed (sources
/// should not learn who made the newsroom's logo on which machine).
fn checked_logo(bytes: &[u8]) -> Result<Bytes, LogoRefusal> {
    let (width, height) = png_size(bytes).ok_or(LogoRefusal::NotPng)?;
    if bytes.len() as u64 > MAX_LOGO_BYTES {
        return Err(LogoRefusal::NotPng);
    }
    if width == 0 || height == 0 {
        return Err(LogoRefusal::NotPng);
    }
    if width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE || u64::from(width) * u64::from(height) > MAX_LOGO_PIXELS {
        return Err(LogoRefusal::TooManyPixels);
    }
    if png_chunk_types(bytes).any(|kind| kind == *b"acTL") {
        return Err(LogoRefusal::Animated);
    }
    // The signature was checked above, so postern-scrub reads it as a PNG.
    postern_scrub::scrub_bytes(bytes).map(|(cleaned, _)| cleaned.into()).map_err(|_| LogoRefusal::NotPng)
}

/// The type of each chunk of a PNG, in order, as far as the lengths lead.
fn png_chunk_types(bytes: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    let mut at = 8usize;
    std::iter::from_fn(move || {
        let head = bytes.get(at..at.checked_add(8)?)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        at = at.checked_add(12)?.checked_add(len)?;
        Some([head[4], head[5], head[6], head[7]])
    })
}

/// The width and height of a PNG: its signature, then the IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((be(16), be(20)))
}

impl JournalistState {
    /// The account `id`, or a "not found" page (the placeholder is never editable).
    async fn target(
        &self,
        session: &Session,
        admin: &JournalistRecord,
        id: JournalistId,
    ) -> Result<JournalistRecord, Response> {
        match self.with_store(move |s| s.journalist_by_id(id)).await {
            Ok(Some(u)) if !u.is_placeholder => Ok(u),
            Ok(_) => Err(self.not_found_for(session, admin, "There is no such journalist.").await),
            Err(e) => Err(HttpError::new("find a journalist", e).into_response()),
        }
    }

    /// Like [`Self::target`], but never the administrator themself.
    async fn other_user(
        &self,
        session: &Session,
        admin: &JournalistRecord,
        id: JournalistId,
    ) -> Result<JournalistRecord, Response> {
        let user = self.target(session, admin, id).await?;
        if user.id == admin.id {
            session.flash(Flash::error("You cannot do that to your own account here; use your account page."));
            return Err(Redirect::to(&format!("/admin/edit/{}", id.raw())).into_response());
        }
        Ok(user)
    }

    fn config_notice(&self, session: &Session, notice: Flash) -> Response {
        session.flash(notice);
        Redirect::to("/admin/config").into_response()
    }

    async fn update_settings(
        &self,
        session: &Session,
        change: impl FnOnce(&mut InstanceSettings) + Send + 'static,
    ) -> Response {
        let result = self
            .with_store(move |s| {
                let mut settings = s.instance_settings()?;
                change(&mut settings);
                s.set_instance_settings(&settings)
            })
            .await;
        match result {
            Ok(()) => {
                self.config_notice(session, Flash::info("Settings saved. The source interface uses them at once."))
            }
            Err(e) => HttpError::new("save instance settings", e).into_response(),
        }
    }
}
