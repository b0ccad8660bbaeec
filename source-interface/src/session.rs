//! What a source's session holds, on postern-web's session store: pending codenames
//! of open "generate" tabs before an account exists, then the logged-in source.
//!
//! Sessions have an absolute lifetime (SecureDrop's 120 minutes), whatever the
//! activity. The cookie (`ss`) carries the session id and, once logged in, the
//! source's half of its key seed; the server holds the other half.

use std::collections::VecDeque;
use std::time::Duration;

use postern_core::{Clock, Codename, constant_time_eq};
use postern_crypto::{SealedCodename, SealedSourceKey, SourceKeyPad, SourceReplyKey};
use postern_store::SourceId;
use postern_web::{Lifetime, SessionConfig, SessionData, SessionStore};
use zeroize::Zeroizing;

use crate::models::{Flash, LoggedIn};

/// Codenames kept for open "generate" tabs before the oldest is dropped.
const MAX_TABS: usize = 5;
/// Upper bound on sessions in memory.
const MAX_SESSIONS: usize = 50_000;

/// A source's session.
pub(crate) enum SourceData {
    /// Before a login: the codenames shown by `/generate`, by the tab id their form
    /// carries.
    Anonymous { tabs: VecDeque<(String, Codename)> },
    /// `sealed` is the server's half of the source's key seed; the cookie has the other.
    /// A new source's codename is sealed with the cookie's pad too: the session alone
    /// holds no codename byte.
    LoggedIn { source: SourceId, new_codename: Option<SealedCodename>, sealed: SealedSourceKey },
}

impl Default for SourceData {
    fn default() -> Self {
        Self::Anonymous { tabs: VecDeque::new() }
    }
}

impl SessionData for SourceData {
    type Flash = Flash;

    fn is_login(&self) -> bool {
        matches!(self, Self::LoggedIn { .. })
    }
}

/// The source interface's sessions.
pub(crate) type Sessions = SessionStore<SourceData>;

/// A store of source sessions with an absolute `lifetime`.
pub(crate) fn sessions(lifetime: Duration, clock: Clock) -> Sessions {
    let config = SessionConfig {
        cookie_name: "ss",
        lifetime: Lifetime::Absolute(lifetime),
        max_sessions: MAX_SESSIONS,
        // Forms open in the browser's other tabs keep working after a login.
        csrf_survives_login: true,
    };
    SessionStore::new(config, clock)
}

/// The session of one request.
pub(crate) type Session = postern_web::Session<SourceData>;

/// What only the source interface asks of a session.
pub(crate) trait SourceSession {
    /// The logged-in source, if any.
    fn logged_in(&self) -> Option<LoggedIn>;
    /// Remembers a freshly generated codename for the tab `tab_id`, starting a session
    /// if needed.
    fn add_tab(&self, tab_id: String, codename: Codename);
    /// Takes the codename generated for `tab_id`, forgetting every other pending one.
    fn take_tab(&self, tab_id: &str) -> Option<Codename>;
    /// Logs `source` in under a new session id (the old session ends). The CSRF token
    /// carries over; the cookie carries `pad`, the source's half of its key seed.
    fn log_in_source(
        &self,
        source: SourceId,
        new_codename: Option<Codename>,
        sealed: SealedSourceKey,
        pad: &SourceKeyPad,
    );
    /// The logged-in source's secret key, rebuilt for this request from the session's
    /// half and the cookie's half; `None` without both.
    fn reply_key(&self) -> Option<SourceReplyKey>;
}

impl SourceSession for Session {
    fn logged_in(&self) -> Option<LoggedIn> {
        let csrf = self.existing_csrf()?;
        let pad = self.cookie_extra().and_then(|hex| SourceKeyPad::from_hex(&hex));
        self.read(|d| match d {
            SourceData::LoggedIn { source, new_codename, .. } => Some(LoggedIn {
                source: *source,
                csrf,
                show_codename: new_codename
                    .as_ref()
                    .zip(pad.as_ref())
                    .and_then(|(sealed, pad)| sealed.open(pad))
                    .map(|c| Zeroizing::new(c.expose_secret().to_owned())),
            }),
            _ => None,
        })
        .flatten()
    }

    fn add_tab(&self, tab_id: String, codename: Codename) {
        self.csrf();
        self.update(|d| {
            if let SourceData::Anonymous { tabs } = d {
                if tabs.len() >= MAX_TABS {
                    tabs.pop_front();
                }
                tabs.push_back((tab_id, codename));
            }
        });
    }

    fn take_tab(&self, tab_id: &str) -> Option<Codename> {
        self.update(|d| {
            let SourceData::Anonymous { tabs } = d else { return None };
            let taken = tabs.iter().position(|(t, _)| constant_time_eq(t.as_bytes(), tab_id.as_bytes()));
            let codename = taken.and_then(|i| tabs.remove(i)).map(|(_, c)| c);
            tabs.clear();
            codename
        })
        .flatten()
    }

    fn log_in_source(
        &self,
        source: SourceId,
        new_codename: Option<Codename>,
        sealed: SealedSourceKey,
        pad: &SourceKeyPad,
    ) {
        let new_codename = new_codename.map(|c| pad.seal_codename(&c));
        self.log_in(SourceData::LoggedIn { source, new_codename, sealed }, Some(pad.to_hex().as_str()));
    }

    fn reply_key(&self) -> Option<SourceReplyKey> {
        let pad = SourceKeyPad::from_hex(&self.cookie_extra()?)?;
        self.read(|d| match d {
            SourceData::LoggedIn { sealed, .. } => sealed.open(&pad).ok(),
            _ => None,
        })
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, header};
    use rand::rngs::OsRng;

    fn test_seal() -> (SealedSourceKey, SourceKeyPad) {
        let secrets = postern_crypto::InstanceSecrets::generate(&mut OsRng);
        postern_crypto::derive_source_identity(&Codename::generate(&mut OsRng), &secrets).unwrap().seal()
    }

    fn set_cookie(res: &axum::http::Response<axum::body::Body>) -> String {
        res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_owned()
    }

    /// Runs `f` on the session of a request with `cookie`, through the session layer,
    /// and returns the cookie the response set.
    async fn request(
        sessions: &Sessions,
        cookie: Option<&str>,
        f: impl Fn(Session) + Clone + Send + Sync + 'static,
    ) -> String {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move |s: Session| {
                    let f = f.clone();
                    async move {
                        f(s);
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(sessions.clone(), postern_web::sessions::<SourceData>));
        let mut req = axum::http::Request::get("/");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = app.oneshot(req.body(axum::body::Body::empty()).unwrap()).await.unwrap();
        res.headers().get(header::SET_COOKIE).map(|_| set_cookie(&res)).unwrap_or_default()
    }

    #[tokio::test]
    async fn the_key_is_whole_only_with_the_cookie_of_the_request() {
        let sessions = sessions(Duration::from_secs(60), Clock::manual());
        let (sealed, pad) = test_seal();
        let sealed = std::sync::Arc::new(std::sync::Mutex::new(Some((sealed, pad))));
        let cookie = request(&sessions, None, move |s| {
            let (sealed, pad) = sealed.lock().unwrap().take().unwrap();
            s.log_in_source(SourceId::for_tests(1), None, sealed, &pad);
        })
        .await;
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        let with_pad = sessions.resolve(&headers);
        assert!(with_pad.reply_key().is_some());
        headers.insert(header::COOKIE, cookie.split('.').next().unwrap().parse().unwrap());
        let without_pad = sessions.resolve(&headers);
        assert!(without_pad.logged_in().is_some() && without_pad.reply_key().is_none());
    }

    #[tokio::test]
    async fn a_logged_in_session_holds_no_codename_byte_and_only_the_cookie_opens_it() {
        let sessions = sessions(Duration::from_secs(60), Clock::manual());
        let codename = Codename::generate(&mut OsRng);
        let words: Vec<String> = codename.expose_secret().split(' ').map(str::to_owned).collect();
        let shown = codename.expose_secret().to_owned();
        let (sealed, pad) = test_seal();
        let login = std::sync::Arc::new(std::sync::Mutex::new(Some((codename, sealed, pad))));
        let cookie = request(&sessions, None, move |s| {
            let (codename, sealed, pad) = login.lock().unwrap().take().unwrap();
            s.log_in_source(SourceId::for_tests(1), Some(codename), sealed, &pad);
        })
        .await;
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        let session = sessions.resolve(&headers);
        let held = session
            .read(|d| match d {
                SourceData::LoggedIn { new_codename: Some(sealed), .. } => sealed.sealed_bytes().to_vec(),
                _ => Vec::new(),
            })
            .unwrap();
        assert!(!held.is_empty(), "the session keeps the sealed codename");
        for word in &words {
            assert!(!held.windows(word.len()).any(|w| w == word.as_bytes()), "{word} is in the session");
        }
        assert_eq!(session.logged_in().unwrap().show_codename.as_deref().map(String::as_str), Some(shown.as_str()));
        headers.insert(header::COOKIE, cookie.split('.').next().unwrap().parse().unwrap());
        assert!(sessions.resolve(&headers).logged_in().unwrap().show_codename.is_none(), "without the pad: nothing");
    }

    #[test]
    fn tabs_are_bounded_and_taken_once() {
        let sessions = sessions(Duration::from_secs(60), Clock::manual());
        let session = sessions.detached();
        for i in 0..(MAX_TABS + 2) {
            session.add_tab(format!("tab{i}"), Codename::generate(&mut OsRng));
        }
        assert!(session.take_tab("tab6").is_some());
        assert!(session.take_tab("tab5").is_none(), "taking one forgets the others");
        for i in 0..(MAX_TABS + 2) {
            session.add_tab(format!("tab{i}"), Codename::generate(&mut OsRng));
        }
        assert!(session.take_tab("tab1").is_none(), "the oldest tabs were evicted");
    }
}
