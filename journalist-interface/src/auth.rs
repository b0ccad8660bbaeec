//! Logging in (SecureDrop's order: user → throttle → second factor, recorded as used →
//! passphrase), and the guards every page goes through.

use postern_web::HttpError;
use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_crypto::{OtpSecret, hash_password, verify_hotp, verify_password, verify_totp};
use postern_store::{JournalistRecord, OtpKind, Store, StoreError};

use crate::session::{Flash, JournalistSession, Session, SessionUser};
use crate::state::JournalistState;
use crate::throttle::{MAX_ATTEMPTS, THROTTLE_WINDOW, UnknownNames};

/// Why a login failed. Only `Throttled` is told apart on the page.
#[derive(Debug)]
pub(crate) enum LoginError {
    /// Unknown user, wrong or reused code, or wrong passphrase.
    Invalid,
    /// Too many attempts for this user.
    Throttled,
    /// The stored second-factor secret does not parse: an administrator must reset it.
    BadOtpSecret,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Checks credentials. The code is checked and marked used before the passphrase, so a
/// code seen with a wrong passphrase can never be replayed. Unknown and existing user
/// names get the same answers, the same throttle and the same argon2 work.
pub(crate) fn verify_login(
    store: &Store,
    unknown: &UnknownNames,
    username: &str,
    password: &str,
    token: &str,
    now: u64,
) -> Result<JournalistRecord, LoginError> {
    let Some(j) = store.journalist(username)?.filter(|j| !j.is_placeholder) else {
        let throttled = unknown.record(username, now) > MAX_ATTEMPTS;
        let _ = verify_password(password, dummy_hash());
        return Err(if throttled { LoginError::Throttled } else { LoginError::Invalid });
    };
    if store.record_login_attempt(j.id, THROTTLE_WINDOW)? > MAX_ATTEMPTS {
        let _ = verify_password(password, dummy_hash());
        return Err(LoginError::Throttled);
    }
    let secret = OtpSecret::from_base32(&j.otp_secret).map_err(|_| LoginError::BadOtpSecret)?;
    let code_ok = match j.otp_kind {
        OtpKind::Totp => match verify_totp(&secret, token, now, j.last_totp_step) {
            Some(step) => store.use_totp_step(j.id, step)?,
            None => false,
        },
        OtpKind::Hotp => match verify_hotp(&secret, token, j.hotp_counter) {
            Some(next) => store.advance_hotp_counter(j.id, next)?,
            None => false,
        },
    };
    // Checked whatever the code said, so timing does not tell a good code from a bad
    // one. Over-long passphrases are refused inside verify_password, before any hashing.
    let password_ok = verify_password(password, &j.password_hash);
    if !code_ok || !password_ok {
        return Err(LoginError::Invalid);
    }
    store.set_last_access(j.id)?;
    Ok(j)
}

/// A hash of nothing anyone knows, to spend the same time on unknown user names.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&mut rand::rngs::OsRng, "no account has this passphrase at all").unwrap_or_default()
    })
}

/// Why passphrase work did not run or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordError {
    /// Too many requests are already waiting, or the work did not finish.
    #[error(transparent)]
    Queue(#[from] postern_web::WorkError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error("unable to hash a passphrase")]
    Hash(#[source] postern_crypto::CryptoError),
    /// An invariant did not hold.
    #[error(transparent)]
    Bug(#[from] postern_core::Bug),
}

impl postern_core::HasKind for PasswordError {
    fn kind(&self) -> postern_core::ErrorKind {
        match self {
            Self::Queue(e) => e.kind(),
            Self::Store(e) => e.kind(),
            Self::Hash(e) => e.kind(),
            Self::Bug(e) => e.kind(),
        }
    }
}

/// The logged-in journalist, as a handler argument; everyone else gets the answer of
/// [`JournalistState::current_journalist`] instead of the handler.
pub(crate) struct Journalist(pub(crate) JournalistRecord);

/// The logged-in administrator, as a handler argument; others get 403.
pub(crate) struct Admin(pub(crate) JournalistRecord);

/// The session the middleware attached (always there behind our router).
fn session_of(parts: &axum::http::request::Parts) -> Option<Session> {
    parts.extensions.get::<Session>().cloned()
}

fn no_session() -> Response {
    axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

impl axum::extract::FromRequestParts<JournalistState> for Journalist {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &JournalistState,
    ) -> Result<Self, Response> {
        let Some(session) = session_of(parts) else { return Err(no_session()) };
        app.current_journalist(&session).await.map(Self)
    }
}

impl axum::extract::FromRequestParts<JournalistState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &JournalistState,
    ) -> Result<Self, Response> {
        let Some(session) = session_of(parts) else { return Err(no_session()) };
        app.current_admin(&session).await.map(Self)
    }
}

impl JournalistState {
    /// Runs `work` (which hashes or verifies passphrases: 64 MiB of argon2 each) on a
    /// blocking thread, at most [`crate::state::CONCURRENT_PASSWORD_WORK`] at once, so
    /// a flood of logins cannot exhaust memory.
    /// At most [`crate::state::MAX_WAITING_PASSWORD_WORK`] requests wait; the rest
    /// are told the server is busy.
    pub(crate) async fn with_password_work<T, F>(&self, work: F) -> Result<T, PasswordError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, PasswordError> + Send + 'static,
    {
        let store = Arc::clone(&self.inner.store);
        self.inner.password_queue.run_blocking(move || work(&store)).await?
    }

    /// Checks `username`'s credentials in the passphrase queue (see [`verify_login`]),
    /// then runs `then` on the store with the account if they were right.
    pub(crate) async fn with_login<T, F>(
        &self,
        username: String,
        password: zeroize::Zeroizing<String>,
        token: String,
        then: F,
    ) -> Result<Result<T, LoginError>, PasswordError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, JournalistRecord) -> Result<T, PasswordError> + Send + 'static,
    {
        let (unknown, now) = (Arc::clone(&self.inner.unknown_names), self.unix_now());
        self.with_password_work(move |s| match verify_login(s, &unknown, &username, &password, &token, now) {
            Ok(j) => then(s, j).map(Ok),
            Err(LoginError::Store(e)) => Err(e.into()),
            Err(other) => Ok(Err(other)),
        })
        .await
    }

    /// The logged-in journalist, freshly read; everyone else is sent to `/login`. A
    /// session whose account was deleted, or whose password or 2FA changed since (in
    /// this process or another), ends here.
    pub(crate) async fn current_journalist(&self, session: &Session) -> Result<JournalistRecord, Response> {
        let Some(user) = session.user() else {
            return Err(Redirect::to("/login").into_response());
        };
        match self.with_store(move |s| s.journalist_by_id(user.id)).await {
            Ok(Some(j)) if j.uuid == user.uuid && j.session_generation == user.generation && !j.is_placeholder => Ok(j),
            Ok(_) => {
                session.restart_with(Flash::error(
                    "Your session has ended because your account changed. Please log in again.",
                ));
                Err(Redirect::to("/login").into_response())
            }
            Err(e) => Err(HttpError::new("read your account", e).into_response()),
        }
    }

    /// The logged-in administrator; other journalists get 403 on every `/admin` page.
    pub(crate) async fn current_admin(&self, session: &Session) -> Result<JournalistRecord, Response> {
        let j = self.current_journalist(session).await?;
        if !j.is_admin {
            let page = self.message_page(session, &j, "Administrators only", "Only administrators can do that.").await;
            return Err((StatusCode::FORBIDDEN, page).into_response());
        }
        Ok(j)
    }

    /// Logs `j` in on this session (a new session id).
    pub(crate) fn start_session(&self, session: &Session, j: &JournalistRecord) {
        let user = SessionUser { id: j.id, uuid: j.uuid.clone(), generation: j.session_generation };
        session.log_in_user(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_crypto::{hash_password, totp_code};
    use postern_store::NewJournalist;
    use rand::rngs::OsRng;

    const PASSWORD: &str = "correct horse battery staple profanity oil chewy";

    fn store_with(kind: OtpKind, secret: &OtpSecret) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let hash = hash_password(&mut OsRng, PASSWORD).unwrap();
        let b32 = secret.to_base32();
        let new =
            NewJournalist { username: "ada", password_hash: &hash, is_admin: false, otp_kind: kind, otp_secret: &b32 };
        store.create_journalist(&new).unwrap();
        (dir, store)
    }

    #[test]
    fn a_totp_code_is_used_once_even_after_a_wrong_password() {
        let secret = OtpSecret::generate(&mut OsRng);
        let names = UnknownNames::default();
        let (_dir, store) = store_with(OtpKind::Totp, &secret);
        let now = postern_core::Clock::system().unix_seconds();
        let code = totp_code(&secret, now);
        assert!(matches!(verify_login(&store, &names, "ada", "wrong", &code, now), Err(LoginError::Invalid)));
        assert!(matches!(verify_login(&store, &names, "ada", PASSWORD, &code, now), Err(LoginError::Invalid)));
        let next = totp_code(&secret, now + 30);
        let spaced = format!("{} {}", &next[..3], &next[3..]);
        assert!(verify_login(&store, &names, "ada", PASSWORD, &spaced, now).is_ok(), "±1 step, spaces removed");
        assert!(matches!(verify_login(&store, &names, "ada", PASSWORD, &next, now), Err(LoginError::Invalid)));
        let far = totp_code(&secret, now + 90);
        assert!(matches!(verify_login(&store, &names, "ada", PASSWORD, &far, now), Err(LoginError::Invalid)), "not +3");
    }

    #[test]
    fn hotp_accepts_codes_inside_the_window_and_moves_the_counter() {
        let secret = OtpSecret::generate(&mut OsRng);
        let names = UnknownNames::default();
        let (_dir, store) = store_with(OtpKind::Hotp, &secret);
        let hotp = |c: u64| totp_code(&secret, c * 30);
        assert!(verify_login(&store, &names, "ada", PASSWORD, &hotp(5), 0).is_ok());
        assert!(matches!(verify_login(&store, &names, "ada", PASSWORD, &hotp(5), 0), Err(LoginError::Invalid)), "used");
        assert!(
            matches!(verify_login(&store, &names, "ada", PASSWORD, &hotp(3), 0), Err(LoginError::Invalid)),
            "behind"
        );
        assert!(
            matches!(verify_login(&store, &names, "ada", PASSWORD, &hotp(6 + 20), 0), Err(LoginError::Invalid)),
            "beyond"
        );
        assert!(verify_login(&store, &names, "ada", PASSWORD, &hotp(6 + 19), 0).is_ok(), "last code of the window");
    }

    #[test]
    fn more_than_five_attempts_a_minute_are_refused_for_that_user_only() {
        let secret = OtpSecret::generate(&mut OsRng);
        let names = UnknownNames::default();
        let (_dir, store) = store_with(OtpKind::Totp, &secret);
        let hash = hash_password(&mut OsRng, PASSWORD).unwrap();
        let b32 = secret.to_base32();
        let bo = NewJournalist {
            username: "bo",
            password_hash: &hash,
            is_admin: false,
            otp_kind: OtpKind::Totp,
            otp_secret: &b32,
        };
        store.create_journalist(&bo).unwrap();
        for _ in 0..MAX_ATTEMPTS {
            assert!(matches!(verify_login(&store, &names, "ada", "wrong", "000000", 0), Err(LoginError::Invalid)));
        }
        let now = postern_core::Clock::system().unix_seconds();
        let good = totp_code(&secret, now);
        assert!(matches!(verify_login(&store, &names, "ada", PASSWORD, &good, now), Err(LoginError::Throttled)));
        assert!(verify_login(&store, &names, "bo", PASSWORD, &good, now).is_ok(), "another user is unaffected");
    }

    #[test]
    fn unknown_user_names_are_throttled_like_real_ones_with_the_same_answers() {
        let secret = OtpSecret::generate(&mut OsRng);
        let names = UnknownNames::default();
        let (_dir, store) = store_with(OtpKind::Totp, &secret);
        let now = postern_core::Clock::system().unix_seconds();
        for name in ["ada", "nobody"] {
            for _ in 0..MAX_ATTEMPTS {
                assert!(matches!(verify_login(&store, &names, name, "wrong", "000000", now), Err(LoginError::Invalid)));
            }
            let sixth = verify_login(&store, &names, name, "wrong", "000000", now);
            assert!(matches!(sixth, Err(LoginError::Throttled)), "{name}: {sixth:?}");
        }
        let later = now + THROTTLE_WINDOW.as_secs() + 1;
        let after = verify_login(&store, &names, "nobody", "wrong", "000000", later);
        assert!(matches!(after, Err(LoginError::Invalid)), "the window passes: {after:?}");
        assert!(matches!(verify_login(&store, &names, "someone", "x", "0", now), Err(LoginError::Invalid)), "per name");
    }

    #[test]
    fn the_placeholder_and_over_long_passwords_never_log_in() {
        let secret = OtpSecret::generate(&mut OsRng);
        let names = UnknownNames::default();
        let (_dir, store) = store_with(OtpKind::Totp, &secret);
        let now = postern_core::Clock::system().unix_seconds();
        let long = "a ".repeat(100);
        let code = totp_code(&secret, now);
        assert!(matches!(verify_login(&store, &names, "ada", &long, &code, now), Err(LoginError::Invalid)));
        store.delete_journalist("ada").unwrap();
        assert!(matches!(verify_login(&store, &names, "deleted", "", "000000", now), Err(LoginError::Invalid)));
    }
}
