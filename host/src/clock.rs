//! The host's clock. The core never reads one: every input's time comes from here.

use directrix_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the host's time comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
    /// How long to wait in real time until `at` (zero when it has come).
    fn real_wait(&self, at: Timestamp) -> Duration;
    /// How much real time has passed since the clock showed `at` (zero if it has not
    /// yet): a timer's lag, to the millisecond whatever the clock's speed.
    fn real_since(&self, at: Timestamp) -> Duration;
}

fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_seconds(wall_millis().div_euclid(1000))
    }

    fn real_wait(&self, at: Timestamp) -> Duration {
        let millis = at.as_seconds().saturating_mul(1000) - wall_millis();
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }

    fn real_since(&self, at: Timestamp) -> Duration {
        let millis = wall_millis() - at.as_seconds().saturating_mul(1000);
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

/// A virtual clock for demos and tests: `virtual_start` at the real instant
/// `wall_start_ms`, then `speed` virtual seconds per real second. It is anchored to the
/// wall clock, not to the process, so persisting the anchor lets a restart continue it,
/// and virtual time passes while the host is down, as real time would: the timers due
/// meanwhile are caught up on restart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VirtualClock {
    /// The virtual instant at the anchor (epoch seconds).
    pub virtual_start: i64,
    /// The real instant of the anchor (epoch milliseconds).
    pub wall_start_ms: i64,
    /// Virtual seconds per real second.
    pub speed: f64,
}

impl VirtualClock {
    /// A clock showing `at` now, running `speed` times faster than real time.
    pub fn starting(at: Timestamp, speed: f64) -> Self {
        Self {
            virtual_start: at.as_seconds(),
            wall_start_ms: wall_millis(),
            speed,
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        let elapsed_ms = (wall_millis() - self.wall_start_ms).max(0) as f64;
        let advanced = (elapsed_ms * self.speed / 1000.0) as i64;
        Timestamp::from_seconds(self.virtual_start.saturating_add(advanced))
    }

    fn real_wait(&self, at: Timestamp) -> Duration {
        let ahead = at.as_seconds().saturating_sub(self.now().as_seconds());
        if ahead <= 0 {
            return Duration::ZERO;
        }
        if self.speed <= 0.0 {
            // A stopped clock never reaches `at`; the scheduler wakes on its own anyway.
            return Duration::from_secs(3600);
        }
        Duration::from_secs_f64((ahead as f64 / self.speed).min(3600.0))
    }

    fn real_since(&self, at: Timestamp) -> Duration {
        if self.speed <= 0.0 {
            return Duration::ZERO;
        }
        // Virtual milliseconds now, unrounded, against `at`.
        let elapsed_ms = (wall_millis() - self.wall_start_ms).max(0) as f64;
        let now_ms = self.virtual_start as f64 * 1000.0 + elapsed_ms * self.speed;
        let behind_ms = now_ms - at.as_seconds() as f64 * 1000.0;
        Duration::from_secs_f64((behind_ms / self.speed / 1000.0).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_clock_runs_speed_times_faster_from_its_anchor() {
        // Anchored ten real seconds ago at speed 360: at least an hour has passed.
        let clock = VirtualClock {
            virtual_start: 1_000,
            wall_start_ms: wall_millis() - 10_000,
            speed: 360.0,
        };
        let now = clock.now().as_seconds();
        assert!(now >= 1_000 + 3_600, "{now}");
        assert_eq!(
            clock.real_wait(Timestamp::from_seconds(now - 1)),
            Duration::ZERO
        );
        // An hour of virtual time ahead is at most ten real seconds away.
        let wait = clock.real_wait(Timestamp::from_seconds(now + 3_600));
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        // The anchor's instant was shown ten real seconds ago; an instant to come has
        // no lag yet.
        let since = clock.real_since(Timestamp::from_seconds(1_000));
        assert!(
            since >= Duration::from_secs(10) && since < Duration::from_secs(60),
            "{since:?}"
        );
        assert_eq!(
            clock.real_since(Timestamp::from_seconds(now + 3_600)),
            Duration::ZERO
        );
    }

    #[test]
    fn a_persisted_virtual_clock_reads_back_the_same() {
        let clock = VirtualClock::starting(Timestamp::from_seconds(1_620_352_800), 3_600.0);
        let text = serde_json::to_string(&clock).unwrap();
        assert_eq!(serde_json::from_str::<VirtualClock>(&text).unwrap(), clock);
    }
}
