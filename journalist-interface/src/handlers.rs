//! Request handlers, one flow per module, and the helpers they share.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod collection;
pub(crate) mod download;
pub(crate) mod login;
pub(crate) mod reply;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;
use postern_store::JournalistRecord;

use crate::session::Session;
use crate::state::JournalistState;
use crate::views::{PageCtx, layout};

/// Shown when the organisation name cannot be read.
const FALLBACK_ORG: &str = "Postern";

impl JournalistState {
    /// The frame facts of a page for `user` (or nobody).
    pub(crate) async fn page_ctx(&self, session: &Session, user: Option<&JournalistRecord>) -> PageCtx {
        // One trip to the blocking pool for both frame facts.
        let (org, has_logo) = self
            .with_store(|s| Ok((s.instance_settings()?.organization_name, s.has_logo())))
            .await
            .unwrap_or_else(|_| (FALLBACK_ORG.to_owned(), false));
        PageCtx {
            org,
            user: user.map(|u| (u.username.clone(), u.is_admin)),
            // Only pages with forms for someone logged in, and the login page, need a
            // session; error pages for strangers must not create one each.
            csrf: if user.is_some() { session.csrf() } else { session.existing_csrf().unwrap_or_default() },
            notices: session.take_flashes(),
            has_logo,
        }
    }

    /// A page with one heading and one explanation.
    pub(crate) async fn message_page(
        &self,
        session: &Session,
        user: &JournalistRecord,
        heading: &str,
        body: &str,
    ) -> Html<String> {
        let ctx = self.page_ctx(session, Some(user)).await;
        html(layout::message(&ctx, heading, body))
    }

    /// 404 with a message, for a logged-in journalist.
    pub(crate) async fn not_found_for(&self, session: &Session, user: &JournalistRecord, what: &str) -> Response {
        (StatusCode::NOT_FOUND, self.message_page(session, user, "Not found", what).await).into_response()
    }
}

/// Any unknown path.
pub(crate) async fn not_found(State(app): State<JournalistState>, session: Session) -> Response {
    let ctx = app.page_ctx(&session, None).await;
    (StatusCode::NOT_FOUND, html(layout::message(&ctx, "Not found", "There is no such page."))).into_response()
}

/// A known path with the wrong method.
pub(crate) async fn method_not_allowed(State(app): State<JournalistState>, session: Session) -> Response {
    let ctx = app.page_ctx(&session, None).await;
    let page = layout::message(&ctx, "Not allowed", "This page cannot be used that way.");
    (StatusCode::METHOD_NOT_ALLOWED, html(page)).into_response()
}

/// `/static/journalist.css`.
pub(crate) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/journalist.css")).into_response()
}

/// A rendered page as an HTML body.
pub(crate) fn html(page: Markup) -> Html<String> {
    Html(page.into_string())
}
