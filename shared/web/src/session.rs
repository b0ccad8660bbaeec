//! Server-side sessions for both interfaces, keyed by a random id in an HttpOnly,
//! SameSite=Strict cookie. Nothing about a session is on disk or in the cookie but its
//! random id (and, for the source interface, the client's half of a key).
//!
//! One table per interface, with one policy: a lifetime that is absolute or renews a
//! bounded number of times, a sweep of expired sessions on a timer (so what a session
//! holds, such as a fresh codename, leaves memory soon after it ends, whether or not
//! anyone else visits), and, when the table is full, eviction of the anonymous session
//! nearest its end, in O(log n): a flood of anonymous visits never logs anyone out, and
//! only a new login pushes out the oldest login.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use postern_core::{Clock, Sensitive, constant_time_eq, random_token};

/// How often the timer drops expired sessions.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// What an interface keeps in a session besides its CSRF token and flash notices.
pub trait SessionData: Default + Send + 'static {
    /// A notice shown once, on the next page.
    type Flash: Clone + Send + 'static;

    /// Whether the session is someone's login. Logins are evicted only after every
    /// anonymous session, and only they are renewed by a [`Lifetime::Renewing`].
    fn is_login(&self) -> bool;
}

/// How long a session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Ends this long after it began, whatever the activity.
    Absolute(Duration),
    /// A login in use is renewed by `lifetime` when less than `renew_when_left`
    /// remains, at most `max_renewals` times.
    Renewing {
        /// The first lifetime, and each renewal.
        lifetime: Duration,
        /// A request with less than this left renews the session.
        renew_when_left: Duration,
        /// Renewals per session.
        max_renewals: u32,
    },
}

impl Lifetime {
    fn initial(self) -> Duration {
        match self {
            Self::Absolute(d) | Self::Renewing { lifetime: d, .. } => d,
        }
    }
}

/// The settings of one interface's sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The cookie's name.
    pub cookie_name: &'static str,
    /// How long a session lives.
    pub lifetime: Lifetime,
    /// Sessions held in memory at most (one more anonymous one may wait for its slot).
    pub max_sessions: usize,
    /// Whether a login keeps the CSRF token of the session it replaces (so forms open
    /// in other tabs keep working) or gets a new one.
    pub csrf_survives_login: bool,
}

/// A session id: 64 hex digits, known only to the server and the cookie. No `Display`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct SessionId(String);

struct Entry<D: SessionData> {
    expires: Instant,
    renewals: u32,
    csrf: String,
    flashes: Vec<D::Flash>,
    data: D,
}

struct Table<D: SessionData> {
    entries: HashMap<SessionId, Entry<D>>,
    /// Ids by expiry, one set per class, for sweeping and eviction in O(log n).
    anonymous: BTreeSet<(Instant, SessionId)>,
    logins: BTreeSet<(Instant, SessionId)>,
}

impl<D: SessionData> Table<D> {
    fn index(&mut self, login: bool) -> &mut BTreeSet<(Instant, SessionId)> {
        if login { &mut self.logins } else { &mut self.anonymous }
    }

    fn insert(&mut self, id: SessionId, entry: Entry<D>) {
        let key = (entry.expires, id.clone());
        self.index(entry.data.is_login()).insert(key);
        self.entries.insert(id, entry);
    }

    fn remove(&mut self, id: &SessionId) -> Option<Entry<D>> {
        let entry = self.entries.remove(id)?;
        self.index(entry.data.is_login()).remove(&(entry.expires, id.clone()));
        Some(entry)
    }

    /// Applies `f` to an entry, keeping the indexes true if it changed the entry's
    /// expiry or class.
    fn update<T>(&mut self, id: &SessionId, f: impl FnOnce(&mut Entry<D>) -> T) -> Option<T> {
        let entry = self.entries.get_mut(id)?;
        let before = (entry.expires, entry.data.is_login());
        let out = f(entry);
        let after = (entry.expires, entry.data.is_login());
        if before != after {
            self.index(before.1).remove(&(before.0, id.clone()));
            self.index(after.1).insert((after.0, id.clone()));
        }
        Some(out)
    }

    /// Drops every session that has ended; the cost is the number dropped.
    fn sweep(&mut self, now: Instant) {
        for login in [false, true] {
            while let Some((expires, id)) = self.index(login).first().cloned() {
                if expires > now {
                    break;
                }
                self.index(login).pop_first();
                self.entries.remove(&id);
            }
        }
    }

    /// Makes room for one more session when the table is full.
    fn make_room(&mut self, max: usize, for_login: bool) {
        if self.entries.len() < max {
            return;
        }
        let victim = self.anonymous.first().or(if for_login { self.logins.first() } else { None }).cloned();
        if let Some((_, id)) = victim {
            self.remove(&id);
        }
    }
}

struct Shared<D: SessionData> {
    table: Mutex<Table<D>>,
    config: SessionConfig,
    clock: Clock,
}

/// All sessions of one interface in this process. Cheap to clone.
pub struct SessionStore<D: SessionData> {
    shared: Arc<Shared<D>>,
}

impl<D: SessionData> Clone for SessionStore<D> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl<D: SessionData> SessionStore<D> {
    /// An empty store. Inside a tokio runtime it also starts the sweep timer, which
    /// ends with the last clone of the store.
    pub fn new(config: SessionConfig, clock: Clock) -> Self {
        let store = Self::unswept(config, clock);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweep_on_timer(Arc::downgrade(&store.shared)));
        }
        store
    }

    /// A store without the timer, for one throw-away session.
    fn unswept(config: SessionConfig, clock: Clock) -> Self {
        let table = Table { entries: HashMap::new(), anonymous: BTreeSet::new(), logins: BTreeSet::new() };
        Self { shared: Arc::new(Shared { table: Mutex::new(table), config, clock }) }
    }

    fn lock(&self) -> MutexGuard<'_, Table<D>> {
        // A poisoned table only means a panic elsewhere mid-update; sessions stay usable.
        self.shared.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops every session that has ended.
    pub fn sweep(&self) {
        let now = self.shared.clock.now();
        self.lock().sweep(now);
    }

    /// Sessions held now (ended ones included until the next sweep).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ends every session whose data `ends` says to (e.g. all of one journalist's).
    pub fn end_where(&self, ends: impl Fn(&D) -> bool) {
        let mut table = self.lock();
        let doomed: Vec<SessionId> =
            table.entries.iter().filter(|(_, e)| ends(&e.data)).map(|(k, _)| k.clone()).collect();
        for id in doomed {
            table.remove(&id);
        }
    }

    fn insert(&self, data: D, flashes: Vec<D::Flash>, csrf: Option<String>) -> SessionId {
        let now = self.shared.clock.now();
        let id = SessionId(random_token());
        let entry = Entry {
            expires: now + self.shared.config.lifetime.initial(),
            renewals: 0,
            csrf: csrf.unwrap_or_else(random_token),
            flashes,
            data,
        };
        let mut table = self.lock();
        table.sweep(now);
        table.make_room(self.shared.config.max_sessions, entry.data.is_login());
        table.insert(id.clone(), entry);
        id
    }

    /// The session of a request that carried no cookie.
    pub fn detached(&self) -> Session<D> {
        self.resolve(&HeaderMap::new())
    }

    /// The session named by the request's cookie; renews a login in use if the
    /// lifetime says so.
    pub fn resolve(&self, headers: &HeaderMap) -> Session<D> {
        let mut ctx = Ctx::default();
        if let Some((id, extra)) = cookie_value(headers, self.shared.config.cookie_name) {
            ctx.cookie_extra = extra;
            if self.touch(&id) {
                ctx.id = Some(id);
            } else {
                ctx.was_expired = true;
            }
        }
        Session { store: self.clone(), ctx: Arc::new(Mutex::new(ctx)) }
    }

    /// Starts a login that no cookie carries: its id is a token the client sends in a
    /// header (the journalist API's `Authorization: Token …`), with the same lifetime
    /// and renewals as a cookie's. Returns the token and how long it lives unrenewed.
    pub fn issue_token(&self, data: D) -> (Sensitive<String>, Duration) {
        let id = self.insert(data, Vec::new(), None);
        (Sensitive::new(id.0), self.shared.config.lifetime.initial())
    }

    /// The live session a token from [`SessionStore::issue_token`] names, renewed as a
    /// cookie's would be; `None` for anything else. Ending it ends the token.
    pub fn resolve_token(&self, token: &str) -> Option<Session<D>> {
        let id = session_id(token)?;
        if !self.touch(&id) {
            return None;
        }
        let ctx = Ctx { id: Some(id), ..Ctx::default() };
        Some(Session { store: self.clone(), ctx: Arc::new(Mutex::new(ctx)) })
    }

    /// Whether session `id` is live, renewing a login in use if the lifetime says so;
    /// an ended one is dropped.
    fn touch(&self, id: &SessionId) -> bool {
        let now = self.shared.clock.now();
        let lifetime = self.shared.config.lifetime;
        let mut table = self.lock();
        let live = table.update(id, |e| {
            if e.expires <= now {
                return false;
            }
            if let Lifetime::Renewing { lifetime, renew_when_left, max_renewals } = lifetime
                && e.data.is_login()
                && e.expires - now < renew_when_left
                && e.renewals < max_renewals
            {
                e.expires += lifetime;
                e.renewals += 1;
            }
            true
        });
        if live == Some(false) {
            table.remove(id);
        }
        live == Some(true)
    }
}

/// Sweeps once a minute until the store is dropped.
async fn sweep_on_timer<D: SessionData>(shared: Weak<Shared<D>>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        SessionStore { shared }.sweep();
    }
}

#[derive(Default)]
struct Ctx {
    id: Option<SessionId>,
    /// What the cookie carried after the id and a `.`, from this request only.
    cookie_extra: Option<String>,
    /// The request carried a cookie whose session no longer exists or has ended.
    was_expired: bool,
    /// Cookie to send back: `Some(Some(value))` sets, `Some(None)` clears.
    set_cookie: Option<Option<String>>,
}

/// The session of one request, as the session layer found it; handlers take it as an
/// extractor. Clones share the request's view (a login in a handler is seen by the
/// layer that sets the cookie).
pub struct Session<D: SessionData> {
    store: SessionStore<D>,
    ctx: Arc<Mutex<Ctx>>,
}

impl<D: SessionData> Clone for Session<D> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), ctx: Arc::clone(&self.ctx) }
    }
}

impl<D: SessionData> Session<D> {
    /// The session the layer put on a request with these `extensions`; outside the
    /// layer, a detached empty session of `store` that changes nothing.
    pub fn of_request(extensions: &axum::http::Extensions, store: &SessionStore<D>) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_else(|| store.detached())
    }

    fn lock(&self) -> MutexGuard<'_, Ctx> {
        self.ctx.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_entry<T>(&self, f: impl FnOnce(&mut Entry<D>) -> T) -> Option<T> {
        let id = self.lock().id.clone()?;
        self.store.lock().update(&id, f)
    }

    /// A number that tells this session apart from the others in this process, to count
    /// what one client holds at once; `None` without a session. Not the id, which only
    /// the cookie may carry.
    pub fn tag(&self) -> Option<u64> {
        static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        let id = self.lock().id.clone()?;
        Some(std::hash::BuildHasher::hash_one(KEY.get_or_init(std::hash::RandomState::new), &id.0))
    }

    /// Reads this session's data, if there is a session.
    pub fn read<T>(&self, f: impl FnOnce(&D) -> T) -> Option<T> {
        self.with_entry(|e| f(&e.data))
    }

    /// Changes this session's data, if there is a session.
    pub fn update<T>(&self, f: impl FnOnce(&mut D) -> T) -> Option<T> {
        self.with_entry(|e| f(&mut e.data))
    }

    /// Whether the request came with a session that has since ended.
    pub fn was_expired(&self) -> bool {
        self.lock().was_expired
    }

    /// What this request's cookie carried after the session id and a `.`.
    pub fn cookie_extra(&self) -> Option<String> {
        self.lock().cookie_extra.clone()
    }

    /// The CSRF token of this session, starting an anonymous session if needed.
    pub fn csrf(&self) -> String {
        if let Some(csrf) = self.existing_csrf() {
            return csrf;
        }
        let csrf = random_token();
        let id = self.store.insert(D::default(), Vec::new(), Some(csrf.clone()));
        self.set_id(id, None);
        csrf
    }

    /// This session's CSRF token, if it has a session (never starts one).
    pub fn existing_csrf(&self) -> Option<String> {
        self.with_entry(|e| e.csrf.clone())
    }

    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        self.with_entry(|e| constant_time_eq(e.csrf.as_bytes(), token.as_bytes())).unwrap_or(false)
    }

    /// Replaces the session by a new one (a new id, so a session id seen before a
    /// login is worthless after it) holding `data`; the cookie carries `cookie_extra`
    /// after the id.
    pub fn log_in(&self, data: D, cookie_extra: Option<&str>) {
        let old = self.take_id().and_then(|old| self.store.lock().remove(&old));
        let csrf = old.filter(|_| self.store.shared.config.csrf_survives_login).map(|e| e.csrf);
        let id = self.store.insert(data, Vec::new(), csrf);
        self.set_id(id, cookie_extra);
    }

    /// Ends the session and clears the cookie.
    pub fn end(&self) {
        if let Some(old) = self.take_id() {
            self.store.lock().remove(&old);
        }
        self.lock().set_cookie = Some(None);
    }

    /// Ends the session, and starts an anonymous one carrying `flash` to the next page.
    pub fn restart_with(&self, flash: D::Flash) {
        if let Some(old) = self.take_id() {
            self.store.lock().remove(&old);
        }
        let id = self.store.insert(D::default(), vec![flash], None);
        self.set_id(id, None);
    }

    /// Adds a notice for the next page of this session.
    pub fn flash(&self, flash: D::Flash) {
        self.with_entry(|e| e.flashes.push(flash));
    }

    /// Takes the pending notices.
    pub fn take_flashes(&self) -> Vec<D::Flash> {
        self.with_entry(|e| std::mem::take(&mut e.flashes)).unwrap_or_default()
    }

    fn take_id(&self) -> Option<SessionId> {
        self.lock().id.take()
    }

    fn set_id(&self, id: SessionId, extra: Option<&str>) {
        let mut ctx = self.lock();
        let value = match extra {
            Some(extra) => format!("{}.{extra}", id.0),
            None => id.0.clone(),
        };
        ctx.id = Some(id);
        ctx.set_cookie = Some(Some(value));
    }

    /// The `Set-Cookie` value to send, if the session changed.
    fn cookie_header(&self) -> Option<String> {
        let name = self.store.shared.config.cookie_name;
        self.lock().set_cookie.as_ref().map(|c| match c {
            Some(value) => format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict"),
            None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        })
    }
}

/// The layer that finds each request's session for the handlers and sends back any
/// cookie change they made: `from_fn_with_state(store, postern_web::sessions::<D>)`.
pub async fn sessions<D: SessionData>(State(store): State<SessionStore<D>>, mut req: Request, next: Next) -> Response {
    let session = store.resolve(req.headers());
    req.extensions_mut().insert(session.clone());
    let mut res = next.run(req).await;
    if let Some(cookie) = session.cookie_header().and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

impl<D: SessionData, S: Send + Sync> FromRequestParts<S> for Session<D> {
    type Rejection = Infallible;

    /// The session the layer found; a route outside the layer (a bug) gets a
    /// detached, empty session that changes nothing.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_else(|| {
            tracing::error!("a route is outside the session layer");
            let config = SessionConfig {
                cookie_name: "detached",
                lifetime: Lifetime::Absolute(Duration::ZERO),
                max_sessions: 0,
                csrf_survives_login: false,
            };
            SessionStore::unswept(config, Clock::system()).detached()
        }))
    }
}

/// The session id named by `cookie_name`, and what follows it after a `.`.
fn cookie_value(headers: &HeaderMap, cookie_name: &str) -> Option<(SessionId, Option<String>)> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value)?;
    let (id, extra) = value.split_once('.').map_or((value, None), |(id, extra)| (id, Some(extra.to_owned())));
    Some((session_id(id)?, extra))
}

/// `text` as a session id, if it has the form of one (64 hex digits).
fn session_id(text: &str) -> Option<SessionId> {
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| SessionId(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Data {
        login: bool,
    }

    impl SessionData for Data {
        type Flash = &'static str;
        fn is_login(&self) -> bool {
            self.login
        }
    }

    fn store(lifetime: Lifetime, max_sessions: usize, clock: &Clock) -> SessionStore<Data> {
        let config = SessionConfig { cookie_name: "t", lifetime, max_sessions, csrf_survives_login: false };
        SessionStore::new(config, clock.clone())
    }

    /// The request headers a browser sends back after `session`'s response.
    fn cookie_of(session: &Session<Data>) -> HeaderMap {
        let cookie = session.cookie_header().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.split(';').next().unwrap().parse().unwrap());
        headers
    }

    fn anonymous(store: &SessionStore<Data>) -> Session<Data> {
        let session = store.resolve(&HeaderMap::new());
        session.csrf();
        session
    }

    fn login(store: &SessionStore<Data>) -> Session<Data> {
        let session = store.resolve(&HeaderMap::new());
        session.log_in(Data { login: true }, None);
        session
    }

    #[test]
    fn an_absolute_lifetime_ignores_activity() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(600)), 100, &clock);
        let session = login(&store);
        let headers = cookie_of(&session);
        let csrf = session.existing_csrf().unwrap();
        for _ in 0..9 {
            clock.advance(Duration::from_secs(60));
            assert!(store.resolve(&headers).csrf_ok(&csrf));
        }
        clock.advance(Duration::from_secs(60));
        let late = store.resolve(&headers);
        assert!(late.was_expired() && !late.csrf_ok(&csrf));
        assert!(store.is_empty(), "an ended session is dropped when seen");
    }

    #[test]
    fn a_renewing_lifetime_renews_logins_in_use_a_bounded_number_of_times() {
        let clock = Clock::manual();
        let minute = Duration::from_secs(60);
        let lifetime = Lifetime::Renewing { lifetime: 10 * minute, renew_when_left: 5 * minute, max_renewals: 2 };
        let store = store(lifetime, 100, &clock);
        let (login, anon) = (cookie_of(&login(&store)), cookie_of(&anonymous(&store)));
        // Every 4 minutes for 32 minutes: 10 + 2 × 10 minutes of life for the login.
        for _ in 0..7 {
            clock.advance(4 * minute);
            store.resolve(&login);
            store.resolve(&anon);
        }
        assert!(!store.resolve(&login).was_expired(), "28 minutes: renewed twice");
        assert!(store.resolve(&anon).was_expired(), "an anonymous session is never renewed");
        clock.advance(4 * minute);
        assert!(store.resolve(&login).was_expired(), "32 minutes: no third renewal");
    }

    #[test]
    fn a_token_lives_and_renews_like_a_cookie_and_ends_when_ended() {
        let clock = Clock::manual();
        let minute = Duration::from_secs(60);
        let lifetime = Lifetime::Renewing { lifetime: 10 * minute, renew_when_left: 5 * minute, max_renewals: 1 };
        let store = store(lifetime, 100, &clock);
        let (token, lives) = store.issue_token(Data { login: true });
        assert_eq!(lives, 10 * minute);
        let token = token.into_inner();
        assert!(store.resolve_token(&token).is_some_and(|s| s.read(|d| d.login) == Some(true)));
        assert!(store.resolve_token(&token.to_uppercase().replace('A', "G")).is_none(), "not a token's form");
        assert!(store.resolve_token(&postern_core::random_token()).is_none(), "never issued");
        for _ in 0..4 {
            clock.advance(4 * minute);
            assert!(store.resolve_token(&token).is_some(), "renewed once: 20 minutes");
        }
        clock.advance(5 * minute);
        assert!(store.resolve_token(&token).is_none(), "no second renewal");
        let (other, _) = store.issue_token(Data { login: true });
        let other = other.into_inner();
        store.resolve_token(&other).unwrap().end();
        assert!(store.resolve_token(&other).is_none(), "ended: revoked");
    }

    #[test]
    fn the_timer_sweep_drops_ended_sessions_nobody_asks_for() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(60)), 100, &clock);
        for _ in 0..10 {
            anonymous(&store);
        }
        login(&store);
        clock.advance(Duration::from_secs(30));
        let young = anonymous(&store);
        clock.advance(Duration::from_secs(31));
        store.sweep();
        assert_eq!(store.len(), 1);
        assert!(young.existing_csrf().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn an_ended_session_is_gone_one_sweep_interval_later_with_no_request_at_all() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(60)), 100, &clock);
        login(&store);
        anonymous(&store);
        clock.advance(Duration::from_secs(61));
        assert_eq!(store.len(), 2, "ended, but not yet swept");
        tokio::time::sleep(SWEEP_INTERVAL + Duration::from_secs(1)).await;
        assert_eq!(store.len(), 0, "the timer swept them");
    }

    #[test]
    fn a_full_table_evicts_anonymous_sessions_first_and_logins_only_for_a_login() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(600)), 10, &clock);
        let logins: Vec<_> = (0..5).map(|_| login(&store)).collect();
        for _ in 0..1000 {
            clock.advance(Duration::from_millis(1));
            anonymous(&store);
        }
        assert_eq!(store.len(), 10);
        assert!(logins.iter().all(|s| s.existing_csrf().is_some()), "a flood of visits logs no one out");
        let more: Vec<_> = (0..10).map(|_| login(&store)).collect();
        assert_eq!(store.len(), 10);
        assert!(logins.iter().all(|s| s.existing_csrf().is_none()), "new logins push out the oldest");
        assert!(more.iter().all(|s| s.existing_csrf().is_some()));
        anonymous(&store);
        assert!(store.len() <= 11 && more.iter().all(|s| s.existing_csrf().is_some()));
    }

    #[test]
    fn a_login_gets_a_new_id_and_the_configured_csrf() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(600)), 10, &clock);
        let session = anonymous(&store);
        let (before, csrf) = (cookie_of(&session), session.existing_csrf().unwrap());
        session.log_in(Data { login: true }, Some("extra"));
        let after = cookie_of(&session);
        assert_ne!(before, after);
        assert!(store.resolve(&before).was_expired(), "the old id is over");
        assert_eq!(store.resolve(&after).cookie_extra().as_deref(), Some("extra"));
        assert!(!session.csrf_ok(&csrf), "this store gives a login a new token");
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn flashes_are_shown_once_and_survive_a_restart() {
        let clock = Clock::manual();
        let store = store(Lifetime::Absolute(Duration::from_secs(600)), 10, &clock);
        let session = login(&store);
        session.flash("saved");
        assert_eq!(session.take_flashes(), ["saved"]);
        assert!(session.take_flashes().is_empty());
        session.restart_with("logged out");
        assert!(session.read(|d| !d.login).unwrap());
        assert_eq!(store.resolve(&cookie_of(&session)).take_flashes(), ["logged out"]);
    }

    #[test]
    fn cookies_name_a_64_hex_id() {
        let mut headers = HeaderMap::new();
        let id = "a".repeat(64);
        headers.insert(header::COOKIE, format!("x=1; t={id}.pad").parse().unwrap());
        let (found, extra) = cookie_value(&headers, "t").unwrap();
        assert_eq!((found.0, extra.as_deref()), (id, Some("pad")));
        headers.insert(header::COOKIE, format!("t={}", "g".repeat(64)).parse().unwrap());
        assert!(cookie_value(&headers, "t").is_none());
    }
}
