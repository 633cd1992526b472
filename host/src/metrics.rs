//! Counters for `GET /metrics` (Prometheus text format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the commit latency histogram's buckets.
const COMMIT_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0];

/// Upper bounds (seconds) of the timer lag histogram's buckets.
const LAG_BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0, 60.0,
];

/// What the host counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Acts committed.
    pub acts: AtomicU64,
    /// Acts refused by the engine (the instance unchanged).
    pub acts_refused: AtomicU64,
    /// Timer firings committed (`advance` inputs from the scheduler or before an act).
    pub timers_fired: AtomicU64,
    commits: AtomicU64,
    commit_requests: AtomicU64,
    commit_micros: AtomicU64,
    commit_buckets: [AtomicU64; COMMIT_BUCKETS.len()],
    lags: AtomicU64,
    lag_micros: AtomicU64,
    lag_buckets: [AtomicU64; LAG_BUCKETS.len()],
}

impl Metrics {
    /// One group commit of `requests` requests took `elapsed`.
    pub fn record_commit(&self, elapsed: Duration, requests: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.commit_requests
            .fetch_add(requests as u64, Ordering::Relaxed);
        self.commit_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in COMMIT_BUCKETS.iter().zip(&self.commit_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A timer fired by the scheduler was durable `lag` (real time) after it fell due.
    pub fn record_timer_lag(&self, lag: Duration) {
        self.lags.fetch_add(1, Ordering::Relaxed);
        self.lag_micros
            .fetch_add(lag.as_micros() as u64, Ordering::Relaxed);
        let seconds = lag.as_secs_f64();
        for (bound, bucket) in LAG_BUCKETS.iter().zip(&self.lag_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter("directrix_acts_total", "Acts committed.", get(&self.acts));
        counter(
            "directrix_acts_refused_total",
            "Acts refused by the engine.",
            get(&self.acts_refused),
        );
        counter(
            "directrix_timers_fired_total",
            "Timer firings committed.",
            get(&self.timers_fired),
        );
        counter(
            "directrix_commit_requests_total",
            "Write requests committed (several share one transaction).",
            get(&self.commit_requests),
        );
        let name = "directrix_commit_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Group commit latency.\n# TYPE {name} histogram"
        );
        for (bound, bucket) in COMMIT_BUCKETS.iter().zip(&self.commit_buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let commits = get(&self.commits);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {commits}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            get(&self.commit_micros) as f64 / 1_000_000.0
        );
        let _ = writeln!(out, "{name}_count {commits}");
        let name = "directrix_timer_lag_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Real time from a timer falling due to its firing being durable (scheduler firings).\n# TYPE {name} histogram"
        );
        for (bound, bucket) in LAG_BUCKETS.iter().zip(&self.lag_buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let lags = get(&self.lags);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {lags}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            get(&self.lag_micros) as f64 / 1_000_000.0
        );
        let _ = writeln!(out, "{name}_count {lags}");
        out
    }
}
