//! Journalist-interface benchmark: an instance with 10,000 sources and 100,000 items
//! (plus one source with a large collection), and the server time of the source list,
//! of that collection page, and of the journalist API's `GET /api/v1/sources` and
//! `GET /api/v1/submissions`, measured in-process through the real router (SQLite file
//! on disk, sessions and tokens, HTML and JSON rendering; no network). Every source
//! carries a real derived public key, as the API's source objects do. Then API v2, as
//! SecureDrop Inbox syncs: a full initial sync (whole, and in 16 shards), a 304 round
//! trip, and the incremental sync after one change.
//!
//! ```sh
//! cargo build --release -p postern-tests
//! target/release/journalist-bench                 # 10000 sources × 10 items, 1 × 2000
//! target/release/journalist-bench 20000 10 5000   # sources, items each, large collection
//! ```
#![expect(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a benchmark's report")]
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use journalist_interface::{JournalistAppConfig, JournalistState};
use postern_crypto::{OtpSecret, hash_password, totp_code};
use postern_store::{NewJournalist, OtpKind, Store};
use rand::rngs::OsRng;
use tower::ServiceExt;

const ROUNDS: usize = 30;

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let sources = args.first().copied().unwrap_or(10_000);
    let per_source = args.get(1).copied().unwrap_or(10);
    let large = args.get(2).copied().unwrap_or(2_000);
    let work = tempfile::Builder::new().prefix("postern-jbench-").tempdir_in("/var/tmp").unwrap();
    let store = Arc::new(Store::open(work.path()).unwrap());
    if std::env::var_os("POSTERN_BENCH_KEEP").is_some() {
        println!("keeping {}", work.keep().display());
    }

    let started = Instant::now();
    let secrets = postern_crypto::InstanceSecrets::generate(&mut OsRng);
    let identity = postern_crypto::derive_source_identity(&postern_core::Codename::generate(&mut OsRng), &secrets);
    let public_key = postern_crypto::derive_source_public_key(&identity.unwrap()).unwrap().armored;
    store.populate_for_benchmark(0, sources, per_source, &public_key).unwrap();
    store.populate_for_benchmark(sources, 1, large, &public_key).unwrap();
    println!(
        "instance: {} sources, {} items, generated in {:.1} s",
        sources + 1,
        sources * per_source + large,
        started.elapsed().as_secs_f64()
    );

    let password = "bench passphrase with seven words in it";
    let secret = OtpSecret::generate(&mut OsRng);
    let b32 = secret.to_base32();
    let hash = hash_password(&mut OsRng, password).unwrap();
    let new = NewJournalist {
        username: "bench",
        password_hash: &hash,
        is_admin: false,
        otp_kind: OtpKind::Hotp,
        otp_secret: &b32,
    };
    let journalist = store.create_journalist(&new).unwrap();
    // A realistic mix: this journalist has read the first half of every tenth source.
    for summary in store.sources_for_journalist(journalist.id).unwrap().iter().step_by(10) {
        let c = store.collection(&summary.uuid, journalist.id).unwrap().unwrap();
        let half: Vec<String> = c.items.iter().take(c.items.len() / 2).map(|i| i.filename.clone()).collect();
        store.set_seen(journalist.id, &c.source, &half, true).unwrap();
    }

    let state = JournalistState::new(
        Arc::clone(&store),
        Ok(postern_fixtures::submission_key()),
        JournalistAppConfig::default(),
    );
    let router = journalist_interface::router(state);
    let cookie = log_in(&router, password, &totp_code(&secret, 0)).await;
    let large_uuid = store
        .sources_for_journalist(journalist.id)
        .unwrap()
        .into_iter()
        .find(|s| s.submissions as usize == large)
        .unwrap()
        .uuid;

    report("source list (GET /)", &router, (header::COOKIE, &cookie), "/").await;
    report(
        &format!("collection of {large} items (GET /col/…)"),
        &router,
        (header::COOKIE, &cookie),
        &format!("/col/{large_uuid}"),
    )
    .await;
    let mut query = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let listed = store.sources_for_journalist(journalist.id).unwrap();
        query.push(t.elapsed());
        assert_eq!(listed.len(), sources + 1);
    }
    print_stats("  of which the SQL query alone", &mut query, None);

    let token = api_token(&router, password, &totp_code(&secret, 30)).await;
    let auth = format!("Token {token}");
    report("API sources (GET /api/v1/sources)", &router, (header::AUTHORIZATION, &auth), "/api/v1/sources").await;
    report("API submissions (GET /api/v1/submissions)", &router, (header::AUTHORIZATION, &auth), "/api/v1/submissions")
        .await;
    let mut query = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let listed = store.client_submissions(None).unwrap();
        query.push(t.elapsed());
        assert_eq!(listed.len(), sources * per_source + large);
    }
    print_stats("  of which the store's listing alone", &mut query, None);
    let one = &store.client_submissions_of(&large_uuid).unwrap().unwrap()[large / 2];
    let path = format!("/api/v1/sources/{large_uuid}/submissions/{}", one.uuid);
    report(&format!("API one submission of the {large}-item source"), &router, (header::AUTHORIZATION, &auth), &path)
        .await;
    report("API its download", &router, (header::AUTHORIZATION, &auth), &format!("{path}/download")).await;
    report(
        &format!("API the {large}-item source's submissions"),
        &router,
        (header::AUTHORIZATION, &auth),
        &format!("/api/v1/sources/{large_uuid}/submissions"),
    )
    .await;
    sync_v2(&store, password, &secret).await;
}

/// One API v2 request: (status, body, ETag) and its server time.
async fn v2(
    router: &axum::Router,
    auth: &str,
    method: &str,
    path: &str,
    extra: Option<(&str, &str)>,
    body: Option<Vec<u8>>,
) -> (StatusCode, Vec<u8>, String, Duration) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, auth)
        .header("prefer", "securedrop=4");
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
    let t = Instant::now();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let etag =
        res.headers().get(header::ETAG).map(|v| v.to_str().unwrap().trim_matches('"').to_owned()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes, etag, t.elapsed())
}

/// What a client fetches for an index it does not hold: every UUID in it.
fn everything_in(index: &[u8]) -> Vec<u8> {
    let index: serde_json::Value = serde_json::from_slice(index).unwrap();
    let keys = |k: &str| index[k].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    serde_json::json!({ "sources": keys("sources"), "items": keys("items"), "journalists": keys("journalists"), "events": [] })
        .to_string()
        .into_bytes()
}

/// The UUIDs whose versions differ between two indexes, as a batch request.
fn changed_between(old: &[u8], new: &[u8]) -> Vec<u8> {
    let (old, new): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(old).unwrap(), serde_json::from_slice(new).unwrap());
    let changed = |k: &str| {
        new[k]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(u, v)| old[k].get(u.as_str()) != Some(v))
            .map(|(u, _)| u.clone())
            .collect::<Vec<_>>()
    };
    serde_json::json!({ "sources": changed("sources"), "items": changed("items"), "journalists": changed("journalists"), "events": [] })
        .to_string()
        .into_bytes()
}

const SYNC_ROUNDS: usize = 5;
const HEX: [&str; 16] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"];

/// Moves every shard's change count without changing any record (a source in each is
/// starred and unstarred): the server's cached indexes are all stale.
fn touch_every_shard(store: &Store, sources: &[String]) {
    for digit in HEX {
        let one = sources.iter().find(|u| u.starts_with(digit)).expect("a source in every shard");
        let starred = store.client_source(one).unwrap().unwrap().starred;
        store.set_starred_all(std::slice::from_ref(one), !starred).unwrap();
        store.set_starred_all(std::slice::from_ref(one), starred).unwrap();
    }
}

/// API v2: full syncs with nothing cached on the server, then 304s and incremental
/// syncs after a change, whole and sharded.
async fn sync_v2(store: &Arc<Store>, password: &str, secret: &OtpSecret) {
    let state =
        JournalistState::new(Arc::clone(store), Ok(postern_fixtures::submission_key()), JournalistAppConfig::default());
    let router = journalist_interface::router(state);
    let auth = format!("Token {}", api_token(&router, password, &totp_code(secret, 2 * 30)).await);
    let sources: Vec<String> = store.client_sources().unwrap().into_iter().map(|s| s.uuid).collect();
    let (mut whole, mut sharded) = (Vec::new(), Vec::new());
    let (mut index_bytes, mut data_bytes) = (0, 0);
    for _ in 0..SYNC_ROUNDS {
        touch_every_shard(store, &sources);
        let (status, index, _, t_index) = v2(&router, &auth, "GET", "/api/v2/index", None, None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, data, _, t_data) =
            v2(&router, &auth, "POST", "/api/v2/data", None, Some(everything_in(&index))).await;
        assert_eq!(status, StatusCode::OK);
        (index_bytes, data_bytes) = (index.len(), data.len());
        whole.push(t_index + t_data);
        touch_every_shard(store, &sources);
        let mut total = Duration::ZERO;
        for shard in HEX {
            let (status, index, _, t_index) =
                v2(&router, &auth, "GET", &format!("/api/v2/index/{shard}"), None, None).await;
            assert_eq!(status, StatusCode::OK);
            let (status, _, _, t_data) =
                v2(&router, &auth, "POST", "/api/v2/data", None, Some(everything_in(&index))).await;
            assert_eq!(status, StatusCode::OK);
            total += t_index + t_data;
        }
        sharded.push(total);
    }
    print_stats(
        &format!("API v2 full sync, index {} KiB + data {} KiB", index_bytes / 1024, data_bytes / 1024),
        &mut whole,
        None,
    );
    print_stats("API v2 full sync in 16 shards", &mut sharded, None);

    let (_, mut index, mut version, _) = v2(&router, &auth, "GET", "/api/v2/index", None, None).await;
    let mut shard_tags = Vec::new();
    let mut shard_bodies = Vec::new();
    for shard in HEX {
        let (_, body, tag, _) = v2(&router, &auth, "GET", &format!("/api/v2/index/{shard}"), None, None).await;
        shard_tags.push(tag);
        shard_bodies.push(body);
    }
    let mut not_modified = Vec::new();
    for _ in 0..ROUNDS {
        let (status, _, _, t) =
            v2(&router, &auth, "GET", "/api/v2/index", Some(("if-none-match", &version)), None).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        not_modified.push(t);
    }
    print_stats("API v2 304 round trip (GET /api/v2/index, If-None-Match)", &mut not_modified, None);

    let uuids = sources;
    let (mut incremental, mut incremental_sharded) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // One change: a source starred (or unstarred) by a colleague.
        let one = &uuids[round * 97 % uuids.len()];
        let starred = store.client_source(one).unwrap().unwrap().starred;
        store.set_starred_all(std::slice::from_ref(one), !starred).unwrap();
        let (status, new_index, new_version, t_index) =
            v2(&router, &auth, "GET", "/api/v2/index", Some(("if-none-match", &version)), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _, t_data) =
            v2(&router, &auth, "POST", "/api/v2/data", None, Some(changed_between(&index, &new_index))).await;
        assert_eq!(status, StatusCode::OK);
        incremental.push(t_index + t_data);
        (index, version) = (new_index, new_version);
        let mut total = Duration::ZERO;
        let mut fetched = 0;
        for (i, shard) in HEX.iter().enumerate() {
            let (status, body, tag, t) = v2(
                &router,
                &auth,
                "GET",
                &format!("/api/v2/index/{shard}"),
                Some(("if-none-match", &shard_tags[i])),
                None,
            )
            .await;
            total += t;
            if status == StatusCode::OK {
                let (status, _, _, t_data) =
                    v2(&router, &auth, "POST", "/api/v2/data", None, Some(changed_between(&shard_bodies[i], &body)))
                        .await;
                assert_eq!(status, StatusCode::OK);
                total += t_data;
                fetched += 1;
                (shard_tags[i], shard_bodies[i]) = (tag, body);
            }
        }
        assert_eq!(fetched, 1, "one change is in one shard");
        incremental_sharded.push(total);
    }
    print_stats("API v2 incremental sync after one change (whole index)", &mut incremental, None);
    let mut parts: [Vec<Duration>; 4] = Default::default();
    let shard = vec!["a".to_owned()];
    let some: Vec<String> = serde_json::from_slice::<serde_json::Value>(&index).unwrap()["items"]
        .as_object()
        .unwrap()
        .keys()
        .take(7000)
        .cloned()
        .collect();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let (whole, _) = store.sync_index(None, postern_store::SyncShape::Current).unwrap();
        parts[0].push(t.elapsed());
        let t = Instant::now();
        let body = whole.to_json(true);
        let _ = postern_sync::Version::of_bytes(&body);
        parts[1].push(t.elapsed());
        let t = Instant::now();
        store.sync_index(Some(&shard), postern_store::SyncShape::Current).unwrap();
        parts[2].push(t.elapsed());
        let t = Instant::now();
        store.sync_records(postern_store::SyncRecordKind::Item, &some, postern_store::SyncShape::Current).unwrap();
        parts[3].push(t.elapsed());
    }
    let [read, write, read_shard, records] = &mut parts;
    print_stats("  of which reading the whole index from the store", read, None);
    print_stats("  of which writing and hashing its JSON", write, None);
    print_stats("  reading one shard's index (1/16) from the store", read_shard, None);
    print_stats("  reading 7,000 items' records from the store", records, None);
    print_stats(
        "API v2 incremental sync after one change (16 shards: 15 × 304, 1 × 200)",
        &mut incremental_sharded,
        None,
    );
}

async fn api_token(router: &axum::Router, password: &str, code: &str) -> String {
    let body = serde_json::json!({ "username": "bench", "passphrase": password, "one_time_code": code });
    let req = Request::post("/api/v1/token").body(Body::from(body.to_string())).unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "benchmark API login failed");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice::<serde_json::Value>(&body).unwrap()["token"].as_str().unwrap().to_owned()
}

async fn log_in(router: &axum::Router, password: &str, code: &str) -> String {
    let res = router.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let csrf = postern_tests::input_value_of(&body, "csrf_token").unwrap();
    let form = format!("csrf_token={csrf}&username=bench&password={}&token={code}", password.replace(' ', "+"));
    let req = Request::post("/login")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "benchmark login failed");
    res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// Times `GET path` with `credential` (a session cookie or an API token).
async fn report(what: &str, router: &axum::Router, credential: (header::HeaderName, &str), path: &str) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..ROUNDS {
        let req = Request::get(path).header(credential.0.clone(), credential.1).body(Body::empty()).unwrap();
        let t = Instant::now();
        let res = router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        size = res.into_body().collect().await.unwrap().to_bytes().len();
        times.push(t.elapsed());
    }
    print_stats(what, &mut times, Some(size));
}

fn print_stats(what: &str, times: &mut [Duration], size: Option<usize>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(times[times.len() / 2]);
    let p95 = ms(times[times.len() * 95 / 100]);
    let size = size.map(|s| format!(", {} KiB", s / 1024)).unwrap_or_default();
    println!(
        "{what}: median {median:.1} ms, p95 {p95:.1} ms, min {:.1} ms over {} runs{size}",
        ms(times[0]),
        times.len()
    );
}
