//! The source list and a source's collection.

use maud::{Markup, html};
use postern_core::UtcDateTime;
use postern_store::{Collection, ItemKind, SourceSummary};

use super::layout::{PageCtx, csrf_field, human_size, page};

/// `/`: every source that submitted, starred first, then by last activity.
pub(crate) fn index(ctx: &PageCtx, sources: &[SourceSummary]) -> Markup {
    page(
        ctx,
        "Sources",
        html! {
            @if sources.is_empty() {
                p { "No documents have been submitted yet." }
            } @else {
                form method="post" action="/col/process" {
                    (csrf_field(&ctx.csrf))
                    table {
                        thead { tr { th { "Select" } th { "Source" } th { "Starred" } th { "Unread" } th { "Items" } th { "Last activity" } } }
                        tbody {
                            @for s in sources {
                                tr class=[(s.unread > 0).then_some("unread")] {
                                    td { input type="checkbox" name="cols_selected" value=(s.uuid) aria-label="select"; }
                                    td { a href={ "/col/" (s.uuid) } { (s.designation.as_str()) } }
                                    td { @if s.starred { "★ starred" } }
                                    td { (s.unread) }
                                    td { (s.submissions) }
                                    td { (UtcDateTime::from_unix(s.last_updated).display()) }
                                }
                            }
                        }
                    }
                    p { "With the selected sources:" }
                    button type="submit" name="action" value="download-unread" { "Download unread" }
                    button type="submit" name="action" value="download-all" { "Download all" }
                    button.secondary type="submit" name="action" value="star" { "Star" }
                    button.secondary type="submit" name="action" value="un-star" { "Unstar" }
                    button.danger type="submit" name="action" value="delete-data" { "Delete files and messages" }
                    button.danger type="submit" name="action" value="delete" { "Delete source accounts" }
                }
            }
        },
    )
}

/// `/col/<uuid>`: messages, files and replies, with downloads, marks, deletion and the reply box.
pub(crate) fn collection(ctx: &PageCtx, c: &Collection, can_reply: bool) -> Markup {
    let uuid = &c.source.uuid;
    page(
        ctx,
        c.source.designation.as_str(),
        html! {
            p {
                @if c.source.starred {
                    "★ Starred. "
                    form.inline method="post" action={ "/col/remove_star/" (uuid) } {
                        (csrf_field(&ctx.csrf)) button.secondary type="submit" { "Unstar" }
                    }
                } @else {
                    form.inline method="post" action={ "/col/add_star/" (uuid) } {
                        (csrf_field(&ctx.csrf)) button.secondary type="submit" { "Star" }
                    }
                }
                " Last activity: " (UtcDateTime::from_unix(c.source.last_updated).display())
            }
            @if c.items.is_empty() {
                p { "Nothing is stored for this source." }
            } @else {
                form method="post" action="/bulk" {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="filesystem_id" value=(uuid);
                    table {
                        thead { tr { th { "Select" } th { "File" } th { "Kind" } th { "Size" } th { "Status" } } }
                        tbody {
                            @for item in &c.items {
                                tr class=[(!item.seen).then_some("unread")] {
                                    td { input type="checkbox" name="doc_names_selected" value=(item.filename) aria-label="select"; }
                                    td { a href={ "/col/" (uuid) "/" (item.filename) } { (item.filename) } }
                                    td {
                                        @match item.kind {
                                            ItemKind::Message => "message",
                                            ItemKind::Document => "file",
                                            ItemKind::Reply => { "reply by " (item.author.as_deref().unwrap_or("deleted")) },
                                        }
                                    }
                                    td { (human_size(item.size)) }
                                    td {
                                        (if item.seen { "read" } else { "unread" })
                                        @if item.deleted_by_source { ", deleted by source" }
                                    }
                                }
                            }
                        }
                    }
                    p { "With the selected items:" }
                    button type="submit" name="action" value="download" { "Download" }
                    button.secondary type="submit" name="action" value="seen" { "Mark read" }
                    button.secondary type="submit" name="action" value="unseen" { "Mark unread" }
                    button.danger type="submit" name="action" value="delete" { "Delete" }
                }
                p { a href={ "/download_unread/" (uuid) } { "Download all unread items of this source" } }
            }
            section {
                h2 { "Reply" }
                @if can_reply {
                    form method="post" action="/reply" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="filesystem_id" value=(uuid);
                        label for="message" { "Your reply, encrypted to the source and to the newsroom's submission key" }
                        textarea #message name="message" rows="8" maxlength="100000" {}
                        button type="submit" { "Send reply" }
                    }
                } @else {
                    p.error { "Replies are turned off: the submission key is missing or unusable. An administrator must fix the instance's key." }
                }
            }
            section {
                h2 { "Delete" }
                form.inline method="post" action="/col/process" {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="cols_selected" value=(uuid);
                    button.danger type="submit" name="action" value="delete-data" { "Delete all files and messages, keep the source" }
                }
                form.inline method="post" action={ "/col/delete/" (uuid) } {
                    (csrf_field(&ctx.csrf))
                    button.danger type="submit" { "Delete source account" }
                }
            }
        },
    )
}

/// A destructive action asks once more: the same form again, with `confirm=yes`.
pub(crate) fn confirm(ctx: &PageCtx, what: &str, action: &str, fields: &[(String, String)]) -> Markup {
    page(
        ctx,
        "Are you sure?",
        html! {
            p { (what) " This cannot be undone." }
            form method="post" action=(action) {
                @for (name, value) in fields {
                    @if name != "confirm" {
                        input type="hidden" name=(name) value=(value);
                    }
                }
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" { "Yes, delete" }
            }
            p { a href="/" { "No, back to all sources" } }
        },
    )
}
