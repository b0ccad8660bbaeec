//! Journalist API v2, SecureDrop Inbox's sync protocol, on real SQLite and keys: every
//! endpoint and event type against a golden file (every status code), every record
//! re-hashed as the Inbox re-hashes it, a client syncing through shards while a
//! journalist and a source act, resent batches, two clients converging, and a reply
//! GnuPG encrypted on the "workstation" that its source reads.

use std::collections::BTreeMap;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use postern_store::OtpKind;
use postern_sync::{Index, Version, canonical_json};
use postern_tests::api::{check_golden, is_uuid};
use postern_tests::{Account, Client, Gpg, Part, Response, Source, Stack};
use serde_json::{Value, json};

/// An API client of the in-process journalist interface.
struct Inbox {
    http: Client,
    token: String,
}

impl Inbox {
    async fn log_in(stack: &Stack, account: &mut Account) -> (Self, Value) {
        let mut http = stack.journalist_client();
        let body = json!({ "username": account.username, "passphrase": account.password, "one_time_code": account.next_code() });
        let res = http.send(request("POST", "/api/v1/token", &[("Prefer", "securedrop=4")], Some(&body))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let answer: Value = serde_json::from_slice(&res.body).unwrap();
        let token = answer["token"].as_str().unwrap().to_owned();
        postern_tests::secrets::remember(postern_tests::secrets::Kind::Passphrase, &token);
        (Self { http, token }, answer)
    }

    async fn call(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Response {
        let auth = format!("Token {}", self.token);
        let mut all = vec![("Authorization", auth.as_str())];
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("prefer")) {
            all.push(("Prefer", "securedrop=4"));
        }
        all.extend_from_slice(headers);
        self.http.send(request(method, path, &all, body)).await
    }

    async fn data(&mut self, body: &Value) -> Value {
        let res = self.call("POST", "/api/v2/data", &[], Some(body)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        serde_json::from_slice(&res.body).unwrap()
    }

    async fn events(&mut self, events: Value) -> Value {
        self.data(&json!({ "sources": [], "items": [], "journalists": [], "events": events })).await
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path).header("Content-Type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap()
}

fn json_of(res: &Response) -> Value {
    serde_json::from_slice(&res.body).unwrap_or_else(|_| panic!("{}: {}", res.status, res.text()))
}

fn etag(res: &Response) -> String {
    res.headers.get("etag").unwrap().to_str().unwrap().trim_matches('"').to_owned()
}

/// The version SecureDrop Inbox computes for a record it received.
fn version_of(record: &Value) -> String {
    Version::of_bytes(canonical_json(record).as_bytes()).to_string()
}

/// A sync client's local copy: every record it holds, by kind and UUID.
#[derive(Default, Clone)]
struct Cache {
    records: BTreeMap<(&'static str, String), Value>,
}

impl Cache {
    const KINDS: [&'static str; 3] = ["sources", "items", "journalists"];

    /// Applies a batch response: records replace, `null` deletes.
    fn apply(&mut self, response: &Value) {
        for kind in Self::KINDS {
            for (uuid, record) in response[kind].as_object().unwrap() {
                if record.is_null() {
                    self.records.remove(&(kind, uuid.clone()));
                } else {
                    self.records.insert((kind, uuid.clone()), record.clone());
                }
            }
        }
    }

    /// What the index lists that the cache lacks or holds at another version; and drops
    /// what the index no longer lists (of the shard `covers`).
    fn reconcile(&mut self, index: &Value, covers: impl Fn(&'static str, &Value) -> bool) -> Value {
        let mut wanted = json!({ "sources": [], "items": [], "journalists": [], "events": [] });
        for kind in Self::KINDS {
            let listed = index[kind].as_object().unwrap();
            for (uuid, version) in listed {
                let held = self.records.get(&(kind, uuid.clone())).map(version_of);
                if held.as_deref() != version.as_str() {
                    wanted[kind].as_array_mut().unwrap().push(json!(uuid));
                }
            }
            self.records.retain(|(k, uuid), record| *k != kind || listed.contains_key(uuid) || !covers(kind, record));
        }
        wanted
    }

    /// The global version, computed from the cache as the Inbox computes it.
    fn version(&self) -> String {
        let mut index = Index::default();
        for ((kind, uuid), record) in &self.records {
            let version = Version::parse(&version_of(record)).unwrap();
            match *kind {
                "sources" => index.sources.push((uuid.clone(), version)),
                "items" => index.items.push((uuid.clone(), version)),
                _ => index.journalists.push((uuid.clone(), version)),
            }
        }
        index.sorted().version(true).to_string()
    }

    /// A full sync of the whole index.
    async fn sync(&mut self, inbox: &mut Inbox) -> String {
        let res = inbox.call("GET", "/api/v2/index", &[], None).await;
        assert_eq!(res.status, StatusCode::OK);
        let wanted = self.reconcile(&json_of(&res), |_, _| true);
        let answer = inbox.data(&wanted).await;
        self.apply(&answer);
        etag(&res)
    }
}

/// A source that sent a message and a document.
async fn submitted(stack: &Stack, message: &str) -> Source {
    let mut source = stack.new_source().await;
    let res = source.submit(&[Part::Text("msg", message), Part::File("fh", "notes.pdf", b"%PDF-1.4 notes")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    source
}

fn uuid_of(stack: &Stack, source: &Source) -> String {
    stack.instance.source_of(&source.codename).unwrap().id.uuid().to_owned()
}

const SNOWFLAKE: u64 = 3_419_026_047_977_394_170;

/// An event with the `n`th test snowflake ID.
fn event(n: u64, kind: &str, target: Value, data: Value) -> Value {
    json!({ "id": (SNOWFLAKE + n).to_string(), "type": kind, "target": target, "data": data })
}

fn on_source(uuid: &str, version: &str) -> Value {
    json!({ "source_uuid": uuid, "version": version })
}

fn on_item(uuid: &str, version: &str) -> Value {
    json!({ "item_uuid": uuid, "version": version })
}

/// `value` with what differs between runs replaced by its kind; objects keyed by UUID
/// become `{"<uuid> ×n": [values, sorted]}`.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| is_uuid(k)) => {
            let mut values: Vec<Value> = map.values().map(shape).collect();
            values.sort_by_key(Value::to_string);
            json!({ format!("<uuid> ×{}", map.len()): values })
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("size", Value::Number(_)) => json!("<size>"),
                        ("token", Value::String(_)) => json!("<token>"),
                        ("expiration" | "last_updated", Value::String(_)) => json!("<timestamp>"),
                        ("public_key", Value::String(_)) => json!("<armoured public key>"),
                        ("fingerprint", Value::String(_)) => json!("<fingerprint>"),
                        ("journalist_designation", Value::String(_)) => json!("<designation>"),
                        _ => shape(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(s) if is_uuid(s) => json!("<uuid>"),
        Value::String(s) if Version::parse(s).is_some() => json!("<version>"),
        Value::String(s) if s.contains("outdated source: expected") => {
            json!("outdated source: expected <version>, got <version>")
        }
        other => other.clone(),
    }
}

/// Answers recorded for the golden file, in order.
#[derive(Default)]
struct Golden(serde_json::Map<String, Value>);

impl Golden {
    fn record(&mut self, what: &str, res: &Response) -> Value {
        assert!(res.headers.get("set-cookie").is_none(), "{what} set a cookie");
        let body = if res.body.is_empty() { Value::Null } else { json_of(res) };
        let etag = res.headers.get("etag").map(|_| "<version>");
        self.0.insert(what.to_owned(), json!({ "status": res.status.as_u16(), "etag": etag, "body": shape(&body) }));
        body
    }
}

/// Every record the server serves re-hashes to the version its index lists.
async fn assert_every_record_rehashes(inbox: &mut Inbox) -> Cache {
    let mut cache = Cache::default();
    let index_res = inbox.call("GET", "/api/v2/index", &[], None).await;
    let index = json_of(&index_res);
    let wanted = cache.reconcile(&index, |_, _| true);
    cache.apply(&inbox.data(&wanted).await);
    for kind in Cache::KINDS {
        for (uuid, version) in index[kind].as_object().unwrap() {
            let record = &cache.records[&(kind, uuid.clone())];
            assert_eq!(Some(version_of(record).as_str()), version.as_str(), "{kind} {record}");
        }
    }
    assert_eq!(cache.version(), etag(&index_res), "the index's version is its records' as the Inbox computes it");
    cache
}

#[tokio::test]
async fn every_v2_endpoint_and_event_answers_as_securedrop_does() {
    let stack = Stack::new();
    let mut sources = Vec::new();
    for text in ["first", "second", "third"] {
        sources.push(submitted(&stack, text).await);
    }
    let [a, b, c] = [0, 1, 2].map(|i| uuid_of(&stack, &sources[i]));
    let mut account = stack.add_journalist("dellsberg", false, OtpKind::Hotp);
    let (mut inbox, token) = Inbox::log_in(&stack, &mut account).await;
    let mut golden = Golden::default();
    golden.0.insert("POST /api/v1/token (Prefer: securedrop=4)".into(), shape(&token));
    let hints = &token["hints"];
    assert_eq!((hints["sources"].as_u64(), hints["items"].as_u64()), (Some(3), Some(6)));
    let mut plain = stack.journalist_client();
    let body = json!({ "username": "dellsberg", "passphrase": account.password, "one_time_code": account.next_code() });
    let v1 = json_of(&plain.send(request("POST", "/api/v1/token", &[], Some(&body))).await);
    assert!(v1.get("hints").is_none(), "v1 clients get v1's token");

    golden.record("GET /api/v2/", &inbox.call("GET", "/api/v2/", &[], None).await);
    let whole = inbox.call("GET", "/api/v2/index", &[], None).await;
    let index = golden.record("GET /api/v2/index", &whole);
    let version = etag(&whole);
    assert_eq!(hints["version"], version.as_str(), "the hint is the index's version");
    assert_eq!(version, Version::of_bytes(&whole.body).as_str(), "the ETag is the body's version");
    for tag in [version.clone(), format!("\"{version}\""), format!("W/\"{version}\"")] {
        let res = inbox.call("GET", "/api/v2/index", &[("If-None-Match", &tag)], None).await;
        assert_eq!((res.status, res.body.len()), (StatusCode::NOT_MODIFIED, 0), "{tag}");
        assert_eq!(etag(&res), version);
    }
    golden.record(
        "GET /api/v2/index (If-None-Match: current)",
        &inbox.call("GET", "/api/v2/index", &[("If-None-Match", &version)], None).await,
    );
    golden.record(
        "GET /api/v2/index (If-None-Match: empty)",
        &inbox.call("GET", "/api/v2/index", &[("If-None-Match", "")], None).await,
    );
    // Eight digits: no other source of three shares them.
    let shard = &a[..8];
    let one = inbox.call("GET", &format!("/api/v2/index/{shard}"), &[], None).await;
    let part = golden.record("GET /api/v2/index/<prefix of a source>", &one);
    assert!(part["sources"].get(&a).is_some());
    assert_eq!(part["journalists"], index["journalists"], "journalists are in every shard");
    let again = inbox.call("GET", &format!("/api/v2/index/{shard}"), &[("If-None-Match", &etag(&one))], None).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    golden.record("GET /api/v2/index/x,,", &inbox.call("GET", "/api/v2/index/x,,", &[], None).await);
    let long = "a".repeat(100);
    golden.record(
        "GET /api/v2/index/<100 characters>",
        &inbox.call("GET", &format!("/api/v2/index/a,{long}"), &[], None).await,
    );
    let mut anonymous = stack.journalist_client();
    for (method, path) in
        [("GET", "/api/v2/index"), ("GET", "/api/v2/index/foo"), ("GET", "/api/v2/data"), ("POST", "/api/v2/data")]
    {
        let res = anonymous.send(request(method, path, &[], None)).await;
        golden.record(&format!("{method} {path} (no token)"), &res);
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    golden.record("GET /api/v2/data", &inbox.call("GET", "/api/v2/data", &[], None).await);
    golden.record("GET /api/v2/nothing", &inbox.call("GET", "/api/v2/nothing", &[], None).await);

    let cache = assert_every_record_rehashes(&mut inbox).await;
    let everything = json!({
        "sources": index["sources"].as_object().unwrap().keys().collect::<Vec<_>>(),
        "items": index["items"].as_object().unwrap().keys().collect::<Vec<_>>(),
        "journalists": index["journalists"].as_object().unwrap().keys().collect::<Vec<_>>(),
        "events": [],
    });
    golden.record("POST /api/v2/data (everything)", &inbox.call("POST", "/api/v2/data", &[], Some(&everything)).await);
    golden.record(
        "POST /api/v2/data (unknown UUIDs)",
        &inbox
            .call(
                "POST",
                "/api/v2/data",
                &[],
                Some(&json!({ "sources": ["uuid1", "0d6f6dba-8d9c-4bd6-9d55-19f4d9bd1b71"] })),
            )
            .await,
    );
    let auth = format!("Token {}", inbox.token);
    let raw = |body: &str| {
        let auth = auth.clone();
        Request::post("/api/v2/data").header("Authorization", auth).body(Body::from(body.to_owned())).unwrap()
    };
    for (what, body) in [("invalid JSON", "invalid json{"), ("a list", "[]"), ("an unknown key", r#"{"foo": []}"#)] {
        let req = raw(body);
        golden.record(&format!("POST /api/v2/data ({what})"), &inbox.http.send(req).await);
    }
    let many: Vec<Value> = (0..51).map(|n| event(n, "foobar", json!({}), Value::Null)).collect();
    golden.record(
        "POST /api/v2/data (51 events)",
        &inbox.call("POST", "/api/v2/data", &[], Some(&json!({ "events": many }))).await,
    );
    let foobar = json!({ "events": [event(0, "foobar", json!({}), Value::Null)] });
    golden.record(
        "POST /api/v2/data (an unknown event type)",
        &inbox.call("POST", "/api/v2/data", &[], Some(&foobar)).await,
    );
    let starred = json!({ "events": [event(0, "source_starred", on_source(&a, &version), Value::Null)] });
    let old = inbox.call("POST", "/api/v2/data", &[("Prefer", "securedrop=2")], Some(&starred)).await;
    golden.record("POST /api/v2/data (events at minor version 2)", &old);
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    let no_target = json!({ "events": [event(0, "source_starred", json!({ "version": version }), Value::Null)] });
    golden.record(
        "POST /api/v2/data (an event without its target)",
        &inbox.call("POST", "/api/v2/data", &[], Some(&no_target)).await,
    );

    // Every event type, and every status.
    let v = |cache: &Cache, kind: &'static str, uuid: &str| version_of(&cache.records[&(kind, uuid.to_owned())]);
    let items_of = |cache: &Cache, source: &str| -> Vec<String> {
        let mut items: Vec<(u64, String)> = cache
            .records
            .iter()
            .filter(|((k, _), r)| *k == "items" && r["source"] == source)
            .map(|((_, u), r)| (r["interaction_count"].as_u64().unwrap(), u.clone()))
            .collect();
        items.sort();
        items.into_iter().map(|(_, u)| u).collect()
    };
    let a_items = items_of(&cache, &a);
    let nobody = "5b0f2f3e-4c1d-4e2f-8a3b-9c8d7e6f5a4b";
    let step = |golden: &mut Golden, what: &str, answer: Value| -> Value {
        golden.0.insert(format!("event: {what}"), shape(&answer));
        answer
    };
    let starred = step(
        &mut golden,
        "source_starred",
        inbox.events(json!([event(1, "source_starred", on_source(&a, &v(&cache, "sources", &a)), Value::Null)])).await,
    );
    assert_eq!(starred["sources"][&a]["is_starred"], true);
    let resent = step(
        &mut golden,
        "source_starred, resent",
        inbox.events(json!([event(1, "source_starred", on_source(&a, &v(&cache, "sources", &a)), Value::Null)])).await,
    );
    assert_eq!(resent["events"][(SNOWFLAKE + 1).to_string()], json!([208, null]));
    step(
        &mut golden,
        "source_unstarred",
        inbox.events(json!([event(2, "source_unstarred", on_source(&a, &version), Value::Null)])).await,
    );
    step(
        &mut golden,
        "source_starred, no such source",
        inbox.events(json!([event(3, "source_starred", on_source(nobody, &version), Value::Null)])).await,
    );
    let seen = step(
        &mut golden,
        "item_seen",
        inbox.events(json!([event(4, "item_seen", on_item(&a_items[0], &version), Value::Null)])).await,
    );
    assert_eq!(seen["items"][&a_items[0]]["is_read"], true);
    step(
        &mut golden,
        "item_unseen",
        inbox.events(json!([event(5, "item_unseen", on_item(&a_items[0], &version), Value::Null)])).await,
    );
    step(
        &mut golden,
        "item_seen, no such item",
        inbox.events(json!([event(6, "item_seen", on_item(nobody, &version), Value::Null)])).await,
    );

    // A reply written on the workstation: GnuPG encrypts it to the source's key and the
    // submission key; the source reads it in the source interface.
    let source_record = &cache.records[&("sources", a.clone())];
    let gpg = Gpg::with_fixture_secret();
    gpg.import_text(source_record["public_key"].as_str().unwrap());
    let text = "Thank you. We read it; write again whenever you can.";
    let submission_fingerprint = postern_fixtures::submission_key().fingerprint();
    let fingerprints = [source_record["fingerprint"].as_str().unwrap(), submission_fingerprint.as_str()];
    let armored = String::from_utf8(gpg.encrypt_to(&fingerprints, text.as_bytes(), true)).unwrap();
    let reply_uuid = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    let reply = json!({ "uuid": reply_uuid, "reply": armored });
    let sent = step(
        &mut golden,
        "reply_sent",
        inbox.events(json!([event(7, "reply_sent", on_source(&a, &version), reply.clone())])).await,
    );
    assert_eq!(sent["items"][reply_uuid]["interaction_count"], 3);
    assert_eq!(sent["sources"][&a]["uuid"], a.as_str(), "the reply's source comes back too");
    let lookup = sources[0].client.get("/lookup").await;
    assert!(lookup.text().contains(text), "the source reads the reply: {}", lookup.text());
    let download = inbox.call("GET", &format!("/api/v1/sources/{a}/replies/{reply_uuid}/download"), &[], None).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reply.gpg"), &download.body).unwrap();
    assert_eq!(gpg.decrypt(&dir.path().join("reply.gpg")).unwrap(), text.as_bytes(), "and so does the newsroom");
    step(
        &mut golden,
        "reply_sent, same UUID again",
        inbox.events(json!([event(8, "reply_sent", on_source(&a, &version), reply)])).await,
    );
    let plaintext = json!({ "uuid": "7a2d3c4b-5e6f-4a71-8b9c-0d1e2f3a4b5c", "reply": "not encrypted at all" });
    step(
        &mut golden,
        "reply_sent, not encrypted",
        inbox.events(json!([event(9, "reply_sent", on_source(&a, &version), plaintext)])).await,
    );
    let deleted = step(
        &mut golden,
        "item_deleted",
        inbox.events(json!([event(10, "item_deleted", on_item(&a_items[1], &version), Value::Null)])).await,
    );
    assert!(deleted["items"][&a_items[1]].is_null());
    step(
        &mut golden,
        "item_deleted, already gone",
        inbox.events(json!([event(11, "item_deleted", on_item(&a_items[1], &version), Value::Null)])).await,
    );
    let out_of_order = json!([
        event(13, "item_deleted", on_item(&a_items[0], &version), Value::Null),
        event(12, "item_deleted", on_item(&a_items[0], &version), Value::Null),
    ]);
    let ordered = step(&mut golden, "item_deleted twice, sent out of order", inbox.events(out_of_order).await);
    assert_eq!(ordered["events"][(SNOWFLAKE + 12).to_string()], json!([200, null]));
    assert_eq!(ordered["events"][(SNOWFLAKE + 13).to_string()], json!([410, null]));
    step(
        &mut golden,
        "source_conversation_seen",
        inbox
            .events(json!([event(
                14,
                "source_conversation_seen",
                on_source(&b, &version),
                json!({ "upper_bound": 1 })
            )]))
            .await,
    );
    step(
        &mut golden,
        "source_conversation_seen, no such source",
        inbox
            .events(json!([event(
                15,
                "source_conversation_seen",
                on_source(nobody, &version),
                json!({ "upper_bound": 1 })
            )]))
            .await,
    );
    let cut = step(
        &mut golden,
        "source_conversation_truncated",
        inbox
            .events(json!([event(
                16,
                "source_conversation_truncated",
                on_source(&b, &version),
                json!({ "upper_bound": 1 })
            )]))
            .await,
    );
    assert_eq!(cut["items"].as_object().unwrap().len(), 1);
    let stale = "a".repeat(64);
    step(
        &mut golden,
        "source_conversation_deleted, outdated",
        inbox.events(json!([event(17, "source_conversation_deleted", on_source(&b, &stale), Value::Null)])).await,
    );
    let cache = assert_every_record_rehashes(&mut inbox).await;
    step(
        &mut golden,
        "source_conversation_deleted",
        inbox
            .events(json!([event(
                17,
                "source_conversation_deleted",
                on_source(&b, &v(&cache, "sources", &b)),
                Value::Null
            )]))
            .await,
    );
    let refused = step(
        &mut golden,
        "source_deleted, outdated",
        inbox.events(json!([event(18, "source_deleted", on_source(&c, &stale), Value::Null)])).await,
    );
    assert_eq!(refused["events"][(SNOWFLAKE + 18).to_string()][0], 409);
    let gone = step(
        &mut golden,
        "source_deleted",
        inbox.events(json!([event(18, "source_deleted", on_source(&c, &v(&cache, "sources", &c)), Value::Null)])).await,
    );
    assert!(gone["sources"][&c].is_null() && gone["items"].as_object().unwrap().values().all(Value::is_null));
    step(
        &mut golden,
        "source_deleted, resent",
        inbox.events(json!([event(18, "source_deleted", on_source(&c, &stale), Value::Null)])).await,
    );
    step(
        &mut golden,
        "source_deleted, already gone",
        inbox.events(json!([event(19, "source_deleted", on_source(&c, &stale), Value::Null)])).await,
    );
    assert!(stack.instance.source_of(&sources[2].codename).is_none());

    // Older minor versions, and request IDs.
    for minor in ["0", "1", "2"] {
        let prefer = format!("securedrop={minor}");
        let res = inbox.call("GET", "/api/v2/index", &[("Prefer", &prefer)], None).await;
        let old = golden.record(&format!("GET /api/v2/index (Prefer: {prefer})"), &res);
        assert_eq!(old.get("journalists").is_some(), minor != "0");
        let items: Vec<&String> = old["items"].as_object().unwrap().keys().collect();
        let body = json!({ "items": items });
        let res = inbox.call("POST", "/api/v2/data", &[("Prefer", &prefer)], Some(&body)).await;
        let answer = golden.record(&format!("POST /api/v2/data (Prefer: {prefer})"), &res);
        assert!(answer.get("events").is_none(), "no events before minor version 3");
        for (uuid, item) in answer["items"].as_object().unwrap() {
            assert_eq!(item.get("interaction_count").is_some(), minor == "2");
            assert_eq!(Some(version_of(item).as_str()), old["items"][uuid].as_str(), "versions of this minor version");
        }
    }
    let id = "req-72d64b57-4632-4d3e-96b0-24a0428f7ec1";
    let echoed = inbox.call("GET", "/api/v2/index", &[("X-Request-ID", id)], None).await;
    assert_eq!(echoed.headers.get("x-request-id").unwrap(), id);
    for bad in ["req-72D64B57-4632-4D3E-96B0-24A0428F7EC1", "hello", "req-"] {
        let res = inbox.call("GET", "/api/v2/index", &[("X-Request-ID", bad)], None).await;
        assert!(res.headers.get("x-request-id").is_none(), "{bad}");
    }
    assert_every_record_rehashes(&mut inbox).await;
    check_golden("api-v2.json", &Value::Object(golden.0));

    // The administrator's sqlite3 (Debian's, older than the SQLite built in) still reads
    // the schema and the sync views.
    postern_tests::require_tool("sqlite3");
    let db = stack.instance.data_dir().join("db.sqlite");
    let out = std::process::Command::new("sqlite3")
        .args([
            "-readonly",
            db.to_str().unwrap(),
            "SELECT count(*) FROM sync_sources; SELECT count(*) FROM sync_replies;",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n1\n", "two sources left, one reply");
}

/// The shards a client of this test uses: four, by the first hex digit.
const SHARDS: [&str; 4] = ["0,1,2,3", "4,5,6,7", "8,9,a,b", "c,d,e,f"];

/// Whether a record belongs to `shard` (items by their source).
fn in_shard(shard: &str, kind: &str, record: &Value) -> bool {
    let key = match kind {
        "journalists" => return true,
        "items" => record["source"].as_str().unwrap(),
        _ => record["uuid"].as_str().unwrap(),
    };
    shard.split(',').any(|p| key.starts_with(p))
}

#[tokio::test]
async fn a_client_syncs_through_shards_and_gets_exactly_what_changed() {
    let stack = Stack::new();
    let mut sources = Vec::new();
    for n in 0..6 {
        sources.push(submitted(&stack, &format!("message {n}")).await);
    }
    let mut account = stack.add_journalist("nbly", false, OtpKind::Hotp);
    let (mut inbox, _) = Inbox::log_in(&stack, &mut account).await;

    // An empty cache, filled shard by shard.
    let mut cache = Cache::default();
    let mut tags = Vec::new();
    for shard in SHARDS {
        let res = inbox.call("GET", &format!("/api/v2/index/{shard}"), &[], None).await;
        assert_eq!(res.status, StatusCode::OK);
        let wanted = cache.reconcile(&json_of(&res), |kind, record| in_shard(shard, kind, record));
        cache.apply(&inbox.data(&wanted).await);
        tags.push(etag(&res));
    }
    let whole = inbox.call("GET", "/api/v2/index", &[], None).await;
    assert_eq!(cache.version(), etag(&whole), "the shards together are the whole index");
    assert_eq!(cache.records.keys().filter(|(k, _)| *k == "sources").count(), 6);

    // A journalist stars a source in the web interface, and another source writes.
    let starred = uuid_of(&stack, &sources[0]);
    let mut web = stack.log_in(&mut account).await;
    web.get("/").await;
    let res = web.post_csrf(&format!("/col/add_star/{starred}"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let writer = uuid_of(&stack, &sources[1]);
    let res = sources[1].submit(&[Part::Text("msg", "one more thing")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // The next round: unchanged shards are 304; the changed ones bring exactly the
    // changed records.
    let mut fetched: Vec<(String, String)> = Vec::new();
    let mut unchanged = 0;
    for (shard, tag) in SHARDS.iter().zip(&tags) {
        let res = inbox.call("GET", &format!("/api/v2/index/{shard}"), &[("If-None-Match", tag)], None).await;
        if res.status == StatusCode::NOT_MODIFIED {
            unchanged += 1;
            continue;
        }
        let wanted = cache.reconcile(&json_of(&res), |kind, record| in_shard(shard, kind, record));
        for kind in ["sources", "items", "journalists"] {
            for uuid in wanted[kind].as_array().unwrap() {
                fetched.push((kind.to_owned(), uuid.as_str().unwrap().to_owned()));
            }
        }
        cache.apply(&inbox.data(&wanted).await);
    }
    let changed_shards = [&starred[..1], &writer[..1]]
        .iter()
        .map(|c| SHARDS.iter().position(|s| s.split(',').any(|p| p == *c)).unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(unchanged, SHARDS.len() - changed_shards.len());
    fetched.sort();
    let new_item = cache
        .records
        .iter()
        .find(|((k, _), r)| *k == "items" && r["source"] == writer.as_str() && r["interaction_count"] == 3)
        .map(|((_, u), _)| u.clone())
        .expect("the new message");
    let mut expected = vec![
        ("items".to_owned(), new_item),
        ("sources".to_owned(), starred.clone()),
        ("sources".to_owned(), writer.clone()),
    ];
    expected.sort();
    assert_eq!(fetched, expected, "exactly the changed records");
    let whole = inbox.call("GET", "/api/v2/index", &[], None).await;
    assert_eq!(cache.version(), etag(&whole));
    assert_eq!(cache.records[&("sources", starred.clone())]["is_starred"], true);

    // A batch resent is answered 208 and changes nothing.
    let version = version_of(&cache.records[&("sources", writer.clone())]);
    let batch = json!([
        event(1, "source_starred", on_source(&writer, &version), Value::Null),
        event(2, "source_conversation_seen", on_source(&writer, &version), json!({ "upper_bound": 3 })),
    ]);
    let first = inbox.events(batch.clone()).await;
    cache.apply(&first);
    let before = etag(&inbox.call("GET", "/api/v2/index", &[], None).await);
    assert_eq!(cache.version(), before);
    let second = inbox.events(batch).await;
    assert!(second["events"].as_object().unwrap().values().all(|s| s == &json!([208, null])), "{second}");
    assert!(second["sources"].as_object().unwrap().is_empty() && second["items"].as_object().unwrap().is_empty());
    assert_eq!(etag(&inbox.call("GET", "/api/v2/index", &[], None).await), before);

    // Two clients acting at once converge on the server's version.
    let mut other_account = stack.add_journalist("dellsberg", false, OtpKind::Hotp);
    let (mut other, _) = Inbox::log_in(&stack, &mut other_account).await;
    let mut other_cache = Cache::default();
    other_cache.sync(&mut other).await;
    let third = uuid_of(&stack, &sources[2]);
    let fourth = uuid_of(&stack, &sources[3]);
    let mine = json!([
        event(3, "source_unstarred", on_source(&starred, &version), Value::Null),
        event(4, "source_conversation_truncated", on_source(&third, &version), json!({ "upper_bound": 1 }))
    ]);
    let theirs = json!([
        event(3, "source_starred", on_source(&fourth, &version), Value::Null),
        event(5, "source_conversation_seen", on_source(&third, &version), json!({ "upper_bound": 2 }))
    ]);
    let (a, b) = tokio::join!(inbox.events(mine), other.events(theirs));
    cache.apply(&a);
    other_cache.apply(&b);
    let (x, y) = (cache.sync(&mut inbox).await, other_cache.sync(&mut other).await);
    assert_eq!(x, y);
    assert_eq!(cache.version(), x);
    assert_eq!(other_cache.version(), x);
    assert_eq!(cache.records.len(), other_cache.records.len());
}

/// Node.js recomputes every version from the records served, as the Inbox does.
fn versions_in_javascript(records: &Value) -> Value {
    use std::io::Write;
    postern_tests::require_tool("node");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/inbox/compute-versions.js");
    let mut child = std::process::Command::new("node")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(records.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn javascript_computes_every_version_the_server_serves_byte_for_byte() {
    let stack = Stack::new();
    let source = submitted(&stack, "first").await;
    let mut account = stack.add_journalist("jose", false, OtpKind::Hotp);
    let id = stack.instance.store.journalist("jose").unwrap().unwrap().id;
    // What JSON writers disagree on: non-ASCII (Python's default escapes it, JavaScript's
    // does not), astral characters, quotes, backslashes, controls, U+2028.
    stack.instance.store.set_journalist_names(id, "José \"Pepe\" Ñúñez", "\\😀\u{1}\t\u{2028}/").unwrap();
    let (mut inbox, _) = Inbox::log_in(&stack, &mut account).await;
    let uuid = uuid_of(&stack, &source);
    let cache = Cache::default();
    let mut cache = cache;
    cache.sync(&mut inbox).await;
    let item = cache.records.keys().find(|(k, _)| *k == "items").unwrap().1.clone();
    let version = "0".repeat(64);
    inbox
        .events(json!([
            event(1, "item_seen", on_item(&item, &version), Value::Null),
            event(2, "source_starred", on_source(&uuid, &version), Value::Null)
        ]))
        .await;
    let etag = cache.sync(&mut inbox).await;
    let mut records = json!({ "sources": {}, "items": {}, "journalists": {} });
    for ((kind, uuid), record) in &cache.records {
        records[*kind][uuid] = record.clone();
    }
    assert!(records.to_string().contains("José"), "the names are served as they are");
    let computed = versions_in_javascript(&records);
    let index = json_of(&inbox.call("GET", "/api/v2/index", &[], None).await);
    assert_eq!(computed["index"], index, "every record's version, as JavaScript computes it");
    assert_eq!(computed["version"], etag.as_str(), "and the index's");
}
