//! The journalist interface over HTTP, page by page: who may see what, how sessions
//! end, second factors and throttling, CSRF, escaping, bulk downloads, deletion,
//! stars and unread counts, administration, and instance settings the source
//! interface honours at once.

use std::collections::BTreeSet;
use std::io::Read;

use axum::http::StatusCode;
use postern_core::RESERVED_USERNAME;
use postern_core::{JournalistId, UtcDateTime, journalist_filename};
use postern_crypto::{HOTP_LOOK_AHEAD, OtpSecret, totp_code};
use postern_store::{CollectionItem, ItemKind, OtpKind, SourceRecord};
use postern_tests::{Account, Client, Part, Response, Source, Stack, input_value_of, unix_now};
use rand::rngs::OsRng;

/// Logins allowed per account per minute (SecureDrop's rule); the next is refused.
const MAX_LOGIN_ATTEMPTS: usize = 5;

/// The source interface's English messages, to assert on its texts without copying them.
const SOURCE_FTL: &str = include_str!("../../source-interface/i18n/en-US/source.ftl");

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// Asserts a 303 redirect to `to`.
fn assert_redirect(res: &Response, to: &str) {
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, Some(to)), "{}", res.text());
}

/// Asserts the "administrators only" refusal.
fn assert_forbidden(what: &str, res: &Response) {
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.text());
    assert!(res.text().contains("Administrators only"), "{what}: {}", res.text());
}

/// A response header as text ("" if absent).
fn header_of(res: &Response, name: &str) -> String {
    res.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Asserts the headers every journalist-interface response carries.
fn assert_security_headers(what: &str, res: &Response) {
    let csp = header_of(res, "content-security-policy");
    assert!(csp.contains("script-src 'none'"), "{what}: content-security-policy {csp:?}");
    assert_eq!(header_of(res, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header_of(res, "cache-control"), "no-store", "{what}");
}

/// Logs `account` in on a fresh browser and loads `/`, so that the browser holds the
/// new session's CSRF token (the login form's token ended with the old session).
async fn open_session(stack: &Stack, account: &mut Account) -> Client {
    let mut client = stack.log_in(account).await;
    let index = client.get("/").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.text());
    client
}

/// One login attempt on a fresh browser with exactly these credentials.
async fn attempt_login(stack: &Stack, username: &str, password: &str, code: &str) -> Response {
    let mut client = stack.journalist_client();
    let form = client.get("/login").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = client.csrf.clone();
    client
        .post_form("/login", &[("csrf_token", &csrf), ("username", username), ("password", password), ("token", code)])
        .await
}

/// The HOTP code for `counter` (the TOTP code of step `counter`, as a YubiKey sends it).
fn hotp_code(secret: &OtpSecret, counter: u64) -> String {
    totp_code(secret, counter * 30)
}

/// Submits `parts` and asserts the source interface stored them.
async fn submit_ok(source: &mut Source, parts: &[Part<'_>]) {
    let res = source.submit(parts).await;
    assert_redirect(&res, "/lookup");
}

/// Replies to source `uuid` from its collection page.
async fn reply(client: &mut Client, uuid: &str, message: &str) {
    let col = format!("/col/{uuid}");
    let page = client.get(&col).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let res = client.post_csrf("/reply", &[("filesystem_id", uuid), ("message", message)]).await;
    assert_redirect(&res, &col);
}

/// The uuid of the source with `codename`.
fn uuid_of(stack: &Stack, codename: &str) -> String {
    stack.instance.source_of(codename).unwrap().uuid
}

/// The row id of journalist `username`.
fn id_of(stack: &Stack, username: &str) -> i64 {
    stack.instance.store.journalist(username).unwrap().unwrap().id.raw()
}

/// A source's items as `journalist` sees them (read or not).
fn items_of(stack: &Stack, uuid: &str, journalist: i64) -> Vec<CollectionItem> {
    stack.instance.store.collection(uuid, JournalistId::new(journalist)).unwrap().unwrap().items
}

/// Whether each reply of `source` is hidden from it, oldest first.
fn hidden_from_source(stack: &Stack, source: &SourceRecord) -> Vec<bool> {
    stack.instance.store.replies(source).unwrap().iter().map(|r| r.deleted_by_source).collect()
}

/// The entries of a zip download: name and content, in archive order.
fn zip_entries(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let name = file.name().unwrap().into_owned();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

/// What a zip of the items `names` of source `uuid` must hold, in collection order:
/// SecureDrop's `<designation>/<N>_<date of last activity>/<file name>`, with the
/// stored ciphertext.
fn expected_entries(stack: &Stack, uuid: &str, names: &[String]) -> Vec<(String, Vec<u8>)> {
    let c = stack.instance.store.collection(uuid, JournalistId::new(0)).unwrap().unwrap();
    let dir = journalist_filename(&c.source.designation);
    let date = UtcDateTime::from_unix(c.source.last_updated).date();
    let entries: Vec<(String, Vec<u8>)> = c
        .items
        .iter()
        .filter(|i| names.contains(&i.filename))
        .map(|i| (format!("{dir}/{}_{date}/{}", i.number(), i.filename), std::fs::read(&i.path).unwrap()))
        .collect();
    assert_eq!(entries.len(), names.len(), "every expected name is an item of this source");
    entries
}

/// Asserts a zip download named `<basename>--YYYY-MM-DD--HH-MM-SS.zip`.
fn assert_zip(res: &Response, basename: &str) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(header_of(res, "content-type"), "application/zip");
    let disposition = header_of(res, "content-disposition");
    let prefix = format!("attachment; filename=\"{basename}--");
    let stamp = disposition
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(".zip\""))
        .unwrap_or_else(|| panic!("unexpected content-disposition {disposition:?}"));
    let dashes = [4, 7, 10, 11, 14, 17];
    let shaped = stamp.len() == 20
        && stamp.bytes().enumerate().all(|(i, b)| if dashes.contains(&i) { b == b'-' } else { b.is_ascii_digit() });
    assert!(shaped, "not YYYY-MM-DD--HH-MM-SS: {disposition:?}");
}

/// One row of the source list.
struct SourceRow {
    uuid: String,
    starred: bool,
    unread: u64,
}

/// The rows of the source list (`/`), top to bottom.
fn source_rows(html: &str) -> Vec<SourceRow> {
    html.split("<tr")
        .filter(|row| row.contains("name=\"cols_selected\""))
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap()];
            let cells: Vec<&str> = row.split("<td>").skip(1).map(|c| &c[..c.find("</td>").unwrap()]).collect();
            SourceRow {
                uuid: input_value_of(row, "cols_selected").unwrap(),
                starred: cells[2].contains("starred"),
                unread: cells[3].trim().parse().unwrap(),
            }
        })
        .collect()
}

/// The uuids of source-list rows, top to bottom.
fn uuids_of(rows: &[SourceRow]) -> Vec<String> {
    rows.iter().map(|r| r.uuid.clone()).collect()
}

/// The text of a page's `<title>`.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").unwrap() + "<title>".len();
    let end = start + html[start..].find("</title>").unwrap();
    &html[start..end]
}

/// The English text of a source-interface message without arguments.
fn source_text(key: &str) -> String {
    SOURCE_FTL
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {key} in source.ftl"))
}

// ---------------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_every_response_has_security_headers() {
    let stack = Stack::new();
    let mut anon = stack.journalist_client();
    for path in
        ["/", "/col/x", "/col/x/1-x-msg.gpg", "/account/account", "/admin/", "/admin/config", "/download_unread/x"]
    {
        let res = anon.get(path).await;
        assert_redirect(&res, "/login");
        assert_security_headers(path, &res);
    }
    let missing = anon.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_security_headers("a 404 page", &missing);

    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "hello")]).await;
    let uuid = uuid_of(&stack, &source.codename);
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut account).await;
    let zip = ada.get(&format!("/download_unread/{uuid}")).await;
    assert_eq!(header_of(&zip, "content-type"), "application/zip");
    assert_security_headers("a zip download", &zip);
    let filename = items_of(&stack, &uuid, 0)[0].filename.clone();
    let one = ada.get(&format!("/col/{uuid}/{filename}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(header_of(&one, "content-type"), "application/pgp-encrypted");
    assert_security_headers("a file download", &one);
}

#[tokio::test]
async fn a_journalist_who_is_not_an_administrator_gets_403_on_every_admin_route_and_changes_nothing() {
    let stack = Stack::new();
    let store = &stack.instance.store;
    let mut eve_account = stack.add_journalist("eve", false, OtpKind::Hotp);
    stack.add_journalist("bo", false, OtpKind::Totp);
    let bo_before = store.journalist("bo").unwrap().unwrap();
    let settings_before = store.instance_settings().unwrap();
    let (bo, eve_id) = (bo_before.id.raw(), id_of(&stack, "eve"));
    let mut eve = open_session(&stack, &mut eve_account).await;

    let edit = format!("/admin/edit/{bo}");
    for path in ["/admin/", "/admin", "/admin/add", edit.as_str(), "/admin/config"] {
        let res = eve.get(path).await;
        assert_forbidden(&format!("GET {path}"), &res);
    }

    // Every POST carries what would work for an administrator.
    let bo_id = bo.to_string();
    let fresh = OtpSecret::generate(&mut OsRng);
    let fresh_b32 = fresh.to_base32().to_string();
    let fresh_code = totp_code(&fresh, unix_now());
    let yubikey_hex = "3132333435363738393031323334353637383930";
    let yubikey_code = hotp_code(&OtpSecret::from_hex(yubikey_hex).unwrap(), 0);
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/add".to_owned(),
            vec![("username", "mallory"), ("first_name", "M"), ("password", "a b c d e f g h"), ("is_admin", "y")],
        ),
        (format!("/admin/edit/{bo}"), vec![("username", "renamed"), ("first_name", "Changed"), ("is_admin", "y")]),
        (format!("/admin/edit/{eve_id}"), vec![("username", "eve"), ("is_admin", "y")]),
        (format!("/admin/edit/{bo}/new-password"), vec![("password", "a passphrase eve picked for bo here")]),
        (format!("/admin/delete/{bo}"), vec![]),
        ("/admin/reset-2fa-totp".to_owned(), vec![("userid", bo_id.as_str())]),
        ("/admin/reset-2fa-hotp".to_owned(), vec![("userid", bo_id.as_str()), ("otp_secret", yubikey_hex)]),
        (
            "/admin/verify-2fa-totp".to_owned(),
            vec![("userid", bo_id.as_str()), ("otp_secret", fresh_b32.as_str()), ("token", fresh_code.as_str())],
        ),
        (
            "/admin/verify-2fa-hotp".to_owned(),
            vec![("userid", bo_id.as_str()), ("otp_secret", yubikey_hex), ("token", yubikey_code.as_str())],
        ),
        ("/admin/update-org-name".to_owned(), vec![("organization_name", "Hijacked")]),
        (
            "/admin/update-submission-preferences".to_owned(),
            vec![
                ("prevent_document_uploads", "y"),
                ("prevent_short_messages", "y"),
                ("min_message_length", "50"),
                ("reject_codename_messages", "y"),
            ],
        ),
    ];
    for (path, fields) in &posts {
        let res = eve.post_csrf(path, fields).await;
        assert_forbidden(&format!("POST {path}"), &res);
    }
    let csrf = eve.csrf.clone();
    let png = postern_tests::png::minimal();
    let res = eve
        .post_multipart("/admin/config", &[Part::Text("csrf_token", &csrf), Part::File("logo", "logo.png", &png)])
        .await;
    assert_forbidden("POST /admin/config", &res);

    let bo_after = store.journalist("bo").unwrap().unwrap();
    assert_eq!(bo_after.id, bo_before.id);
    assert_eq!(bo_after.password_hash, bo_before.password_hash);
    assert_eq!((bo_after.otp_kind, &bo_after.otp_secret), (bo_before.otp_kind, &bo_before.otp_secret));
    assert_eq!((&bo_after.first_name, bo_after.is_admin), (&bo_before.first_name, false));
    assert_eq!(bo_after.session_generation, bo_before.session_generation);
    assert!(!store.journalist("eve").unwrap().unwrap().is_admin, "eve did not promote herself");
    assert!(store.journalist("mallory").unwrap().is_none() && store.journalist("renamed").unwrap().is_none());
    assert_eq!(store.journalists().unwrap().len(), 2);
    assert_eq!(store.instance_settings().unwrap(), settings_before, "org name and preferences unchanged");
    assert!(store.logo().unwrap().is_none());
}

// ---------------------------------------------------------------------------------
// Sessions and logging in
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn changing_ones_own_passphrase_ends_every_session_and_only_the_new_one_works() {
    let stack = Stack::new();
    let mut ada = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut first = open_session(&stack, &mut ada).await;
    let mut second = open_session(&stack, &mut ada).await;

    let page = first.get("/account/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let new_password = input_value_of(&page.text(), "password").unwrap();
    let old_password = ada.password.clone();
    assert_ne!(new_password, old_password);
    let code = ada.next_code();
    let res = first
        .post_csrf(
            "/account/new-password",
            &[("password", new_password.as_str()), ("current_password", old_password.as_str()), ("token", &code)],
        )
        .await;
    assert_redirect(&res, "/login");
    assert_redirect(&first.get("/").await, "/login");
    assert_redirect(&second.get("/").await, "/login");

    let mut third = stack.journalist_client();
    let refused = third.log_in(&mut ada).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "the old passphrase no longer works");
    ada.password = new_password;
    let mut again = stack.log_in(&mut ada).await;
    assert_eq!(again.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_administrator_resetting_a_passphrase_ends_that_journalists_sessions() {
    let stack = Stack::new();
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let mut bo_account = stack.add_journalist("bo", false, OtpKind::Hotp);
    let mut bo = open_session(&stack, &mut bo_account).await;
    let mut root = open_session(&stack, &mut root_account).await;

    let edit = format!("/admin/edit/{}", id_of(&stack, "bo"));
    let page = root.get(&edit).await;
    assert_eq!(page.status, StatusCode::OK);
    let password = input_value_of(&page.text(), "password").unwrap();
    let res = root.post_csrf(&format!("{edit}/new-password"), &[("password", password.as_str())]).await;
    assert_redirect(&res, &edit);

    assert_redirect(&bo.get("/").await, "/login");
    assert_eq!(root.get("/").await.status, StatusCode::OK, "the administrator stays logged in");
    let mut other = stack.journalist_client();
    assert_eq!(other.log_in(&mut bo_account).await.status, StatusCode::UNAUTHORIZED);
    bo_account.password = password;
    stack.log_in(&mut bo_account).await;
}

#[tokio::test]
async fn a_passphrase_changed_in_the_store_by_another_process_ends_open_sessions() {
    let stack = Stack::new();
    let mut account = stack.add_journalist("bo", false, OtpKind::Hotp);
    let mut bo = open_session(&stack, &mut account).await;

    // What `postern journalist reset-password` does from its own process.
    let new_password = "some new words here for the cli test";
    let hash = postern_crypto::hash_password(&mut OsRng, new_password).unwrap();
    assert!(stack.instance.store.set_journalist_password("bo", &hash).unwrap());

    assert_redirect(&bo.get("/").await, "/login");
    let login = bo.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains("Your session has ended because your account changed"), "{}", login.text());
    account.password = new_password.to_owned();
    stack.log_in(&mut account).await;
}

#[tokio::test]
async fn a_totp_code_works_once_and_is_used_up_even_by_a_wrong_passphrase() {
    let stack = Stack::new();
    let account = stack.add_journalist("ada", false, OtpKind::Totp);
    let step = unix_now() / 30;

    // A code of a fresh step, typed with a space, works.
    let code = totp_code(&account.secret, step * 30);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    assert_redirect(&attempt_login(&stack, "ada", &account.password, &spaced).await, "/");

    // The same code on another browser is a replay.
    let replay = attempt_login(&stack, "ada", &account.password, &spaced).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.text().contains("Login failed"));

    // A code seen with a wrong passphrase is used up before the passphrase is checked.
    let next = totp_code(&account.secret, (step + 1) * 30);
    let wrong = attempt_login(&stack, "ada", "not the passphrase of ada", &next).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stack.instance.store.journalist("ada").unwrap().unwrap().last_totp_step, Some(step + 1));
    let burnt = attempt_login(&stack, "ada", &account.password, &next).await;
    assert_eq!(burnt.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn hotp_codes_are_accepted_within_the_look_ahead_window_only() {
    let stack = Stack::new();
    let account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let counter = |stack: &Stack| stack.instance.store.journalist("ada").unwrap().unwrap().hotp_counter;
    let ahead = HOTP_LOOK_AHEAD - 5;
    let code = hotp_code(&account.secret, ahead);
    assert_redirect(&attempt_login(&stack, "ada", &account.password, &code).await, "/");
    assert_eq!(counter(&stack), ahead + 1);

    let behind = hotp_code(&account.secret, 3);
    assert_eq!(attempt_login(&stack, "ada", &account.password, &behind).await.status, StatusCode::UNAUTHORIZED);
    let beyond = hotp_code(&account.secret, ahead + 1 + HOTP_LOOK_AHEAD);
    assert_eq!(attempt_login(&stack, "ada", &account.password, &beyond).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(counter(&stack), ahead + 1, "refused codes do not move the counter");

    let next = hotp_code(&account.secret, ahead + 1);
    assert_redirect(&attempt_login(&stack, "ada", &account.password, &next).await, "/");
    assert_eq!(counter(&stack), ahead + 2);
}

#[tokio::test]
async fn a_sixth_login_within_a_minute_is_refused_for_that_account_only() {
    let stack = Stack::new();
    let mut ada = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut bo = stack.add_journalist("bo", false, OtpKind::Hotp);
    for attempt in 1..=MAX_LOGIN_ATTEMPTS {
        let res = attempt_login(&stack, "ada", "not the passphrase of ada", "000000").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(!res.text().contains("60 seconds"), "attempt {attempt} is not throttled yet");
    }
    let code = ada.next_code();
    let res = attempt_login(&stack, "ada", &ada.password, &code).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "correct credentials, but too many attempts");
    assert!(res.text().contains("60 seconds"), "{}", res.text());
    stack.log_in(&mut bo).await;

    // A user name with no account gets the same answers, and the same throttle.
    for attempt in 1..=MAX_LOGIN_ATTEMPTS {
        let res = attempt_login(&stack, "nobody", "not anyone's passphrase", "000000").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(res.text().contains("Login failed") && !res.text().contains("60 seconds"), "attempt {attempt}");
    }
    let res = attempt_login(&stack, "nobody", "not anyone's passphrase", "000000").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.text().contains("60 seconds"), "unknown names are throttled too: {}", res.text());
}

#[tokio::test]
async fn replacing_ones_own_second_factor_needs_the_current_passphrase_and_a_current_code() {
    let stack = Stack::new();
    let mut ada = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut browser = open_session(&stack, &mut ada).await;
    let before = stack.instance.store.journalist("ada").unwrap().unwrap();
    let unchanged = |stack: &Stack| {
        let now = stack.instance.store.journalist("ada").unwrap().unwrap();
        (now.otp_kind, now.otp_secret) == (before.otp_kind, before.otp_secret.clone())
    };

    // A hijacked session enrols its own secret directly: refused.
    let theirs = OtpSecret::generate(&mut OsRng);
    let (theirs_b32, theirs_code) = (theirs.to_base32().to_string(), totp_code(&theirs, unix_now()));
    let res = browser
        .post_csrf("/account/verify-2fa-totp", &[("otp_secret", theirs_b32.as_str()), ("token", &theirs_code)])
        .await;
    assert_redirect(&res, "/account/account");
    assert!(unchanged(&stack), "a factor enrolled without re-authentication");

    // Asking for a new secret without the passphrase, or with a wrong code, shows none.
    // (Each try counts against the login throttle: five a minute, this test's login included.)
    let code = ada.next_code();
    let yubikey = "0123456789abcdef0123456789abcdef01234567";
    for (path, fields) in [
        ("/account/reset-2fa-hotp", vec![("otp_secret", yubikey), ("token", code.as_str())]),
        ("/account/reset-2fa-totp", vec![("current_password", ada.password.as_str()), ("token", "000000")]),
    ] {
        let res = browser.post_csrf(path, &fields).await;
        assert_redirect(&res, "/account/account");
        let page = browser.get("/account/account").await;
        assert!(page.text().contains("wrong") && !page.text().contains("otpauth://"), "{}", page.text());
    }
    assert!(unchanged(&stack));

    // With both, the new secret is shown, and a code of it replaces the old factor.
    let code = ada.next_code();
    let fields = [("current_password", ada.password.as_str()), ("token", code.as_str())];
    let page = browser.post_csrf("/account/reset-2fa-totp", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let shown = input_value_of(&page.text(), "otp_secret").unwrap();
    let secret = OtpSecret::from_base32(&shown).unwrap();
    let res = browser
        .post_csrf("/account/verify-2fa-totp", &[("otp_secret", theirs_b32.as_str()), ("token", &theirs_code)])
        .await;
    assert_redirect(&res, "/account/account");
    assert!(unchanged(&stack), "only the secret shown after re-authentication is accepted");

    let code = ada.next_code();
    let fields = [("current_password", ada.password.as_str()), ("token", code.as_str())];
    let page = browser.post_csrf("/account/reset-2fa-totp", &fields).await;
    let shown = input_value_of(&page.text(), "otp_secret").unwrap();
    let secret_again = OtpSecret::from_base32(&shown).unwrap();
    assert_ne!(secret_again.to_base32().to_string(), secret.to_base32().to_string());
    let new_code = totp_code(&secret_again, unix_now());
    let res =
        browser.post_csrf("/account/verify-2fa-totp", &[("otp_secret", shown.as_str()), ("token", &new_code)]).await;
    assert_redirect(&res, "/login");
    let after = stack.instance.store.journalist("ada").unwrap().unwrap();
    assert_eq!((after.otp_kind, after.otp_secret), (OtpKind::Totp, secret_again.to_base32().to_string()));
}

#[tokio::test]
async fn administrators_pages_enrol_only_others_and_only_a_secret_they_showed() {
    let stack = Stack::new();
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    stack.add_journalist("bo", false, OtpKind::Hotp);
    let mut root = open_session(&stack, &mut root_account).await;
    let factors =
        |stack: &Stack| ["root", "bo"].map(|name| stack.instance.store.journalist(name).unwrap().unwrap().otp_secret);
    let before = factors(&stack);
    let theirs = OtpSecret::generate(&mut OsRng);
    let (b32, code) = (theirs.to_base32().to_string(), totp_code(&theirs, unix_now()));
    for name in ["root", "bo"] {
        let userid = id_of(&stack, name).to_string();
        for path in ["/admin/reset-2fa-totp", "/admin/verify-2fa-totp"] {
            let fields = [("userid", userid.as_str()), ("otp_secret", b32.as_str()), ("token", code.as_str())];
            let res = root.post_csrf(path, &fields).await;
            if name == "root" || path.contains("verify") {
                assert_redirect(&res, &format!("/admin/edit/{userid}"));
            }
        }
    }
    assert_eq!(factors(&stack), before, "no factor swapped: one's own, or a secret no reset page showed");
}

#[tokio::test]
async fn a_post_with_a_wrong_csrf_token_logs_the_journalist_out_and_does_nothing() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "hello")]).await;
    let record = stack.instance.source_of(&source.codename).unwrap();
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut account).await;
    let col = ada.get(&format!("/col/{}", record.uuid)).await;
    assert_eq!(col.status, StatusCode::OK);
    let files_before = stack.instance.stored_files();

    let res = ada
        .post_form(
            "/reply",
            &[("csrf_token", "forged-token"), ("filesystem_id", &record.uuid), ("message", "never stored")],
        )
        .await;
    assert_redirect(&res, "/login");
    let login = ada.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains("You have been logged out"), "{}", login.text());
    assert_redirect(&ada.get("/").await, "/login");
    assert!(stack.instance.store.replies(&record).unwrap().is_empty());
    assert_eq!(stack.instance.stored_files(), files_before);
}

// ---------------------------------------------------------------------------------
// Replies and escaping
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_source_can_hide_only_its_own_replies() {
    let stack = Stack::new();
    let mut a = stack.new_source().await;
    let mut b = stack.new_source().await;
    submit_ok(&mut a, &[Part::Text("msg", "from A")]).await;
    submit_ok(&mut b, &[Part::Text("msg", "from B")]).await;
    let (record_a, record_b) =
        (stack.instance.source_of(&a.codename).unwrap(), stack.instance.source_of(&b.codename).unwrap());
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut account).await;
    reply(&mut ada, &record_a.uuid, "first reply to A").await;
    reply(&mut ada, &record_a.uuid, "second reply to A").await;
    reply(&mut ada, &record_b.uuid, "reply to B").await;
    let b_reply = stack.instance.store.replies(&record_b).unwrap()[0].filename.clone();
    let a_first = stack.instance.store.replies(&record_a).unwrap()[0].filename.clone();

    assert_eq!(a.client.get("/lookup").await.status, StatusCode::OK);
    let res = a.client.post_csrf("/delete", &[("reply_filename", b_reply.as_str())]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text());
    assert_eq!(hidden_from_source(&stack, &record_b), [false]);
    assert_eq!(hidden_from_source(&stack, &record_a), [false, false]);

    let res = a.client.post_csrf("/delete", &[("reply_filename", a_first.as_str())]).await;
    assert_redirect(&res, "/lookup");
    assert_eq!(hidden_from_source(&stack, &record_a), [true, false]);
    let res = a.client.post_csrf("/delete-all", &[]).await;
    assert_redirect(&res, "/lookup");
    assert_eq!(hidden_from_source(&stack, &record_a), [true, true]);
    assert_eq!(hidden_from_source(&stack, &record_b), [false], "B's reply is untouched");
    let lookup = b.client.get("/lookup").await;
    assert!(lookup.text().contains(&b_reply), "B still has its reply");
}

#[tokio::test]
async fn markup_is_escaped_on_every_journalist_page_and_submissions_never_appear() {
    const MESSAGE: &str = "<script>alert('m')</script>";
    const FILE_NAME: &str = "<script>x</script>.txt";
    const FIRST: &str = "<script>alert(1)</script>";
    const LAST: &str = "<img src=x onerror=alert(2)>";
    const ORG: &str = "<b>Org</b>";
    let stack = Stack::new();
    let store = &stack.instance.store;
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", MESSAGE), Part::File("fh", FILE_NAME, b"file content")]).await;
    let uuid = uuid_of(&stack, &source.codename);
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let mut bo_account = stack.add_journalist("bob", false, OtpKind::Hotp);
    let mut root = open_session(&stack, &mut root_account).await;

    let edit = format!("/admin/edit/{}", id_of(&stack, "bob"));
    assert_eq!(root.get(&edit).await.status, StatusCode::OK);
    let res = root.post_csrf(&edit, &[("username", "bob"), ("first_name", FIRST), ("last_name", LAST)]).await;
    assert_redirect(&res, &edit);
    let bo_record = store.journalist("bob").unwrap().unwrap();
    assert_eq!((bo_record.first_name.as_str(), bo_record.last_name.as_str()), (FIRST, LAST), "stored as typed");
    let res = root.post_csrf("/admin/update-org-name", &[("organization_name", ORG)]).await;
    assert_redirect(&res, "/admin/config");
    assert_eq!(store.instance_settings().unwrap().organization_name, ORG);
    reply(&mut root, &uuid, "<i>a reply</i>").await;
    let mut bo = open_session(&stack, &mut bo_account).await;

    let col = format!("/col/{uuid}");
    let mut pages: Vec<(String, String)> = Vec::new();
    for path in ["/", col.as_str(), "/account/account", "/admin/", edit.as_str(), "/admin/config", "/admin/add"] {
        let res = root.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path} as root");
        pages.push((format!("{path} as root"), res.text()));
    }
    for path in ["/", col.as_str(), "/account/account"] {
        let res = bo.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path} as bo");
        pages.push((format!("{path} as bo"), res.text()));
    }
    let login = stack.journalist_client().get("/login").await;
    pages.push(("/login".to_owned(), login.text()));

    let submitted = [
        "alert('m')".to_owned(),
        "alert(&#39;m&#39;)".to_owned(),
        "alert(&#x27;m&#x27;)".to_owned(),
        "x</script>.txt".to_owned(),
        "x&lt;/script&gt;.txt".to_owned(),
        postern_core::secure_filename(FILE_NAME),
    ];
    for (what, html) in &pages {
        let lower = html.to_lowercase();
        for raw in ["<script", "<img src=x", "<b>org"] {
            assert!(!lower.contains(raw), "{what} contains {raw}");
        }
        assert!(title_of(html).contains("&lt;b&gt;Org&lt;/b&gt;"), "{what}: title {:?}", title_of(html));
        for needle in &submitted {
            assert!(!html.contains(needle.as_str()), "{what} shows submitted text {needle}");
        }
    }
    let edit_key = format!("{edit} as root");
    for key in ["/admin/ as root", edit_key.as_str(), "/account/account as bo"] {
        let html = &pages.iter().find(|(what, _)| what == key).unwrap().1;
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{key}");
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"), "{key}");
    }
}

// ---------------------------------------------------------------------------------
// Downloads and deletion
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn bulk_downloads_are_securedrop_zips_and_mark_what_they_hold_as_read() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "first message"), Part::File("fh", "notes.txt", b"some notes")]).await;
    submit_ok(&mut source, &[Part::Text("msg", "second message")]).await;
    let mut other = stack.new_source().await;
    submit_ok(&mut other, &[Part::Text("msg", "from another source")]).await;
    let (uuid, other_uuid) = (uuid_of(&stack, &source.codename), uuid_of(&stack, &other.codename));
    let source_dir = journalist_filename(&stack.instance.source_of(&source.codename).unwrap().designation);

    // Another journalist's reply: unread for ada, but never in an "unread" download.
    let mut bo_account = stack.add_journalist("bo", false, OtpKind::Hotp);
    let mut bo = open_session(&stack, &mut bo_account).await;
    reply(&mut bo, &uuid, "we got it").await;

    let mut ada_account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut ada_account).await;
    let ada_id = id_of(&stack, "ada");
    let items = items_of(&stack, &uuid, ada_id);
    let kinds: Vec<ItemKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ItemKind::Message, ItemKind::Document, ItemKind::Message, ItemKind::Reply]);
    let names: Vec<String> = items.iter().map(|i| i.filename.clone()).collect();
    let seen = |stack: &Stack| -> Vec<bool> { items_of(stack, &uuid, ada_id).iter().map(|i| i.seen).collect() };
    assert_eq!(seen(&stack), [false, false, false, false]);

    // Two chosen items.
    let chosen = [names[0].clone(), names[1].clone()];
    let res = ada
        .post_csrf(
            "/bulk",
            &[
                ("filesystem_id", uuid.as_str()),
                ("doc_names_selected", chosen[0].as_str()),
                ("doc_names_selected", chosen[1].as_str()),
                ("action", "download"),
            ],
        )
        .await;
    assert_zip(&res, &source_dir);
    let entries = zip_entries(&res.body);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries, expected_entries(&stack, &uuid, &chosen));
    assert_eq!(seen(&stack), [true, true, false, false]);
    let col = ada.get(&format!("/col/{uuid}")).await;
    assert_eq!(col.text().matches("<tr class=\"unread\">").count(), 2, "the page agrees");

    // Marked unread again.
    let res = ada
        .post_csrf(
            "/bulk",
            &[("filesystem_id", uuid.as_str()), ("doc_names_selected", names[0].as_str()), ("action", "unseen")],
        )
        .await;
    assert_redirect(&res, &format!("/col/{uuid}"));
    assert_eq!(seen(&stack), [false, true, false, false]);

    // Unread submissions only: not the read one, not the reply.
    let res = ada.get(&format!("/download_unread/{uuid}")).await;
    assert_zip(&res, &source_dir);
    let unread = [names[0].clone(), names[2].clone()];
    assert_eq!(zip_entries(&res.body), expected_entries(&stack, &uuid, &unread));
    assert_eq!(seen(&stack), [true, true, true, false]);

    // Everything of two sources.
    let res = ada
        .post_csrf(
            "/col/process",
            &[("cols_selected", uuid.as_str()), ("cols_selected", other_uuid.as_str()), ("action", "download-all")],
        )
        .await;
    assert_zip(&res, "all");
    let mut got = zip_entries(&res.body);
    let all_names = |u: &str| -> Vec<String> { items_of(&stack, u, ada_id).into_iter().map(|i| i.filename).collect() };
    let mut want = expected_entries(&stack, &uuid, &all_names(&uuid));
    want.extend(expected_entries(&stack, &other_uuid, &all_names(&other_uuid)));
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let dirs: BTreeSet<&str> = got.iter().map(|(name, _)| name.split('/').next().unwrap()).collect();
    assert_eq!(dirs.len(), 2, "one directory per source");
}

#[tokio::test]
async fn a_file_missing_on_disk_gives_a_404_page_never_a_500_and_can_still_be_deleted() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "a message"), Part::File("fh", "doc.pdf", b"%PDF-1.4")]).await;
    let uuid = uuid_of(&stack, &source.codename);
    let col = format!("/col/{uuid}");
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut account).await;
    let ada_id = id_of(&stack, "ada");
    let items = items_of(&stack, &uuid, ada_id);
    let (kept, lost) = (items[0].clone(), items[1].clone());
    std::fs::remove_file(&lost.path).unwrap();

    let res = ada.get(&format!("{col}/{}", lost.filename)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("missing"), "{}", res.text());

    let res = ada
        .post_csrf(
            "/bulk",
            &[
                ("filesystem_id", uuid.as_str()),
                ("doc_names_selected", kept.filename.as_str()),
                ("doc_names_selected", lost.filename.as_str()),
                ("action", "download"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("missing"), "{}", res.text());
    assert!(items_of(&stack, &uuid, ada_id).iter().all(|i| !i.seen), "a failed download marks nothing read");

    let res = ada
        .post_csrf(
            "/bulk",
            &[
                ("filesystem_id", uuid.as_str()),
                ("doc_names_selected", lost.filename.as_str()),
                ("action", "delete"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &col);
    let left: Vec<String> = items_of(&stack, &uuid, ada_id).into_iter().map(|i| i.filename).collect();
    assert_eq!(left, std::slice::from_ref(&kept.filename));
    assert!(kept.path.exists());
    assert!(!ada.get(&col).await.text().contains(&lost.filename));
}

#[tokio::test]
async fn deleting_items_data_and_sources_asks_first_then_removes_them_from_disk() {
    let stack = Stack::new();
    let store = &stack.instance.store;
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "a message"), Part::File("fh", "doc.pdf", b"%PDF-1.4")]).await;
    let record = stack.instance.source_of(&source.codename).unwrap();
    let uuid = record.uuid.clone();
    let col = format!("/col/{uuid}");
    let files_in_dir = || std::fs::read_dir(store.source_dir(&record)).unwrap().count();
    let mut account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut account).await;
    let items = items_of(&stack, &uuid, 0);
    assert_eq!((items.len(), files_in_dir()), (2, 2));
    let doomed = items[0].clone();

    // One item: asked first, then gone from the collection and the disk.
    let fields =
        [("filesystem_id", uuid.as_str()), ("doc_names_selected", doomed.filename.as_str()), ("action", "delete")];
    let res = ada.post_csrf("/bulk", &fields).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Are you sure?") && res.text().contains("name=\"confirm\" value=\"yes\""));
    assert!(doomed.path.exists());
    assert_eq!(items_of(&stack, &uuid, 0).len(), 2);
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "yes"));
    assert_redirect(&ada.post_csrf("/bulk", &confirmed).await, &col);
    assert!(!doomed.path.exists());
    let left = items_of(&stack, &uuid, 0);
    assert!(left.len() == 1 && left[0].filename != doomed.filename);

    // All data of the source: asked first; then the account stays, the files go.
    let res = ada.post_csrf("/col/process", &[("cols_selected", uuid.as_str()), ("action", "delete-data")]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Are you sure?"));
    assert_eq!(items_of(&stack, &uuid, 0).len(), 1);
    let res = ada
        .post_csrf("/col/process", &[("cols_selected", uuid.as_str()), ("action", "delete-data"), ("confirm", "yes")])
        .await;
    assert_redirect(&res, &col);
    assert!(store.source_by_uuid(&uuid).unwrap().is_some(), "the account stays");
    assert!(items_of(&stack, &uuid, 0).is_empty());
    assert_eq!(files_in_dir(), 0);

    // The source writes again; then the whole account goes.
    submit_ok(&mut source, &[Part::Text("msg", "one more thing")]).await;
    assert_eq!(files_in_dir(), 1);
    let delete = format!("/col/delete/{uuid}");
    let res = ada.post_csrf(&delete, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Are you sure?"));
    assert!(store.source_by_uuid(&uuid).unwrap().is_some());
    assert_redirect(&ada.post_csrf(&delete, &[("confirm", "yes")]).await, "/");
    assert!(store.source_by_uuid(&uuid).unwrap().is_none());
    assert!(!store.source_dir(&record).exists());
    let index = ada.get("/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(!index.text().contains(&uuid));
    assert_redirect(&source.client.get("/lookup").await, "/");
}

// ---------------------------------------------------------------------------------
// The source list
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn sources_are_listed_starred_first_then_newest_with_unread_counts_per_journalist() {
    let stack = Stack::new();
    let mut uuids = Vec::new();
    for text in ["from A", "from B", "from C"] {
        let mut source = stack.new_source().await;
        submit_ok(&mut source, &[Part::Text("msg", text)]).await;
        uuids.push(uuid_of(&stack, &source.codename));
    }
    let (a, b, c) = (uuids[0].clone(), uuids[1].clone(), uuids[2].clone());
    let mut ada_account = stack.add_journalist("ada", false, OtpKind::Hotp);
    let mut bo_account = stack.add_journalist("bo", false, OtpKind::Hotp);
    let mut ada = open_session(&stack, &mut ada_account).await;

    let rows = source_rows(&ada.get("/").await.text());
    assert_eq!(uuids_of(&rows), [c.clone(), b.clone(), a.clone()]);
    assert!(rows.iter().all(|r| !r.starred && r.unread == 1));

    assert_redirect(&ada.post_csrf(&format!("/col/add_star/{a}"), &[]).await, &format!("/col/{a}"));
    let rows = source_rows(&ada.get("/").await.text());
    assert_eq!(uuids_of(&rows), [a.clone(), c.clone(), b.clone()]);
    assert_eq!(rows.iter().map(|r| r.starred).collect::<Vec<_>>(), [true, false, false]);

    assert_redirect(&ada.post_csrf(&format!("/col/remove_star/{a}"), &[]).await, &format!("/col/{a}"));
    let rows = source_rows(&ada.get("/").await.text());
    assert_eq!(uuids_of(&rows), [c.clone(), b.clone(), a.clone()]);
    assert!(rows.iter().all(|r| !r.starred));

    // Ada reads A's message; bo has still read nothing.
    let filename = items_of(&stack, &a, 0)[0].filename.clone();
    assert_eq!(ada.get(&format!("/col/{a}/{filename}")).await.status, StatusCode::OK);
    let rows = source_rows(&ada.get("/").await.text());
    assert!(rows.iter().all(|r| r.unread == u64::from(r.uuid != a)), "ada read A only");
    let mut bo = open_session(&stack, &mut bo_account).await;
    let rows = source_rows(&bo.get("/").await.text());
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.unread == 1), "unread is per journalist");
}

// ---------------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn administrators_add_enrol_and_delete_journalists_whose_replies_remain() {
    let stack = Stack::new();
    let store = &stack.instance.store;
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let mut root = open_session(&stack, &mut root_account).await;
    let root_id = id_of(&stack, "root");

    // Add a journalist with an authenticator app, and enrol it.
    let form = root.get("/admin/add").await;
    assert_eq!(form.status, StatusCode::OK);
    let password = input_value_of(&form.text(), "password").unwrap();
    let res = root
        .post_csrf(
            "/admin/add",
            &[("username", "newbie"), ("first_name", "New"), ("last_name", "Comer"), ("password", password.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let secret_b32 = input_value_of(&res.text(), "otp_secret").unwrap();
    let newbie = store.journalist("newbie").unwrap().unwrap();
    assert_eq!(input_value_of(&res.text(), "userid"), Some(newbie.id.raw().to_string()));
    assert_eq!((newbie.first_name.as_str(), newbie.last_name.as_str(), newbie.is_admin), ("New", "Comer", false));
    let secret = OtpSecret::from_base32(&secret_b32).unwrap();
    let now = unix_now();
    let token = totp_code(&secret, now);
    let userid = newbie.id.raw().to_string();
    let res = root
        .post_csrf(
            "/admin/verify-2fa-totp",
            &[("userid", userid.as_str()), ("otp_secret", secret_b32.as_str()), ("token", token.as_str())],
        )
        .await;
    assert_redirect(&res, &format!("/admin/edit/{}", newbie.id.raw()));
    let mut newbie_account = Account {
        username: "newbie".to_owned(),
        password,
        secret,
        kind: OtpKind::Totp,
        next_hotp: 0,
        last_totp_step: Some(now / 30),
    };
    let mut newbie_browser = open_session(&stack, &mut newbie_account).await;

    // Nothing is created with a passphrase the form did not show, or a bad user name.
    let form = root.get("/admin/add").await;
    let shown = input_value_of(&form.text(), "password").unwrap();
    let res = root
        .post_csrf("/admin/add", &[("username", "wrongpw"), ("password", "a passphrase the form never showed")])
        .await;
    assert_redirect(&res, "/admin/add");
    for bad in ["ab", RESERVED_USERNAME] {
        let res = root.post_csrf("/admin/add", &[("username", bad), ("password", shown.as_str())]).await;
        assert_redirect(&res, "/admin/add");
    }
    for name in ["wrongpw", "ab", RESERVED_USERNAME] {
        assert!(store.journalist(name).unwrap().is_none(), "{name} was created");
    }
    assert_eq!(store.journalists().unwrap().len(), 2);

    // Administrators cannot delete themselves here.
    let res = root.post_csrf(&format!("/admin/delete/{root_id}"), &[]).await;
    assert_redirect(&res, &format!("/admin/edit/{root_id}"));
    assert!(store.journalist("root").unwrap().is_some());

    // Deleting an author keeps the reply, attributed to the placeholder.
    let mut source = stack.new_source().await;
    submit_ok(&mut source, &[Part::Text("msg", "hello")]).await;
    let record = stack.instance.source_of(&source.codename).unwrap();
    reply(&mut newbie_browser, &record.uuid, "thank you").await;
    let res = root.post_csrf(&format!("/admin/delete/{}", newbie.id.raw()), &[]).await;
    assert_redirect(&res, "/admin/");
    assert!(store.journalist("newbie").unwrap().is_none());
    assert_redirect(&newbie_browser.get("/").await, "/login");
    let placeholder = store.journalist(RESERVED_USERNAME).unwrap().unwrap();
    let replies = store.replies(&record).unwrap();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].path.exists());
    assert_eq!(replies[0].journalist, Some(placeholder.id));
    let col = root.get(&format!("/col/{}", record.uuid)).await;
    assert!(col.text().contains(&format!("reply by {RESERVED_USERNAME}")), "{}", col.text());

    // The placeholder is never listed or editable.
    let admin = root.get("/admin/").await.text();
    assert!(admin.contains("<td>root</td>"));
    assert!(!admin.contains(&format!("<td>{RESERVED_USERNAME}</td>")));
    assert!(!admin.contains(&format!("/admin/edit/{}\"", placeholder.id.raw())));
    assert_eq!(root.get(&format!("/admin/edit/{}", placeholder.id.raw())).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn instance_settings_are_validated_and_the_source_interface_uses_them_at_once() {
    let stack = Stack::new();
    let store = &stack.instance.store;
    let mut root_account = stack.add_journalist("root", true, OtpKind::Hotp);
    let mut root = open_session(&stack, &mut root_account).await;
    assert_eq!(root.get("/admin/config").await.status, StatusCode::OK);

    // Organisation name: 1 to 64 characters.
    let before = store.instance_settings().unwrap();
    let too_long = format!("{}X", "Tribune-".repeat(8));
    assert_eq!(too_long.chars().count(), 65);
    let res = root.post_csrf("/admin/update-org-name", &[("organization_name", too_long.as_str())]).await;
    assert_redirect(&res, "/admin/config");
    assert_eq!(store.instance_settings().unwrap(), before);
    let longest = &too_long[..64];
    for name in ["Z", longest] {
        let res = root.post_csrf("/admin/update-org-name", &[("organization_name", name)]).await;
        assert_redirect(&res, "/admin/config");
        assert_eq!(store.instance_settings().unwrap().organization_name, name);
    }
    let front = stack.client().get("/").await;
    assert_eq!(front.status, StatusCode::OK);
    assert!(front.text().contains(longest), "the source interface shows the new name");

    // Document uploads off.
    let mut source = stack.new_source().await;
    let disabled = source_text("lookup-uploads-disabled");
    let lookup = source.client.get("/lookup").await.text();
    assert!(lookup.contains("type=\"file\"") && !lookup.contains(&disabled));
    let prefs = "/admin/update-submission-preferences";
    assert_redirect(&root.post_csrf(prefs, &[("prevent_document_uploads", "y")]).await, "/admin/config");
    assert!(!store.instance_settings().unwrap().allow_document_uploads);
    let lookup = source.client.get("/lookup").await.text();
    assert!(lookup.contains(&disabled), "{lookup}");
    assert!(!lookup.contains("type=\"file\""));

    // A minimum first-message length: a number, or nothing changes.
    let before = store.instance_settings().unwrap();
    let res = root
        .post_csrf(
            prefs,
            &[("prevent_document_uploads", "y"), ("prevent_short_messages", "y"), ("min_message_length", "abc")],
        )
        .await;
    assert_redirect(&res, "/admin/config");
    assert_eq!(store.instance_settings().unwrap(), before);
    let res = root
        .post_csrf(
            prefs,
            &[("prevent_document_uploads", "y"), ("prevent_short_messages", "y"), ("min_message_length", "20")],
        )
        .await;
    assert_redirect(&res, "/admin/config");
    assert_eq!(store.instance_settings().unwrap().initial_message_min_len, 20);
    let mut newcomer = stack.new_source().await;
    let short = "too short";
    assert!(short.chars().count() < 20);
    let res = newcomer.submit(&[Part::Text("msg", short)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    assert!(stack.instance.submissions_of(&newcomer.codename).is_empty());
    submit_ok(&mut newcomer, &[Part::Text("msg", "this first message is long enough")]).await;
    assert_eq!(stack.instance.submissions_of(&newcomer.codename).len(), 1);

    // A PNG logo is served; anything else is refused and the old logo stays.
    assert_eq!(root.get("/static/i/logo.png").await.status, StatusCode::NOT_FOUND);
    let png = postern_tests::png::minimal();
    assert!(!root.get("/admin/config").await.text().contains("/static/i/logo.png"));
    let csrf = root.csrf.clone();
    let res = root
        .post_multipart("/admin/config", &[Part::Text("csrf_token", &csrf), Part::File("logo", "logo.png", &png)])
        .await;
    assert_redirect(&res, "/admin/config");
    let served = root.get("/static/i/logo.png").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(header_of(&served, "content-type"), "image/png");
    assert_eq!(served.body, png);
    assert!(root.get("/admin/config").await.text().contains("src=\"/static/i/logo.png\""));
    let csrf = root.csrf.clone();
    let not_png = b"GIF89a\x01\x00\x01\x00 this is not a PNG image at all".to_vec();
    let res = root
        .post_multipart("/admin/config", &[Part::Text("csrf_token", &csrf), Part::File("logo", "logo.gif", &not_png)])
        .await;
    assert_redirect(&res, "/admin/config");
    assert!(root.get("/admin/config").await.text().contains("The logo must be a PNG image"));
    assert_eq!(root.get("/static/i/logo.png").await.body, png);
    assert_eq!(store.logo().unwrap(), Some(png));
}
