//! The store: one SQLite connection behind a mutex, and the ciphertext directories.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use postern_core::{Clock, Designation, journalist_filename};
use rand::RngCore;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::access::{DataAccess, ensure_mode, inherit_owner};
use crate::blobs::{BlobWriter, FinishedBlob, sweep_dir, sync_dir};
use crate::error::{db, io};
use crate::{StoreError, sql};
use postern_core::RESERVED_USERNAME;

/// How often we redraw a designation that is already taken.
const DESIGNATION_ATTEMPTS: usize = 50;

/// A source's row id with its UUID. Never logged: it links activity over time. The
/// UUID goes with every lookup because SQLite reuses the row id of a deleted last row:
/// a session that outlived its source must never find the next one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceId {
    row: i64,
    uuid: [u8; 36],
}

impl SourceId {
    fn new(row: i64, uuid: &str) -> Self {
        let mut bytes = [0u8; 36];
        if uuid.len() == 36 {
            bytes.copy_from_slice(uuid.as_bytes());
        }
        Self { row, uuid: bytes }
    }

    pub(crate) fn raw(self) -> i64 {
        self.row
    }

    pub(crate) fn uuid(&self) -> &str {
        std::str::from_utf8(&self.uuid).unwrap_or_default()
    }

    /// An id for unit tests of other crates; real ids come from the store.
    #[doc(hidden)]
    pub fn for_tests(id: i64) -> Self {
        Self { row: id, uuid: [b'0'; 36] }
    }
}

impl std::fmt::Debug for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceId([redacted])")
    }
}

/// What the store knows of a source.
#[derive(Clone)]
pub struct SourceRecord {
    /// Row id.
    pub id: SourceId,
    /// Random UUID, used by the journalist API.
    pub uuid: String,
    /// Journalist-facing pseudonym.
    pub designation: Designation,
    /// Fingerprint of the source's derived public key.
    pub fingerprint: String,
    /// The per-source counter shared by submissions and replies.
    pub interaction_count: i64,
    /// Never submitted anything yet.
    pub pending: bool,
    /// A journalist starred it.
    pub starred: bool,
    /// Unix seconds of the last submission (or creation).
    pub last_updated: i64,
    pub(crate) store_dir: String,
}

impl std::fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceRecord([redacted])")
    }
}

/// A new source's derived, storable facts.
pub struct NewSource<'a> {
    /// The argon2id lookup id of the codename.
    pub lookup_id: &'a [u8; 32],
    /// The derived public key, armoured.
    pub public_key: &'a str,
    /// Its fingerprint.
    pub fingerprint: &'a str,
}

/// A message or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// `N-designation-msg.gpg`
    Message,
    /// `N-designation-doc.gz.gpg`
    Document,
}

impl SubmissionKind {
    fn suffix(self) -> &'static str {
        match self {
            Self::Message => "msg.gpg",
            Self::Document => "doc.gz.gpg",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Message => "msg",
            Self::Document => "doc",
        }
    }
}

/// What a stored file is.
enum Item {
    Submission(SubmissionKind),
    Reply { journalist: Option<i64> },
}

impl Item {
    fn suffix(&self) -> &'static str {
        match self {
            Self::Submission(kind) => kind.suffix(),
            Self::Reply { .. } => "reply.gpg",
        }
    }
}

/// A stored reply.
#[derive(Clone)]
pub struct ReplyRecord {
    /// Random UUID.
    pub uuid: String,
    /// `N-designation-reply.gpg`.
    pub filename: String,
    /// Row id of the journalist who wrote it (`None`: account deleted).
    pub journalist: Option<i64>,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// The source deleted it from its view.
    pub deleted_by_source: bool,
    /// Absolute path of the ciphertext.
    pub path: PathBuf,
}

/// A journalist's second factor, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// An authenticator app (RFC 6238).
    Totp,
    /// A YubiKey-style counter (RFC 4226).
    Hotp,
}

impl OtpKind {
    fn column(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Hotp => "hotp",
        }
    }
}

/// A new journalist account.
pub struct NewJournalist<'a> {
    /// Unique user name.
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// May administer the instance.
    pub is_admin: bool,
    /// TOTP or HOTP.
    pub otp_kind: OtpKind,
    /// Base32 secret.
    pub otp_secret: &'a str,
}

/// What the store knows of a journalist. `Debug` is redacted (hash and OTP secret).
#[derive(Clone)]
pub struct JournalistRecord {
    /// Row id.
    pub id: i64,
    /// Random UUID (journalist API).
    pub uuid: String,
    /// User name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// May administer the instance.
    pub is_admin: bool,
    /// TOTP or HOTP.
    pub otp_kind: OtpKind,
    /// Base32 secret.
    pub otp_secret: String,
    /// Next HOTP counter.
    pub hotp_counter: u64,
    /// Last accepted TOTP step.
    pub last_totp_step: Option<u64>,
    /// Optional first name.
    pub first_name: String,
    /// Optional last name.
    pub last_name: String,
    /// Changes whenever the password or second factor does: sessions that recorded an
    /// older value are over.
    pub session_generation: i64,
    /// The `deleted` account that inherits replies; it can never log in.
    pub is_placeholder: bool,
}

impl std::fmt::Debug for JournalistRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalistRecord([redacted])")
    }
}

/// A stored submission.
#[derive(Clone)]
pub struct SubmissionRecord {
    /// Random UUID.
    pub uuid: String,
    /// `N-designation-msg.gpg` or `N-designation-doc.gz.gpg`.
    pub filename: String,
    /// Message or document.
    pub kind: SubmissionKind,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// Absolute path of the ciphertext.
    pub path: PathBuf,
}

/// Instance-wide settings the administrator controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Shown in titles (1–64 characters).
    pub organization_name: String,
    /// Whether sources may upload files.
    pub allow_document_uploads: bool,
    /// Minimum length of a message-only first submission (0: no minimum).
    pub initial_message_min_len: u32,
    /// Refuse a first message that is exactly the source's codename.
    pub reject_message_with_codename: bool,
}

/// The persistent store of one instance.
pub struct Store {
    conn: Mutex<Connection>,
    pub(crate) store_root: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) access: DataAccess,
    /// The time of every timestamp the store writes or compares.
    pub(crate) clock: Clock,
}

/// The database file in the data directory, and the two files SQLite keeps beside it.
const DB_FILE: &str = "db.sqlite";
const DB_SIDE_FILES: [&str; 2] = ["db.sqlite-wal", "db.sqlite-shm"];

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, private to this user.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, DataAccess::Private)
    }

    /// Opens (creating if needed) the store in `data_dir`: `db.sqlite` and `store/`
    /// with the modes of `access`, whatever the umask and whether they existed, and
    /// runs pending migrations.
    pub fn open_with(data_dir: &Path, access: DataAccess) -> Result<Self, StoreError> {
        let dir = |p: &Path, what| {
            DirBuilder::new().recursive(true).mode(access.create_dir_mode()).create(p).map_err(io(what))?;
            ensure_mode(p, access.dir_mode(), what)
        };
        dir(data_dir, "the data directory")?;
        let store_root = data_dir.join("store");
        let new_store_root = !store_root.exists();
        dir(&store_root, "the store directory")?;
        let db_path = data_dir.join(DB_FILE);
        let new_db = !db_path.exists();
        // Created before SQLite opens it, so it never exists with SQLite's default 0644;
        // SQLite gives the -wal and -shm files the database file's mode (and, run as
        // root, its owner).
        let created = OpenOptions::new().write(true).create(true).mode(access.file_mode()).open(&db_path);
        drop(created.map_err(io("create the database file"))?);
        ensure_mode(&db_path, access.file_mode(), "the database file")?;
        for (new, path) in [(new_store_root, &store_root), (new_db, &db_path)] {
            if new {
                inherit_owner(path, data_dir)?;
            }
        }
        let mut conn = Connection::open(&db_path).map_err(db("open the database"))?;
        conn.execute_batch(sql::CONNECTION_PRAGMAS).map_err(db("set connection pragmas"))?;
        migrate(&mut conn)?;
        for side in DB_SIDE_FILES {
            let path = data_dir.join(side);
            if path.exists() {
                ensure_mode(&path, access.file_mode(), "a database journal file")?;
            }
        }
        Ok(Self { conn: Mutex::new(conn), store_root, data_dir: data_dir.to_owned(), access, clock: Clock::system() })
    }

    /// Removes what an interrupted upload left: temporary ciphertext, and files no row
    /// references. Run once at start by the process that accepts submissions.
    pub fn sweep_incomplete(&self) -> Result<(), StoreError> {
        let conn = self.lock()?;
        let mut dirs = conn.prepare(sql::LIST_SOURCE_DIRS).map_err(db("list source directories"))?;
        let rows = dirs
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(db("list source directories"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list source directories"))?;
        let mut names = conn.prepare(sql::LIST_FILENAMES_FOR_SOURCE).map_err(db("list stored files"))?;
        for entry in std::fs::read_dir(&self.store_root).map_err(io("list the store"))? {
            let entry = entry.map_err(io("list the store"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !rows.iter().any(|(_, dir)| *dir == name) {
                // A directory no source owns: an interrupted create or purge left it.
                std::fs::remove_dir_all(entry.path()).map_err(io("remove an orphaned directory"))?;
            }
        }
        for (id, dir) in rows {
            let referenced = names
                .query_map([id], |r| r.get::<_, String>(0))
                .map_err(db("list stored files"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db("list stored files"))?;
            let mut is_stored = conn.prepare(sql::IS_FILENAME_STORED).map_err(db("look up a stored file"))?;
            sweep_dir(&self.store_root.join(dir), &referenced, |name| {
                is_stored.exists(params![id, name]).map_err(db("look up a stored file"))
            })?;
        }
        Ok(())
    }

    /// The current instance settings.
    pub fn instance_settings(&self) -> Result<InstanceSettings, StoreError> {
        self.lock()?
            .query_row(sql::GET_INSTANCE_CONFIG, [], |r| {
                Ok(InstanceSettings {
                    organization_name: r.get(0)?,
                    allow_document_uploads: r.get(1)?,
                    initial_message_min_len: r.get(2)?,
                    reject_message_with_codename: r.get(3)?,
                })
            })
            .map_err(db("read instance settings"))
    }

    /// Replaces the instance settings.
    pub fn set_instance_settings(&self, s: &InstanceSettings) -> Result<(), StoreError> {
        self.lock()?
            .execute(
                sql::UPDATE_INSTANCE_CONFIG,
                params![
                    s.organization_name,
                    s.allow_document_uploads,
                    s.initial_message_min_len,
                    s.reject_message_with_codename
                ],
            )
            .map_err(db("update instance settings"))?;
        Ok(())
    }

    /// Creates a pending source with a fresh unique designation and a private directory.
    pub fn create_source(&self, new: &NewSource<'_>) -> Result<SourceRecord, StoreError> {
        let conn = self.lock()?;
        let designation = unused_designation(&conn)?;
        let store_dir = random_hex(16);
        let dir = self.store_root.join(&store_dir);
        DirBuilder::new().mode(self.access.create_dir_mode()).create(&dir).map_err(io("create a source directory"))?;
        if let Err(e) = ensure_mode(&dir, self.access.dir_mode(), "a source directory") {
            let _ = std::fs::remove_dir(&dir);
            return Err(e);
        }
        let uuid = random_uuid();
        let inserted = conn.execute(
            sql::INSERT_SOURCE,
            params![
                uuid,
                &new.lookup_id[..],
                designation.as_str(),
                store_dir,
                new.public_key,
                new.fingerprint,
                self.now()
            ],
        );
        if let Err(e) = inserted {
            let _ = std::fs::remove_dir(&dir);
            return Err(db("insert a source")(e));
        }
        let id = conn.last_insert_rowid();
        conn.query_row(sql::FIND_SOURCE_BY_ID, params![id, uuid], source_from_row).map_err(db("read a new source"))
    }

    /// The source whose codename derives to `lookup_id`, if any.
    pub fn find_source_by_lookup(&self, lookup_id: &[u8; 32]) -> Result<Option<SourceRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_SOURCE_BY_LOOKUP, [&lookup_id[..]], source_from_row)
            .optional()
            .map_err(db("find a source"))
    }

    /// The source with this id, if it still exists.
    pub fn source(&self, id: SourceId) -> Result<Option<SourceRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_SOURCE_BY_ID, params![id.row, id.uuid()], source_from_row)
            .optional()
            .map_err(db("read a source"))
    }

    /// The directory holding a source's ciphertext.
    pub fn source_dir(&self, source: &SourceRecord) -> PathBuf {
        self.store_root.join(&source.store_dir)
    }

    /// Starts a ciphertext file in the source's directory.
    pub fn begin_blob(&self, source: &SourceRecord) -> Result<BlobWriter, StoreError> {
        BlobWriter::create(&self.source_dir(source), self.access.file_mode())
    }

    /// Records finished ciphertexts as one submission, in order: each gets the next
    /// interaction number and its SecureDrop file name, is renamed into place and gets
    /// its row, all in one transaction. On failure nothing is recorded and the files
    /// are removed. Returns the stored file names.
    pub fn record_submission(
        &self,
        source: SourceId,
        items: Vec<(SubmissionKind, FinishedBlob)>,
    ) -> Result<Vec<String>, StoreError> {
        let items = items.into_iter().map(|(kind, blob)| (Item::Submission(kind), blob)).collect();
        self.record_items(source, items)
    }

    /// Records a finished reply ciphertext (`N-designation-reply.gpg`) by `journalist`
    /// (`None` for a deleted account), with the next interaction number. Returns its
    /// file name.
    pub fn record_reply(
        &self,
        source: SourceId,
        journalist: Option<i64>,
        blob: FinishedBlob,
    ) -> Result<String, StoreError> {
        let mut names = self.record_items(source, vec![(Item::Reply { journalist }, blob)])?;
        names.pop().ok_or(StoreError::Bug(postern_core::internal!("a recorded reply has no name")))
    }

    fn record_items(&self, source: SourceId, items: Vec<(Item, FinishedBlob)>) -> Result<Vec<String>, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db("begin recording items"))?;
        let record = tx
            .query_row(sql::FIND_SOURCE_BY_ID, params![source.row, source.uuid()], source_from_row)
            .optional()
            .map_err(db("read a source"))?
            .ok_or(StoreError::NoSuchSource)?;
        let prefix = journalist_filename(&record.designation);
        let dir = self.source_dir(&record);
        let mut count = record.interaction_count;
        let mut from_source: i64 = 0;
        let mut placed: Vec<PathBuf> = Vec::new();
        // Renamed blobs keep their locks until the rows are committed (or the files
        // removed): until then the other process's sweep must leave them alone.
        let mut held: Vec<FinishedBlob> = Vec::new();
        let result = (|| {
            let mut names = Vec::new();
            for (item, mut blob) in items {
                if blob.dir() != dir {
                    return Err(StoreError::Bug(postern_core::internal!("a blob was written for another source")));
                }
                count += 1;
                let name = format!("{count}-{prefix}-{}", item.suffix());
                let size = size_column(blob.size())?;
                match item {
                    Item::Submission(kind) => {
                        from_source += 1;
                        tx.execute(
                            sql::INSERT_SUBMISSION,
                            params![random_uuid(), source.row, name, kind.column(), size],
                        )
                        .map_err(db("insert a submission"))?;
                    }
                    Item::Reply { journalist } => {
                        tx.execute(sql::INSERT_REPLY, params![random_uuid(), source.row, journalist, name, size])
                            .map_err(db("insert a reply"))?;
                        // The author has seen what they wrote.
                        if let Some(author) = journalist {
                            tx.execute(sql::INSERT_SEEN_REPLY, params![tx.last_insert_rowid(), author])
                                .map_err(db("mark a reply seen"))?;
                        }
                    }
                }
                placed.push(blob.rename_to(&name)?);
                held.push(blob);
                names.push(name);
            }
            if from_source > 0 {
                tx.execute(sql::TOUCH_SOURCE_AFTER_SUBMISSION, params![source.row, count, self.now(), from_source])
            } else {
                tx.execute(sql::SET_INTERACTION_COUNT, params![source.row, count])
            }
            .map_err(db("update the source"))?;
            sync_dir(&dir)?;
            tx.commit().map_err(db("commit recorded items"))?;
            Ok(names)
        })();
        if result.is_err() {
            for path in placed {
                let _ = std::fs::remove_file(path);
            }
        }
        drop(held);
        result
    }

    /// A source's replies, oldest first, including those the source deleted.
    pub fn replies(&self, source: &SourceRecord) -> Result<Vec<ReplyRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_REPLIES_FOR_SOURCE).map_err(db("list replies"))?;
        let dir = self.source_dir(source);
        let rows = stmt
            .query_map([source.id.row], |r| {
                let filename: String = r.get(1)?;
                Ok(ReplyRecord {
                    uuid: r.get(0)?,
                    path: dir.join(&filename),
                    filename,
                    journalist: r.get(2)?,
                    size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    deleted_by_source: r.get(4)?,
                })
            })
            .map_err(db("list replies"))?;
        rows.collect::<Result<_, _>>().map_err(db("list replies"))
    }

    /// Hides one of `source`'s own replies from it (journalists still see it). Returns
    /// false if `filename` is not an undeleted reply of this source.
    pub fn delete_reply_for_source(&self, source: SourceId, filename: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()?
            .execute(sql::MARK_REPLY_DELETED_BY_SOURCE, params![source.row, filename, source.uuid()])
            .map_err(db("mark a reply deleted"))?;
        Ok(changed == 1)
    }

    /// Hides all of `source`'s replies from it. Returns how many were hidden.
    pub fn delete_all_replies_for_source(&self, source: SourceId) -> Result<usize, StoreError> {
        self.lock()?
            .execute(sql::MARK_ALL_REPLIES_DELETED_BY_SOURCE, params![source.row, source.uuid()])
            .map_err(db("mark replies deleted"))
    }

    /// The armoured public key of a source, to encrypt replies to.
    pub fn source_public_key(&self, source: SourceId) -> Result<String, StoreError> {
        self.lock()?
            .query_row(sql::GET_SOURCE_PUBLIC_KEY, params![source.row, source.uuid()], |r| r.get(0))
            .optional()
            .map_err(db("read a source key"))?
            .ok_or(StoreError::NoSuchSource)
    }

    /// Deletes sources that never submitted anything, keeping the newest `keep`
    /// (SecureDrop keeps 100): accounts nobody used must not pile up. Returns how many
    /// were deleted.
    /// Sources younger than `min_age` are never purged: one may be uploading right now.
    pub fn purge_pending_sources(&self, keep: usize, min_age: std::time::Duration) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let cutoff = self.now().saturating_sub(i64::try_from(min_age.as_secs()).unwrap_or(i64::MAX));
        let mut stmt = conn.prepare(sql::LIST_PENDING_SOURCES_BEYOND).map_err(db("list pending sources"))?;
        let stale = stmt
            .query_map(params![keep, cutoff], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(db("list pending sources"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("list pending sources"))?;
        let mut deleted = 0;
        for (id, dir) in stale {
            // Only if it is still pending: it may have submitted since we listed it.
            if conn.execute(sql::DELETE_PENDING_SOURCE, [id]).map_err(db("delete a pending source"))? == 1 {
                let _ = std::fs::remove_dir_all(self.store_root.join(dir));
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// A source's submissions, oldest first.
    pub fn submissions(&self, source: &SourceRecord) -> Result<Vec<SubmissionRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(sql::LIST_SUBMISSIONS_FOR_SOURCE).map_err(db("list submissions"))?;
        let dir = self.source_dir(source);
        let rows = stmt
            .query_map([source.id.row], |r| {
                let filename: String = r.get(1)?;
                Ok(SubmissionRecord {
                    uuid: r.get(0)?,
                    path: dir.join(&filename),
                    filename,
                    kind: if r.get::<_, String>(2)? == "msg" {
                        SubmissionKind::Message
                    } else {
                        SubmissionKind::Document
                    },
                    size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                })
            })
            .map_err(db("list submissions"))?;
        rows.collect::<Result<_, _>>().map_err(db("list submissions"))
    }

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

    /// The journalist with this user name, if any.
    pub fn journalist(&self, username: &str) -> Result<Option<JournalistRecord>, StoreError> {
        self.lock()?
            .query_row(sql::FIND_JOURNALIST_BY_USERNAME, [username], journalist_from_row)
            .optional()
            .map_err(db("find a journalist"))
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
        tx.execute(sql::REASSIGN_REPLIES, [id, placeholder]).map_err(db("reassign replies"))?;
        tx.execute(sql::REASSIGN_SEEN_SUBMISSIONS, [id, placeholder]).map_err(db("reassign seen records"))?;
        tx.execute(sql::REASSIGN_SEEN_REPLIES, [id, placeholder]).map_err(db("reassign seen records"))?;
        tx.execute(sql::DELETE_JOURNALIST, [id]).map_err(db("delete a journalist"))?;
        tx.commit().map_err(db("commit deleting a journalist"))?;
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

    /// Records a login attempt for `journalist` now and returns how many it made in the
    /// last `window` (this one included). Attempts older than a day are forgotten.
    pub fn record_login_attempt(&self, journalist: i64, window: std::time::Duration) -> Result<u64, StoreError> {
        let conn = self.lock()?;
        let now = self.now();
        conn.execute(sql::DELETE_LOGIN_ATTEMPTS_BEFORE, [now - 86_400]).map_err(db("forget old login attempts"))?;
        conn.execute(sql::INSERT_LOGIN_ATTEMPT, params![journalist, now]).map_err(db("record a login attempt"))?;
        let since = now - i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let count: i64 = conn
            .query_row(sql::COUNT_LOGIN_ATTEMPTS_SINCE, params![journalist, since], |r| r.get(0))
            .map_err(db("count login attempts"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Marks TOTP step `step` as used by `journalist`. Returns false if that step, or a
    /// later one, was already used: the code must then be refused (no replay, even when
    /// two logins race).
    pub fn use_totp_step(&self, journalist: i64, step: u64) -> Result<bool, StoreError> {
        let step =
            i64::try_from(step).map_err(|_| StoreError::Bug(postern_core::internal!("a TOTP step out of range")))?;
        let changed =
            self.lock()?.execute(sql::ADVANCE_TOTP_STEP, params![journalist, step]).map_err(db("use a TOTP step"))?;
        Ok(changed == 1)
    }

    /// Moves `journalist`'s HOTP counter to `next`. Returns false if it was already there
    /// or beyond (a racing login used the code first).
    pub fn advance_hotp_counter(&self, journalist: i64, next: u64) -> Result<bool, StoreError> {
        let next = i64::try_from(next)
            .map_err(|_| StoreError::Bug(postern_core::internal!("an HOTP counter out of range")))?;
        let changed = self
            .lock()?
            .execute(sql::ADVANCE_HOTP_COUNTER, params![journalist, next])
            .map_err(db("advance an HOTP counter"))?;
        Ok(changed == 1)
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        // A panic while the lock was held rolled its transaction back; the connection is fine.
        Ok(self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: u32 = conn.query_row(sql::GET_USER_VERSION, [], |r| r.get(0)).map_err(db("read schema version"))?;
    let supported = u32::try_from(sql::MIGRATIONS.len())
        .map_err(|_| StoreError::Bug(postern_core::internal!("too many migrations")))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let tx = conn.transaction().map_err(db("begin migrations"))?;
    for step in &sql::MIGRATIONS[found as usize..] {
        tx.execute_batch(step).map_err(db("run a migration"))?;
    }
    // PRAGMA takes no parameters; the value is our own constant.
    tx.execute_batch(&format!("PRAGMA user_version = {supported}")).map_err(db("record schema version"))?;
    tx.commit().map_err(db("commit migrations"))
}

pub(crate) fn source_from_row(r: &Row<'_>) -> rusqlite::Result<SourceRecord> {
    Ok(SourceRecord {
        id: SourceId::new(r.get(0)?, &r.get::<_, String>(1)?),
        uuid: r.get(1)?,
        designation: Designation::from_stored(r.get(2)?),
        store_dir: r.get(3)?,
        fingerprint: r.get(4)?,
        interaction_count: r.get(5)?,
        pending: r.get(6)?,
        starred: r.get(7)?,
        last_updated: r.get(8)?,
    })
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
        id: r.get(0)?,
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
    })
}

fn unused_designation(conn: &Connection) -> Result<Designation, StoreError> {
    for _ in 0..DESIGNATION_ATTEMPTS {
        let candidate = Designation::generate(&mut OsRng);
        let taken = conn
            .query_row(sql::DESIGNATION_EXISTS, [candidate.as_str()], |_| Ok(()))
            .optional()
            .map_err(db("check a designation"))?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(StoreError::DesignationsExhausted)
}

pub(crate) fn size_column(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Bug(postern_core::internal!("a file size does not fit the database")))
}

impl Store {
    /// Uses `clock` for every timestamp from now on (tests move it instead of sleeping).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Seconds since the Unix epoch, by the store's clock.
    pub(crate) fn now(&self) -> i64 {
        i64::try_from(self.clock.unix_seconds()).unwrap_or(i64::MAX)
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    pub(crate) fn journalist_named(username: &str) -> NewJournalist<'_> {
        NewJournalist {
            username,
            password_hash: "$argon2id$x",
            is_admin: false,
            otp_kind: OtpKind::Totp,
            otp_secret: "JBSWY3DPEHPK3PXP",
        }
    }

    pub(crate) fn new_source(store: &Store, tag: u8) -> SourceRecord {
        store.create_source(&NewSource { lookup_id: &[tag; 32], public_key: "pk", fingerprint: "FP" }).unwrap()
    }

    pub(crate) fn blob(store: &Store, s: &SourceRecord, data: &[u8]) -> FinishedBlob {
        let mut w = store.begin_blob(s).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn opens_with_pragmas_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.lock().unwrap();
        let get = |p: &str| conn.query_row(p, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(get("PRAGMA foreign_keys"), 1);
        assert_eq!(get("PRAGMA secure_delete"), 1);
        assert_eq!(get("PRAGMA user_version"), sql::MIGRATIONS.len() as i64);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        Connection::open(dir.path().join("db.sqlite")).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
        assert!(matches!(Store::open(dir.path()), Err(StoreError::SchemaTooNew { found: 999, .. })));
    }

    #[test]
    fn submissions_get_securedrop_names_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = new_source(&store, 1);
        assert!(s.pending);
        let items = vec![
            (SubmissionKind::Message, blob(&store, &s, b"m")),
            (SubmissionKind::Document, blob(&store, &s, b"dd")),
        ];
        let names = store.record_submission(s.id, items).unwrap();
        let prefix = journalist_filename(&s.designation);
        assert_eq!(names, vec![format!("1-{prefix}-msg.gpg"), format!("2-{prefix}-doc.gz.gpg")]);
        let s = store.source(s.id).unwrap().unwrap();
        assert_eq!(s.interaction_count, 2);
        assert!(!s.pending);
        let listed = store.submissions(&s).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].size, 2);
        assert_eq!(std::fs::read(&listed[0].path).unwrap(), b"m");
        let meta = std::fs::metadata(&listed[0].path).unwrap();
        assert_eq!(meta.modified().unwrap(), std::time::UNIX_EPOCH);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn large_blobs_are_written_out_while_they_grow_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = new_source(&store, 7);
        let data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let mut w = store.begin_blob(&s).unwrap();
        for chunk in data.chunks(100_000) {
            w.write_all(chunk).unwrap();
        }
        let names = store.record_submission(s.id, vec![(SubmissionKind::Document, w.finish().unwrap())]).unwrap();
        let path = dir.path().join("store").join(&s.store_dir).join(&names[0]);
        assert_eq!(std::fs::read(path).unwrap(), data);
        // An abandoned large blob stops its background thread and leaves no file.
        let mut w = store.begin_blob(&s).unwrap();
        w.write_all(&data).unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path().join("store").join(&s.store_dir)).unwrap().count(), 1);
    }

    #[test]
    fn replies_share_the_counter_and_only_their_source_hides_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = new_source(&store, 20);
        let other = new_source(&store, 21);
        store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"m"))]).unwrap();
        let author = store.create_journalist(&journalist_named("ada")).unwrap();
        let name = store.record_reply(s.id, Some(author.id), blob(&store, &s, b"reply")).unwrap();
        let prefix = journalist_filename(&s.designation);
        assert_eq!(name, format!("2-{prefix}-reply.gpg"));
        let after = store.source(s.id).unwrap().unwrap();
        assert_eq!(after.interaction_count, 2);
        assert!(!after.pending);
        assert!(store.source_public_key(s.id).unwrap() == "pk");
        // A reply to a pending source does not make it active.
        store.record_reply(other.id, None, blob(&store, &other, b"r")).unwrap();
        assert!(store.source(other.id).unwrap().unwrap().pending);

        assert!(!store.delete_reply_for_source(other.id, &name).unwrap(), "not the other source's");
        assert!(store.delete_reply_for_source(s.id, &name).unwrap());
        assert!(!store.delete_reply_for_source(s.id, &name).unwrap(), "already hidden");
        let replies = store.replies(&after).unwrap();
        assert_eq!(replies.len(), 1);
        assert!(replies[0].deleted_by_source && replies[0].path.exists(), "journalists keep it");
        assert_eq!(replies[0].journalist, Some(author.id));
        assert_eq!(store.delete_all_replies_for_source(other.id).unwrap(), 1);
    }

    #[test]
    fn journalists_are_unique_and_deleting_one_keeps_their_replies() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
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
    fn unfinished_and_unrecorded_blobs_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = new_source(&store, 2);
        let sdir = dir.path().join("store").join(&s.store_dir);
        let mut w = store.begin_blob(&s).unwrap();
        w.write_all(b"partial").unwrap();
        assert_eq!(files_in(&sdir).len(), 1);
        drop(w);
        drop(blob(&store, &s, b"finished but never recorded"));
        assert!(files_in(&sdir).is_empty());
    }

    #[test]
    fn sweep_removes_temporary_and_unlisted_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = new_source(&store, 3);
        let names = store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"kept"))]).unwrap();
        let sdir = dir.path().join("store").join(&s.store_dir);
        // What a crash leaves: a temporary file mid-write, and a renamed file whose row never committed.
        std::fs::write(sdir.join(".tmp-crashed"), b"ciphertext").unwrap();
        std::fs::write(sdir.join("2-x-msg.gpg"), b"ciphertext").unwrap();
        std::fs::create_dir(dir.path().join("store").join("0123abcd")).unwrap();
        std::fs::write(dir.path().join("store").join("0123abcd").join(".tmp-x"), b"ciphertext").unwrap();
        store.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir), names);
        assert_eq!(files_in(&dir.path().join("store")), vec![s.store_dir.clone()], "orphaned directories go");
    }

    #[test]
    fn the_sweep_spares_what_the_other_process_is_still_writing_or_recording() {
        let dir = tempfile::tempdir().unwrap();
        let source_process = Store::open(dir.path()).unwrap();
        let journalist_process = Store::open(dir.path()).unwrap();
        let s = new_source(&source_process, 6);
        let sdir = dir.path().join("store").join(&s.store_dir);
        let mut writing = journalist_process.begin_blob(&s).unwrap();
        writing.write_all(b"a reply being encrypted").unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir).len(), 1, "a temporary file being written stays");
        let finished = writing.finish().unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir).len(), 1, "a finished file waiting for its row stays");
        let name = journalist_process.record_reply(s.id, None, finished).unwrap();
        source_process.sweep_incomplete().unwrap();
        assert_eq!(files_in(&sdir), vec![name], "a recorded file stays, and nothing else was left");
    }

    #[test]
    fn modes_are_enforced_on_an_existing_loose_directory_and_the_database_files() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("store")).unwrap();
        for d in [&data, &data.join("store")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(data.join("db.sqlite"), b"").unwrap();
        std::fs::set_permissions(data.join("db.sqlite"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::open(&data).unwrap();
        let s = new_source(&store, 7);
        store.record_submission(s.id, vec![(SubmissionKind::Message, blob(&store, &s, b"m"))]).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("store")), 0o700);
        assert_eq!(mode(&store.source_dir(&s)), 0o700);
        for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm"] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&store.submissions(&s).unwrap()[0].path), 0o600);
        drop(store);
        let shared = Store::open_with(&data, DataAccess::GroupShared).unwrap();
        let t = new_source(&shared, 8);
        shared.record_submission(t.id, vec![(SubmissionKind::Message, blob(&shared, &t, b"m"))]).unwrap();
        assert_eq!(mode(&data), 0o2770);
        assert_eq!(mode(&shared.source_dir(&t)), 0o2770);
        for f in ["db.sqlite", "db.sqlite-wal", "db.sqlite-shm"] {
            assert_eq!(mode(&data.join(f)), 0o660, "{f}");
        }
        assert_eq!(mode(&shared.submissions(&t).unwrap()[0].path), 0o660);
    }

    #[test]
    fn a_new_instance_starts_with_the_default_organization_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.instance_settings().unwrap().organization_name, postern_core::DEFAULT_ORGANIZATION_NAME);
    }

    #[test]
    fn designations_are_unique_and_dirs_random() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = new_source(&store, 4);
        let b = new_source(&store, 5);
        assert_ne!(a.designation, b.designation);
        assert_ne!(a.store_dir, b.store_dir);
        assert_eq!(a.store_dir.len(), 32);
        assert!(store.find_source_by_lookup(&[4; 32]).unwrap().is_some());
        assert!(store.find_source_by_lookup(&[9; 32]).unwrap().is_none());
        assert!(store.create_source(&NewSource { lookup_id: &[4; 32], public_key: "", fingerprint: "" }).is_err());
    }

    #[test]
    fn purging_keeps_the_newest_pending_sources_and_every_active_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let active = new_source(&store, 10);
        store.record_submission(active.id, vec![(SubmissionKind::Message, blob(&store, &active, b"m"))]).unwrap();
        let pending: Vec<SourceRecord> = (11..16).map(|t| new_source(&store, t)).collect();
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::from_secs(3600)).unwrap(), 0, "too young");
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::ZERO).unwrap(), 3);
        assert!(store.source(active.id).unwrap().is_some());
        let kept: Vec<bool> = pending.iter().map(|s| store.source(s.id).unwrap().is_some()).collect();
        assert_eq!(kept, [false, false, false, true, true]);
        assert!(!dir.path().join("store").join(&pending[0].store_dir).exists());
        assert_eq!(store.purge_pending_sources(2, std::time::Duration::ZERO).unwrap(), 0);
    }

    #[test]
    fn settings_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut s = store.instance_settings().unwrap();
        assert!(s.allow_document_uploads);
        s.initial_message_min_len = 20;
        s.reject_message_with_codename = true;
        store.set_instance_settings(&s).unwrap();
        assert_eq!(store.instance_settings().unwrap(), s);
    }
}
