//! Journalist accounts and their authentication: passwords, second factors, login attempts.

use postern_core::{JournalistId, RESERVED_USERNAME};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::db;
use crate::records::{JournalistRecord, NewJournalist, OtpKind};
use crate::store::{Store, random_uuid};
use crate::{StoreError, sql};

impl Store {
    /// Creates a journalist account; a taken (or the reserved `deleted`) user name is
    /// [`StoreError::UsernameTaken`].
    pub fn create_journalist(&self, new: &NewJournalist<'_>) -> Result<JournalistRecord, StoreError> {
        if new.username == RESERVED_USERNAME {
            return Err(StoreError::UsernameTaken);
        }
        let conn = self.lock()?;
        insert_journalist(&conn, new, self.now())?;
        conn.query_row(sql::FIND_JOURNALIST_BY_USERNAME, [new.username], journalist_from_row)
            .map_err(db("read a new journalist"))
    }

    /// Creates an account with names, in one transaction (a taken or reserved user name
    /// is [`StoreError::UsernameTaken`]).
    pub fn create_journalist_with_names(
        &self,
        new: &crate::NewJournalist<'_>,
        first_name: &str,
        last_name: &str,
    ) -> Result<JournalistRecord, StoreError> {
        if new.username == postern_core::RESERVED_USERNAME {
            return Err(StoreError::UsernameTaken);
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin creating a journalist"))?;
        insert_journalist(&tx, new, self.now())?;
        let id = tx.last_insert_rowid();
        tx.execute(sql::UPDATE_JOURNALIST_NAMES, params![id, first_name, last_name])
            .map_err(db("name a new journalist"))?;
        let created =
            tx.query_row(sql::FIND_JOURNALIST_BY_ID, [id], journalist_from_row).map_err(db("read a new journalist"))?;
        tx.commit().map_err(db("commit a new journalist"))?;
        Ok(created)
    }

    /// The journalist with this user name, if any.
    pub fn journalist(&self, username: &str) -> Result<Option<JournalistRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_JOURNALIST_BY_USERNAME, [username], journalist_from_row)
            .optional()
            .map_err(db("find a journalist"))
    }

    /// The journalist with this row id, if any.
    pub fn journalist_by_id(&self, id: JournalistId) -> Result<Option<JournalistRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_JOURNALIST_BY_ID, [id.raw()], journalist_from_row)
            .optional()
            .map_err(db("find a journalist"))
    }

    /// Every account but the placeholder, by user name.
    pub fn journalists(&self) -> Result<Vec<JournalistRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_JOURNALISTS).map_err(db("list journalists"))?;
        let rows = stmt.query_map([], journalist_from_row).map_err(db("list journalists"))?;
        rows.collect::<Result<_, _>>().map_err(db("list journalists"))
    }

    /// Deletes a journalist; their replies and seen records pass to the placeholder
    /// `deleted` account (created when first needed). Returns false if there was no
    /// such journalist.
    pub fn delete_journalist(&self, username: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin deleting a journalist"))?;
        let found = tx
            .query_row(sql::FIND_JOURNALIST_BY_USERNAME, [username], journalist_from_row)
            .optional()
            .map_err(db("find a journalist"))?;
        let Some(JournalistRecord { id, is_placeholder: false, .. }) = found else { return Ok(false) };
        let placeholder = match tx
            .query_row(sql::FIND_PLACEHOLDER_JOURNALIST, [], |r| r.get::<_, i64>(0))
            .optional()
            .map_err(db("find the placeholder account"))?
        {
            Some(p) => p,
            None => {
                tx.execute(sql::INSERT_PLACEHOLDER_JOURNALIST, params![random_uuid(), self.now()])
                    .map_err(db("create the placeholder account"))?;
                tx.last_insert_rowid()
            }
        };
        tx.execute(sql::REASSIGN_REPLIES, [id.raw(), placeholder]).map_err(db("reassign replies"))?;
        tx.execute(sql::REASSIGN_SEEN_SUBMISSIONS, [id.raw(), placeholder]).map_err(db("reassign seen records"))?;
        tx.execute(sql::REASSIGN_SEEN_REPLIES, [id.raw(), placeholder]).map_err(db("reassign seen records"))?;
        tx.execute(sql::DELETE_JOURNALIST, [id.raw()]).map_err(db("delete a journalist"))?;
        tx.commit().map_err(db("commit deleting a journalist"))?;
        Store::forget_deleted(&conn)?;
        Ok(true)
    }

    /// Replaces a journalist's password hash. Returns false if there was no such journalist.
    pub fn set_journalist_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::SET_JOURNALIST_PASSWORD, params![username, password_hash])
            .map_err(db("set a password"))?;
        Ok(changed == 1)
    }

    /// Replaces a journalist's second factor (and forgets used codes). Returns false
    /// if there was no such journalist.
    pub fn set_journalist_otp(&self, username: &str, kind: OtpKind, secret: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::SET_JOURNALIST_OTP, params![username, kind.column(), secret, 0i64])
            .map_err(db("set a second factor"))?;
        Ok(changed == 1)
    }

    /// Changes an account's user name, names and role. A taken (or reserved) user
    /// name is [`StoreError::UsernameTaken`]; returns false if there is no such account.
    pub fn update_journalist_profile(
        &self,
        id: JournalistId,
        username: &str,
        first_name: &str,
        last_name: &str,
        is_admin: bool,
    ) -> Result<bool, StoreError> {
        if username == postern_core::RESERVED_USERNAME {
            return Err(StoreError::UsernameTaken);
        }
        let changed = self
            .lock()?
            .execute(sql::UPDATE_JOURNALIST_PROFILE, params![id.raw(), username, first_name, last_name, is_admin]);
        match changed {
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(StoreError::UsernameTaken)
            }
            other => Ok(other.map_err(db("edit a journalist"))? == 1),
        }
    }

    /// Changes an account's first and last names only.
    pub fn set_journalist_names(
        &self,
        id: JournalistId,
        first_name: &str,
        last_name: &str,
    ) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::UPDATE_JOURNALIST_NAMES, params![id.raw(), first_name, last_name])
            .map_err(db("change a journalist's names"))?;
        Ok(changed == 1)
    }

    /// Records a login attempt for `journalist` now and returns how many it made in the
    /// last `window` (this one included). Attempts older than a day are forgotten.
    pub fn record_login_attempt(
        &self,
        journalist: JournalistId,
        window: std::time::Duration,
    ) -> Result<u64, StoreError> {
        let conn = self.lock()?;
        let now = self.now();
        conn.execute(sql::DELETE_LOGIN_ATTEMPTS_BEFORE, [now - 86_400]).map_err(db("forget old login attempts"))?;
        conn.execute(sql::INSERT_LOGIN_ATTEMPT, params![journalist.raw(), now])
            .map_err(db("record a login attempt"))?;
        let since = now - i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let count: i64 = conn
            .query_row(sql::COUNT_LOGIN_ATTEMPTS_SINCE, params![journalist.raw(), since], |r| r.get(0))
            .map_err(db("count login attempts"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Marks TOTP step `step` as used by `journalist`. Returns false if that step, or a
    /// later one, was already used: the code must then be refused (no replay, even when
    /// two logins race).
    pub fn use_totp_step(&self, journalist: JournalistId, step: u64) -> Result<bool, StoreError> {
        let step =
            i64::try_from(step).map_err(|_| StoreError::Bug(postern_core::internal!("a TOTP step out of range")))?;
        let changed = self
            .lock()?
            .execute(sql::ADVANCE_TOTP_STEP, params![journalist.raw(), step])
            .map_err(db("use a TOTP step"))?;
        Ok(changed == 1)
    }

    /// Moves `journalist`'s HOTP counter to `next`. Returns false if it was already there
    /// or beyond (a racing login used the code first).
    pub fn advance_hotp_counter(&self, journalist: JournalistId, next: u64) -> Result<bool, StoreError> {
        let next = i64::try_from(next)
            .map_err(|_| StoreError::Bug(postern_core::internal!("an HOTP counter out of range")))?;
        let changed = self
            .lock()?
            .execute(sql::ADVANCE_HOTP_COUNTER, params![journalist.raw(), next])
            .map_err(db("advance an HOTP counter"))?;
        Ok(changed == 1)
    }

    /// Records a successful login.
    pub fn set_last_access(&self, journalist: JournalistId) -> Result<(), StoreError> {
        self.lock()?
            .execute(sql::SET_LAST_ACCESS, params![journalist.raw(), self.now()])
            .map_err(db("record a login"))?;
        Ok(())
    }
}

/// Inserts a journalist row; a taken user name is [`StoreError::UsernameTaken`].
pub(crate) fn insert_journalist(conn: &Connection, new: &NewJournalist<'_>, now: i64) -> Result<(), StoreError> {
    let inserted = conn.execute(
        sql::INSERT_JOURNALIST,
        params![
            random_uuid(),
            new.username,
            new.password_hash,
            new.is_admin,
            new.otp_kind.column(),
            new.otp_secret,
            0i64,
            now
        ],
    );
    match inserted {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(StoreError::UsernameTaken)
        }
        other => other.map(|_| ()).map_err(db("insert a journalist")),
    }
}

pub(crate) fn journalist_from_row(r: &Row<'_>) -> rusqlite::Result<JournalistRecord> {
    Ok(JournalistRecord {
        id: JournalistId::new(r.get(0)?),
        uuid: r.get(1)?,
        username: r.get(2)?,
        password_hash: r.get(3)?,
        is_admin: r.get(4)?,
        otp_kind: if r.get::<_, String>(5)? == "hotp" { OtpKind::Hotp } else { OtpKind::Totp },
        otp_secret: r.get(6)?,
        hotp_counter: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
        last_totp_step: r.get::<_, Option<i64>>(8)?.and_then(|s| u64::try_from(s).ok()),
        first_name: r.get(9)?,
        last_name: r.get(10)?,
        session_generation: r.get(11)?,
        is_placeholder: r.get(12)?,
        last_access: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{blob, journalist_named, new_source, temp_store};

    #[test]
    fn journalists_are_unique_and_deleting_one_keeps_their_replies() {
        let (_dir, store) = temp_store();
        let new = NewJournalist {
            username: "dana",
            password_hash: "$argon2id$x",
            is_admin: true,
            otp_kind: OtpKind::Totp,
            otp_secret: "JBSWY3DPEHPK3PXP",
        };
        let dana = store.create_journalist(&new).unwrap();
        assert!(dana.is_admin && dana.otp_kind == OtpKind::Totp && dana.last_totp_step.is_none());
        assert!(matches!(store.create_journalist(&new), Err(StoreError::UsernameTaken)));
        assert_eq!(format!("{dana:?}"), "JournalistRecord([redacted])");

        assert!(store.set_journalist_password("dana", "$argon2id$y").unwrap());
        assert!(store.set_journalist_otp("dana", OtpKind::Hotp, "GEZDGNBV").unwrap());
        let dana = store.journalist("dana").unwrap().unwrap();
        assert_eq!((dana.password_hash.as_str(), dana.otp_kind), ("$argon2id$y", OtpKind::Hotp));
        assert!(!store.set_journalist_password("nobody", "x").unwrap());

        // Used codes and attempts.
        assert!(store.use_totp_step(dana.id, 100).unwrap());
        assert!(!store.use_totp_step(dana.id, 100).unwrap(), "never twice");
        assert!(!store.use_totp_step(dana.id, 99).unwrap(), "nor an older step");
        assert!(store.use_totp_step(dana.id, 101).unwrap());
        assert!(store.advance_hotp_counter(dana.id, 5).unwrap());
        assert!(!store.advance_hotp_counter(dana.id, 5).unwrap());
        let window = std::time::Duration::from_secs(60);
        let counts: Vec<u64> = (0..6).map(|_| store.record_login_attempt(dana.id, window).unwrap()).collect();
        assert_eq!(counts, [1, 2, 3, 4, 5, 6]);
        let other = store.create_journalist(&NewJournalist { username: "eli", ..new }).unwrap();
        assert_eq!(store.record_login_attempt(other.id, window).unwrap(), 1, "per user");

        let s = new_source(&store, 30);
        store.record_reply(s.id, Some(dana.id), blob(&store, &s, b"r")).unwrap();
        assert!(store.delete_journalist("dana").unwrap());
        assert!(!store.delete_journalist("dana").unwrap());
        let replies = store.replies(&store.source(s.id).unwrap().unwrap()).unwrap();
        let placeholder = store.journalist(RESERVED_USERNAME).unwrap().unwrap();
        assert!(placeholder.is_placeholder && !placeholder.password_hash.starts_with('$'));
        assert_eq!((replies.len(), replies[0].journalist), (1, Some(placeholder.id)));
        assert!(!store.delete_journalist(RESERVED_USERNAME).unwrap(), "the placeholder stays");
        assert!(matches!(
            store.create_journalist(&journalist_named(RESERVED_USERNAME)),
            Err(StoreError::UsernameTaken)
        ));
        // A second deletion reuses the one placeholder.
        store.record_reply(s.id, Some(other.id), blob(&store, &s, b"r2")).unwrap();
        assert!(store.delete_journalist("eli").unwrap());
        let replies = store.replies(&store.source(s.id).unwrap().unwrap()).unwrap();
        assert!(replies.iter().all(|r| r.journalist == Some(placeholder.id)));
    }

    #[test]
    fn profiles_change_and_generations_move_with_credentials() {
        let (_dir, store) = temp_store();
        let ada = store.create_journalist(&journalist_named("ada")).unwrap();
        store.create_journalist(&journalist_named("bo")).unwrap();
        assert!(store.update_journalist_profile(ada.id, "ada2", "Ada", "L", true).unwrap());
        assert!(matches!(store.update_journalist_profile(ada.id, "bo", "", "", false), Err(StoreError::UsernameTaken)));
        let ada = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!((ada.username.as_str(), ada.first_name.as_str(), ada.is_admin), ("ada2", "Ada", true));
        store.set_journalist_password("ada2", "$argon2id$new").unwrap();
        let after = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!(after.session_generation, ada.session_generation + 1);
        store.set_journalist_otp("ada2", crate::OtpKind::Totp, "ABC").unwrap();
        assert_eq!(store.journalist_by_id(ada.id).unwrap().unwrap().session_generation, ada.session_generation + 2);
        let names: Vec<String> = store.journalists().unwrap().into_iter().map(|j| j.username).collect();
        assert_eq!(names, ["ada2", "bo"]);
        assert!(store.set_journalist_names(ada.id, "A", "B").unwrap());
        let renamed = store.journalist_by_id(ada.id).unwrap().unwrap();
        assert_eq!((renamed.first_name.as_str(), renamed.is_admin), ("A", true), "names only");
        let cy = store.create_journalist_with_names(&journalist_named("cy"), "C", "Y").unwrap();
        assert_eq!((cy.first_name.as_str(), cy.last_name.as_str()), ("C", "Y"));
        assert!(matches!(
            store.create_journalist_with_names(&journalist_named("cy"), "", ""),
            Err(StoreError::UsernameTaken)
        ));

        assert!(store.logo().unwrap().is_none());
        store.set_logo(b"\x89PNG fake").unwrap();
        assert_eq!(store.logo().unwrap().unwrap(), b"\x89PNG fake");
    }
}
