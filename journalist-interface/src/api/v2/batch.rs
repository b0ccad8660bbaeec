//! `POST /api/v2/data`: a `BatchRequest` (`sources`, `items`, `journalists` to fetch,
//! `events` to apply) answered with a `BatchResponse`: the records asked for that
//! exist, every record an event changed (`null` if it deleted it), and each event's
//! `[status, message]`. Events run first, in snowflake order, so what is read is what
//! they left.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::JournalistId;
use postern_store::SyncRecordKind;
use postern_web::HttpError;
use serde::Deserialize;
use serde_json::Value;

use super::events::{self, Answer, Event};
use super::{EVENTS_MAX, Minor, refused};
use crate::api::auth::ApiJournalist;
use crate::api::body::is_uuid;
use crate::api::error::ApiError;
use crate::state::JournalistState;

/// What a client asks for; any other key is refused.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    #[serde(default)]
    sources: Option<Vec<String>>,
    #[serde(default)]
    items: Option<Vec<String>>,
    #[serde(default)]
    journalists: Option<Vec<String>>,
    #[serde(default)]
    events: Option<Vec<Value>>,
}

/// A checked request: the UUIDs that could name records, and well-formed events in
/// the order they run.
struct Batch {
    sources: Vec<String>,
    items: Vec<String>,
    journalists: Vec<String>,
    events: Vec<Event>,
}

/// `POST /api/v2/data`.
pub(super) async fn data(
    State(app): State<JournalistState>,
    api: ApiJournalist,
    minor: Minor,
    body: Bytes,
) -> Result<Response, ApiError> {
    let batch = read(&body, minor)?;
    drop(body);
    let applied = apply(&app, api.journalist.id, &batch.events).await;
    let shape = minor.shape();
    let read = |kind, map: &BTreeMap<String, Option<Vec<u8>>>| {
        let uuids: Vec<String> = map.keys().cloned().collect();
        app.api_store("read sync records", move |s| s.sync_records(kind, &uuids, shape))
    };
    let mut sources = wanted(&applied.sources, &batch.sources);
    let found = read(SyncRecordKind::Source, &sources).await?;
    fill(&mut sources, found, &applied.sources);
    let mut items = wanted(&applied.items, &batch.items);
    let found = read(SyncRecordKind::Item, &items).await?;
    fill(&mut items, found, &applied.items);
    let mut people = wanted(&BTreeSet::new(), &batch.journalists);
    let found = read(SyncRecordKind::Journalist, &people).await?;
    fill(&mut people, found, &BTreeSet::new());
    let body = write(minor, &applied.answers, &items, &people, &sources);
    let response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    Ok(match applied.failure {
        Some(failure) => failure.recovered(response),
        None => response,
    })
}

/// Reads and checks the request: 400 if it is not JSON, 422 if it is not a
/// `BatchRequest`, 429 past [`EVENTS_MAX`] events, 400 for events before minor
/// version 3 or for any malformed event (then none is applied).
fn read(body: &[u8], minor: Minor) -> Result<Batch, ApiError> {
    let not_a_batch = || refused(StatusCode::UNPROCESSABLE_ENTITY, "malformed request; not a BatchRequest");
    // serde would read a struct from an array too: anything but an object is refused.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => not_a_batch(),
            Err(_) => ApiError::bad_request("malformed request"),
        });
    }
    let request: BatchRequest = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => not_a_batch(),
        _ => ApiError::bad_request("malformed request"),
    })?;
    let raw_events = request.events.unwrap_or_default();
    if raw_events.len() > EVENTS_MAX {
        let message = format!("a BatchRequest MUST NOT include more than {EVENTS_MAX} events");
        return Err(refused(StatusCode::TOO_MANY_REQUESTS, message));
    }
    if !raw_events.is_empty() && !minor.has_events() {
        return Err(ApiError::bad_request("Events are not supported for API minor version < 3"));
    }
    let mut events = Vec::with_capacity(raw_events.len());
    for raw in &raw_events {
        let object = raw.as_object().ok_or_else(|| {
            refused(StatusCode::UNPROCESSABLE_ENTITY, "malformed request; events must be JSON objects")
        })?;
        events.push(events::parse(object).map_err(|why| ApiError::bad_request(format!("invalid event: {why}")))?);
    }
    events.sort_by(events::snowflake_order);
    // Only a UUID can name a record; anything else is simply not found.
    let uuids = |list: Option<Vec<String>>| -> Vec<String> {
        list.unwrap_or_default().into_iter().filter(|u| is_uuid(u)).map(|u| u.to_ascii_lowercase()).collect()
    };
    Ok(Batch {
        sources: uuids(request.sources),
        items: uuids(request.items),
        journalists: uuids(request.journalists),
        events,
    })
}

/// What the events did.
#[derive(Default)]
struct Applied {
    answers: BTreeMap<String, Answer>,
    sources: BTreeSet<String>,
    items: BTreeSet<String>,
    /// The first failure of ours, logged once the batch is answered.
    failure: Option<HttpError>,
}

/// Applies the events in order; each one's outcome is its own.
async fn apply(app: &JournalistState, journalist: JournalistId, events: &[Event]) -> Applied {
    let mut applied = Applied::default();
    for event in events {
        let ciphertext = match &event.data {
            events::Data::Reply { armored, .. } => match postern_crypto::dearmor_encrypted_reply(armored) {
                Ok(bytes) => bytes,
                Err(_) => {
                    applied.answers.insert(event.id.clone(), events::not_encrypted());
                    continue;
                }
            },
            _ => Vec::new(),
        };
        let owned = event.clone();
        let outcome = app
            .with_store(move |s| s.apply_sync_event(journalist, &owned.id, events::action(&owned, &ciphertext)))
            .await;
        let answer = match outcome {
            Ok(outcome) => {
                applied.sources.extend(outcome.sources.iter().cloned());
                applied.items.extend(outcome.items.iter().cloned());
                events::answer(event, &outcome)
            }
            Err(e) => {
                applied.failure.get_or_insert(HttpError::new("apply a sync event", e));
                events::failed()
            }
        };
        applied.answers.insert(event.id.clone(), answer);
    }
    applied
}

/// Every UUID to read: those events changed, and those asked for.
fn wanted(changed: &BTreeSet<String>, asked: &[String]) -> BTreeMap<String, Option<Vec<u8>>> {
    changed.iter().chain(asked).map(|u| (u.clone(), None)).collect()
}

/// Puts the records found in `out`; of the rest, those an event changed stay `null`
/// (deleted) and those only asked for are left out.
fn fill(
    out: &mut BTreeMap<String, Option<Vec<u8>>>,
    found: Vec<postern_store::SyncRecord>,
    changed: &BTreeSet<String>,
) {
    for (uuid, json) in found {
        out.insert(uuid, Some(json));
    }
    out.retain(|uuid, json| json.is_some() || changed.contains(uuid));
}

/// The `BatchResponse`, keys sorted: `events` from minor version 3, `journalists` from 1.
fn write(
    minor: Minor,
    answers: &BTreeMap<String, Answer>,
    items: &BTreeMap<String, Option<Vec<u8>>>,
    journalists: &BTreeMap<String, Option<Vec<u8>>>,
    sources: &BTreeMap<String, Option<Vec<u8>>>,
) -> Vec<u8> {
    let records: usize = [items, journalists, sources].iter().flat_map(|m| m.values()).flatten().map(Vec::len).sum();
    let mut out = Vec::with_capacity(records + 64 * (answers.len() + items.len() + sources.len() + 1));
    out.push(b'{');
    if minor.has_events() {
        out.extend_from_slice(b"\"events\":");
        let events: serde_json::Map<String, Value> =
            answers.iter().map(|(id, (status, message))| (id.clone(), serde_json::json!([status, message]))).collect();
        out.extend_from_slice(Value::Object(events).to_string().as_bytes());
        out.push(b',');
    }
    write_records(&mut out, "items", items);
    if minor.has_journalists() {
        out.push(b',');
        write_records(&mut out, "journalists", journalists);
    }
    out.push(b',');
    write_records(&mut out, "sources", sources);
    out.push(b'}');
    out
}

fn write_records(out: &mut Vec<u8>, key: &str, records: &BTreeMap<String, Option<Vec<u8>>>) {
    out.extend_from_slice(format!("\"{key}\":{{").as_bytes());
    for (i, (uuid, json)) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Record UUIDs here are well-formed UUIDs: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(uuid.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(json.as_deref().unwrap_or(b"null"));
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str, minor: u8) -> (StatusCode, String) {
        match read(body.as_bytes(), Minor(minor)) {
            Err(ApiError::Refused(status, message)) => (status, message.into_owned()),
            Err(ApiError::Failed(e)) => panic!("{e:?}"),
            Ok(_) => panic!("{body} was accepted"),
        }
    }

    #[test]
    fn requests_are_refused_as_securedrop_refuses_them() {
        for body in ["", "invalid json{"] {
            assert_eq!(refusal(body, 4).0, StatusCode::BAD_REQUEST, "{body}");
        }
        for body in ["[]", "\"x\"", "123", "true", r#"{"foo": []}"#, r#"{"sources": "abc"}"#, r#"{"sources": [1]}"#] {
            let (status, message) = refusal(body, 4);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(message.starts_with("malformed request"), "{message}");
        }
        let many: Vec<Value> =
            (0..=EVENTS_MAX).map(|i| serde_json::json!({ "id": i.to_string(), "type": "foobar" })).collect();
        let (status, message) = refusal(&serde_json::json!({ "events": many }).to_string(), 4);
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(message.contains("MUST NOT include more than"));
        let one = r#"{"events": [{"id": "1", "type": "foobar", "target": {}}]}"#;
        assert_eq!(
            refusal(one, 4),
            (StatusCode::BAD_REQUEST, "invalid event: 'foobar' is not a valid EventType".into())
        );
        assert_eq!(refusal(one, 2).1, "Events are not supported for API minor version < 3");
    }

    #[test]
    fn only_uuids_are_looked_up_and_empty_requests_are_fine() {
        let batch = read(br#"{"sources": ["uuid1", "0D6F6DBA-8D9C-4BD6-9D55-19F4D9BD1B71"], "items": null}"#, Minor(4))
            .unwrap();
        assert_eq!(batch.sources, ["0d6f6dba-8d9c-4bd6-9d55-19f4d9bd1b71"]);
        let empty = read(br#"{"sources": [], "items": [], "journalists": [], "events": []}"#, Minor(4)).unwrap();
        assert!(empty.sources.is_empty() && empty.events.is_empty());
    }

    #[test]
    fn the_response_has_every_key_of_the_minor_version_sorted() {
        let mut sources = BTreeMap::new();
        sources.insert("b".to_owned(), None);
        sources.insert("a".to_owned(), Some(b"{\"x\":1}".to_vec()));
        let answers = BTreeMap::from([("7".to_owned(), (208, None))]);
        let empty = BTreeMap::new();
        let full = String::from_utf8(write(Minor(4), &answers, &empty, &empty, &sources)).unwrap();
        assert_eq!(full, r#"{"events":{"7":[208,null]},"items":{},"journalists":{},"sources":{"a":{"x":1},"b":null}}"#);
        let oldest = String::from_utf8(write(Minor(0), &answers, &empty, &empty, &sources)).unwrap();
        assert_eq!(oldest, r#"{"items":{},"sources":{"a":{"x":1},"b":null}}"#);
    }
}
