//! The index: every record's UUID and version, as `{items, journalists, sources}`; its
//! own version is that of its JSON, which is the body served.

use crate::Version;

/// One record in the index.
pub type Entry = (String, Version);

/// The index of the whole store, or of a shard of it.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Sources.
    pub sources: Vec<Entry>,
    /// Submissions and replies.
    pub items: Vec<Entry>,
    /// Journalist accounts.
    pub journalists: Vec<Entry>,
}

impl Index {
    /// Sorts every list by UUID (UUIDs are ASCII: byte order is JavaScript's order).
    pub fn sorted(mut self) -> Self {
        for list in [&mut self.sources, &mut self.items, &mut self.journalists] {
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            list.dedup_by(|a, b| a.0 == b.0);
        }
        self
    }

    /// The JSON served (and hashed): keys sorted, no whitespace; without `journalists`
    /// before API minor version 1. Expects [`Index::sorted`] lists.
    pub fn to_json(&self, with_journalists: bool) -> Vec<u8> {
        let entries = self.sources.len() + self.items.len() + self.journalists.len();
        let mut out = Vec::with_capacity(48 + entries * 106);
        out.extend_from_slice(b"{\"items\":");
        write_map(&mut out, &self.items);
        if with_journalists {
            out.extend_from_slice(b",\"journalists\":");
            write_map(&mut out, &self.journalists);
        }
        out.extend_from_slice(b",\"sources\":");
        write_map(&mut out, &self.sources);
        out.push(b'}');
        out
    }

    /// The version of [`Index::to_json`].
    pub fn version(&self, with_journalists: bool) -> Version {
        Version::of_bytes(&self.to_json(with_journalists))
    }
}

fn write_map(out: &mut Vec<u8>, entries: &[Entry]) {
    out.push(b'{');
    for (i, (uuid, version)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // UUIDs and versions need no escaping, but a stored UUID is not ours to trust.
        // Writing a string into memory cannot fail.
        let _ = serde_json::to_writer(&mut *out, uuid.as_str());
        out.push(b':');
        out.push(b'"');
        out.extend_from_slice(version.as_str().as_bytes());
        out.push(b'"');
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_json;

    #[test]
    fn the_body_is_canonical_json_of_the_sorted_index() {
        let v = |c: &str| Version::parse(&c.repeat(64)).unwrap();
        let index = Index {
            sources: vec![("b".into(), v("1")), ("a".into(), v("2"))],
            items: vec![("c".into(), v("3"))],
            journalists: vec![("d".into(), v("4"))],
        }
        .sorted();
        for with_journalists in [true, false] {
            let body = String::from_utf8(index.to_json(with_journalists)).unwrap();
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body, canonical_json(&value));
            assert_eq!(value.get("journalists").is_some(), with_journalists);
        }
        assert_eq!(index.sources[0].0, "a");
    }
}
