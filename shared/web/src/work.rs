//! A bounded queue for blocking work that clients can trigger at will (argon2 codename
//! derivations, journalist passphrase checks): a fixed number run at once, a fixed
//! number may wait, and everyone else hears "busy" at once. Work run for a client
//! (a session, a Tor circuit) is fair: one job per client at a time, so one client
//! holds one place in the queue however fast it asks.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use postern_core::{ErrorKind, HasKind};
use tokio::sync::Semaphore;

/// Why queued work did not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkError {
    /// As many requests as may wait already do.
    #[error("too many requests of this kind are waiting")]
    Busy,
    /// The same client already has work waiting or running.
    #[error("this client already has work of this kind waiting")]
    AlreadyQueued,
    /// The work panicked (a bug), or the runtime is shutting down.
    #[error("the queued work did not finish")]
    Stopped,
}

impl HasKind for WorkError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Busy | Self::AlreadyQueued => ErrorKind::RateLimited,
            Self::Stopped => ErrorKind::Internal,
        }
    }
}

/// Runs blocking work on tokio's blocking threads, at most `concurrent` at once.
pub struct WorkQueue {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// The clients with work waiting or running, hashed with a key of this process.
    clients: Arc<Mutex<HashSet<u64>>>,
    hasher: RandomState,
}

impl WorkQueue {
    /// A queue running `concurrent` jobs at once, with at most `max_waiting` waiting.
    pub fn new(concurrent: usize, max_waiting: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrent)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            clients: Arc::default(),
            hasher: RandomState::new(),
        }
    }

    /// [`WorkQueue::run_blocking`] for a client known by every one of `clients` (its
    /// session, its circuit): if any of them already has work waiting or running, the
    /// answer is [`WorkError::AlreadyQueued`] at once, at the cost of a hash. The client
    /// stays known until its work is done, also if it hangs up.
    pub async fn run_blocking_for<K, T, F>(&self, clients: &[K], work: F) -> Result<T, WorkError>
    where
        K: Hash,
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let keys: Vec<u64> = clients.iter().map(|c| self.hasher.hash_one(c)).collect();
        let known = Known::enter(&self.clients, keys).ok_or(WorkError::AlreadyQueued)?;
        self.run_blocking(move || {
            let _known = known;
            work()
        })
        .await
    }

    /// Runs `work` once a slot is free, or says [`WorkError::Busy`] at once if too many
    /// already wait. The slot moves into the blocking task: a client that hangs up does
    /// not free it before the work is done.
    pub async fn run_blocking<T, F>(&self, work: F) -> Result<T, WorkError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let waiting = Waiting::enter(&self.waiting, self.max_waiting).ok_or(WorkError::Busy)?;
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| WorkError::Stopped)?;
        drop(waiting);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| WorkError::Stopped)
    }

    /// How many requests wait for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// Marks clients as having work in the queue while it lives.
struct Known {
    clients: Arc<Mutex<HashSet<u64>>>,
    keys: Vec<u64>,
}

impl Known {
    fn enter(clients: &Arc<Mutex<HashSet<u64>>>, keys: Vec<u64>) -> Option<Self> {
        let mut set = clients.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.iter().any(|k| set.contains(k)) {
            return None;
        }
        set.extend(keys.iter().copied());
        Some(Self { clients: Arc::clone(clients), keys })
    }
}

impl Drop for Known {
    fn drop(&mut self) {
        let mut set = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        for k in &self.keys {
            set.remove(k);
        }
    }
}

/// Counts a request waiting for a slot while it lives, also when its future is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(counter: &'a AtomicUsize, max: usize) -> Option<Self> {
        if counter.fetch_add(1, Ordering::SeqCst) >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self(counter))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_waiting_limit_the_answer_is_busy_and_abandoned_waiters_leave() {
        let queue = Arc::new(WorkQueue::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.run_blocking(move || hold.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waiter = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.run_blocking(|| 2).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(queue.waiting(), 1);
        assert!(matches!(queue.run_blocking(|| 3).await, Err(WorkError::Busy)));
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(queue.waiting(), 0, "a dropped waiter no longer counts");
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(queue.run_blocking(|| 4).await.unwrap(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_holds_one_place_however_often_it_asks_and_others_still_get_theirs() {
        let queue = Arc::new(WorkQueue::new(1, 8));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let flooder = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                queue.run_blocking_for(&["session-a", "circuit-1"], move || hold.recv().is_ok()).await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        for keys in [["session-a", "circuit-9"], ["session-b", "circuit-1"]] {
            let again = queue.run_blocking_for(&keys, || 0).await;
            assert!(matches!(again, Err(WorkError::AlreadyQueued)), "{keys:?}: {again:?}");
        }
        assert_eq!(queue.waiting(), 0, "refused requests never wait");
        let other = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.run_blocking_for(&["session-b", "circuit-2"], || 7).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(queue.waiting(), 1, "another client waits for its turn");
        release.send(()).unwrap();
        assert!(flooder.await.unwrap().unwrap());
        assert_eq!(other.await.unwrap().unwrap(), 7);
        assert_eq!(queue.run_blocking_for(&["session-a"], || 8).await.unwrap(), 8, "done work frees the client");
    }
}
