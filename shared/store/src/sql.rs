//! The only SQL text in the workspace: ordered migrations and named queries.

/// Pragmas set on every connection. `secure_delete` is per connection in SQLite,
/// so it cannot be set once by a migration (SecureDrop's mistake). With
/// `journal_size_limit` 0 a write-ahead log that was checkpointed in full is cut to
/// nothing when it restarts, instead of keeping old frames (deleted rows among them).
pub(crate) const CONNECTION_PRAGMAS: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
    PRAGMA secure_delete = ON;
    PRAGMA journal_size_limit = 0;
    PRAGMA busy_timeout = 5000;
";

/// Copies the write-ahead log into the database and truncates it, so that the
/// frames holding rows just deleted leave the disk. Answers (busy, log frames,
/// checkpointed frames).
pub(crate) const CHECKPOINT_TRUNCATE: &str = "PRAGMA wal_checkpoint(TRUNCATE)";

/// The columns of the API v2 records, in the order `sync.rs` reads them: the version
/// functions take them as arguments (from a trigger) and the readers select them (to
/// serve), so a served record is always the one that was hashed.
macro_rules! sync_source_columns {
    () => {
        "uuid, designation, starred, is_seen, has_attachment, last_updated, public_key, fingerprint"
    };
}
macro_rules! sync_submission_columns {
    () => {
        "uuid, source_uuid, kind, size, is_read, seen_by, filename"
    };
}
macro_rules! sync_reply_columns {
    () => {
        "uuid, source_uuid, size, deleted_by_source, journalist_uuid, seen_by, filename"
    };
}
macro_rules! sync_journalist_columns {
    () => {
        "uuid, username, first_name, last_name"
    };
}

/// Recompute one record's version, inside a trigger: `refresh!(source, "NEW.id")`.
macro_rules! refresh {
    (source, $id:literal) => {
        concat!(
            "UPDATE sources SET version = (SELECT sync_source_version(",
            sync_source_columns!(),
            ") FROM sync_sources WHERE id = ",
            $id,
            ") WHERE id = ",
            $id,
            ";"
        )
    };
    (submission, $id:literal) => {
        concat!(
            "UPDATE submissions SET version = (SELECT sync_submission_version(",
            sync_submission_columns!(),
            ") FROM sync_submissions WHERE id = ",
            $id,
            ") WHERE id = ",
            $id,
            ";"
        )
    };
    (reply, $id:literal) => {
        concat!(
            "UPDATE replies SET version = (SELECT sync_reply_version(",
            sync_reply_columns!(),
            ") FROM sync_replies WHERE id = ",
            $id,
            ") WHERE id = ",
            $id,
            ";"
        )
    };
    (journalist, $id:literal) => {
        concat!(
            "UPDATE journalists SET version = (SELECT sync_journalist_version(",
            sync_journalist_columns!(),
            ") FROM sync_journalists WHERE id = ",
            $id,
            ") WHERE id = ",
            $id,
            ";"
        )
    };
}

/// Count a change in a shard: that of source UUID `$uuid` (an SQL expression), of the
/// source with row id `$id`, or of the reply `$id`'s source (the first character of
/// the source's UUID); `*` for journalists, who are in every shard.
macro_rules! bump_shard {
    (uuid $($uuid:literal),+) => {
        concat!(
            "INSERT INTO sync_shards (shard, generation) VALUES (COALESCE(substr(",
            $($uuid),+,
            ", 1, 1), ''), 1) ON CONFLICT (shard) DO UPDATE SET generation = generation + 1;"
        )
    };
    (source $id:literal) => {
        bump_shard!(uuid "(SELECT uuid FROM sources WHERE id = ", $id, ")")
    };
    (reply $id:literal) => {
        bump_shard!(uuid "(SELECT s.uuid FROM replies r JOIN sources s ON s.id = r.source_id WHERE r.id = ", $id, ")")
    };
    (journalists) => {
        bump_shard!(uuid "'*'")
    };
}

/// A submission `$item` of source `$source` changed (row ids, as SQL): its version,
/// its source's (whose `is_seen` and `has_attachment` follow it) and the shard.
macro_rules! submission_changed {
    ($item:literal, $source:literal) => {
        concat!(refresh!(submission, $item), refresh!(source, $source), bump_shard!(source $source))
    };
}

/// A reply `$item` changed: its version and its source's shard.
macro_rules! reply_changed {
    ($item:literal) => {
        concat!(refresh!(reply, $item), bump_shard!(reply $item))
    };
}

/// Schema steps, oldest first. `PRAGMA user_version` records how many have run;
/// all pending steps run in one transaction at open.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE instance_config (
         id                           INTEGER PRIMARY KEY CHECK (id = 1),
         organization_name            TEXT    NOT NULL DEFAULT 'Postern', -- DEFAULT_ORGANIZATION_NAME
         allow_document_uploads       INTEGER NOT NULL DEFAULT 1,
         initial_message_min_len      INTEGER NOT NULL DEFAULT 0,
         reject_message_with_codename INTEGER NOT NULL DEFAULT 0
     );
     INSERT INTO instance_config (id) VALUES (1);
     CREATE TABLE sources (
         id                INTEGER PRIMARY KEY,
         uuid              TEXT    NOT NULL UNIQUE,
         lookup_id         BLOB    NOT NULL UNIQUE,  -- argon2id of the codename; never the codename
         designation       TEXT    NOT NULL UNIQUE,
         store_dir         TEXT    NOT NULL UNIQUE,  -- random; unrelated to anything the source typed
         public_key        TEXT    NOT NULL,         -- derived from the codename; no secret key is stored
         fingerprint       TEXT    NOT NULL,
         interaction_count INTEGER NOT NULL DEFAULT 0,
         pending           INTEGER NOT NULL DEFAULT 1,
         starred           INTEGER NOT NULL DEFAULT 0,
         last_updated      INTEGER NOT NULL          -- Unix seconds; journalists sort by it
     );
     CREATE TABLE submissions (
         id        INTEGER PRIMARY KEY,
         uuid      TEXT    NOT NULL UNIQUE,
         source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
         filename  TEXT    NOT NULL UNIQUE,
         kind      TEXT    NOT NULL CHECK (kind IN ('msg', 'doc')),
         size      INTEGER NOT NULL,
         checksum  TEXT
     );
     CREATE INDEX submissions_by_source ON submissions(source_id);
     CREATE TABLE replies (
         id                INTEGER PRIMARY KEY,
         uuid              TEXT    NOT NULL UNIQUE,
         source_id         INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
         journalist_id     INTEGER,
         filename          TEXT    NOT NULL UNIQUE,
         size              INTEGER NOT NULL,
         deleted_by_source INTEGER NOT NULL DEFAULT 0,
         checksum          TEXT
     );
     CREATE INDEX replies_by_source ON replies(source_id);",
    // v2: journalist accounts
    "CREATE TABLE journalists (
         id           INTEGER PRIMARY KEY,
         uuid         TEXT    NOT NULL UNIQUE,
         username     TEXT    NOT NULL UNIQUE,
         password_hash TEXT   NOT NULL,        -- argon2id PHC string; never the password
         is_admin     INTEGER NOT NULL DEFAULT 0,
         otp_kind     TEXT    NOT NULL CHECK (otp_kind IN ('totp', 'hotp')),
         otp_secret   TEXT    NOT NULL,        -- base32
         hotp_counter INTEGER NOT NULL DEFAULT 0,
         last_totp_step INTEGER,               -- codes of this step or earlier are refused
         created_at   INTEGER NOT NULL
     );
     CREATE TABLE journalist_login_attempts (
         id            INTEGER PRIMARY KEY,
         journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
         at            INTEGER NOT NULL
     );
     CREATE INDEX login_attempts_by_journalist ON journalist_login_attempts(journalist_id, at);",
    // v3: the newsroom's view: names, session invalidation, the placeholder author of
    // deleted journalists' replies, and per-journalist seen records.
    "ALTER TABLE journalists ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
     ALTER TABLE journalists ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
     -- Bumped on password or 2FA change: sessions carrying an older value end.
     ALTER TABLE journalists ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
     -- The one 'deleted' account that inherits replies; it can never log in.
     ALTER TABLE journalists ADD COLUMN is_placeholder INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE journalists ADD COLUMN last_access INTEGER;
     -- Kept with every insert and delete, so the source list needs no scan of submissions.
     ALTER TABLE sources ADD COLUMN submission_count INTEGER NOT NULL DEFAULT 0;
     UPDATE sources SET submission_count = (SELECT COUNT(*) FROM submissions WHERE source_id = sources.id);
     CREATE TABLE seen_submissions (
         submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
         journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
         source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
         PRIMARY KEY (submission_id, journalist_id)
     ) WITHOUT ROWID;
     CREATE INDEX seen_submissions_by_journalist ON seen_submissions(journalist_id, source_id);
     CREATE TABLE seen_replies (
         reply_id      INTEGER NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
         journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
         PRIMARY KEY (reply_id, journalist_id)
     ) WITHOUT ROWID;
     CREATE INDEX seen_replies_by_journalist ON seen_replies(journalist_id);
     CREATE INDEX sources_by_activity ON sources(pending, starred, last_updated);",
    // v4: the journalist API reads who has seen one source's items, and counts its
    // documents and messages, from indexes alone.
    "CREATE INDEX seen_submissions_by_source ON seen_submissions(source_id);
     CREATE INDEX submissions_by_source_kind ON submissions(source_id, kind);",
    // v5: the journalist API v2. Every record SecureDrop Inbox syncs carries its
    // version, recomputed by triggers in the transaction that changes it (the version
    // functions are registered on every connection by `sync.rs`), and every change
    // counts in its shard's generation, which tells the index cache what is stale.
    concat!(
        "ALTER TABLE sources ADD COLUMN version TEXT;
         ALTER TABLE submissions ADD COLUMN version TEXT;
         ALTER TABLE replies ADD COLUMN version TEXT;
         ALTER TABLE journalists ADD COLUMN version TEXT;
         CREATE TABLE sync_shards (shard TEXT PRIMARY KEY, generation INTEGER NOT NULL) WITHOUT ROWID;
         -- Event IDs a journalist's client sent that were applied: a resent one is
         -- answered 208 and changes nothing. Kept SYNC_EVENT_RETENTION.
         CREATE TABLE sync_events (
             journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
             event_id      TEXT    NOT NULL,
             status        INTEGER NOT NULL,
             at            INTEGER NOT NULL,
             PRIMARY KEY (journalist_id, event_id)
         ) WITHOUT ROWID;
         CREATE INDEX sync_events_by_age ON sync_events(at);
         -- The index is read from these alone: a source row, with its armoured key, is
         -- kilobytes, and an index of 10,000 sources would read them all.
         CREATE INDEX sources_sync ON sources(pending, uuid, version);
         CREATE INDEX submissions_sync ON submissions(source_id, uuid, version);
         CREATE INDEX replies_sync ON replies(source_id, uuid, version);
         CREATE VIEW sync_sources AS
             SELECT s.id, s.pending, s.uuid, s.designation, s.starred,
                 NOT EXISTS (SELECT 1 FROM submissions m WHERE m.source_id = s.id
                     AND NOT EXISTS (SELECT 1 FROM seen_submissions x WHERE x.submission_id = m.id)) AS is_seen,
                 EXISTS (SELECT 1 FROM submissions m WHERE m.source_id = s.id AND m.kind = 'doc') AS has_attachment,
                 s.last_updated, s.public_key, s.fingerprint
             FROM sources s;
         CREATE VIEW sync_submissions AS
             SELECT m.id, s.pending, m.uuid, s.uuid AS source_uuid, m.kind, m.size,
                 EXISTS (SELECT 1 FROM seen_submissions x WHERE x.submission_id = m.id) AS is_read,
                 (SELECT group_concat(j.uuid, ',') FROM seen_submissions x
                     JOIN journalists j ON j.id = x.journalist_id WHERE x.submission_id = m.id) AS seen_by,
                 m.filename
             FROM submissions m JOIN sources s ON s.id = m.source_id;
         CREATE VIEW sync_replies AS
             SELECT r.id, s.pending, r.uuid, s.uuid AS source_uuid, r.size, r.deleted_by_source,
                 COALESCE(a.uuid, (SELECT uuid FROM journalists WHERE is_placeholder = 1 LIMIT 1), '') AS journalist_uuid,
                 (SELECT group_concat(j.uuid, ',') FROM seen_replies x
                     JOIN journalists j ON j.id = x.journalist_id WHERE x.reply_id = r.id) AS seen_by,
                 r.filename
             FROM replies r JOIN sources s ON s.id = r.source_id LEFT JOIN journalists a ON a.id = r.journalist_id;
         CREATE VIEW sync_journalists AS SELECT id, uuid, username, first_name, last_name FROM journalists;
         CREATE TRIGGER sync_source_added AFTER INSERT ON sources BEGIN ",
        refresh!(source, "NEW.id"),
        bump_shard!(uuid "NEW.uuid"),
        " END;
         CREATE TRIGGER sync_source_changed
             AFTER UPDATE OF uuid, designation, starred, last_updated, public_key, fingerprint, pending ON sources BEGIN ",
        refresh!(source, "NEW.id"),
        bump_shard!(uuid "NEW.uuid"),
        " END;
         CREATE TRIGGER sync_source_removed AFTER DELETE ON sources BEGIN ",
        bump_shard!(uuid "OLD.uuid"),
        " END;
         CREATE TRIGGER sync_submission_added AFTER INSERT ON submissions BEGIN ",
        submission_changed!("NEW.id", "NEW.source_id"),
        " END;
         CREATE TRIGGER sync_submission_changed
             AFTER UPDATE OF uuid, source_id, kind, size, filename ON submissions BEGIN ",
        submission_changed!("NEW.id", "NEW.source_id"),
        " END;
         CREATE TRIGGER sync_submission_removed AFTER DELETE ON submissions BEGIN ",
        refresh!(source, "OLD.source_id"),
        bump_shard!(source "OLD.source_id"),
        " END;
         CREATE TRIGGER sync_submission_seen AFTER INSERT ON seen_submissions BEGIN ",
        submission_changed!("NEW.submission_id", "NEW.source_id"),
        " END;
         CREATE TRIGGER sync_submission_seen_changed AFTER UPDATE ON seen_submissions BEGIN ",
        refresh!(submission, "OLD.submission_id"),
        submission_changed!("NEW.submission_id", "NEW.source_id"),
        " END;
         CREATE TRIGGER sync_submission_unseen AFTER DELETE ON seen_submissions BEGIN ",
        submission_changed!("OLD.submission_id", "OLD.source_id"),
        " END;
         CREATE TRIGGER sync_reply_added AFTER INSERT ON replies BEGIN ",
        reply_changed!("NEW.id"),
        " END;
         CREATE TRIGGER sync_reply_changed
             AFTER UPDATE OF uuid, source_id, journalist_id, filename, size, deleted_by_source ON replies BEGIN ",
        reply_changed!("NEW.id"),
        " END;
         CREATE TRIGGER sync_reply_removed AFTER DELETE ON replies BEGIN ",
        bump_shard!(source "OLD.source_id"),
        " END;
         CREATE TRIGGER sync_reply_seen AFTER INSERT ON seen_replies BEGIN ",
        reply_changed!("NEW.reply_id"),
        " END;
         CREATE TRIGGER sync_reply_seen_changed AFTER UPDATE ON seen_replies BEGIN ",
        refresh!(reply, "OLD.reply_id"),
        reply_changed!("NEW.reply_id"),
        " END;
         CREATE TRIGGER sync_reply_unseen AFTER DELETE ON seen_replies BEGIN ",
        reply_changed!("OLD.reply_id"),
        " END;
         CREATE TRIGGER sync_journalist_added AFTER INSERT ON journalists BEGIN ",
        refresh!(journalist, "NEW.id"),
        bump_shard!(journalists),
        " END;
         CREATE TRIGGER sync_journalist_changed
             AFTER UPDATE OF uuid, username, first_name, last_name, is_placeholder ON journalists BEGIN ",
        refresh!(journalist, "NEW.id"),
        bump_shard!(journalists),
        " END;
         CREATE TRIGGER sync_journalist_removed AFTER DELETE ON journalists BEGIN ",
        bump_shard!(journalists),
        " END;
         UPDATE sources SET version = (SELECT sync_source_version(",
        sync_source_columns!(),
        ") FROM sync_sources v WHERE v.id = sources.id);
         UPDATE submissions SET version = (SELECT sync_submission_version(",
        sync_submission_columns!(),
        ") FROM sync_submissions v WHERE v.id = submissions.id);
         UPDATE replies SET version = (SELECT sync_reply_version(",
        sync_reply_columns!(),
        ") FROM sync_replies v WHERE v.id = replies.id);
         UPDATE journalists SET version = (SELECT sync_journalist_version(",
        sync_journalist_columns!(),
        ") FROM sync_journalists v WHERE v.id = journalists.id);"
    ),
];

/// Current schema version.
pub(crate) const GET_USER_VERSION: &str = "PRAGMA user_version";

/// The one row of instance settings.
pub(crate) const GET_INSTANCE_CONFIG: &str = "SELECT organization_name, allow_document_uploads,
     initial_message_min_len, reject_message_with_codename FROM instance_config WHERE id = 1";

/// Change the instance settings.
pub(crate) const UPDATE_INSTANCE_CONFIG: &str = "UPDATE instance_config SET organization_name = ?1,
     allow_document_uploads = ?2, initial_message_min_len = ?3, reject_message_with_codename = ?4 WHERE id = 1";

/// Is this designation taken?
pub(crate) const DESIGNATION_EXISTS: &str = "SELECT 1 FROM sources WHERE designation = ?1";

/// How many sources have never submitted anything.
pub(crate) const COUNT_PENDING_SOURCES: &str = "SELECT COUNT(*) FROM sources WHERE pending = 1";

/// Create a (pending) source.
pub(crate) const INSERT_SOURCE: &str = "INSERT INTO sources
     (uuid, lookup_id, designation, store_dir, public_key, fingerprint, last_updated)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Find a source by the id its codename derives to.
pub(crate) const FIND_SOURCE_BY_LOOKUP: &str = "SELECT id, uuid, designation, store_dir, fingerprint,
     interaction_count, pending, starred, last_updated FROM sources WHERE lookup_id = ?1";

/// Find a source by row id and UUID: SQLite reuses the id of a deleted last row, so a
/// stale id alone could name a newer source.
pub(crate) const FIND_SOURCE_BY_ID: &str = "SELECT id, uuid, designation, store_dir, fingerprint,
     interaction_count, pending, starred, last_updated FROM sources WHERE id = ?1 AND uuid = ?2";

/// Find a source by row id alone (from an item's row).
pub(crate) const FIND_SOURCE_BY_ROW: &str = "SELECT id, uuid, designation, store_dir, fingerprint,
     interaction_count, pending, starred, last_updated FROM sources WHERE id = ?1";

/// Find a source by UUID (journalist URLs).
pub(crate) const FIND_SOURCE_BY_UUID: &str = "SELECT id, uuid, designation, store_dir, fingerprint,
     interaction_count, pending, starred, last_updated FROM sources WHERE uuid = ?1";

/// Insert a submission row.
pub(crate) const INSERT_SUBMISSION: &str =
    "INSERT INTO submissions (uuid, source_id, filename, kind, size, checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// After a submission of ?4 items: new counter, no longer pending, newer activity.
pub(crate) const TOUCH_SOURCE_AFTER_SUBMISSION: &str = "UPDATE sources SET interaction_count = ?2, pending = 0,
     last_updated = ?3, submission_count = submission_count + ?4 WHERE id = ?1";

/// After deleting ?2 submissions of a source.
pub(crate) const SUBTRACT_SUBMISSIONS: &str =
    "UPDATE sources SET submission_count = submission_count - ?2 WHERE id = ?1";

/// A source's submissions in order.
pub(crate) const LIST_SUBMISSIONS_FOR_SOURCE: &str =
    "SELECT uuid, filename, kind, size FROM submissions WHERE source_id = ?1 ORDER BY id";

/// The journalists' source list: sources that submitted, starred first, then by
/// activity, with item counts and how many submissions journalist ?1 has not seen.
pub(crate) const LIST_SOURCES_FOR_JOURNALIST: &str = "SELECT s.uuid, s.designation, s.starred, s.last_updated,
         s.submission_count, s.submission_count - COALESCE(seen.n, 0)
     FROM sources s
     LEFT JOIN (SELECT source_id, COUNT(*) AS n FROM seen_submissions WHERE journalist_id = ?1
                GROUP BY source_id) seen ON seen.source_id = s.id
     WHERE s.pending = 0
     ORDER BY s.starred DESC, s.last_updated DESC, s.id DESC";

/// One source's submissions, with whether journalist ?2 has seen each.
pub(crate) const LIST_SUBMISSIONS_SEEN_BY: &str = "SELECT m.id, m.uuid, m.filename, m.kind, m.size,
         EXISTS (SELECT 1 FROM seen_submissions x WHERE x.submission_id = m.id AND x.journalist_id = ?2)
     FROM submissions m WHERE m.source_id = ?1 ORDER BY m.id";

/// One source's replies, with author and whether journalist ?2 has seen each.
pub(crate) const LIST_REPLIES_SEEN_BY: &str = "SELECT r.id, r.uuid, r.filename, r.size, r.deleted_by_source,
         EXISTS (SELECT 1 FROM seen_replies x WHERE x.reply_id = r.id AND x.journalist_id = ?2),
         j.username, COALESCE(j.is_placeholder, 1)
     FROM replies r LEFT JOIN journalists j ON j.id = r.journalist_id WHERE r.source_id = ?1 ORDER BY r.id";

/// Star or unstar.
pub(crate) const SET_SOURCE_STARRED: &str = "UPDATE sources SET starred = ?2 WHERE id = ?1 AND uuid = ?3";

/// Mark one submission seen by a journalist.
pub(crate) const INSERT_SEEN_SUBMISSION: &str =
    "INSERT OR IGNORE INTO seen_submissions (submission_id, journalist_id, source_id) VALUES (?1, ?2, ?3)";

/// Mark one reply seen by a journalist.
pub(crate) const INSERT_SEEN_REPLY: &str =
    "INSERT OR IGNORE INTO seen_replies (reply_id, journalist_id) VALUES (?1, ?2)";

/// Forget that a journalist saw a submission.
pub(crate) const DELETE_SEEN_SUBMISSION: &str =
    "DELETE FROM seen_submissions WHERE submission_id = ?1 AND journalist_id = ?2";

/// Forget that a journalist saw a reply.
pub(crate) const DELETE_SEEN_REPLY: &str = "DELETE FROM seen_replies WHERE reply_id = ?1 AND journalist_id = ?2";

/// Delete one submission row.
pub(crate) const DELETE_SUBMISSION: &str = "DELETE FROM submissions WHERE id = ?1";

/// Delete one reply row.
pub(crate) const DELETE_REPLY: &str = "DELETE FROM replies WHERE id = ?1";

/// Delete a source; its rows cascade.
pub(crate) const DELETE_SOURCE: &str = "DELETE FROM sources WHERE id = ?1 AND uuid = ?2";

/// Every source directory, for the startup sweep.
pub(crate) const LIST_SOURCE_DIRS: &str = "SELECT id, store_dir FROM sources";

/// Every file name a source's rows reference, for the startup sweep.
pub(crate) const LIST_FILENAMES_FOR_SOURCE: &str = "SELECT filename FROM submissions WHERE source_id = ?1
     UNION ALL SELECT filename FROM replies WHERE source_id = ?1";

/// A consistent copy of the database into the (empty) file `?1`.
pub(crate) const VACUUM_INTO: &str = "VACUUM INTO ?1";

/// Whether there is any source, or any journalist but the placeholder.
pub(crate) const HOLDS_ANYTHING: &str = "SELECT EXISTS (SELECT 1 FROM sources)
     OR EXISTS (SELECT 1 FROM journalists WHERE is_placeholder = 0)";

/// Every source's submission count, recounted (after rows were forgotten in a snapshot).
pub(crate) const RECOUNT_SUBMISSIONS: &str =
    "UPDATE sources SET submission_count = (SELECT COUNT(*) FROM submissions WHERE source_id = sources.id)";

/// Every stored ciphertext: its source's directory and its name.
pub(crate) const LIST_ALL_STORED_FILES: &str = "SELECT s.store_dir, m.filename FROM submissions m
     JOIN sources s ON s.id = m.source_id
     UNION ALL SELECT s.store_dir, r.filename FROM replies r JOIN sources s ON s.id = r.source_id";

/// Forget the submission stored as `?2` in source directory `?1` (in a snapshot).
pub(crate) const FORGET_SUBMISSION_FILE: &str =
    "DELETE FROM submissions WHERE filename = ?2 AND source_id = (SELECT id FROM sources WHERE store_dir = ?1)";

/// Forget the reply stored as `?2` in source directory `?1` (in a snapshot).
pub(crate) const FORGET_REPLY_FILE: &str =
    "DELETE FROM replies WHERE filename = ?2 AND source_id = (SELECT id FROM sources WHERE store_dir = ?1)";

/// Whether source `?1` has a submission or reply stored as `?2`.
pub(crate) const IS_FILENAME_STORED: &str = "SELECT 1 FROM submissions WHERE source_id = ?1 AND filename = ?2
     UNION ALL SELECT 1 FROM replies WHERE source_id = ?1 AND filename = ?2";

/// Pending sources (never submitted) beyond the newest `?1`, created at or before `?2`.
pub(crate) const LIST_PENDING_SOURCES_BEYOND: &str = "SELECT id, store_dir FROM
     (SELECT id, store_dir, last_updated FROM sources WHERE pending = 1 ORDER BY id DESC LIMIT -1 OFFSET ?1)
     WHERE last_updated <= ?2";

/// Delete a source that is still pending (its submissions would cascade, but it has none).
pub(crate) const DELETE_PENDING_SOURCE: &str = "DELETE FROM sources WHERE id = ?1 AND pending = 1";

/// Insert a reply row.
pub(crate) const INSERT_REPLY: &str = "INSERT INTO replies (uuid, source_id, journalist_id, filename, size, checksum)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Whether a submission or reply has UUID `?1` (a client may choose a reply's UUID).
pub(crate) const ITEM_UUID_IN_USE: &str =
    "SELECT 1 FROM replies WHERE uuid = ?1 UNION ALL SELECT 1 FROM submissions WHERE uuid = ?1";

/// After a reply: the new counter only (a reply is not the source's activity).
pub(crate) const SET_INTERACTION_COUNT: &str = "UPDATE sources SET interaction_count = ?2 WHERE id = ?1";

/// A source's replies in order.
pub(crate) const LIST_REPLIES_FOR_SOURCE: &str = "SELECT uuid, filename, journalist_id, size, deleted_by_source
     FROM replies WHERE source_id = ?1 ORDER BY id";

/// Hide one reply from its own source.
pub(crate) const MARK_REPLY_DELETED_BY_SOURCE: &str = "UPDATE replies SET deleted_by_source = 1
     WHERE source_id = (SELECT id FROM sources WHERE id = ?1 AND uuid = ?3) AND filename = ?2
     AND deleted_by_source = 0";

/// Hide all of a source's replies from it.
pub(crate) const MARK_ALL_REPLIES_DELETED_BY_SOURCE: &str = "UPDATE replies SET deleted_by_source = 1
     WHERE source_id = (SELECT id FROM sources WHERE id = ?1 AND uuid = ?2) AND deleted_by_source = 0";

/// A source's armoured public key.
pub(crate) const GET_SOURCE_PUBLIC_KEY: &str = "SELECT public_key FROM sources WHERE id = ?1 AND uuid = ?2";

/// Create a journalist.
pub(crate) const INSERT_JOURNALIST: &str = "INSERT INTO journalists
     (uuid, username, password_hash, is_admin, otp_kind, otp_secret, hotp_counter, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// The columns `journalist_from_row` reads, in order.
macro_rules! journalist_columns {
    () => {
        "SELECT id, uuid, username, password_hash, is_admin, otp_kind, otp_secret, hotp_counter, last_totp_step,
         first_name, last_name, session_generation, is_placeholder, last_access FROM journalists"
    };
}

/// A journalist by user name.
pub(crate) const FIND_JOURNALIST_BY_USERNAME: &str = concat!(journalist_columns!(), " WHERE username = ?1");

/// A journalist by row id.
pub(crate) const FIND_JOURNALIST_BY_ID: &str = concat!(journalist_columns!(), " WHERE id = ?1");

/// Every real account, for the admin page.
pub(crate) const LIST_JOURNALISTS: &str =
    concat!(journalist_columns!(), " WHERE is_placeholder = 0 ORDER BY username COLLATE NOCASE");

/// Every account, the placeholder too, for API clients (which resolve reply authors).
pub(crate) const LIST_ALL_JOURNALISTS: &str = concat!(journalist_columns!(), " ORDER BY id");

/// The placeholder account, if it exists.
pub(crate) const FIND_PLACEHOLDER_JOURNALIST: &str = "SELECT id FROM journalists WHERE is_placeholder = 1";

/// Create the placeholder account: no usable password (not a PHC string) or second factor.
pub(crate) const INSERT_PLACEHOLDER_JOURNALIST: &str = "INSERT INTO journalists
     (uuid, username, password_hash, is_admin, otp_kind, otp_secret, created_at, is_placeholder)
     VALUES (?1, 'deleted', '!', 0, 'totp', '', ?2, 1)";

/// Edit an account's names only.
pub(crate) const UPDATE_JOURNALIST_NAMES: &str =
    "UPDATE journalists SET first_name = ?2, last_name = ?3 WHERE id = ?1 AND is_placeholder = 0";

/// Edit an account's user name, names and role.
pub(crate) const UPDATE_JOURNALIST_PROFILE: &str = "UPDATE journalists
     SET username = ?2, first_name = ?3, last_name = ?4, is_admin = ?5 WHERE id = ?1 AND is_placeholder = 0";

/// Hand a deleted journalist's seen records to the placeholder (skipping duplicates).
pub(crate) const REASSIGN_SEEN_SUBMISSIONS: &str =
    "UPDATE OR IGNORE seen_submissions SET journalist_id = ?2 WHERE journalist_id = ?1";

/// Hand a deleted journalist's seen records to the placeholder (skipping duplicates).
pub(crate) const REASSIGN_SEEN_REPLIES: &str =
    "UPDATE OR IGNORE seen_replies SET journalist_id = ?2 WHERE journalist_id = ?1";

/// Record the last login.
pub(crate) const SET_LAST_ACCESS: &str = "UPDATE journalists SET last_access = ?2 WHERE id = ?1";

/// Replies of a journalist being deleted keep existing, attributed to the placeholder.
pub(crate) const REASSIGN_REPLIES: &str = "UPDATE replies SET journalist_id = ?2 WHERE journalist_id = ?1";

/// Delete a journalist.
pub(crate) const DELETE_JOURNALIST: &str = "DELETE FROM journalists WHERE id = ?1";

/// Replace a journalist's password hash.
pub(crate) const SET_JOURNALIST_PASSWORD: &str = "UPDATE journalists
     SET password_hash = ?2, session_generation = session_generation + 1 WHERE username = ?1 AND is_placeholder = 0";

/// Replace a journalist's second factor.
pub(crate) const SET_JOURNALIST_OTP: &str = "UPDATE journalists
     SET otp_kind = ?2, otp_secret = ?3, hotp_counter = ?4, last_totp_step = NULL,
         session_generation = session_generation + 1 WHERE username = ?1 AND is_placeholder = 0";

/// Record a login attempt.
pub(crate) const INSERT_LOGIN_ATTEMPT: &str =
    "INSERT INTO journalist_login_attempts (journalist_id, at) VALUES (?1, ?2)";

/// Count a journalist's attempts since a time.
pub(crate) const COUNT_LOGIN_ATTEMPTS_SINCE: &str =
    "SELECT COUNT(*) FROM journalist_login_attempts WHERE journalist_id = ?1 AND at >= ?2";

/// Forget attempts older than a time.
pub(crate) const DELETE_LOGIN_ATTEMPTS_BEFORE: &str = "DELETE FROM journalist_login_attempts WHERE at < ?1";

/// Accept a TOTP step only if it is later than the last accepted one.
pub(crate) const ADVANCE_TOTP_STEP: &str = "UPDATE journalists SET last_totp_step = ?2
     WHERE id = ?1 AND (last_totp_step IS NULL OR last_totp_step < ?2)";

/// Move an HOTP counter forward only.
pub(crate) const ADVANCE_HOTP_COUNTER: &str =
    "UPDATE journalists SET hotp_counter = ?2 WHERE id = ?1 AND hotp_counter < ?2";

/// The columns `client_source_from_row` reads, in order: sources as API clients see them.
macro_rules! client_source_columns {
    () => {
        "SELECT s.uuid, s.designation, s.starred, s.last_updated, s.interaction_count, s.public_key, s.fingerprint,
             (SELECT COUNT(*) FROM submissions m WHERE m.source_id = s.id AND m.kind = 'doc'),
             (SELECT COUNT(*) FROM submissions m WHERE m.source_id = s.id AND m.kind = 'msg')
         FROM sources s WHERE s.pending = 0"
    };
}

/// Every source that submitted, for API clients, oldest first.
pub(crate) const LIST_CLIENT_SOURCES: &str = concat!(client_source_columns!(), " ORDER BY s.id");

/// One source that submitted, by UUID, for API clients.
pub(crate) const FIND_CLIENT_SOURCE: &str = concat!(client_source_columns!(), " AND s.uuid = ?1");

/// The columns `client_submission_from_row` reads, in order.
macro_rules! client_submission_columns {
    () => {
        "SELECT m.id, m.uuid, s.uuid, m.filename, m.kind, m.size
         FROM submissions m JOIN sources s ON s.id = m.source_id WHERE s.pending = 0"
    };
}

/// Every submission of sources that submitted, for API clients.
pub(crate) const LIST_CLIENT_SUBMISSIONS: &str = concat!(client_submission_columns!(), " ORDER BY m.id");

/// One source's submissions, for API clients.
pub(crate) const LIST_CLIENT_SUBMISSIONS_OF: &str =
    concat!(client_submission_columns!(), " AND s.uuid = ?1 ORDER BY m.id");

/// One submission, by its source's UUID and its own.
pub(crate) const FIND_CLIENT_SUBMISSION: &str =
    concat!(client_submission_columns!(), " AND s.uuid = ?1 AND m.uuid = ?2");

/// Who has seen which submission: (submission row id, journalist UUID), every one.
pub(crate) const LIST_SUBMISSION_SEERS: &str = "SELECT x.submission_id, j.uuid
     FROM seen_submissions x JOIN journalists j ON j.id = x.journalist_id ORDER BY x.submission_id, j.id";

/// Who has seen the submissions of source `?1` (a UUID).
pub(crate) const LIST_SUBMISSION_SEERS_OF: &str = "SELECT x.submission_id, j.uuid
     FROM seen_submissions x JOIN journalists j ON j.id = x.journalist_id
     WHERE x.source_id = (SELECT id FROM sources WHERE uuid = ?1) ORDER BY x.submission_id, j.id";

/// Who has seen submission `?1` (a row id).
pub(crate) const LIST_SUBMISSION_SEERS_OF_ITEM: &str = "SELECT x.submission_id, j.uuid
     FROM seen_submissions x JOIN journalists j ON j.id = x.journalist_id WHERE x.submission_id = ?1 ORDER BY j.id";

/// The columns `client_reply_from_row` reads, in order. A reply whose author row is
/// gone reads as the placeholder's.
macro_rules! client_reply_columns {
    () => {
        "SELECT r.id, r.uuid, s.uuid, r.filename, r.size, r.deleted_by_source,
             COALESCE(j.uuid, (SELECT uuid FROM journalists WHERE is_placeholder = 1 LIMIT 1), ''),
             CASE WHEN j.id IS NULL OR j.is_placeholder = 1 THEN 'deleted' ELSE j.username END,
             COALESCE(j.first_name, ''), COALESCE(j.last_name, '')
         FROM replies r JOIN sources s ON s.id = r.source_id
         LEFT JOIN journalists j ON j.id = r.journalist_id
         WHERE s.pending = 0"
    };
}

/// Every reply to sources that submitted, for API clients.
pub(crate) const LIST_CLIENT_REPLIES: &str = concat!(client_reply_columns!(), " ORDER BY r.id");

/// One source's replies, for API clients.
pub(crate) const LIST_CLIENT_REPLIES_OF: &str = concat!(client_reply_columns!(), " AND s.uuid = ?1 ORDER BY r.id");

/// One reply, by its source's UUID and its own.
pub(crate) const FIND_CLIENT_REPLY: &str = concat!(client_reply_columns!(), " AND s.uuid = ?1 AND r.uuid = ?2");

/// Who has seen which reply: (reply row id, journalist UUID), every one.
pub(crate) const LIST_REPLY_SEERS: &str = "SELECT x.reply_id, j.uuid
     FROM seen_replies x JOIN journalists j ON j.id = x.journalist_id ORDER BY x.reply_id, j.id";

/// Who has seen the replies to source `?1` (a UUID): from the source's replies (by
/// index), then their seen records.
pub(crate) const LIST_REPLY_SEERS_OF: &str = "SELECT x.reply_id, j.uuid
     FROM replies r CROSS JOIN seen_replies x ON x.reply_id = r.id JOIN journalists j ON j.id = x.journalist_id
     WHERE r.source_id = (SELECT id FROM sources WHERE uuid = ?1) ORDER BY x.reply_id, j.id";

/// Who has seen reply `?1` (a row id).
pub(crate) const LIST_REPLY_SEERS_OF_ITEM: &str = "SELECT x.reply_id, j.uuid
     FROM seen_replies x JOIN journalists j ON j.id = x.journalist_id WHERE x.reply_id = ?1 ORDER BY j.id";

/// A submission of a source that submitted, by UUID: (row id, source row id, kind).
pub(crate) const FIND_SUBMISSION_BY_UUID: &str = "SELECT m.id, m.source_id, m.kind
     FROM submissions m JOIN sources s ON s.id = m.source_id WHERE m.uuid = ?1 AND s.pending = 0";

/// A reply to a source that submitted, by UUID: its row id.
pub(crate) const FIND_REPLY_BY_UUID: &str =
    "SELECT r.id FROM replies r JOIN sources s ON s.id = r.source_id WHERE r.uuid = ?1 AND s.pending = 0";

/// A submission's stored checksum and file: (checksum, store directory, file name).
pub(crate) const GET_SUBMISSION_FILE: &str = "SELECT m.checksum, s.store_dir, m.filename
     FROM submissions m JOIN sources s ON s.id = m.source_id WHERE m.id = ?1";

/// A reply's stored checksum and file: (checksum, store directory, file name).
pub(crate) const GET_REPLY_FILE: &str = "SELECT r.checksum, s.store_dir, r.filename
     FROM replies r JOIN sources s ON s.id = r.source_id WHERE r.id = ?1";

/// Fill in a submission's checksum, computed from its file (rows from before checksums).
pub(crate) const SET_SUBMISSION_CHECKSUM: &str =
    "UPDATE submissions SET checksum = ?2 WHERE id = ?1 AND checksum IS NULL";

/// Fill in a reply's checksum, computed from its file.
pub(crate) const SET_REPLY_CHECKSUM: &str = "UPDATE replies SET checksum = ?2 WHERE id = ?1 AND checksum IS NULL";

/// The API v2 index: (UUID, version) of every source that submitted.
pub(crate) const SYNC_INDEX_SOURCES: &str = "SELECT uuid, version FROM sources WHERE pending = 0";

/// The same, for sources whose UUID sorts in [?1, ?2).
pub(crate) const SYNC_INDEX_SOURCES_IN: &str =
    "SELECT uuid, version FROM sources WHERE pending = 0 AND uuid >= ?1 AND uuid < ?2";

/// The index's items: every submission and reply of sources that submitted, from the
/// sources to their items (CROSS JOIN keeps that order), all from covering indexes.
pub(crate) const SYNC_INDEX_ITEMS: &str = "SELECT m.uuid, m.version FROM sources s
     CROSS JOIN submissions m ON m.source_id = s.id WHERE s.pending = 0
     UNION ALL SELECT r.uuid, r.version FROM sources s CROSS JOIN replies r ON r.source_id = s.id WHERE s.pending = 0";

/// The same, for sources whose UUID sorts in [?1, ?2).
pub(crate) const SYNC_INDEX_ITEMS_IN: &str = "SELECT m.uuid, m.version FROM sources s
     CROSS JOIN submissions m ON m.source_id = s.id WHERE s.pending = 0 AND s.uuid >= ?1 AND s.uuid < ?2
     UNION ALL SELECT r.uuid, r.version FROM sources s
     CROSS JOIN replies r ON r.source_id = s.id WHERE s.pending = 0 AND s.uuid >= ?1 AND s.uuid < ?2";

/// The index's journalists: every account, the placeholder too.
pub(crate) const SYNC_INDEX_JOURNALISTS: &str = "SELECT uuid, version FROM journalists";

/// Every shard's change count.
pub(crate) const SYNC_SHARDS: &str = "SELECT shard, generation FROM sync_shards ORDER BY shard";

/// API v2 sources by UUID (`?1` an array), as served and hashed: one lookup per UUID
/// asked for (CROSS JOIN keeps the array the outer loop).
pub(crate) const SYNC_SOURCES_IN: &str = concat!(
    "SELECT ",
    sync_source_columns!(),
    " FROM rarray(?1) w CROSS JOIN sync_sources v ON v.uuid = w.value WHERE v.pending = 0"
);

/// API v2 submissions by UUID.
pub(crate) const SYNC_SUBMISSIONS_IN: &str = concat!(
    "SELECT ",
    sync_submission_columns!(),
    " FROM rarray(?1) w CROSS JOIN sync_submissions v ON v.uuid = w.value WHERE v.pending = 0"
);

/// API v2 replies by UUID.
pub(crate) const SYNC_REPLIES_IN: &str = concat!(
    "SELECT ",
    sync_reply_columns!(),
    " FROM rarray(?1) w CROSS JOIN sync_replies v ON v.uuid = w.value WHERE v.pending = 0"
);

/// API v2 journalists by UUID.
pub(crate) const SYNC_JOURNALISTS_IN: &str = concat!(
    "SELECT ",
    sync_journalist_columns!(),
    " FROM rarray(?1) w CROSS JOIN sync_journalists v ON v.uuid = w.value"
);

/// A source's stored version, by row id.
pub(crate) const SYNC_SOURCE_VERSION: &str = "SELECT version FROM sources WHERE id = ?1";

/// An item of a source that submitted, by UUID: (row id, source row id, 1 if a reply).
pub(crate) const SYNC_FIND_ITEM: &str = "SELECT m.id, m.source_id, 0 FROM submissions m
     JOIN sources s ON s.id = m.source_id WHERE m.uuid = ?1 AND s.pending = 0
     UNION ALL SELECT r.id, r.source_id, 1 FROM replies r
     JOIN sources s ON s.id = r.source_id WHERE r.uuid = ?1 AND s.pending = 0";

/// Whether journalist `?1`'s client already had event `?2` applied.
pub(crate) const SYNC_EVENT_APPLIED: &str = "SELECT 1 FROM sync_events WHERE journalist_id = ?1 AND event_id = ?2";

/// Records that journalist `?1`'s event `?2` was applied, with status `?3`, at `?4`.
pub(crate) const SYNC_RECORD_EVENT: &str =
    "INSERT OR IGNORE INTO sync_events (journalist_id, event_id, status, at) VALUES (?1, ?2, ?3, ?4)";

/// Forgets events applied before `?1`.
pub(crate) const SYNC_FORGET_EVENTS_BEFORE: &str = "DELETE FROM sync_events WHERE at < ?1";
