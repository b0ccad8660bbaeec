//! Login, the journalist's own account, and enrolling a second factor.

use maud::{Markup, html};

use super::layout::{PageCtx, csrf_field, page};

/// `/login`.
pub(crate) fn login(ctx: &PageCtx) -> Markup {
    page(
        ctx,
        "Log in",
        html! {
            form method="post" action="/login" {
                (csrf_field(&ctx.csrf))
                label for="username" { "User name" }
                input #username type="text" name="username" autocomplete="username" required;
                label for="password" { "Passphrase" }
                input #password type="password" name="password" autocomplete="current-password" required;
                label for="token" { "Two-factor code" }
                input #token type="text" name="token" inputmode="numeric" autocomplete="one-time-code" required;
                button type="submit" { "Log in" }
            }
        },
    )
}

/// A passphrase the server generated, shown once, with the field that must echo it.
pub(crate) fn new_password_fields(password: &str) -> Markup {
    html! {
        p { "The new passphrase. Write it down or store it in your password manager now; it is shown only once:" }
        p.secret { (password) }
        input type="hidden" name="password" value=(password);
    }
}

/// The current passphrase and code that replacing one's own second factor asks for;
/// `form` keeps the ids of several such forms on one page apart.
fn reauthentication_fields(form: &str) -> Markup {
    let (password_id, token_id) = (format!("{form}_current_password"), format!("{form}_token"));
    html! {
        label for=(password_id) { "Your current passphrase" }
        input id=(password_id) type="password" name="current_password" autocomplete="current-password" required;
        label for=(token_id) { "Your current two-factor code" }
        input id=(token_id) type="text" name="token" inputmode="numeric" autocomplete="one-time-code" required;
    }
}

/// `/account/account`: change name, passphrase, second factor.
pub(crate) fn account(ctx: &PageCtx, first: &str, last: &str, new_password: &str) -> Markup {
    page(
        ctx,
        "Your account",
        html! {
            section {
                h2 { "Name" }
                form method="post" action="/account/change-name" {
                    (csrf_field(&ctx.csrf))
                    label for="first_name" { "First name" }
                    input #first_name type="text" name="first_name" value=(first) maxlength="100";
                    label for="last_name" { "Last name" }
                    input #last_name type="text" name="last_name" value=(last) maxlength="100";
                    button type="submit" { "Save name" }
                }
            }
            section {
                h2 { "Passphrase" }
                form method="post" action="/account/new-password" {
                    (csrf_field(&ctx.csrf))
                    (new_password_fields(new_password))
                    label for="current_password" { "Your current passphrase" }
                    input #current_password type="password" name="current_password" required;
                    label for="token" { "Two-factor code" }
                    input #token type="text" name="token" inputmode="numeric" required;
                    button type="submit" { "Set the new passphrase" }
                    p.hint { "This logs you out everywhere." }
                }
            }
            section {
                h2 { "Two-factor authentication" }
                p.hint { "Replacing it asks for your current passphrase and code, and logs you out everywhere." }
                form method="post" action="/account/reset-2fa-totp" {
                    (csrf_field(&ctx.csrf))
                    (reauthentication_fields("totp"))
                    button.secondary type="submit" { "Use a new authenticator app" }
                }
                form method="post" action="/account/reset-2fa-hotp" {
                    (csrf_field(&ctx.csrf))
                    (reauthentication_fields("hotp"))
                    label for="otp_secret" { "Or a YubiKey: its HOTP secret (40 hex digits)" }
                    input #otp_secret type="text" name="otp_secret" pattern="[0-9A-Fa-f ]{40,}" required;
                    button.secondary type="submit" { "Use this YubiKey" }
                }
            }
        },
    )
}

/// What a new second factor needs: the secret to enrol (TOTP), carried in the form
/// only, and a code to prove it works before it replaces the old one.
pub(crate) struct Enrolment<'a> {
    /// Where the verification posts.
    pub(crate) action: &'a str,
    /// Whose factor (admin pages), as `userid`.
    pub(crate) userid: Option<i64>,
    pub(crate) username: &'a str,
    /// Base32 (TOTP) or hex (HOTP) secret, carried in a hidden field.
    pub(crate) otp_secret: &'a str,
    /// For TOTP: the `otpauth://` URI.
    pub(crate) totp_uri: Option<&'a str>,
}

/// Enrolling a second factor.
pub(crate) fn enrol(ctx: &PageCtx, e: &Enrolment<'_>) -> Markup {
    page(
        ctx,
        "Enable two-factor authentication",
        html! {
            @if let Some(uri) = e.totp_uri {
                p { "Add this account to an authenticator app (FreeOTP, Google Authenticator…) for " strong { (e.username) } ":" }
                p { "Secret key:" }
                p.secret { (e.otp_secret) }
                p { "Or as a link for apps that import one:" }
                p.secret { (uri) }
            } @else {
                p { "Press the YubiKey's button with the cursor in the field below to prove it is set up for " strong { (e.username) } "." }
            }
            form method="post" action=(e.action) {
                (csrf_field(&ctx.csrf))
                @if let Some(uid) = e.userid { input type="hidden" name="userid" value=(uid); }
                input type="hidden" name="otp_secret" value=(e.otp_secret);
                label for="token" { "The code it shows now" }
                input #token type="text" name="token" inputmode="numeric" autocomplete="off" required;
                button type="submit" { "Verify and enable" }
            }
        },
    )
}
