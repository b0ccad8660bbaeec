//! The source list, a source's collection, and what journalists do with them: star,
//! mark read or unread, download in bulk, delete.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::journalist_filename;
use postern_store::{Collection, CollectionItem, ItemKind, JournalistRecord, Store, StoreError};

use super::html;
use crate::auth::Journalist;
use crate::bulk::{self, ZipEntry};
use crate::form::{CheckedForm, FormData};
use crate::session::{Flash, Session};
use crate::state::JournalistState;
use crate::views::newsroom;

/// `GET /`: the source list.
pub(crate) async fn index(State(app): State<JournalistState>, session: Session, Journalist(j): Journalist) -> Response {
    let id = j.id;
    match app.with_store(move |s| s.sources_for_journalist(id)).await {
        Ok(sources) => {
            let ctx = app.page_ctx(&session, Some(&j)).await;
            html(newsroom::index(&ctx, &sources)).into_response()
        }
        Err(e) => app.failure(&session, "list sources", &e).await,
    }
}

/// `GET /col/<uuid>`: one source's collection.
pub(crate) async fn collection(
    State(app): State<JournalistState>,
    session: Session,
    Path(uuid): Path<String>,
    Journalist(j): Journalist,
) -> Response {
    let id = j.id;
    match app.with_store(move |s| s.collection(&uuid, id)).await {
        Ok(Some(c)) => {
            let ctx = app.page_ctx(&session, Some(&j)).await;
            html(newsroom::collection(&ctx, &c, app.inner.key.is_ok())).into_response()
        }
        Ok(None) => app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await,
        Err(e) => app.failure(&session, "read a collection", &e).await,
    }
}

/// `POST /col/add_star/<uuid>`.
pub(crate) async fn add_star(
    State(app): State<JournalistState>,
    session: Session,
    Path(uuid): Path<String>,
    Journalist(j): Journalist,
    CheckedForm(_): CheckedForm,
) -> Response {
    star(app, session, j, uuid, true).await
}

/// `POST /col/remove_star/<uuid>`.
pub(crate) async fn remove_star(
    State(app): State<JournalistState>,
    session: Session,
    Path(uuid): Path<String>,
    Journalist(j): Journalist,
    CheckedForm(_): CheckedForm,
) -> Response {
    star(app, session, j, uuid, false).await
}

async fn star(app: JournalistState, session: Session, j: JournalistRecord, uuid: String, starred: bool) -> Response {
    let back = format!("/col/{uuid}");
    match app.with_store(move |s| set_star(s, &[uuid], starred)).await {
        Ok(0) => app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await,
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => app.failure(&session, "star a source", &e).await,
    }
}

/// `POST /col/delete/<uuid>`: deletes a source account and everything stored for it.
pub(crate) async fn delete_source(
    State(app): State<JournalistState>,
    session: Session,
    Path(uuid): Path<String>,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    if !form.flag("confirm") {
        return app
            .confirm(
                &session,
                &j,
                "This deletes the source's account, messages, files and replies.",
                &format!("/col/delete/{uuid}"),
                &form,
            )
            .await;
    }
    match app.with_store(move |s| delete_sources(s, &[uuid])).await {
        Ok(0) => app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await,
        Ok(_) => {
            session.flash(Flash::info("The source account and all its data were deleted."));
            Redirect::to("/").into_response()
        }
        Err(e) => app.failure(&session, "delete a source", &e).await,
    }
}

/// `POST /col/process`: `cols_selected` and an `action` for those sources.
pub(crate) async fn process(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    let uuids = form.all("cols_selected");
    if uuids.is_empty() {
        session.flash(Flash::error("No sources selected."));
        return Redirect::to("/").into_response();
    }
    let action = form.get("action").to_owned();
    let back = if uuids.len() == 1 { format!("/col/{}", uuids[0]) } else { "/".to_owned() };
    let done = |text: &str, to: &str| {
        session.flash(Flash::info(text));
        Redirect::to(to).into_response()
    };
    let result = match action.as_str() {
        "download-unread" | "download-all" => {
            let unread_only = action == "download-unread";
            let basename = if unread_only { "unread" } else { "all" };
            return app.download(&session, &j, uuids, unread_only, None, basename).await;
        }
        "star" | "un-star" => {
            let starred = action == "star";
            app.with_store(move |s| set_star(s, &uuids, starred)).await.map(|_| done("Updated.", "/"))
        }
        "delete" | "delete-data" if !form.flag("confirm") => {
            let what = if action == "delete" {
                "This deletes the selected source accounts with all their messages, files and replies."
            } else {
                "This deletes all messages, files and replies of the selected sources; their accounts stay."
            };
            return app.confirm(&session, &j, what, "/col/process", &form).await;
        }
        "delete" => app
            .with_store(move |s| delete_sources(s, &uuids))
            .await
            .map(|n| done(&format!("{n} source account(s) deleted."), "/")),
        "delete-data" => app
            .with_store(move |s| {
                let mut deleted = 0;
                for uuid in &uuids {
                    if let Some(source) = s.source_by_uuid(uuid)? {
                        deleted += s.delete_source_data(&source)?;
                    }
                }
                Ok(deleted)
            })
            .await
            .map(|n| done(&format!("{n} item(s) deleted; the source accounts remain."), &back)),
        _ => Ok(done("Unknown action.", &back)),
    };
    match result {
        Ok(res) => res,
        Err(e) => app.failure(&session, "change sources", &e).await,
    }
}

/// `POST /bulk`: `doc_names_selected` of source `filesystem_id`, and an `action`:
/// `download`, `seen`, `unseen` or `delete`.
pub(crate) async fn bulk(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Response {
    let uuid = form.get("filesystem_id").to_owned();
    let back = format!("/col/{uuid}");
    let names = form.all("doc_names_selected");
    if names.is_empty() {
        session.flash(Flash::error("No files selected."));
        return Redirect::to(&back).into_response();
    }
    let action = form.get("action").to_owned();
    if action == "download" {
        let basename = String::new();
        return app.download(&session, &j, vec![uuid], false, Some(names), &basename).await;
    }
    if action == "delete" && !form.flag("confirm") {
        return app
            .confirm(&session, &j, "This deletes the selected messages, files and replies.", "/bulk", &form)
            .await;
    }
    let journalist = j.id;
    let result = app
        .with_store(move |s| {
            let Some(source) = s.source_by_uuid(&uuid)? else { return Ok(None) };
            match action.as_str() {
                "seen" | "unseen" => {
                    s.set_seen(journalist, &source, &names, action == "seen").map(|n| Some((n, "marked")))
                }
                "delete" => s.delete_items(&source, &names).map(|n| Some((n, "deleted"))),
                _ => Ok(Some((0, "changed"))),
            }
        })
        .await;
    match result {
        Ok(Some((n, verb))) => {
            session.flash(Flash::info(format!("{n} item(s) {verb}.")));
            Redirect::to(&back).into_response()
        }
        Ok(None) => app.not_found_for(&session, &j, "There is no such source; it may have been deleted.").await,
        Err(e) => app.failure(&session, "change items", &e).await,
    }
}

/// `GET /download_unread/<uuid>`: a zip of what this journalist has not read.
pub(crate) async fn download_unread(
    State(app): State<JournalistState>,
    session: Session,
    Path(uuid): Path<String>,
    Journalist(j): Journalist,
) -> Response {
    app.download(&session, &j, vec![uuid], true, None, "").await
}

fn set_star(s: &Store, uuids: &[String], starred: bool) -> Result<usize, StoreError> {
    let mut changed = 0;
    for uuid in uuids {
        if let Some(source) = s.source_by_uuid(uuid)? {
            s.set_starred(source.id, starred)?;
            changed += 1;
        }
    }
    Ok(changed)
}

fn delete_sources(s: &Store, uuids: &[String]) -> Result<usize, StoreError> {
    let mut deleted = 0;
    for uuid in uuids {
        if let Some(source) = s.source_by_uuid(uuid)? {
            s.delete_source(&source)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

impl JournalistState {
    /// The "are you sure?" page repeating the form's fields.
    async fn confirm(
        &self,
        session: &Session,
        j: &JournalistRecord,
        what: &str,
        action: &str,
        form: &FormData,
    ) -> Response {
        let ctx = self.page_ctx(session, Some(j)).await;
        html(newsroom::confirm(&ctx, what, action, form.pairs())).into_response()
    }

    /// A zip of the chosen items of the given sources: `only` names items (else all),
    /// `unread_only` keeps those this journalist has not read. Marks them read.
    async fn download(
        &self,
        session: &Session,
        j: &JournalistRecord,
        uuids: Vec<String>,
        unread_only: bool,
        only: Option<Vec<String>>,
        basename: &str,
    ) -> Response {
        let journalist = j.id;
        let chosen = self
            .with_store(move |s| {
                let mut picked: Vec<(Collection, Vec<String>)> = Vec::new();
                for uuid in &uuids {
                    let Some(c) = s.collection(uuid, journalist)? else { continue };
                    let names: Vec<String> = c
                        .items
                        .iter()
                        .filter(|i| only.as_ref().is_none_or(|o| o.contains(&i.filename)))
                        .filter(|i| !unread_only || (!i.seen && i.kind != ItemKind::Reply))
                        .map(|i| i.filename.clone())
                        .collect();
                    if !names.is_empty() {
                        picked.push((c, names));
                    }
                }
                Ok(picked)
            })
            .await;
        let picked = match chosen {
            Ok(picked) => picked,
            Err(e) => return self.failure(session, "collect a download", &e).await,
        };
        let mut entries: Vec<ZipEntry> = Vec::new();
        for (c, names) in &picked {
            let items: Vec<&CollectionItem> = c.items.iter().filter(|i| names.contains(&i.filename)).collect();
            entries.extend(bulk::entries_for(c, &items));
        }
        if entries.is_empty() {
            let back = if picked.len() == 1 { format!("/col/{}", picked[0].0.source.uuid) } else { "/".to_owned() };
            session.flash(Flash::error("Nothing to download: no (unread) items were selected."));
            return Redirect::to(&back).into_response();
        }
        let missing = bulk::missing(&entries);
        if missing > 0 {
            let text = format!(
                "Your download failed: {missing} of the files are missing on the server. They may have been deleted; an administrator can check the store."
            );
            return self.not_found_for(session, j, &text).await;
        }
        let name = match (basename, picked.as_slice()) {
            ("", [(c, _)]) => journalist_filename(&c.source.designation),
            ("", _) => "all".to_owned(),
            (b, _) => b.to_owned(),
        };
        let now = i64::try_from(self.unix_now()).unwrap_or(0);
        // Marked read only once the whole archive went out, not when a download fails.
        let store = std::sync::Arc::clone(&self.inner.store);
        let mark_read = move || {
            for (c, names) in &picked {
                if let Err(e) = store.set_seen(journalist, &c.source, names, true) {
                    tracing::error!("journalist interface: unable to mark a download read: {e}");
                }
            }
        };
        bulk::zip_response(&bulk::zip_name(&name, now), entries, mark_read)
    }
}
