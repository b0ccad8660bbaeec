//! The frame every page shares: one stylesheet, no scripts, no foreign resources.

use maud::{DOCTYPE, Markup, html};

use crate::i18n::Tr;

/// Per-page facts the frame needs.
pub(crate) struct PageCtx<'a> {
    pub(crate) tr: &'a Tr,
    pub(crate) org: String,
    /// Notices carried over from the previous request.
    pub(crate) notices: Vec<String>,
    /// An error about this request, shown prominently.
    pub(crate) error: Option<String>,
    /// With a CSRF token, the frame shows a logout button.
    pub(crate) logout_csrf: Option<String>,
    /// The administrator uploaded a logo (served from this origin).
    pub(crate) has_logo: bool,
}

/// A complete page.
pub(crate) fn page(ctx: &PageCtx<'_>, heading: &str, body: Markup) -> Markup {
    let tr = ctx.tr;
    html! {
        (DOCTYPE)
        html lang="en-US" dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                meta name="referrer" content="no-referrer";
                title { (heading) " — " (tr.get1("site-title", "org", ctx.org.as_str())) }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                a.skip href="#main" { (tr.get("skip-to-content")) }
                header {
                    a.brand href="/" {
                        @if ctx.has_logo { img.logo src="/static/i/logo.png" alt=""; }
                        (ctx.org)
                    }
                    @if let Some(csrf) = &ctx.logout_csrf {
                        form.logout method="post" action="/logout" {
                            input type="hidden" name="csrf_token" value=(csrf);
                            button type="submit" { (tr.get("logout-button")) }
                        }
                    }
                }
                main #main {
                    h1 { (heading) }
                    @if let Some(error) = &ctx.error {
                        p.error role="alert" { (error) }
                    }
                    @for notice in &ctx.notices {
                        p.notice role="status" { (notice) }
                    }
                    (body)
                }
                footer {
                    a href="/public-key" { (tr.get("footer-public-key")) }
                    " · "
                    a href="/why-public-key" { (tr.get("footer-why-key")) }
                    p { (tr.get("footer-metadata-note")) }
                }
            }
        }
    }
}
