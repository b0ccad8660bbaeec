//! The frame every page shares: one stylesheet, no scripts, no foreign resources.

use maud::{DOCTYPE, Markup, html};

use crate::session::Flash;

/// Per-page facts the frame needs.
pub(crate) struct PageCtx {
    pub(crate) org: String,
    /// The logged-in journalist's user name and role, for the navigation.
    pub(crate) user: Option<(String, bool)>,
    /// This session's CSRF token (for every form on the page, and logout).
    pub(crate) csrf: String,
    pub(crate) notices: Vec<Flash>,
    pub(crate) has_logo: bool,
}

/// A complete page.
pub(crate) fn page(ctx: &PageCtx, heading: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (heading) " — " (ctx.org) " journalist interface" }
                link rel="stylesheet" href="/static/journalist.css";
            }
            body {
                header {
                    a.brand href="/" {
                        @if ctx.has_logo { img.logo src="/static/i/logo.png" alt=""; }
                        (ctx.org)
                    }
                    @if let Some((username, is_admin)) = &ctx.user {
                        nav {
                            a href="/" { "Sources" }
                            a href="/account/account" { "Account (" (username) ")" }
                            @if *is_admin { a href="/admin/" { "Admin" } }
                            form.inline method="post" action="/logout" {
                                (csrf_field(&ctx.csrf))
                                button.secondary type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main #main {
                    h1 { (heading) }
                    @for notice in &ctx.notices {
                        @if notice.error {
                            p.error role="alert" { (notice.text) }
                        } @else {
                            p.notice role="status" { (notice.text) }
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(csrf); }
}

/// A page with one heading and one explanation.
pub(crate) fn message(ctx: &PageCtx, heading: &str, body: &str) -> Markup {
    page(ctx, heading, html! { p { (body) } p { a href="/" { "Back to all sources" } } })
}

/// The 421 page for a request whose `Host` is not ours: the bare frame, nothing read
/// from the store.
pub(crate) fn misdirected() -> Markup {
    let ctx = PageCtx { org: String::new(), user: None, csrf: String::new(), notices: Vec::new(), has_logo: false };
    page(
        &ctx,
        "Wrong address",
        html! { p { "This server does not answer to the name your browser used. Use the journalist interface's onion address." } },
    )
}

/// Bytes as a human size (1024-based, as file managers show).
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(900), "900 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(500 * 1024 * 1024), "500.0 MiB");
    }
}
