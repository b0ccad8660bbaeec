//! Sync events: what a client did while it was offline (a reply written, an item seen,
//! a source starred or deleted…), sent with a snowflake ID that makes a resend
//! harmless. Each is checked here, applied by the store once, and answered with
//! SecureDrop's status for its outcome.

use postern_store::{SyncAction, SyncOutcome, SyncStatus};
use serde_json::{Map, Value};

use crate::api::body::is_uuid;

/// The event types of SecureDrop's `EventType`, by their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventType {
    ReplySent,
    ItemDeleted,
    ItemSeen,
    ItemUnseen,
    SourceDeleted,
    SourceConversationDeleted,
    SourceConversationTruncated,
    SourceConversationSeen,
    SourceStarred,
    SourceUnstarred,
}

impl EventType {
    const ALL: [Self; 10] = [
        Self::ReplySent,
        Self::ItemDeleted,
        Self::ItemSeen,
        Self::ItemUnseen,
        Self::SourceDeleted,
        Self::SourceConversationDeleted,
        Self::SourceConversationTruncated,
        Self::SourceConversationSeen,
        Self::SourceStarred,
        Self::SourceUnstarred,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::ReplySent => "reply_sent",
            Self::ItemDeleted => "item_deleted",
            Self::ItemSeen => "item_seen",
            Self::ItemUnseen => "item_unseen",
            Self::SourceDeleted => "source_deleted",
            Self::SourceConversationDeleted => "source_conversation_deleted",
            Self::SourceConversationTruncated => "source_conversation_truncated",
            Self::SourceConversationSeen => "source_conversation_seen",
            Self::SourceStarred => "source_starred",
            Self::SourceUnstarred => "source_unstarred",
        }
    }

    /// Its target is an item (`item_uuid`), not a source (`source_uuid`).
    fn targets_item(self) -> bool {
        matches!(self, Self::ItemDeleted | Self::ItemSeen | Self::ItemUnseen)
    }

    /// A missing target is 410 Gone (the client's deletion is done either way, or the
    /// source it wants marked is gone), not 404.
    fn gone_if_missing(self) -> bool {
        matches!(
            self,
            Self::ItemDeleted
                | Self::SourceDeleted
                | Self::SourceConversationDeleted
                | Self::SourceConversationTruncated
                | Self::SourceConversationSeen
        )
    }
}

/// What an event carries besides its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Data {
    None,
    Reply { uuid: String, armored: String },
    UpperBound(u64),
}

/// A well-formed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Event {
    pub(super) id: String,
    pub(super) kind: EventType,
    pub(super) target: String,
    pub(super) version: String,
    pub(super) data: Data,
}

/// An event that is not one: why, in SecureDrop's words (after "invalid event: ").
pub(super) type Invalid = String;

/// Snowflake IDs are decimal; longer than this is no ID a client makes.
const MAX_ID_DIGITS: usize = 40;

/// Reads one event; every key is checked, and none is ignored.
pub(super) fn parse(object: &Map<String, Value>) -> Result<Event, Invalid> {
    if let Some(extra) = object.keys().find(|k| !["id", "type", "target", "data"].contains(&k.as_str())) {
        return Err(format!("unexpected field {}", quoted_if_plain(extra)));
    }
    let id = match object.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(_) => return Err("event ID must be an integer string".into()),
        None => return Err("missing field 'id'".into()),
    };
    if id.is_empty() || id.len() > MAX_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err("event ID must be an integer string".into());
    }
    let name = object.get("type").and_then(Value::as_str).ok_or("missing field 'type'")?;
    let kind = EventType::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| format!("{} is not a valid EventType", quoted_if_plain(name)))?;
    let bad_target = || format!("invalid event target for type {}", kind.name());
    let target = object.get("target").and_then(Value::as_object).ok_or_else(bad_target)?;
    let uuid_key = if kind.targets_item() { "item_uuid" } else { "source_uuid" };
    let (Some(uuid), Some(version), 2) =
        (target.get(uuid_key).and_then(Value::as_str), target.get("version").and_then(Value::as_str), target.len())
    else {
        return Err(bad_target());
    };
    if !is_uuid(uuid) || version.len() != 64 || !version.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad_target());
    }
    let data =
        data_of(kind, object.get("data")).ok_or_else(|| format!("invalid event data for type {}", kind.name()))?;
    Ok(Event { id, kind, target: uuid.to_ascii_lowercase(), version: version.to_ascii_lowercase(), data })
}

/// The data of `kind`, if `data` is what it needs; types without data ignore it.
fn data_of(kind: EventType, data: Option<&Value>) -> Option<Data> {
    match kind {
        EventType::ReplySent => {
            let data = data?.as_object()?;
            let (uuid, reply) = (data.get("uuid")?.as_str()?, data.get("reply")?.as_str()?);
            (data.len() == 2 && is_uuid(uuid) && !reply.is_empty())
                .then(|| Data::Reply { uuid: uuid.to_ascii_lowercase(), armored: reply.to_owned() })
        }
        EventType::SourceConversationTruncated | EventType::SourceConversationSeen => {
            let data = data?.as_object()?;
            let bound = data.get("upper_bound")?.as_u64()?;
            (data.len() == 1).then_some(Data::UpperBound(bound))
        }
        _ => Some(Data::None),
    }
}

/// A client's word, repeated in an answer only if it is short and plain.
fn quoted_if_plain(word: &str) -> String {
    let plain = !word.is_empty() && word.len() <= 64 && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain { format!("'{word}'") } else { "the value given".to_owned() }
}

/// Snowflake order: by number, which for decimal strings without leading zeros is by
/// length, then by digits.
pub(super) fn snowflake_order(a: &Event, b: &Event) -> std::cmp::Ordering {
    let digits = |id: &str| -> (usize, String) {
        let trimmed = id.trim_start_matches('0');
        (trimmed.len(), trimmed.to_owned())
    };
    digits(&a.id).cmp(&digits(&b.id))
}

/// The store's action for `event`; a reply's ciphertext comes dearmoured.
pub(super) fn action<'a>(event: &'a Event, ciphertext: &'a [u8]) -> SyncAction<'a> {
    let source = event.target.as_str();
    let bound = match event.data {
        Data::UpperBound(b) => b,
        _ => 0,
    };
    match event.kind {
        EventType::ReplySent => {
            let uuid = match &event.data {
                Data::Reply { uuid, .. } => uuid.as_str(),
                _ => "",
            };
            SyncAction::ReplySent { source, uuid, ciphertext }
        }
        EventType::ItemDeleted => SyncAction::ItemDeleted { item: source },
        EventType::ItemSeen => SyncAction::ItemSeen { item: source, seen: true },
        EventType::ItemUnseen => SyncAction::ItemSeen { item: source, seen: false },
        EventType::SourceDeleted => SyncAction::SourceDeleted { source, version: &event.version },
        EventType::SourceConversationDeleted => SyncAction::ConversationDeleted { source, version: &event.version },
        EventType::SourceConversationTruncated => SyncAction::ConversationTruncated { source, upper_bound: bound },
        EventType::SourceConversationSeen => SyncAction::ConversationSeen { source, upper_bound: bound },
        EventType::SourceStarred => SyncAction::Star { source, starred: true },
        EventType::SourceUnstarred => SyncAction::Star { source, starred: false },
    }
}

/// An event's answer: SecureDrop's status and message.
pub(super) type Answer = (u16, Option<String>);

/// The answer for an event the store applied (or did not).
pub(super) fn answer(event: &Event, outcome: &SyncOutcome) -> Answer {
    match &outcome.status {
        SyncStatus::Applied => (200, None),
        SyncStatus::AlreadyApplied => (208, None),
        SyncStatus::NoTarget if event.kind.gone_if_missing() => (410, None),
        SyncStatus::NoTarget if event.kind.targets_item() => (404, Some("could not find item".into())),
        SyncStatus::NoTarget => (404, Some("could not find source".into())),
        SyncStatus::Outdated { current } => {
            (409, Some(format!("outdated source: expected {current}, got {}", event.version)))
        }
        SyncStatus::UuidTaken => (409, Some("duplicate UUID".into())),
    }
}

/// The answer for a reply that is not an armoured OpenPGP message.
pub(super) fn not_encrypted() -> Answer {
    (400, Some("reply is not encrypted".into()))
}

/// A failure of ours while applying an event (logged; the batch goes on).
pub(super) fn failed() -> Answer {
    (500, Some("failed to process event".into()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const S: &str = "0d6f6dba-8d9c-4bd6-9d55-19f4d9bd1b71";

    fn parsed(value: Value) -> Result<Event, Invalid> {
        parse(value.as_object().unwrap())
    }

    fn event(kind: &str, target: Value, data: Value) -> Value {
        json!({ "id": "3419026047977394170", "type": kind, "target": target, "data": data })
    }

    #[test]
    fn each_type_reads_its_target_and_data() {
        let v = "ab".repeat(32);
        let source = json!({ "source_uuid": S, "version": v });
        let item = json!({ "item_uuid": S, "version": v });
        let reply = json!({ "uuid": S, "reply": "-----BEGIN PGP MESSAGE-----" });
        let e = parsed(event("reply_sent", source.clone(), reply)).unwrap();
        assert_eq!(e.data, Data::Reply { uuid: S.into(), armored: "-----BEGIN PGP MESSAGE-----".into() });
        let e = parsed(event("source_conversation_truncated", source.clone(), json!({ "upper_bound": 0 }))).unwrap();
        assert_eq!(e.data, Data::UpperBound(0));
        assert_eq!(parsed(event("item_deleted", item, Value::Null)).unwrap().kind, EventType::ItemDeleted);
        assert_eq!(parsed(event("source_starred", source, json!({ "ignored": 1 }))).unwrap().data, Data::None);
    }

    #[test]
    fn malformed_events_say_what_is_wrong_in_securedrops_words() {
        let v = "ab".repeat(32);
        let source = json!({ "source_uuid": S, "version": v });
        assert_eq!(
            parsed(event("foobar", source.clone(), Value::Null)).unwrap_err(),
            "'foobar' is not a valid EventType"
        );
        let no_uuid = json!({ "version": v });
        assert!(parsed(event("source_starred", no_uuid, Value::Null)).unwrap_err().starts_with("invalid event target"));
        let item_target = json!({ "item_uuid": S, "version": v });
        assert!(parsed(event("source_starred", item_target, Value::Null)).is_err());
        let short = json!({ "source_uuid": S, "version": "abc" });
        assert!(parsed(event("source_starred", short, Value::Null)).is_err());
        for data in [Value::Null, json!({ "upper_bound": -1 }), json!({ "upper_bound": 1.5 }), json!({})] {
            let refused = parsed(event("source_conversation_seen", source.clone(), data)).unwrap_err();
            assert_eq!(refused, "invalid event data for type source_conversation_seen");
        }
        let mut no_id = event("source_starred", source.clone(), Value::Null);
        no_id.as_object_mut().unwrap().remove("id");
        assert!(parsed(no_id).is_err());
        for id in [json!("12a"), json!(""), json!(-1), json!("1".repeat(41))] {
            let mut bad = event("source_starred", source.clone(), Value::Null);
            bad["id"] = id;
            assert_eq!(parsed(bad).unwrap_err(), "event ID must be an integer string");
        }
    }

    #[test]
    fn events_run_in_numeric_order_not_string_order() {
        let v = "ab".repeat(32);
        let mut events: Vec<Event> = ["10", "9", "3419026047977394171", "3419026047977394170"]
            .into_iter()
            .map(|id| {
                let mut e = event("source_starred", json!({ "source_uuid": S, "version": v }), Value::Null);
                e["id"] = json!(id);
                parsed(e).unwrap()
            })
            .collect();
        events.sort_by(snowflake_order);
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["9", "10", "3419026047977394170", "3419026047977394171"]);
    }
}
