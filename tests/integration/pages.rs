//! Every page: no JavaScript, nothing from other origins, strict headers, small; and
//! the informational endpoints as SecureDrop has them.

use axum::http::StatusCode;
use postern_tests::{Client, Part, Response, Stack, test_config};

const MAX_PAGE_BYTES: usize = 30 * 1024;

fn assert_safe_page(path: &str, res: &Response) {
    let csp = res.headers.get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
    let csp = csp.unwrap_or_else(|| panic!("{path}: no CSP header"));
    assert!(csp.contains("script-src 'none'") && csp.contains("default-src 'none'"), "{path}: {csp}");
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("vary", "Cookie"),
    ] {
        assert_eq!(res.headers.get(name).map(|v| v.to_str().unwrap()), Some(value), "{path}: {name}");
    }
    let text = res.text().to_lowercase();
    assert!(!text.contains("<script"), "{path}: has a script");
    for attr in ["src=", "href=", "action=", "url("] {
        for quote in ["\"", "'", ""] {
            for scheme in ["http:", "https:", "//"] {
                let needle = format!("{attr}{quote}{scheme}");
                assert!(!text.contains(&needle), "{path}: loads {needle}");
            }
        }
    }
    assert!(res.body.len() <= MAX_PAGE_BYTES, "{path}: {} bytes", res.body.len());
}

#[tokio::test]
async fn every_source_page_is_script_free_same_origin_and_small() {
    let stack = Stack::new();
    let mut anon = stack.client();
    for path in [
        "/",
        "/login",
        "/why-public-key",
        "/use-tor",
        "/tor2web-warning",
        "/no-such-page",
        "/static/style.css",
        "/metadata",
        "/robots.txt",
        "/public-key",
    ] {
        let res = anon.get(path).await;
        assert_safe_page(path, &res);
    }
    let csrf = anon.csrf.clone();
    let res = anon.post_form("/generate", &[("csrf_token", &csrf), ("tor2web_check", "href=\"fake.onion\"")]).await;
    assert_safe_page("/generate", &res);
    assert_safe_page("GET /logout (405)", &anon.get("/logout").await);

    let mut source = stack.new_source().await;
    assert_safe_page("/lookup", &source.client.get("/lookup").await);
    let res = source.submit(&[]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_safe_page("/submit (refused)", &res);
    let res = source.submit(&[Part::Text("msg", "hi")]).await;
    assert_safe_page("/submit (accepted)", &res);
    let csrf = source.lookup_csrf().await;
    assert_safe_page("/logout", &source.client.post_form("/logout", &[("csrf_token", &csrf)]).await);
}

#[tokio::test]
async fn the_lookup_form_is_multipart_with_csrf_first_and_multiple_files() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let page = source.client.get("/lookup").await.text();
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("type=\"file\" name=\"fh\" multiple"));
    let csrf_at = page.find("name=\"csrf_token\"").unwrap();
    assert!(csrf_at < page.find("name=\"msg\"").unwrap());
    assert!(page.contains("Maximum total upload size: 2 GiB."));
    assert!(page.contains("Anti-spam check. Do not fill this in!"));
}

#[tokio::test]
async fn metadata_has_securedrops_fields() {
    let mut config = test_config();
    config.v3_source_url = Some(format!("{}.onion", "abcdefghij234567".repeat(4).get(..56).unwrap()));
    let stack = Stack::with(config, Ok(postern_fixtures::submission_key()));
    let res = stack.client().get("/metadata").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers.get("content-type").unwrap(), "application/json");
    let json: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "allow_document_uploads",
            "gpg_fpr",
            "organization_name",
            "postern_version",
            "sd_version",
            "server_os",
            "supported_languages",
            "v3_source_url"
        ]
    );
    let fpr = include_str!("../../shared/fixtures/data/gpg-submission-fingerprint.txt").trim();
    assert_eq!(json["gpg_fpr"], fpr);
    assert_eq!(json["allow_document_uploads"], true);
    assert!(json["v3_source_url"].as_str().unwrap().ends_with(".onion"));

    let res = Stack::new().client().get("/metadata").await;
    let json: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    assert!(json["v3_source_url"].is_null(), "null when unknown");
}

#[tokio::test]
async fn robots_public_key_and_the_old_key_path() {
    let stack = Stack::new();
    let mut c = stack.client();
    let robots = c.get("/robots.txt").await;
    assert_eq!(robots.text(), "User-agent: *\nDisallow: /\n");
    assert!(robots.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/plain"));
    let old = c.get("/journalist-key").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.location(), Some("/public-key"));
    let key = c.get("/public-key").await;
    let fpr = include_str!("../../shared/fixtures/data/gpg-submission-fingerprint.txt").trim();
    assert_eq!(key.headers.get("content-type").unwrap(), "application/pgp-keys");
    assert_eq!(
        key.headers.get("content-disposition").unwrap().to_str().unwrap(),
        format!("attachment; filename=\"{fpr}.asc\"")
    );
    assert_eq!(key.text(), postern_fixtures::GPG_PUBLIC_KEY);
}

#[tokio::test]
async fn tor2web_requests_end_at_the_403_warning() {
    let stack = Stack::new();
    let mut c = stack.client();
    for path in ["/", "/lookup", "/login"] {
        let res = c.get_with(path, &[("X-tor2web", "encrypted")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().contains("Proxy service detected"));
        assert_safe_page(path, &res);
    }
    let mut source = stack.new_source().await;
    let csrf = source.lookup_csrf().await;
    let body = postern_tests::multipart_body(&[Part::Text("csrf_token", &csrf), Part::Text("msg", "via proxy")]);
    let req = axum::http::Request::post("/submit")
        .header("content-type", format!("multipart/form-data; boundary={}", postern_tests::BOUNDARY))
        .header("x-tor2web", "1")
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_eq!(source.client.send(req).await.status, StatusCode::FORBIDDEN);
    assert!(stack.instance.stored_files().is_empty());
}

async fn assert_offline(mut c: Client) {
    for path in ["/", "/login", "/lookup", "/metadata", "/public-key", "/why-public-key"] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(res.text().contains("this service is offline"), "{path}");
        assert_safe_page(path, &res);
    }
    let res = c.post_form("/generate", &[("tor2web_check", "href=\"fake.onion\"")]).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_invalid_submission_key_takes_every_page_offline() {
    for armored in
        [postern_fixtures::WEAK_PUBLIC_KEY, postern_fixtures::EXPIRED_PUBLIC_KEY, postern_fixtures::GPG_SECRET_KEY]
    {
        let key = postern_crypto::SubmissionKey::from_armored(armored);
        assert!(key.is_err());
        let stack = Stack::with(test_config(), key);
        assert_offline(stack.client()).await;
    }
}
