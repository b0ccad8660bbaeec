//! `/col/<uuid>/<file name>` (one ciphertext, marked read) and the instance logo.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_web::{HttpError, PathParams};

use crate::auth::Journalist;
use crate::bulk;
use crate::session::Session;
use crate::state::JournalistState;

/// `GET /col/<uuid>/<filename>`: the raw ciphertext; marks it read for this journalist.
pub(crate) async fn download_one(
    State(app): State<JournalistState>,
    session: Session,
    PathParams((uuid, filename)): PathParams<(String, String)>,
    Journalist(j): Journalist,
) -> Response {
    let journalist = j.id;
    let wanted = filename.clone();
    let found = app
        .with_store(move |s| {
            let Some(c) = s.collection(&uuid, journalist)? else { return Ok(None) };
            let Some(item) = c.items.into_iter().find(|i| i.filename == wanted) else { return Ok(None) };
            if item.path.is_file() {
                s.set_seen(journalist, &c.source, std::slice::from_ref(&item.filename), true)?;
            }
            Ok(Some(item.path))
        })
        .await;
    let path = match found {
        Ok(Some(path)) => path,
        Ok(None) => return app.not_found_for(&session, &j, "There is no such file for this source.").await,
        Err(e) => return HttpError::new("find a file", e).into_response(),
    };
    match bulk::file_response(&path, &filename).await {
        Ok(res) => res,
        Err(_) => {
            let text = "This file is listed but missing on the server; it may have been deleted. An administrator can check the store.";
            app.not_found_for(&session, &j, text).await
        }
    }
}

/// `GET /static/i/logo.png`: the administrator's logo, if any.
pub(crate) async fn logo(State(app): State<JournalistState>) -> Response {
    match app.with_store(|s| s.logo()).await {
        Ok(Some(png)) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
