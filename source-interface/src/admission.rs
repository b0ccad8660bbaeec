//! Who may upload at once. The server receives [`CONCURRENT_UPLOADS`] bodies at a
//! time (each holds about 9 MiB), and one client may hold only its share of them: at
//! most [`UPLOADS_PER_SOURCE`] per source account and [`UPLOADS_PER_CIRCUIT`] per Tor
//! circuit (one Tor Browser, all its tabs). A client that sends below the floor loses
//! its slot (`body.rs`); and when every slot is taken, a newcomer waits up to
//! [`SLOT_WAIT`] for one, pushing out the slowest upload that has run
//! [`PUSH_OUT_MIN_AGE`] and averages below [`FAIR_UPLOAD_RATE`], so that holding the
//! server's slots takes real bandwidth rather than many accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use postern_core::SourceId;
use postern_web::Circuit;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::BodyMeter;

/// Uploads received at once, server-wide. Each holds up to about 16 MiB at its peak
/// (sequoia's two 4 MiB packet buffers, ours, and the allocator's slack, measured by
/// `load-bench`), so this keeps the server well under 256 MiB whatever clients do
/// (12 left it 3 % below in a debug build); more uploads wait for a slot ([`SLOT_WAIT`]).
pub(crate) const CONCURRENT_UPLOADS: usize = 10;
/// Uploads one source account may send at once (two tabs).
pub(crate) const UPLOADS_PER_SOURCE: usize = 2;
/// Uploads one Tor circuit may carry at once, whichever accounts they are for.
pub(crate) const UPLOADS_PER_CIRCUIT: usize = 2;
/// An upload averaging below this, in bytes a second, gives its slot up to a newcomer
/// when the server is full: four times the floor, and well below what Tor carries.
pub(crate) const FAIR_UPLOAD_RATE: u64 = 32 * 1024;
/// An upload younger than this is never pushed out (its rate means nothing yet).
pub(crate) const PUSH_OUT_MIN_AGE: Duration = Duration::from_secs(10);
/// How long a newcomer waits for a slot when every one is taken, before it is told the
/// server is busy. Its body waits unread meanwhile (it costs a connection, not memory),
/// and a source whose upload starts late is better served than one told to retry.
pub(crate) const SLOT_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting newcomer looks again for an upload to push out (uploads that
/// were too young to judge when it arrived may have shown their rate since).
const PUSH_OUT_EVERY: Duration = Duration::from_secs(2);

/// What holds upload slots.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Holder {
    Source(SourceId),
    Circuit(Circuit),
}

/// Why an upload may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoSlot {
    /// Every slot of the server is taken.
    Busy,
    /// This client already sends as many uploads as it may.
    ClientLimit,
}

/// The server's upload slots, who holds them, and how fast each upload goes.
pub(crate) struct UploadSlots {
    free: Arc<Semaphore>,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    by: HashMap<Holder, usize>,
    /// The body meter of every upload holding a slot, by slot number.
    uploads: HashMap<u64, Arc<BodyMeter>>,
    next: u64,
}

/// One upload counted against its client's share; dropping it gives the share back.
struct Share {
    slots: Arc<UploadSlots>,
    holders: Vec<Holder>,
}

/// One upload's slot; dropping it frees it.
pub(crate) struct UploadSlot {
    share: Share,
    number: u64,
    meter: Arc<BodyMeter>,
    _permit: OwnedSemaphorePermit,
}

impl UploadSlot {
    /// What the upload's body reader reports its progress to, and is pushed out through.
    pub(crate) fn meter(&self) -> &Arc<BodyMeter> {
        &self.meter
    }
}

impl UploadSlots {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { free: Arc::new(Semaphore::new(CONCURRENT_UPLOADS)), held: Mutex::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for an upload by `source` over `circuit` (none over TCP), if the client
    /// has not used its share and a slot is free or one can be freed by pushing out
    /// an upload below the fair rate.
    pub(crate) async fn take(
        self: &Arc<Self>,
        source: SourceId,
        circuit: Option<Circuit>,
    ) -> Result<UploadSlot, NoSlot> {
        let share: Vec<(Holder, usize)> = std::iter::once((Holder::Source(source), UPLOADS_PER_SOURCE))
            .chain(circuit.map(|c| (Holder::Circuit(c), UPLOADS_PER_CIRCUIT)))
            .collect();
        // The client's share is counted before anyone is pushed out for it, so that
        // many requests at once cannot push out more uploads than the share allows.
        let share = self.reserve(&share).ok_or(NoSlot::ClientLimit)?;
        let permit = self.free_slot().await.ok_or(NoSlot::Busy)?;
        let meter = Arc::new(BodyMeter::default());
        let mut held = self.lock();
        let number = held.next;
        held.next += 1;
        held.uploads.insert(number, Arc::clone(&meter));
        drop(held);
        Ok(UploadSlot { share, number, meter, _permit: permit })
    }

    /// A free slot, waiting up to [`SLOT_WAIT`] for one (in line: the semaphore serves
    /// waiters in order) and pushing out the slowest upload below the fair rate
    /// whenever there is one.
    async fn free_slot(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.free).try_acquire_owned() {
            return Some(permit);
        }
        let acquire = Arc::clone(&self.free).acquire_owned();
        let give_up = tokio::time::sleep(SLOT_WAIT);
        let mut look = tokio::time::interval(PUSH_OUT_EVERY);
        tokio::pin!(acquire, give_up);
        loop {
            tokio::select! {
                permit = &mut acquire => return permit.ok(),
                () = &mut give_up => return None,
                _ = look.tick() => self.push_out_slowest(),
            }
        }
    }

    /// Counts one more upload against each holder, unless one has used its share.
    fn reserve(self: &Arc<Self>, share: &[(Holder, usize)]) -> Option<Share> {
        let mut held = self.lock();
        if share.iter().any(|(h, max)| held.by.get(h).is_some_and(|n| n >= max)) {
            return None;
        }
        for (h, _) in share {
            *held.by.entry(*h).or_default() += 1;
        }
        Some(Share { slots: Arc::clone(self), holders: share.iter().map(|(h, _)| *h).collect() })
    }

    /// Tells the slowest upload below [`FAIR_UPLOAD_RATE`] (and older than
    /// [`PUSH_OUT_MIN_AGE`]) to stop, unless one already told is still letting go (so a
    /// waiting newcomer pushes out one upload, not one each time it looks).
    fn push_out_slowest(&self) {
        let held = self.lock();
        if held.uploads.values().any(|m| m.pushed_out() && !m.finished()) {
            return;
        }
        let slowest = held
            .uploads
            .values()
            .filter(|m| !m.pushed_out() && !m.finished() && m.age() >= PUSH_OUT_MIN_AGE)
            .map(|m| (m.client_rate(), m))
            .filter(|(rate, _)| *rate < FAIR_UPLOAD_RATE)
            .min_by_key(|(rate, _)| *rate);
        if let Some((_, m)) = slowest {
            m.push_out();
        }
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        self.share.slots.lock().uploads.remove(&self.number);
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.slots.lock();
        for h in &self.holders {
            if let Some(n) = held.by.get_mut(h) {
                *n -= 1;
                if *n == 0 {
                    held.by.remove(h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_source_and_a_circuit_hold_only_their_share_and_get_it_back() {
        let slots = UploadSlots::new();
        let (a, b) = (SourceId::for_tests(1), SourceId::for_tests(2));
        let first = slots.take(a, Some(Circuit(1))).await.unwrap();
        let _second = slots.take(a, Some(Circuit(2))).await.unwrap();
        assert_eq!(slots.take(a, Some(Circuit(3))).await.err(), Some(NoSlot::ClientLimit), "per source");
        let _third = slots.take(b, Some(Circuit(1))).await.unwrap();
        assert_eq!(slots.take(b, Some(Circuit(1))).await.err(), Some(NoSlot::ClientLimit), "per circuit");
        drop(first);
        assert!(slots.take(a, None).await.is_ok(), "a finished upload frees its share");
    }

    #[tokio::test(start_paused = true)]
    async fn when_full_a_newcomer_pushes_out_the_slowest_upload_below_the_fair_rate_only() {
        let slots = UploadSlots::new();
        let held: Vec<_> = futures_util::future::join_all(
            (0..CONCURRENT_UPLOADS).map(|i| slots.take(SourceId::for_tests(i as i64 + 1), Some(Circuit(i as u64)))),
        )
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
        assert_eq!(slots.free.available_permits(), 0);
        tokio::time::advance(PUSH_OUT_MIN_AGE).await;
        // Every upload but the fourth goes at the fair rate; the fourth trickles.
        let fair = FAIR_UPLOAD_RATE * PUSH_OUT_MIN_AGE.as_secs();
        for (i, slot) in held.iter().enumerate() {
            slot.meter().count(if i == 3 { 10 } else { fair as usize });
        }
        let newcomer = SourceId::for_tests(99);
        let (taken, pushed) = tokio::join!(slots.take(newcomer, None), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(held[3].meter().pushed_out(), "the trickle is told to stop");
            assert!(held.iter().enumerate().all(|(i, s)| s.meter().pushed_out() == (i == 3)));
            // Its handler ends, which frees the slot.
            held
        });
        let mut held = pushed;
        held.remove(3);
        assert_eq!(taken.err(), Some(NoSlot::Busy), "pushed out, but its handler kept the slot past the wait");
        drop(held);
        assert_eq!(slots.free.available_permits(), CONCURRENT_UPLOADS);
        assert!(slots.lock().by.is_empty() && slots.lock().uploads.is_empty(), "no holder is left behind");
    }

    /// Every slot of `slots`, each taken by a source of its own over TCP.
    async fn every_slot(slots: &Arc<UploadSlots>) -> Vec<UploadSlot> {
        let mut held = Vec::new();
        for i in 0..CONCURRENT_UPLOADS {
            held.push(slots.take(SourceId::for_tests(i as i64 + 1), None).await.unwrap());
        }
        held
    }

    #[tokio::test(start_paused = true)]
    async fn a_pushed_out_slot_goes_to_the_newcomer_and_fair_uploads_are_never_pushed_out() {
        let slots = UploadSlots::new();
        let mut held = every_slot(&slots).await;
        tokio::time::advance(PUSH_OUT_MIN_AGE).await;
        let fair = (FAIR_UPLOAD_RATE * PUSH_OUT_MIN_AGE.as_secs()) as usize;
        for slot in &held[1..] {
            slot.meter().count(fair);
        }
        let trickle = held.remove(0);
        let (taken, ()) = tokio::join!(slots.take(SourceId::for_tests(99), None), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(trickle.meter().pushed_out());
            drop(trickle);
        });
        assert!(taken.is_ok(), "the newcomer got the freed slot");
        assert_eq!(slots.take(SourceId::for_tests(100), None).await.err(), Some(NoSlot::Busy), "nobody else is slow");
        assert!(held.iter().all(|s| !s.meter().pushed_out()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_waits_for_a_slot_and_pushes_out_a_trickle_once_its_rate_shows() {
        let slots = UploadSlots::new();
        let mut held = every_slot(&slots).await;
        // All young when the newcomer arrives: nobody can be judged yet. Ten seconds on,
        // all but the first have sent at the fair rate.
        let fair = (FAIR_UPLOAD_RATE * PUSH_OUT_MIN_AGE.as_secs()) as usize;
        let trickle = held.remove(0);
        let (taken, ()) = tokio::join!(slots.take(SourceId::for_tests(99), None), async {
            tokio::time::sleep(PUSH_OUT_MIN_AGE / 2).await;
            assert!(!trickle.meter().pushed_out(), "too young to judge");
            for slot in &held {
                slot.meter().count(fair);
            }
            tokio::time::sleep(PUSH_OUT_MIN_AGE).await;
            assert!(trickle.meter().pushed_out(), "judged while the newcomer waits");
            drop(trickle);
        });
        assert!(taken.is_ok(), "the newcomer got the trickle's slot");
        let started = tokio::time::Instant::now();
        assert_eq!(slots.take(SourceId::for_tests(100), None).await.err(), Some(NoSlot::Busy));
        assert_eq!(started.elapsed(), SLOT_WAIT, "told the server is busy after waiting, not at once");
        assert!(held.iter().all(|s| !s.meter().pushed_out()), "fair uploads stay");
    }
}
