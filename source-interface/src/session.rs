//! Server-side source sessions, keyed by a random id in an HttpOnly, SameSite=Strict cookie.
//!
//! Nothing about a session is on disk or in the cookie but its random id. Sessions
//! have an absolute lifetime (SecureDrop's 120 minutes), whatever the activity.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use postern_core::Codename;
use postern_core::{constant_time_eq, random_token};
use postern_crypto::{SealedSourceKey, SourceKeyPad, SourceReplyKey};
use postern_store::SourceId;

/// Cookie name (SecureDrop's source interface uses `ss`).
pub(crate) const COOKIE_NAME: &str = "ss";
/// Codenames kept for open "generate" tabs before the oldest is dropped.
const MAX_TABS: usize = 5;
/// Upper bound on sessions in memory; the oldest are dropped beyond it.
const MAX_SESSIONS: usize = 50_000;

/// A notice shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flash {
    /// Logged out for inactivity or a session problem.
    SessionExpired,
    /// Account creation failed.
    TemporaryProblem,
    /// `/generate` or `/create` while logged in.
    AlreadyLoggedIn,
    /// A submission was stored (Fluent selector for what it held).
    Thanks { first: bool, what: &'static str },
    /// What the opt-in cleaning did to each file of that submission.
    Cleaned(Vec<crate::upload::FileCleaning>),
    /// The source hid one reply, or all.
    ReplyDeleted { all: bool },
}

enum State {
    Anonymous {
        tabs: VecDeque<(String, Codename)>,
    },
    /// `sealed` is the server's half of the source's key seed; the cookie has the other.
    LoggedIn {
        source: SourceId,
        new_codename: Option<Codename>,
        sealed: SealedSourceKey,
    },
}

struct Session {
    expires: Instant,
    csrf: String,
    state: State,
    flash: Vec<Flash>,
}

/// How often expired sessions (and the codenames they may hold) are dropped.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// All sessions of this process.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
    last_sweep: Mutex<Instant>,
}

/// What the session middleware found for this request.
#[derive(Clone)]
pub(crate) struct SessionCtx {
    inner: Arc<Mutex<Ctx>>,
}

#[derive(Default)]
struct Ctx {
    id: Option<String>,
    /// The source's half of its key seed, from this request's cookie only.
    pad: Option<SourceKeyPad>,
    /// The request carried a cookie whose session no longer exists or has expired.
    was_expired: bool,
    /// Cookie to send back: `Some(Some(id))` sets, `Some(None)` clears.
    set_cookie: Option<Option<String>>,
}

/// The logged-in source of a request.
pub(crate) struct LoggedIn {
    pub(crate) source: SourceId,
    pub(crate) csrf: String,
    pub(crate) show_codename: Option<String>,
}

impl Sessions {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self { map: Mutex::new(HashMap::new()), lifetime, last_sweep: Mutex::new(Instant::now()) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // A poisoned map only means a panic elsewhere mid-update; sessions stay usable.
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Looks up the session named by the request's cookie.
    pub(crate) fn resolve(&self, headers: &HeaderMap) -> SessionCtx {
        let mut ctx = Ctx::default();
        if let Some((id, pad)) = cookie_value(headers) {
            ctx.pad = pad;
            let mut map = self.lock();
            match map.get(&id) {
                Some(s) if s.expires > Instant::now() => ctx.id = Some(id),
                Some(_) => {
                    map.remove(&id);
                    ctx.was_expired = true;
                }
                None => ctx.was_expired = true,
            }
        }
        SessionCtx { inner: Arc::new(Mutex::new(ctx)) }
    }

    fn insert_new(&self, state: State, flash: Vec<Flash>) -> String {
        self.insert_with_csrf(state, flash, random_token())
    }

    fn insert_with_csrf(&self, state: State, flash: Vec<Flash>, csrf: String) -> String {
        let id = random_token();
        let logged_in = matches!(state, State::LoggedIn { .. });
        let session = Session { expires: Instant::now() + self.lifetime, csrf, state, flash };
        self.sweep_if_due();
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            make_room(&mut map, logged_in);
        }
        map.insert(id.clone(), session);
        id
    }

    /// Drops expired sessions once a minute, so codenames of abandoned sessions do not
    /// linger in memory.
    fn sweep_if_due(&self) {
        let mut last = self.last_sweep.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.elapsed() < SWEEP_INTERVAL {
            return;
        }
        *last = Instant::now();
        let now = Instant::now();
        self.lock().retain(|_, s| s.expires > now);
    }
}

/// Frees a tenth of the table: expired sessions first, then anonymous ones oldest
/// first. A flood of anonymous visits never logs a source out; only when the table
/// holds nothing but logged-in sessions does a new login push out the oldest.
fn make_room(map: &mut HashMap<String, Session>, for_login: bool) {
    let now = Instant::now();
    map.retain(|_, s| s.expires > now);
    let target = MAX_SESSIONS - MAX_SESSIONS / 10;
    if map.len() < target {
        return;
    }
    let anonymous = |s: &Session| matches!(s.state, State::Anonymous { .. });
    let mut victims: Vec<(Instant, bool, String)> = map
        .iter()
        .filter(|(_, s)| for_login || anonymous(s))
        .map(|(k, s)| (s.expires, !anonymous(s), k.clone()))
        .collect();
    // Anonymous (false) before logged-in (true), each oldest first.
    victims.sort_by_key(|v| (v.1, v.0));
    for (_, _, id) in victims.into_iter().take(map.len() - target) {
        map.remove(&id);
    }
}

impl SessionCtx {
    fn lock(&self) -> MutexGuard<'_, Ctx> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the request came with a session that has since ended.
    pub(crate) fn was_expired(&self) -> bool {
        self.lock().was_expired
    }

    /// The cookie change to send, if any.
    pub(crate) fn cookie_header(&self) -> Option<String> {
        self.lock().set_cookie.as_ref().map(|c| match c {
            Some(id) => format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict"),
            None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        })
    }

    /// The CSRF token of this request's session, creating an anonymous session if needed.
    pub(crate) fn ensure_csrf(&self, sessions: &Sessions) -> String {
        let mut ctx = self.lock();
        if let Some(id) = &ctx.id
            && let Some(s) = sessions.lock().get(id)
        {
            return s.csrf.clone();
        }
        let id = sessions.insert_new(State::Anonymous { tabs: VecDeque::new() }, Vec::new());
        let csrf = sessions.lock().get(&id).map(|s| s.csrf.clone()).unwrap_or_default();
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(id));
        csrf
    }

    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub(crate) fn csrf_ok(&self, sessions: &Sessions, token: &str) -> bool {
        let ctx = self.lock();
        let Some(id) = &ctx.id else { return false };
        sessions.lock().get(id).is_some_and(|s| constant_time_eq(s.csrf.as_bytes(), token.as_bytes()))
    }

    /// The logged-in source, if any.
    pub(crate) fn logged_in(&self, sessions: &Sessions) -> Option<LoggedIn> {
        let ctx = self.lock();
        let map = sessions.lock();
        let s = map.get(ctx.id.as_ref()?)?;
        match &s.state {
            State::LoggedIn { source, new_codename, .. } => Some(LoggedIn {
                source: *source,
                csrf: s.csrf.clone(),
                show_codename: new_codename.as_ref().map(|c| c.expose_secret().to_owned()),
            }),
            State::Anonymous { .. } => None,
        }
    }

    /// Remembers a freshly generated codename for the tab `tab_id`.
    pub(crate) fn add_tab(&self, sessions: &Sessions, tab_id: String, codename: Codename) {
        let ctx = self.lock();
        let Some(id) = &ctx.id else { return };
        if let Some(State::Anonymous { tabs }) = sessions.lock().get_mut(id).map(|s| &mut s.state) {
            if tabs.len() >= MAX_TABS {
                tabs.pop_front();
            }
            tabs.push_back((tab_id, codename));
        }
    }

    /// Takes the codename generated for `tab_id`, forgetting every other pending one.
    pub(crate) fn take_tab(&self, sessions: &Sessions, tab_id: &str) -> Option<Codename> {
        let ctx = self.lock();
        let mut map = sessions.lock();
        let State::Anonymous { tabs } = &mut map.get_mut(ctx.id.as_ref()?)?.state else { return None };
        let taken = tabs.iter().position(|(t, _)| constant_time_eq(t.as_bytes(), tab_id.as_bytes()));
        let codename = taken.and_then(|i| tabs.remove(i)).map(|(_, c)| c);
        tabs.clear();
        codename
    }

    /// Logs `source` in under a new session id (the old session ends). The CSRF token
    /// carries over, so forms open in the browser's other tabs keep working. The cookie
    /// carries `pad`, the source's half of its key seed.
    pub(crate) fn log_in(
        &self,
        sessions: &Sessions,
        source: SourceId,
        new_codename: Option<Codename>,
        sealed: SealedSourceKey,
        pad: &SourceKeyPad,
    ) {
        let mut ctx = self.lock();
        let old = ctx.id.take().and_then(|old| sessions.lock().remove(&old));
        let csrf = old.map_or_else(random_token, |s| s.csrf);
        let id = sessions.insert_with_csrf(State::LoggedIn { source, new_codename, sealed }, Vec::new(), csrf);
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(format!("{id}.{}", pad.to_hex().as_str())));
    }

    /// The logged-in source's secret key, rebuilt for this request from the session's
    /// half and the cookie's half; `None` without both.
    pub(crate) fn reply_key(&self, sessions: &Sessions) -> Option<SourceReplyKey> {
        let ctx = self.lock();
        let map = sessions.lock();
        let State::LoggedIn { sealed, .. } = &map.get(ctx.id.as_ref()?)?.state else { return None };
        sealed.open(ctx.pad.as_ref()?).ok()
    }

    /// Ends the session and clears the cookie.
    pub(crate) fn end(&self, sessions: &Sessions) {
        let mut ctx = self.lock();
        if let Some(old) = ctx.id.take() {
            sessions.lock().remove(&old);
        }
        ctx.set_cookie = Some(None);
    }

    /// Ends the session, and starts an anonymous one carrying `flash` for the next page.
    pub(crate) fn restart_with(&self, sessions: &Sessions, flash: Flash) {
        let mut ctx = self.lock();
        if let Some(old) = ctx.id.take() {
            sessions.lock().remove(&old);
        }
        let id = sessions.insert_new(State::Anonymous { tabs: VecDeque::new() }, vec![flash]);
        ctx.id = Some(id.clone());
        ctx.set_cookie = Some(Some(id));
    }

    /// Adds a notice for the next page of this session.
    pub(crate) fn flash(&self, sessions: &Sessions, flash: Flash) {
        let ctx = self.lock();
        if let Some(id) = &ctx.id
            && let Some(s) = sessions.lock().get_mut(id)
        {
            s.flash.push(flash);
        }
    }

    /// Takes the pending notices.
    pub(crate) fn take_flashes(&self, sessions: &Sessions) -> Vec<Flash> {
        let ctx = self.lock();
        ctx.id
            .as_ref()
            .and_then(|id| sessions.lock().get_mut(id).map(|s| std::mem::take(&mut s.flash)))
            .unwrap_or_default()
    }
}

/// The session id, and the key pad of a logged-in source (`<64 hex>[.<128 hex>]`).
fn cookie_value(headers: &HeaderMap) -> Option<(String, Option<SourceKeyPad>)> {
    let value = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)?;
    let (id, pad) = value.split_once('.').map_or((value, None), |(id, pad)| (id, SourceKeyPad::from_hex(pad)));
    (id.len() == 64).then(|| (id.to_owned(), pad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    fn test_seal() -> (SealedSourceKey, SourceKeyPad) {
        let secrets = postern_crypto::InstanceSecrets::generate(&mut OsRng);
        postern_crypto::derive_source_identity(&Codename::generate(&mut OsRng), &secrets).unwrap().seal()
    }

    #[test]
    fn the_key_is_whole_only_with_the_cookie_of_the_request() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let ctx = SessionCtx { inner: Arc::default() };
        let (sealed, pad) = test_seal();
        ctx.log_in(&sessions, SourceId::for_tests(1), None, sealed, &pad);
        let cookie = ctx.cookie_header().unwrap();
        let pair = cookie.split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, pair.parse().unwrap());
        assert!(sessions.resolve(&headers).reply_key(&sessions).is_some());
        let id_only = pair.split('.').next().unwrap().to_owned();
        headers.insert(axum::http::header::COOKIE, id_only.parse().unwrap());
        let without_pad = sessions.resolve(&headers);
        assert!(without_pad.logged_in(&sessions).is_some() && without_pad.reply_key(&sessions).is_none());
    }

    #[test]
    fn sessions_expire_absolutely() {
        let sessions = Sessions::new(Duration::from_millis(400));
        let ctx = SessionCtx { inner: Arc::default() };
        let csrf = ctx.ensure_csrf(&sessions);
        let cookie = ctx.cookie_header().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, cookie.split(';').next().unwrap().parse().unwrap());
        let again = sessions.resolve(&headers);
        assert!(again.csrf_ok(&sessions, &csrf));
        assert!(!again.csrf_ok(&sessions, "nope"));
        // Activity does not extend the lifetime.
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(60));
            assert!(sessions.resolve(&headers).csrf_ok(&sessions, &csrf));
        }
        std::thread::sleep(Duration::from_millis(300));
        let late = sessions.resolve(&headers);
        assert!(late.was_expired());
        assert!(!late.csrf_ok(&sessions, &csrf));
    }

    #[test]
    fn a_flood_of_anonymous_sessions_never_evicts_a_logged_in_source() {
        let sessions = Sessions::new(Duration::from_secs(600));
        let source = SessionCtx { inner: Arc::default() };
        let (sealed, pad) = test_seal();
        source.log_in(&sessions, SourceId::for_tests(1), None, sealed, &pad);
        for _ in 0..(MAX_SESSIONS + 100) {
            SessionCtx { inner: Arc::default() }.ensure_csrf(&sessions);
        }
        assert!(sessions.lock().len() <= MAX_SESSIONS);
        assert!(source.logged_in(&sessions).is_some());
    }

    #[test]
    fn tabs_are_bounded_and_taken_once() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let ctx = SessionCtx { inner: Arc::default() };
        ctx.ensure_csrf(&sessions);
        for i in 0..(MAX_TABS + 2) {
            ctx.add_tab(&sessions, format!("tab{i}"), Codename::generate(&mut OsRng));
        }
        assert!(ctx.take_tab(&sessions, "tab6").is_some());
        assert!(ctx.take_tab(&sessions, "tab5").is_none(), "taking one forgets the others");
        for i in 0..(MAX_TABS + 2) {
            ctx.add_tab(&sessions, format!("tab{i}"), Codename::generate(&mut OsRng));
        }
        assert!(ctx.take_tab(&sessions, "tab1").is_none(), "the oldest tabs were evicted");
    }
}
