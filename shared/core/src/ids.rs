//! The ids records are known by across the crates.

/// A source's row id with its UUID. Never logged: it links activity over time. The
/// UUID goes with every lookup because SQLite reuses the row id of a deleted last row:
/// a session that outlived its source must never find the next one. Only the store
/// makes real ones.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceId {
    row: i64,
    uuid: [u8; 36],
}

impl SourceId {
    /// The id of the row `row` with `uuid`; for the store, which read both.
    #[doc(hidden)]
    pub fn new(row: i64, uuid: &str) -> Self {
        let mut bytes = [0u8; 36];
        if uuid.len() == 36 {
            bytes.copy_from_slice(uuid.as_bytes());
        }
        Self { row, uuid: bytes }
    }

    /// The row id, for the store's queries.
    #[doc(hidden)]
    pub fn raw(self) -> i64 {
        self.row
    }

    /// The UUID, for the store's queries and the journalist's links.
    #[doc(hidden)]
    pub fn uuid(&self) -> &str {
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

/// A journalist's row id. Not secret: administrators' links name it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct JournalistId(i64);

impl JournalistId {
    /// The id of row `row` of the journalists table.
    pub const fn new(row: i64) -> Self {
        Self(row)
    }

    /// The row id, for the store's queries and the administrators' links.
    pub fn raw(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_id_keeps_its_uuid_and_never_shows_it() {
        let id = SourceId::new(7, "0b6f2a9e-4c1d-4e8f-9a3b-5d7c1e2f3a4b");
        assert_eq!((id.raw(), id.uuid()), (7, "0b6f2a9e-4c1d-4e8f-9a3b-5d7c1e2f3a4b"));
        assert_eq!(format!("{id:?}"), "SourceId([redacted])");
        assert_ne!(id, SourceId::new(7, "1b6f2a9e-4c1d-4e8f-9a3b-5d7c1e2f3a4b"), "a reused row id is another source");
    }
}
