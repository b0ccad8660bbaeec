//! Server-side journalist sessions, keyed by a random id in an HttpOnly, SameSite=Strict
//! cookie. A session lasts [`JournalistAppConfig::session_lifetime`] and, while in use,
//! is renewed when less than 30 minutes remain, at most five times (SecureDrop's rule).
//!
//! [`JournalistAppConfig::session_lifetime`]: crate::JournalistAppConfig

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use postern_core::{constant_time_eq, random_token};
use zeroize::Zeroizing;

/// Cookie name (SecureDrop's journalist interface uses `js`).
pub(crate) const COOKIE_NAME: &str = "js";
/// A session is renewed when less than this remains.
const RENEW_WHEN_LEFT: Duration = Duration::from_secs(30 * 60);
/// Renewals per session.
const MAX_RENEWALS: u32 = 5;
/// Generated passphrases a session holds for open forms.
const MAX_PENDING_PASSWORDS: usize = 8;
/// Upper bound on sessions in memory; beyond it the soonest to expire go first.
const MAX_SESSIONS: usize = 10_000;

/// Who is logged in: the account (row id and UUID: SQLite may reuse the row id of a
/// deleted account), and its credentials' generation at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionUser {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) generation: i64,
}

/// A notice shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) error: bool,
    pub(crate) text: String,
}

impl Notice {
    pub(crate) fn info(text: impl Into<String>) -> Self {
        Self { error: false, text: text.into() }
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self { error: true, text: text.into() }
    }
}

struct Session {
    expires: Instant,
    renewals: u32,
    csrf: String,
    user: Option<SessionUser>,
    notices: Vec<Notice>,
    /// Server-generated passphrases shown on forms, by what they are for (one per
    /// purpose, so forms open in several tabs keep working); the submit must echo one.
    pending_passwords: Vec<(String, Zeroizing<String>)>,
}

/// All journalist sessions of this process.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
    last_sweep: Mutex<Instant>,
}

/// How often expired sessions are dropped.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// The session of one request.
#[derive(Clone)]
pub(crate) struct SessionCtx {
    inner: Arc<Mutex<Ctx>>,
}

#[derive(Default)]
struct Ctx {
    id: Option<String>,
    /// Cookie to send back: `Some(Some(id))` sets, `Some(None)` clears.
    set_cookie: Option<Option<String>>,
}

impl Sessions {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self { map: Mutex::new(HashMap::new()), lifetime, last_sweep: Mutex::new(Instant::now()) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Finds the request's session, renewing it if it is in use and nearly over.
    pub(crate) fn resolve(&self, headers: &HeaderMap) -> SessionCtx {
        let mut ctx = Ctx::default();
        if let Some(id) = cookie_value(headers) {
            let mut map = self.lock();
            let now = Instant::now();
            match map.get_mut(&id) {
                Some(s) if s.expires > now => {
                    if s.user.is_some() && s.expires - now < RENEW_WHEN_LEFT && s.renewals < MAX_RENEWALS {
                        s.expires += self.lifetime;
                        s.renewals += 1;
                    }
                    ctx.id = Some(id);
                }
                Some(_) => {
                    map.remove(&id);
                }
                None => {}
            }
        }
        SessionCtx { inner: Arc::new(Mutex::new(ctx)) }
    }

    fn insert(&self, user: Option<SessionUser>, notices: Vec<Notice>) -> String {
        self.sweep_if_due();
        let id = random_token();
        let session = Session {
            expires: Instant::now() + self.lifetime,
            renewals: 0,
            csrf: random_token(),
            user,
            notices,
            pending_passwords: Vec::new(),
        };
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            let now = Instant::now();
            map.retain(|_, s| s.expires > now);
            if map.len() >= MAX_SESSIONS {
                // Anonymous (login-page) sessions go before logged-in ones.
                let victim = map.iter().min_by_key(|(_, s)| (s.user.is_some(), s.expires)).map(|(k, _)| k.clone());
                if let Some(victim) = victim {
                    map.remove(&victim);
                }
            }
        }
        map.insert(id.clone(), session);
        id
    }

    /// Drops expired sessions (with their notices and pending passphrases) once a minute.
    fn sweep_if_due(&self) {
        let mut last = self.last_sweep.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.elapsed() < SWEEP_INTERVAL {
            return;
        }
        *last = Instant::now();
        let now = Instant::now();
        self.lock().retain(|_, s| s.expires > now);
    }

    /// Ends every session of `journalist` in this process.
    pub(crate) fn end_all_for(&self, journalist: i64) {
        self.lock().retain(|_, s| s.user.as_ref().is_none_or(|u| u.id != journalist));
    }
}

impl SessionCtx {
    fn lock(&self) -> MutexGuard<'_, Ctx> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn with_session<T>(&self, sessions: &Sessions, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
        let ctx = self.lock();
        let mut map = sessions.lock();
        map.get_mut(ctx.id.as_ref()?).map(f)
    }

    /// The cookie change to send, if any.
    pub(crate) fn cookie_header(&self) -> Option<String> {
        self.lock().set_cookie.as_ref().map(|c| match c {
            Some(id) => format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict"),
            None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        })
    }

    /// The CSRF token of this session, starting an anonymous session if needed.
    pub(crate) fn ensure_csrf(&self, sessions: &Sessions) -> String {
        if let Some(csrf) = self.with_session(sessions, |s| s.csrf.clone()) {
            return csrf;
        }
        let id = sessions.insert(None, Vec::new());
        let mut ctx = self.lock();
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(id));
        drop(ctx);
        self.with_session(sessions, |s| s.csrf.clone()).unwrap_or_default()
    }

    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub(crate) fn csrf_ok(&self, sessions: &Sessions, token: &str) -> bool {
        self.with_session(sessions, |s| constant_time_eq(s.csrf.as_bytes(), token.as_bytes())).unwrap_or(false)
    }

    /// The logged-in journalist, if any.
    pub(crate) fn user(&self, sessions: &Sessions) -> Option<SessionUser> {
        self.with_session(sessions, |s| s.user.clone()).flatten()
    }

    /// This session's CSRF token, if it has a session (never creates one).
    pub(crate) fn existing_csrf(&self, sessions: &Sessions) -> Option<String> {
        self.with_session(sessions, |s| s.csrf.clone())
    }

    /// Logs `user` in under a new session id and CSRF token; the old session ends.
    pub(crate) fn log_in(&self, sessions: &Sessions, user: SessionUser) {
        let mut ctx = self.lock();
        if let Some(old) = ctx.id.take() {
            sessions.lock().remove(&old);
        }
        let id = sessions.insert(Some(user), Vec::new());
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(id));
    }

    /// Ends the session and starts an anonymous one carrying `notice` to the login page.
    pub(crate) fn restart_with(&self, sessions: &Sessions, notice: Notice) {
        let mut ctx = self.lock();
        if let Some(old) = ctx.id.take() {
            sessions.lock().remove(&old);
        }
        let id = sessions.insert(None, vec![notice]);
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(id));
    }

    /// Adds a notice for the next page.
    pub(crate) fn notice(&self, sessions: &Sessions, notice: Notice) {
        self.with_session(sessions, |s| s.notices.push(notice));
    }

    /// Takes the pending notices.
    pub(crate) fn take_notices(&self, sessions: &Sessions) -> Vec<Notice> {
        self.with_session(sessions, |s| std::mem::take(&mut s.notices)).unwrap_or_default()
    }

    /// Remembers the passphrase a form for `purpose` (e.g. `user:7`) just showed.
    pub(crate) fn set_pending_password(&self, sessions: &Sessions, purpose: &str, password: Zeroizing<String>) {
        self.with_session(sessions, |s| {
            s.pending_passwords.retain(|(p, _)| p != purpose);
            if s.pending_passwords.len() >= MAX_PENDING_PASSWORDS {
                s.pending_passwords.remove(0);
            }
            s.pending_passwords.push((purpose.to_owned(), password));
        });
    }

    /// Whether `candidate` is the passphrase the form for `purpose` showed; accepted once.
    pub(crate) fn take_pending_password(&self, sessions: &Sessions, purpose: &str, candidate: &str) -> bool {
        self.with_session(sessions, |s| {
            let found = s
                .pending_passwords
                .iter()
                .position(|(p, pw)| p == purpose && constant_time_eq(pw.as_bytes(), candidate.trim().as_bytes()));
            found.map(|i| s.pending_passwords.remove(i)).is_some()
        })
        .unwrap_or(false)
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && value.len() == 64)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_for(ctx: &SessionCtx) -> HeaderMap {
        let cookie = ctx.cookie_header().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, cookie.split(';').next().unwrap().parse().unwrap());
        headers
    }

    #[test]
    fn login_gets_a_new_id_and_sessions_renew_a_bounded_number_of_times() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let ctx = SessionCtx { inner: Arc::default() };
        ctx.ensure_csrf(&sessions);
        let before = headers_for(&ctx);
        ctx.log_in(&sessions, SessionUser { id: 1, uuid: "u1".into(), generation: 0 });
        let after = headers_for(&ctx);
        assert_ne!(before, after, "a new id at login");
        assert!(sessions.resolve(&before).user(&sessions).is_none(), "the old id is over");
        // Each request with less than 30 minutes left adds a lifetime, five times.
        for _ in 0..20 {
            sessions.resolve(&after);
        }
        let expires = |h: &HeaderMap| sessions.lock().get(&cookie_value(h).unwrap()).map(|s| (s.renewals, s.expires));
        let (renewals, expires_at) = expires(&after).unwrap();
        assert_eq!(renewals, MAX_RENEWALS);
        assert!(expires_at - Instant::now() <= Duration::from_secs(6 * 60), "six lifetimes at most");
    }

    #[test]
    fn all_sessions_of_a_user_end_together() {
        let sessions = Sessions::new(Duration::from_secs(600));
        let a = SessionCtx { inner: Arc::default() };
        let b = SessionCtx { inner: Arc::default() };
        let other = SessionCtx { inner: Arc::default() };
        a.log_in(&sessions, SessionUser { id: 7, uuid: "u7".into(), generation: 0 });
        b.log_in(&sessions, SessionUser { id: 7, uuid: "u7".into(), generation: 0 });
        other.log_in(&sessions, SessionUser { id: 8, uuid: "u8".into(), generation: 0 });
        sessions.end_all_for(7);
        assert!(a.user(&sessions).is_none() && b.user(&sessions).is_none());
        assert!(other.user(&sessions).is_some());
    }

    #[test]
    fn a_pending_password_is_accepted_once() {
        let sessions = Sessions::new(Duration::from_secs(600));
        let ctx = SessionCtx { inner: Arc::default() };
        ctx.ensure_csrf(&sessions);
        let shown = "one two three four five six seven";
        ctx.set_pending_password(&sessions, "user:1", Zeroizing::new(shown.to_owned()));
        ctx.set_pending_password(&sessions, "user:2", Zeroizing::new("another form in another tab".to_owned()));
        assert!(!ctx.take_pending_password(&sessions, "user:1", "something else entirely here ok"));
        assert!(!ctx.take_pending_password(&sessions, "user:2", shown), "shown for another account");
        assert!(ctx.take_pending_password(&sessions, "user:1", &format!(" {shown} ")));
        assert!(!ctx.take_pending_password(&sessions, "user:1", shown), "once");
        assert!(
            ctx.take_pending_password(&sessions, "user:2", "another form in another tab"),
            "the other tab still works"
        );
    }
}
