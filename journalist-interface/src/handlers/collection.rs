//! The source list, a source's collection, and what journalists do with them: star,
//! mark read or unread, download in bulk, delete. A selection of sources changes in
//! one store transaction.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_core::{JournalistId, journalist_filename};
use postern_store::{Collection, CollectionItem, ItemKind, JournalistRecord, Store, StoreError};
use postern_web::{Doing, HttpError, PathParams};

use super::html;
use crate::auth::Journalist;
use crate::bulk::{self, ZipEntry};
use crate::form::{CheckedForm, FormData};
use crate::session::{Flash, Session};
use crate::state::JournalistState;
use crate::views::newsroom;

/// The page for a source that is gone.
const NO_SUCH_SOURCE: &str = "There is no such source; it may have been deleted.";

/// `GET /`: the source list.
pub(crate) async fn index(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
) -> Result<Response, HttpError> {
    let id = j.id;
    let sources = app.with_store(move |s| s.sources_for_journalist(id)).await.doing("list sources")?;
    let ctx = app.page_ctx(&session, Some(&j)).await;
    Ok(html(newsroom::index(&ctx, &sources)).into_response())
}

/// `GET /col/<uuid>`: one source's collection.
pub(crate) async fn collection(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(uuid): PathParams<String>,
    Journalist(j): Journalist,
) -> Result<Response, HttpError> {
    let id = j.id;
    let Some(c) = app.with_store(move |s| s.collection(&uuid, id)).await.doing("read a collection")? else {
        return Ok(app.not_found_for(&session, &j, NO_SUCH_SOURCE).await);
    };
    let ctx = app.page_ctx(&session, Some(&j)).await;
    Ok(html(newsroom::collection(&ctx, &c, app.inner.key.is_ok())).into_response())
}

/// `POST /col/add_star/<uuid>`.
pub(crate) async fn add_star(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(uuid): PathParams<String>,
    Journalist(j): Journalist,
    CheckedForm(_): CheckedForm,
) -> Result<Response, HttpError> {
    star(app, session, j, uuid, true).await
}

/// `POST /col/remove_star/<uuid>`.
pub(crate) async fn remove_star(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(uuid): PathParams<String>,
    Journalist(j): Journalist,
    CheckedForm(_): CheckedForm,
) -> Result<Response, HttpError> {
    star(app, session, j, uuid, false).await
}

async fn star(
    app: JournalistState,
    session: Session,
    j: JournalistRecord,
    uuid: String,
    starred: bool,
) -> Result<Response, HttpError> {
    let back = format!("/col/{uuid}");
    let changed = app.with_store(move |s| s.set_starred_all(&[uuid], starred)).await.doing("star a source")?;
    if changed == 0 {
        return Ok(app.not_found_for(&session, &j, NO_SUCH_SOURCE).await);
    }
    Ok(Redirect::to(&back).into_response())
}

/// `POST /col/delete/<uuid>`: deletes a source account and everything stored for it.
pub(crate) async fn delete_source(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(uuid): PathParams<String>,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Result<Response, HttpError> {
    if !form.flag("confirm") {
        let what = "This deletes the source's account, messages, files and replies.";
        return Ok(app.confirm(&session, &j, what, &format!("/col/delete/{uuid}"), &form).await);
    }
    if app.with_store(move |s| s.delete_sources(&[uuid])).await.doing("delete a source")? == 0 {
        return Ok(app.not_found_for(&session, &j, NO_SUCH_SOURCE).await);
    }
    Ok(app.back_with(&session, Flash::info("The source account and all its data were deleted."), "/"))
}

/// `POST /col/process`: `cols_selected` and an `action` for those sources.
pub(crate) async fn process(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Result<Response, HttpError> {
    let uuids = form.all("cols_selected");
    if uuids.is_empty() {
        return Ok(app.back_with(&session, Flash::error("No sources selected."), "/"));
    }
    let action = form.get("action");
    let back = if uuids.len() == 1 { format!("/col/{}", uuids[0]) } else { "/".to_owned() };
    let (text, to) = match action {
        "download-unread" | "download-all" => {
            let unread_only = action == "download-unread";
            let basename = if unread_only { "unread" } else { "all" };
            return app.download(&session, &j, Selection { uuids, unread_only, only: None }, basename).await;
        }
        "delete" | "delete-data" if !form.flag("confirm") => {
            return Ok(app.confirm(&session, &j, confirm_text(action), "/col/process", &form).await);
        }
        "star" | "un-star" => {
            let starred = action == "star";
            app.with_store(move |s| s.set_starred_all(&uuids, starred)).await.doing("star sources")?;
            ("Updated.".to_owned(), "/".to_owned())
        }
        "delete" => {
            let n = app.with_store(move |s| s.delete_sources(&uuids)).await.doing("delete sources")?;
            (format!("{n} source account(s) deleted."), "/".to_owned())
        }
        "delete-data" => {
            let n = app.with_store(move |s| s.delete_sources_data(&uuids)).await.doing("delete sources' data")?;
            (format!("{n} item(s) deleted; the source accounts remain."), back)
        }
        _ => ("Unknown action.".to_owned(), back),
    };
    Ok(app.back_with(&session, Flash::info(text), &to))
}

/// What the confirmation page of a deletion of `action` says.
fn confirm_text(action: &str) -> &'static str {
    if action == "delete" {
        "This deletes the selected source accounts with all their messages, files and replies."
    } else {
        "This deletes all messages, files and replies of the selected sources; their accounts stay."
    }
}

/// `POST /bulk`: `doc_names_selected` of source `filesystem_id`, and an `action`:
/// `download`, `seen`, `unseen` or `delete`.
pub(crate) async fn bulk(
    State(app): State<JournalistState>,
    session: Session,
    Journalist(j): Journalist,
    CheckedForm(form): CheckedForm,
) -> Result<Response, HttpError> {
    let uuid = form.get("filesystem_id").to_owned();
    let back = format!("/col/{uuid}");
    let names = form.all("doc_names_selected");
    if names.is_empty() {
        return Ok(app.back_with(&session, Flash::error("No files selected."), &back));
    }
    let action = form.get("action").to_owned();
    match action.as_str() {
        "download" => {
            return app
                .download(&session, &j, Selection { uuids: vec![uuid], unread_only: false, only: Some(names) }, "")
                .await;
        }
        "delete" if !form.flag("confirm") => {
            let what = "This deletes the selected messages, files and replies.";
            return Ok(app.confirm(&session, &j, what, "/bulk", &form).await);
        }
        _ => {}
    }
    let journalist = j.id;
    let changed =
        app.with_store(move |s| change_items(s, journalist, &uuid, &names, &action)).await.doing("change items")?;
    let Some((n, verb)) = changed else { return Ok(app.not_found_for(&session, &j, NO_SUCH_SOURCE).await) };
    Ok(app.back_with(&session, Flash::info(format!("{n} item(s) {verb}.")), &back))
}

/// Marks the `names` items of source `uuid` seen or unseen, or deletes them: how many,
/// and what was done; `None` if the source is gone.
fn change_items(
    s: &Store,
    journalist: JournalistId,
    uuid: &str,
    names: &[String],
    action: &str,
) -> Result<Option<(usize, &'static str)>, StoreError> {
    let Some(source) = s.source_by_uuid(uuid)? else { return Ok(None) };
    let done = match action {
        "seen" | "unseen" => (s.set_seen(journalist, &source, names, action == "seen")?, "marked"),
        "delete" => (s.delete_items(&source, names)?, "deleted"),
        _ => (0, "changed"),
    };
    Ok(Some(done))
}

/// `GET /download_unread/<uuid>`: a zip of what this journalist has not read.
pub(crate) async fn download_unread(
    State(app): State<JournalistState>,
    session: Session,
    PathParams(uuid): PathParams<String>,
    Journalist(j): Journalist,
) -> Result<Response, HttpError> {
    app.download(&session, &j, Selection { uuids: vec![uuid], unread_only: true, only: None }, "").await
}

/// The archive entries of the picked items.
fn zip_entries(picked: &[(Collection, Vec<String>)]) -> Vec<ZipEntry> {
    picked
        .iter()
        .flat_map(|(c, names)| {
            let items: Vec<&CollectionItem> = c.items.iter().filter(|i| names.contains(&i.filename)).collect();
            bulk::entries_for(c, &items)
        })
        .collect()
}

/// The items of a download: of these sources, only those named (else all), and only
/// those this journalist has not read if `unread_only`.
struct Selection {
    uuids: Vec<String>,
    unread_only: bool,
    only: Option<Vec<String>>,
}

impl Selection {
    /// The chosen item names of each collection that has any.
    fn pick(&self, collections: Vec<Collection>) -> Vec<(Collection, Vec<String>)> {
        let chosen = |i: &&CollectionItem| {
            self.only.as_ref().is_none_or(|o| o.contains(&i.filename))
                && (!self.unread_only || (!i.seen && i.kind != ItemKind::Reply))
        };
        collections
            .into_iter()
            .map(|c| {
                let names: Vec<String> = c.items.iter().filter(chosen).map(|i| i.filename.clone()).collect();
                (c, names)
            })
            .filter(|(_, names)| !names.is_empty())
            .collect()
    }
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

    /// A redirect to `to`, with `flash` shown there.
    fn back_with(&self, session: &Session, flash: Flash, to: &str) -> Response {
        session.flash(flash);
        Redirect::to(to).into_response()
    }

    /// A zip of the selected items, named `basename` (or after the one source); the
    /// items are marked read once the whole archive went out.
    async fn download(
        &self,
        session: &Session,
        j: &JournalistRecord,
        selection: Selection,
        basename: &str,
    ) -> Result<Response, HttpError> {
        let (journalist, uuids) = (j.id, selection.uuids.clone());
        let collections =
            self.with_store(move |s| s.collections(&uuids, journalist)).await.doing("collect a download")?;
        let picked = selection.pick(collections);
        let entries = zip_entries(&picked);
        if entries.is_empty() {
            let back = if picked.len() == 1 { format!("/col/{}", picked[0].0.source.uuid) } else { "/".to_owned() };
            return Ok(self.back_with(
                session,
                Flash::error("Nothing to download: no (unread) items were selected."),
                &back,
            ));
        }
        let missing = bulk::missing(&entries);
        if missing > 0 {
            let text = format!(
                "Your download failed: {missing} of the files are missing on the server. They may have been deleted; an administrator can check the store."
            );
            return Ok(self.not_found_for(session, j, &text).await);
        }
        let name = match (basename, picked.as_slice()) {
            ("", [(c, _)]) => journalist_filename(&c.source.designation),
            ("", _) => "all".to_owned(),
            (b, _) => b.to_owned(),
        };
        let now = i64::try_from(self.unix_now()).unwrap_or(0);
        Ok(bulk::zip_response(&bulk::zip_name(&name, now), entries, self.mark_read_later(journalist, picked)))
    }

    /// What marks a finished download read; a failure there is logged, the download stands.
    fn mark_read_later(
        &self,
        journalist: JournalistId,
        picked: Vec<(Collection, Vec<String>)>,
    ) -> impl FnOnce() + Send + 'static {
        let store = std::sync::Arc::clone(&self.inner.store);
        move || {
            for (c, names) in &picked {
                if let Err(e) = store.set_seen(journalist, &c.source, names, true) {
                    tracing::error!("journalist interface: unable to mark a download read: {e}");
                }
            }
        }
    }
}
