//! The source interface's pages.

use maud::{Markup, html};

use super::layout::{PageCtx, page};

/// The value `/generate` expects in `tor2web_check`; proxies that rewrite
/// `.onion` links mangle it.
pub(crate) const TOR2WEB_CANARY: &str = "href=\"fake.onion\"";

/// `/`: get a codename, or log in.
pub(crate) fn index(ctx: &PageCtx<'_>, csrf: &str) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get1("index-heading", "org", ctx.org.as_str()),
        html! {
            p { (tr.get("index-intro")) }
            section {
                h2 { (tr.get("index-first-time")) }
                p { (tr.get("index-first-time-body")) }
                form method="post" action="/generate" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    input type="hidden" name="tor2web_check" value=(TOR2WEB_CANARY);
                    button type="submit" { (tr.get("index-get-started")) }
                }
            }
            section {
                h2 { (tr.get("index-returning")) }
                p { (tr.get("index-returning-body")) }
                a.button href="/login" { (tr.get("index-login")) }
            }
        },
    )
}

/// `/generate`: the new codename, shown once.
pub(crate) fn generate(ctx: &PageCtx<'_>, codename: &str, tab_id: &str, csrf: &str) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("generate-heading"),
        html! {
            p { (tr.get("generate-codename-label")) }
            p #codename .codename { (codename) }
            p { (tr.get("generate-instructions")) }
            form method="post" action="/create" {
                input type="hidden" name="csrf_token" value=(csrf);
                input type="hidden" name="tab_id" value=(tab_id);
                button type="submit" { (tr.get("generate-continue")) }
            }
        },
    )
}

/// `/login`.
pub(crate) fn login(ctx: &PageCtx<'_>, csrf: &str) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("login-heading"),
        html! {
            form method="post" action="/login" {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="codename-input" { (tr.get("login-label")) }
                input #codename-input type="password" name="codename" autocomplete="off" required maxlength="128";
                button type="submit" { (tr.get("login-submit")) }
            }
            p { a href="/" { (tr.get("login-no-codename")) } }
        },
    )
}

/// What the submission page shows.
pub(crate) struct LookupView {
    pub(crate) csrf: String,
    pub(crate) show_codename: Option<zeroize::Zeroizing<String>>,
    pub(crate) allow_uploads: bool,
    pub(crate) max_upload: String,
    /// The minimum first-message length, when this is the source's first submission.
    pub(crate) first_min_len: Option<u32>,
    /// Visible replies, newest first.
    pub(crate) replies: Vec<crate::models::OpenedReply>,
}

/// `/lookup`: the submission form and replies.
pub(crate) fn lookup(ctx: &PageCtx<'_>, v: &LookupView) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("lookup-heading"),
        html! {
            @if let Some(codename) = &v.show_codename {
                details.reminder {
                    summary { (tr.get("lookup-codename-reminder")) }
                    p #codename .codename { (codename.as_str()) }
                }
            }
            p { (tr.get("lookup-intro")) }
            @if let Some(min) = v.first_min_len {
                p { (tr.get1("lookup-first-hint", "min", min)) }
            }
            // csrf_token first: the server checks it before it reads any upload.
            form method="post" action="/submit" enctype="multipart/form-data" {
                input type="hidden" name="csrf_token" value=(v.csrf);
                div.honeypot aria-hidden="true" {
                    label for="text" { (tr.get("lookup-honeypot")) }
                    input #text type="text" name="text" tabindex="-1" autocomplete="off";
                }
                label for="msg" { (tr.get("lookup-msg-label")) }
                textarea #msg name="msg" rows="10" maxlength="100000" {}
                @if v.allow_uploads {
                    // Before the file field: the server reads the choice before the files.
                    p.option {
                        input #scrub type="checkbox" name="scrub" value="1" checked;
                        " "
                        label for="scrub" { (tr.get("lookup-scrub-label")) }
                    }
                    p.hint { (tr.get("lookup-scrub-hint")) }
                    label for="fh" { (tr.get("lookup-fh-label")) }
                    input #fh type="file" name="fh" multiple;
                    p.hint { (tr.get1("lookup-max-upload", "size", v.max_upload.as_str())) }
                } @else {
                    p.hint { (tr.get("lookup-uploads-disabled")) }
                }
                button type="submit" { (tr.get("lookup-submit")) }
            }
            section #replies {
                h2 { (tr.get("lookup-replies-heading")) }
                @if v.replies.is_empty() {
                    p { (tr.get("lookup-no-replies")) }
                } @else {
                    p { (tr.get("lookup-replies-intro")) }
                    @for reply in &v.replies {
                        article.reply {
                            @match &reply.text {
                                Some(text) => { blockquote.reply-text { (text.as_str()) } }
                                None => { p.hint { (tr.get("lookup-reply-unreadable")) } }
                            }
                            form method="post" action="/delete" {
                                input type="hidden" name="csrf_token" value=(v.csrf);
                                input type="hidden" name="reply_filename" value=(reply.filename);
                                button type="submit" { (tr.get("lookup-reply-delete")) }
                            }
                        }
                    }
                    form method="post" action="/delete-all" {
                        input type="hidden" name="csrf_token" value=(v.csrf);
                        button type="submit" { (tr.get("lookup-replies-delete-all")) }
                    }
                }
            }
        },
    )
}

/// After `/logout`.
pub(crate) fn logout(ctx: &PageCtx<'_>) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("logout-heading"),
        html! {
            p.important { (tr.get("logout-body")) }
            p { a href="/" { (tr.get("logout-again")) } }
        },
    )
}

/// A generic error page: a heading and one explanation.
pub(crate) fn error(ctx: &PageCtx<'_>, heading: &str, body: &str) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        heading,
        html! {
            p { (body) }
            p { a href="/" { (tr.get("error-back")) } }
        },
    )
}

/// `/tor2web-warning`, and any request through a Tor2Web proxy.
pub(crate) fn tor2web(ctx: &PageCtx<'_>, onion: Option<&str>) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("tor2web-heading"),
        html! {
            p.important { (tr.get("tor2web-body")) }
            @if let Some(onion) = onion {
                p { (tr.get("tor2web-address")) }
                p.codename { "http://" (onion) }
            }
        },
    )
}

/// `/use-tor`.
pub(crate) fn use_tor(ctx: &PageCtx<'_>) -> Markup {
    let tr = ctx.tr;
    page(ctx, &tr.get("use-tor-heading"), html! { p { (tr.get("use-tor-body")) } })
}

/// `/why-public-key`.
pub(crate) fn why_public_key(ctx: &PageCtx<'_>, fingerprint: &str) -> Markup {
    let tr = ctx.tr;
    page(
        ctx,
        &tr.get("why-key-heading"),
        html! {
            p { (tr.get("why-key-body")) }
            p { (tr.get("why-key-fingerprint")) }
            p.codename { (fingerprint) }
            p { a.button href="/public-key" { (tr.get("why-key-download")) } }
        },
    )
}
