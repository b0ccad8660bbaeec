//! What a journalist's session holds, on postern-web's session store: the logged-in
//! journalist and the passphrases its open forms showed.
//!
//! A session lasts [`JournalistAppConfig::session_lifetime`] and, while in use, is
//! renewed when less than 30 minutes remain, at most five times (SecureDrop's rule).
//!
//! [`JournalistAppConfig::session_lifetime`]: crate::JournalistAppConfig

use std::time::Duration;

use postern_core::{Clock, JournalistId, constant_time_eq};
use postern_web::{Lifetime, SessionConfig, SessionData, SessionStore};
use zeroize::Zeroizing;

/// A session is renewed when less than this remains.
const RENEW_WHEN_LEFT: Duration = Duration::from_secs(30 * 60);
/// Renewals per session.
const MAX_RENEWALS: u32 = 5;
/// Generated passphrases a session holds for open forms.
const MAX_PENDING_PASSWORDS: usize = 8;
/// Upper bound on sessions in memory.
const MAX_SESSIONS: usize = 10_000;

/// Who is logged in: the account (row id and UUID: SQLite may reuse the row id of a
/// deleted account), and its credentials' generation at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionUser {
    pub(crate) id: JournalistId,
    pub(crate) uuid: String,
    pub(crate) generation: i64,
}

/// A notice shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flash {
    pub(crate) error: bool,
    pub(crate) text: String,
}

impl Flash {
    pub(crate) fn info(text: impl Into<String>) -> Self {
        Self { error: false, text: text.into() }
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self { error: true, text: text.into() }
    }
}

/// A journalist's session.
#[derive(Default)]
pub(crate) struct JournalistData {
    user: Option<SessionUser>,
    /// Server-generated passphrases shown on forms, by what they are for (one per
    /// purpose, so forms open in several tabs keep working); the submit must echo one.
    pending_passwords: Vec<(String, Zeroizing<String>)>,
}

impl SessionData for JournalistData {
    type Flash = Flash;

    fn is_login(&self) -> bool {
        self.user.is_some()
    }
}

/// The journalist interface's sessions.
pub(crate) type Sessions = SessionStore<JournalistData>;

/// A store of journalist sessions whose logins renew from `lifetime`.
pub(crate) fn sessions(lifetime: Duration, clock: Clock) -> Sessions {
    renewing("js", lifetime, clock)
}

/// A store of journalist API tokens: the same lifetime and renewals as sessions. Its
/// cookie name is never sent: tokens travel in `Authorization`, and the API sets no
/// cookie.
pub(crate) fn api_tokens(lifetime: Duration, clock: Clock) -> Sessions {
    renewing("api", lifetime, clock)
}

fn renewing(cookie_name: &'static str, lifetime: Duration, clock: Clock) -> Sessions {
    let config = SessionConfig {
        cookie_name,
        lifetime: Lifetime::Renewing { lifetime, renew_when_left: RENEW_WHEN_LEFT, max_renewals: MAX_RENEWALS },
        max_sessions: MAX_SESSIONS,
        csrf_survives_login: false,
    };
    SessionStore::new(config, clock)
}

impl JournalistData {
    /// What the session of `user` holds at login.
    pub(crate) fn of(user: SessionUser) -> Self {
        Self { user: Some(user), pending_passwords: Vec::new() }
    }
}

/// Ends every session of `journalist` in this process.
pub(crate) fn end_all_for(sessions: &Sessions, journalist: JournalistId) {
    sessions.end_where(|d| d.user.as_ref().is_some_and(|u| u.id == journalist));
}

/// The session of one request.
pub(crate) type Session = postern_web::Session<JournalistData>;

/// What only the journalist interface asks of a session.
pub(crate) trait JournalistSession {
    /// The logged-in journalist, if any.
    fn user(&self) -> Option<SessionUser>;
    /// Logs `user` in under a new session id and CSRF token; the old session ends.
    fn log_in_user(&self, user: SessionUser);
    /// Remembers the passphrase a form for `purpose` (e.g. `user:7`) just showed.
    fn set_pending_password(&self, purpose: &str, password: Zeroizing<String>);
    /// Whether `candidate` is the passphrase the form for `purpose` showed; accepted once.
    fn take_pending_password(&self, purpose: &str, candidate: &str) -> bool;
}

impl JournalistSession for Session {
    fn user(&self) -> Option<SessionUser> {
        self.read(|d| d.user.clone()).flatten()
    }

    fn log_in_user(&self, user: SessionUser) {
        self.log_in(JournalistData::of(user), None);
    }

    fn set_pending_password(&self, purpose: &str, password: Zeroizing<String>) {
        self.update(|d| {
            d.pending_passwords.retain(|(p, _)| p != purpose);
            if d.pending_passwords.len() >= MAX_PENDING_PASSWORDS {
                d.pending_passwords.remove(0);
            }
            d.pending_passwords.push((purpose.to_owned(), password));
        });
    }

    fn take_pending_password(&self, purpose: &str, candidate: &str) -> bool {
        self.update(|d| {
            let found = d
                .pending_passwords
                .iter()
                .position(|(p, pw)| p == purpose && constant_time_eq(pw.as_bytes(), candidate.trim().as_bytes()));
            found.map(|i| d.pending_passwords.remove(i)).is_some()
        })
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detached(sessions: &Sessions) -> Session {
        sessions.detached()
    }

    #[test]
    fn all_sessions_of_a_user_end_together() {
        let sessions = sessions(Duration::from_secs(600), Clock::manual());
        let (a, b, other) = (detached(&sessions), detached(&sessions), detached(&sessions));
        a.log_in_user(SessionUser { id: JournalistId::new(7), uuid: "u7".into(), generation: 0 });
        b.log_in_user(SessionUser { id: JournalistId::new(7), uuid: "u7".into(), generation: 0 });
        other.log_in_user(SessionUser { id: JournalistId::new(8), uuid: "u8".into(), generation: 0 });
        end_all_for(&sessions, JournalistId::new(7));
        assert!(a.user().is_none() && b.user().is_none());
        assert!(other.user().is_some());
    }

    #[test]
    fn a_pending_password_is_accepted_once() {
        let sessions = sessions(Duration::from_secs(600), Clock::manual());
        let ctx = detached(&sessions);
        ctx.csrf();
        let shown = "one two three four five six seven";
        ctx.set_pending_password("user:1", Zeroizing::new(shown.to_owned()));
        ctx.set_pending_password("user:2", Zeroizing::new("another form in another tab".to_owned()));
        assert!(!ctx.take_pending_password("user:1", "something else entirely here ok"));
        assert!(!ctx.take_pending_password("user:2", shown), "shown for another account");
        assert!(ctx.take_pending_password("user:1", &format!(" {shown} ")));
        assert!(!ctx.take_pending_password("user:1", shown), "once");
        assert!(ctx.take_pending_password("user:2", "another form in another tab"), "the other tab still works");
    }
}
