//! Administration: accounts and instance settings.

use maud::{Markup, html};
use postern_store::{InstanceSettings, JournalistRecord, OtpKind};

use super::account::new_password_fields;
use super::layout::{PageCtx, csrf_field, page};

/// `/admin/`: every account.
pub(crate) fn index(ctx: &PageCtx, users: &[JournalistRecord]) -> Markup {
    page(
        ctx,
        "Administration",
        html! {
            p { a href="/admin/add" { "Add a journalist" } " · " a href="/admin/config" { "Instance settings" } }
            table {
                thead { tr { th { "User name" } th { "Name" } th { "Role" } th { "Second factor" } th {} } }
                tbody {
                    @for u in users {
                        tr {
                            td { (u.username) }
                            td { (u.first_name) " " (u.last_name) }
                            td { (if u.is_admin { "administrator" } else { "journalist" }) }
                            td { (if u.otp_kind == OtpKind::Hotp { "YubiKey (HOTP)" } else { "app (TOTP)" }) }
                            td { a href={ "/admin/edit/" (u.id.raw()) } { "Edit" } }
                        }
                    }
                }
            }
        },
    )
}

/// `/admin/add`.
pub(crate) fn add(ctx: &PageCtx, password: &str) -> Markup {
    page(
        ctx,
        "Add a journalist",
        html! {
            form method="post" action="/admin/add" {
                (csrf_field(&ctx.csrf))
                label for="username" { "User name (3–64 letters, digits, '.', '_' or '-')" }
                input #username type="text" name="username" required;
                label for="first_name" { "First name (optional)" }
                input #first_name type="text" name="first_name" maxlength="100";
                label for="last_name" { "Last name (optional)" }
                input #last_name type="text" name="last_name" maxlength="100";
                (new_password_fields(password))
                label.check { input type="checkbox" name="is_admin" value="y"; " Administrator" }
                label.check { input type="checkbox" name="is_hotp" value="y"; " Uses a YubiKey (HOTP) instead of an app" }
                label for="otp_secret" { "YubiKey HOTP secret (40 hex digits; only with the box above)" }
                input #otp_secret type="text" name="otp_secret";
                button type="submit" { "Add" }
            }
        },
    )
}

/// `/admin/edit/<id>`.
pub(crate) fn edit(ctx: &PageCtx, user: &JournalistRecord, is_self: bool, password: &str) -> Markup {
    let base = format!("/admin/edit/{}", user.id.raw());
    page(
        ctx,
        &format!("Edit {}", user.username),
        html! {
            section {
                form method="post" action=(base) {
                    (csrf_field(&ctx.csrf))
                    label for="username" { "User name" }
                    input #username type="text" name="username" value=(user.username) required;
                    label for="first_name" { "First name" }
                    input #first_name type="text" name="first_name" value=(user.first_name) maxlength="100";
                    label for="last_name" { "Last name" }
                    input #last_name type="text" name="last_name" value=(user.last_name) maxlength="100";
                    label.check { input type="checkbox" name="is_admin" value="y" checked[user.is_admin] disabled[is_self]; " Administrator" }
                    button type="submit" { "Save" }
                }
            }
            @if is_self {
                p { "To change your own passphrase or second factor, use " a href="/account/account" { "your account page" } "." }
            } @else {
                section {
                    h2 { "Passphrase" }
                    form method="post" action={ (base) "/new-password" } {
                        (csrf_field(&ctx.csrf))
                        (new_password_fields(password))
                        button type="submit" { "Set this passphrase" }
                        p.hint { "This logs " (user.username) " out everywhere." }
                    }
                }
                section {
                    h2 { "Second factor" }
                    form method="post" action="/admin/reset-2fa-totp" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="userid" value=(user.id.raw());
                        button.secondary type="submit" { "Reset to a new authenticator app" }
                    }
                    form method="post" action="/admin/reset-2fa-hotp" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="userid" value=(user.id.raw());
                        label for="otp_secret" { "Or a YubiKey's HOTP secret (40 hex digits)" }
                        input #otp_secret type="text" name="otp_secret" required;
                        button.secondary type="submit" { "Reset to this YubiKey" }
                    }
                }
                section {
                    h2 { "Delete" }
                    form method="post" action={ "/admin/delete/" (user.id.raw()) } {
                        (csrf_field(&ctx.csrf))
                        button.danger type="submit" { "Delete " (user.username) }
                        p.hint { "Their replies stay, attributed to “deleted”." }
                    }
                }
            }
        },
    )
}

/// `/admin/config`.
pub(crate) fn config(ctx: &PageCtx, s: &InstanceSettings) -> Markup {
    page(
        ctx,
        "Instance settings",
        html! {
            section {
                h2 { "Organization name" }
                form method="post" action="/admin/update-org-name" {
                    (csrf_field(&ctx.csrf))
                    label for="organization_name" { "Shown on both interfaces (1–64 characters)" }
                    input #organization_name type="text" name="organization_name" value=(s.organization_name) maxlength="64" required;
                    button type="submit" { "Save" }
                }
            }
            section {
                h2 { "Logo" }
                form method="post" action="/admin/config" enctype="multipart/form-data" {
                    (csrf_field(&ctx.csrf))
                    label for="logo" { "A PNG image (at most 1 MiB)" }
                    input #logo type="file" name="logo" accept="image/png" required;
                    button type="submit" { "Upload" }
                }
            }
            section {
                h2 { "Submission preferences" }
                form method="post" action="/admin/update-submission-preferences" {
                    (csrf_field(&ctx.csrf))
                    label.check { input type="checkbox" name="prevent_document_uploads" value="y" checked[!s.allow_document_uploads]; " Sources may send messages only (no files)" }
                    label.check { input type="checkbox" name="prevent_short_messages" value="y" checked[s.initial_message_min_len > 0]; " Require a minimum length for a first message sent without files" }
                    label for="min_message_length" { "Minimum length (characters)" }
                    input #min_message_length type="number" name="min_message_length" min="0" max="100000" value=(s.initial_message_min_len);
                    label.check { input type="checkbox" name="reject_codename_messages" value="y" checked[s.reject_message_with_codename]; " Refuse a first message that is the source's codename" }
                    button type="submit" { "Save preferences" }
                }
            }
        },
    )
}
