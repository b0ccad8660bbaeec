//! The indexes built so far, each kept with the change counts of the shards it covers
//! (see `index.rs`); and what a new token hints of the whole one.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use postern_store::{SyncShape, SyncStamp};
use postern_sync::Version;
use serde::Serialize;

/// Indexes kept at most, and their bytes at most (the whole index of 10,000 sources and
/// 100,000 items is 11 MiB); past either the cache starts again. A client uses a
/// handful of shard lists, so this is only reached by one trying many.
const CACHED_INDEXES: usize = 64;
const CACHED_BYTES: usize = 128 * 1024 * 1024;

/// Which index: its shape, and its shards (`None`: the whole store).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) shape: SyncShape,
    pub(crate) journalists: bool,
    pub(crate) prefixes: Option<Vec<String>>,
}

/// One built index.
#[derive(Clone)]
pub(crate) struct Built {
    pub(crate) stamp: SyncStamp,
    pub(crate) version: Version,
    pub(crate) body: Bytes,
    pub(crate) sources: usize,
    pub(crate) items: usize,
}

/// The indexes built so far.
#[derive(Default)]
pub(crate) struct IndexCache(Mutex<HashMap<Key, Built>>);

impl IndexCache {
    pub(crate) fn get(&self, key: &Key, stamp: &SyncStamp) -> Option<Built> {
        let cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(key).filter(|b| &b.stamp == stamp).cloned()
    }

    pub(crate) fn put(&self, key: Key, built: Built) {
        let mut cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bytes: usize = cache.values().map(|b| b.body.len()).sum();
        if (cache.len() >= CACHED_INDEXES && !cache.contains_key(&key)) || bytes + built.body.len() > CACHED_BYTES {
            cache.clear();
        }
        cache.insert(key, built);
    }
}

/// The sync hints of a new token: the whole index's version and size.
#[derive(Serialize)]
pub(crate) struct Hints {
    pub(crate) items: usize,
    pub(crate) sources: usize,
    pub(crate) version: String,
}
