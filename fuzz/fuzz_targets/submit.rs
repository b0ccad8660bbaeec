//! The upload path: any body posted to `/submit` by a logged-in source gets an answer
//! (stored, or refused with a page), never a panic or a 500, and leaves no temporary
//! ciphertext behind. The fuzzer's first byte picks the content type.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const BOUNDARY: &str = "fuzz-boundary";

struct Server {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    instance: postern_fixtures::TempInstance,
    cookie: String,
    csrf: String,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let instance = postern_fixtures::TempInstance::new();
        let config = source_interface::SourceAppConfig {
            max_upload_bytes: 1024 * 1024,
            max_pending_sources: 1000,
            session_lifetime: std::time::Duration::from_secs(24 * 3600),
            v3_source_url: None,
            exposed_addresses: Vec::new(),
            locales: vec!["en-US".to_owned()],
            clock: postern_core::Clock::system(),
        };
        let state = source_interface::SourceState::new(
            instance.store.clone(),
            Ok(postern_fixtures::submission_key()),
            instance.secrets(),
            config,
        );
        let router = source_interface::router(state);
        let (cookie, csrf) = runtime.block_on(log_in(&router));
        Server { runtime, router, instance, cookie, csrf }
    })
}

/// `(status, set-cookie, body)` of one request.
async fn send(router: &axum::Router, req: Request<Body>) -> (StatusCode, Option<String>, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let cookie = res.headers().get(header::SET_COOKIE).map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, cookie, String::from_utf8_lossy(&body).into_owned())
}

fn value_of(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// Front page, a codename, an account: the cookie and CSRF token of a logged-in source.
async fn log_in(router: &axum::Router) -> (String, String) {
    let get = |cookie: &str| Request::get("/").header(header::HOST, "127.0.0.1").header(header::COOKIE, cookie);
    let (_, cookie, page) = send(router, get("").body(Body::empty()).unwrap()).await;
    let cookie = cookie.unwrap();
    let csrf = value_of(&page, "csrf_token");
    let form = |path: &str, cookie: &str, body: String| {
        Request::post(path)
            .header(header::HOST, "127.0.0.1")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let generate = format!("csrf_token={csrf}&tor2web_check=href%3D%22fake.onion%22");
    let (_, _, page) = send(router, form("/generate", &cookie, generate)).await;
    let tab = value_of(&page, "tab_id");
    let (_, logged_in, _) = send(router, form("/create", &cookie, format!("csrf_token={csrf}&tab_id={tab}"))).await;
    (logged_in.unwrap(), csrf)
}

fuzz_target!(|input: &[u8]| {
    let server = server();
    let (kind, rest) = input.split_first().map_or((0, input), |(k, r)| (*k, r));
    let content_type = match kind % 4 {
        0 => format!("multipart/form-data; boundary={BOUNDARY}"),
        1 => "multipart/form-data".to_owned(),
        2 => "application/x-www-form-urlencoded".to_owned(),
        _ => String::from_utf8_lossy(&rest[..rest.len().min(40)]).into_owned(),
    };
    // Half the inputs start with the session's real token, to reach past the CSRF check.
    let mut body = Vec::new();
    if kind & 0x80 != 0 {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n", server.csrf).as_bytes(),
        );
    }
    body.extend_from_slice(rest);
    let Ok(content_type) = axum::http::HeaderValue::from_str(&content_type) else { return };
    let req = Request::post("/submit")
        .header(header::HOST, "127.0.0.1")
        .header(header::COOKIE, &server.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, _, _) = server.runtime.block_on(send(&server.router, req));
    assert!(!status.is_server_error(), "{status}");
    let mut left = Vec::new();
    walk(&server.instance.data_dir().join("store"), &mut left);
    assert!(left.iter().all(|f| !f.starts_with(".tmp-")), "a temporary ciphertext was left: {left:?}");
});

fn walk(dir: &std::path::Path, names: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            walk(&entry.path(), names);
        } else {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
}
