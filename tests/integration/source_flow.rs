//! Codenames, accounts, login, sessions and CSRF.

use std::time::Duration;

use axum::http::StatusCode;
use postern_core::Codename;
use postern_tests::{Stack, codename_of, tab_id_of, test_config};

#[tokio::test]
async fn a_new_source_gets_a_seven_word_codename_and_lands_on_lookup() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let words: Vec<&str> = source.codename.split(' ').collect();
    assert_eq!(words.len(), 7);
    assert!(words.iter().all(|w| postern_core::wordlist().contains(w)));
    let lookup = source.client.get("/lookup").await;
    assert_eq!(lookup.status, StatusCode::OK);
    // The first session reminds the source of its codename.
    assert!(lookup.text().contains(&source.codename));
    // The cookie is a random id: the codename is not in it.
    let cookie = source.client.cookie().unwrap().to_owned();
    for word in &words {
        assert!(!cookie.contains(word));
    }
}

#[tokio::test]
async fn two_generations_differ() {
    let stack = Stack::new();
    let a = stack.client().generate_codename().await;
    let b = stack.client().generate_codename().await;
    assert_ne!(a, b);
}

#[tokio::test]
async fn each_tab_creates_the_account_of_its_own_codename() {
    let stack = Stack::new();
    let mut browser = stack.client();
    let first = browser.generate_codename().await;
    let first_tab = tab_id_of(&browser.last_body);
    let csrf = browser.csrf.clone();
    let res = browser.post_form("/generate", &[("csrf_token", &csrf), ("tor2web_check", "href=\"fake.onion\"")]).await;
    let second = codename_of(&res.text());
    assert_ne!(first, second);
    let res = browser.post_form("/create", &[("csrf_token", &csrf), ("tab_id", &first_tab)]).await;
    assert_eq!(res.location(), Some("/lookup"));
    // The account is the first tab's: its codename logs in, the second's does not.
    assert_eq!(login(&stack, &first).await, StatusCode::SEE_OTHER);
    assert_eq!(login(&stack, &second).await, StatusCode::UNAUTHORIZED);
    // The second tab, once logged in, is told so instead of creating another account.
    let csrf = browser.csrf.clone();
    let res = browser.post_form("/generate", &[("csrf_token", &csrf), ("tor2web_check", "href=\"fake.onion\"")]).await;
    assert_eq!(res.location(), Some("/lookup"));
    let lookup = browser.get("/lookup").await;
    assert!(lookup.text().contains("already logged in"));
}

#[tokio::test]
async fn create_without_a_pending_codename_logs_out_and_creates_nothing() {
    let stack = Stack::new();
    let mut browser = stack.client();
    browser.get("/").await;
    let csrf = browser.csrf.clone();
    let res = browser.post_form("/create", &[("csrf_token", &csrf), ("tab_id", "0000")]).await;
    assert_eq!(res.location(), Some("/"));
    let home = browser.get("/").await;
    assert!(home.text().contains("logged out"), "{}", home.text());
    assert!(stack.instance.stored_files().is_empty());
}

async fn login(stack: &Stack, codename: &str) -> StatusCode {
    let mut c = stack.client();
    c.get("/login").await;
    let csrf = c.csrf.clone();
    c.post_form("/login", &[("csrf_token", &csrf), ("codename", codename)]).await.status
}

#[tokio::test]
async fn login_ignores_case_and_surrounding_space() {
    let stack = Stack::new();
    let source = stack.new_source().await;
    let messy = format!("  \t{}  \n", source.codename.to_uppercase().replace(' ', "  "));
    let mut c = stack.client();
    c.get("/login").await;
    let csrf = c.csrf.clone();
    let res = c.post_form("/login", &[("csrf_token", &csrf), ("codename", &messy)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let lookup = c.get("/lookup").await;
    assert_eq!(lookup.status, StatusCode::OK);
    // A later session does not show the codename.
    assert!(!lookup.text().contains(&source.codename));
}

#[tokio::test]
async fn every_bad_login_gets_the_same_generic_message() {
    let stack = Stack::new();
    stack.new_source().await;
    let unknown = Codename::generate(&mut rand::rngs::OsRng);
    let too_long = "abacus ".repeat(19);
    // (input, whether it is well-formed enough to be worth a key derivation)
    let attempts = [
        (unknown.expose_secret(), true),
        (too_long.as_str(), false),
        ("abacus <script>", false),
        ("", false),
        ("abacus abacus", false),
        ("abacus abacus abacus abacus abacus abacus zzyzx", false),
    ];
    for (attempt, derives) in attempts {
        let before = stack.state.derivation_count();
        let mut c = stack.client();
        c.get("/login").await;
        let csrf = c.csrf.clone();
        let res = c.post_form("/login", &[("csrf_token", &csrf), ("codename", attempt)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(res.text().contains("Sorry, that is not a recognised codename."));
        assert!(!res.text().contains("&lt;script"), "input is not echoed");
        assert_eq!(stack.state.derivation_count() - before, u64::from(derives), "derivations for {attempt:?}");
    }
}

#[tokio::test]
async fn protected_pages_redirect_to_login() {
    let stack = Stack::new();
    let mut c = stack.client();
    assert_eq!(c.get("/lookup").await.location(), Some("/login"));
    let res = c.post_multipart("/submit", &[postern_tests::Part::Text("msg", "hi")]).await;
    assert_eq!(res.location(), Some("/login"));
}

#[tokio::test]
async fn sessions_expire_absolutely() {
    let mut config = test_config();
    let clock = postern_core::Clock::manual();
    config.clock = clock.clone();
    let stack = Stack::with(config, Ok(postern_fixtures::submission_key()));
    let mut source = stack.new_source().await;
    // Activity does not extend the session: 119 minutes in use, then one more.
    for _ in 0..7 {
        assert_eq!(source.client.get("/lookup").await.status, StatusCode::OK);
        clock.advance(Duration::from_secs(17 * 60));
    }
    assert_eq!(source.client.get("/lookup").await.status, StatusCode::OK);
    clock.advance(Duration::from_secs(60));
    let res = source.client.get("/lookup").await;
    assert_eq!(res.location(), Some("/"));
    let home = source.client.get("/").await;
    assert!(home.text().contains("New Identity"), "expiry notice advises New Identity");
}

#[tokio::test]
async fn csrf_failure_ends_the_session_with_the_logged_out_page() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let old_cookie = source.client.cookie().map(str::to_owned);
    let res = source.client.post_form("/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text().contains("You are logged out"));
    assert!(!res.text().to_lowercase().contains("panicked"));
    assert_eq!(source.client.get("/lookup").await.location(), Some("/login"));
    // The server ended the session: the old cookie no longer works either.
    source.client.set_cookie(old_cookie);
    assert_eq!(source.client.get("/lookup").await.location(), Some("/"));

    let mut other = stack.new_source().await;
    let res = other.client.post_multipart("/submit", &[postern_tests::Part::Text("csrf_token", "x")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text().contains("You are logged out"));
}

#[tokio::test]
async fn logout_is_post_only_and_advises_new_identity() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    assert_eq!(source.client.get("/logout").await.status, StatusCode::METHOD_NOT_ALLOWED);
    let csrf = source.lookup_csrf().await;
    let old_cookie = source.client.cookie().map(str::to_owned);
    let res = source.client.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("New Identity"));
    assert!(source.client.cookie().is_none(), "the cookie is cleared");
    assert_eq!(source.client.get("/lookup").await.location(), Some("/login"));
    source.client.set_cookie(old_cookie);
    assert_eq!(source.client.get("/lookup").await.location(), Some("/"), "the server forgot the session");
}

#[tokio::test]
async fn generate_refuses_missing_or_mangled_tor2web_canary() {
    let stack = Stack::new();
    let mut c = stack.client();
    c.get("/").await;
    let csrf = c.csrf.clone();
    let res = c.post_form("/generate", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = c.post_form("/generate", &[("csrf_token", &csrf), ("tor2web_check", "href=\"fake.onion.to\"")]).await;
    assert_eq!(res.location(), Some("/tor2web-warning"));
    assert_eq!(c.get("/generate").await.location(), Some("/"), "GET sends people to the front page");
}
