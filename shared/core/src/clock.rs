//! The one source of time for sessions, throttles and timestamps, so that tests can
//! move time forward instead of sleeping (clippy's `disallowed-methods` sends every
//! other `Instant::now` and `SystemTime::now` here).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A clock: the system's, or a manual one that only moves when told.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<ManualTime>>>,
}

#[derive(Debug)]
struct ManualTime {
    instant: Instant,
    wall: SystemTime,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that starts at the current time and moves only by [`Clock::advance`]
    /// (for tests; clones share the same time).
    pub fn manual() -> Self {
        let time = ManualTime { instant: system_instant(), wall: system_wall() };
        Self { manual: Some(Arc::new(Mutex::new(time))) }
    }

    /// Moves a manual clock forward; the system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let mut t = m.lock().unwrap_or_else(PoisonError::into_inner);
            t.instant += by;
            t.wall += by;
        }
    }

    /// The monotonic now, for lifetimes and rates.
    pub fn now(&self) -> Instant {
        match &self.manual {
            Some(m) => m.lock().unwrap_or_else(PoisonError::into_inner).instant,
            None => system_instant(),
        }
    }

    /// Seconds since the Unix epoch, for what is stored or shown.
    pub fn unix_seconds(&self) -> u64 {
        let wall = match &self.manual {
            Some(m) => m.lock().unwrap_or_else(PoisonError::into_inner).wall,
            None => system_wall(),
        };
        wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

#[expect(clippy::disallowed_methods, reason = "the clock is the one place that reads the system's")]
fn system_instant() -> Instant {
    Instant::now()
}

#[expect(clippy::disallowed_methods, reason = "the clock is the one place that reads the system's")]
fn system_wall() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual();
        let copy = clock.clone();
        let (start, start_unix) = (clock.now(), clock.unix_seconds());
        assert_eq!(copy.now(), start);
        copy.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - start, Duration::from_secs(90));
        assert_eq!(clock.unix_seconds() - start_unix, 90);
    }

    #[test]
    fn the_system_clock_ignores_advance() {
        let clock = Clock::system();
        let before = clock.unix_seconds();
        clock.advance(Duration::from_secs(86_400));
        assert!(clock.unix_seconds() < before + 3600);
    }
}
