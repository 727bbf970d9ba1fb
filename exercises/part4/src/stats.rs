//! What the server has done: conversions answered and fetches of the rates.
//! With the cache, the second number stays far below the first; a background
//! task says both now and then, and once more when it is told to stop.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Counters shared by every request. Atomics, not a lock: each request
/// bumps one number and never waits for another.
#[derive(Debug, Default)]
pub struct Stats {
    conversions: AtomicU64,
    fetches: AtomicU64,
}

impl Stats {
    /// A conversion was answered.
    pub fn converted(&self) {
        self.conversions.fetch_add(1, Ordering::Relaxed);
    }

    /// A fetch of `/latest` was started.
    pub fn fetched(&self) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn conversions(&self) -> u64 {
        self.conversions.load(Ordering::Relaxed)
    }

    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

/// `12 conversions, 1 fetch of /latest`
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let (conversions, fetches) = (self.conversions(), self.fetches());
        write!(
            f,
            "{conversions} conversion{}, {fetches} fetch{} of /latest",
            plural(conversions),
            if fetches == 1 { "" } else { "es" }
        )
    }
}

/// The line the reporter prints last, when it is told to stop.
pub const STOPPED: &str = "stopped after";

/// A background task: every `every` (if anything changed; never if zero) it
/// prints what was served, until `stop` is cancelled; then it prints the
/// totals one last time and returns.
pub async fn report(stats: std::sync::Arc<Stats>, every: Duration, stop: CancellationToken) {
    if every.is_zero() {
        stop.cancelled().await;
    } else {
        let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
        // A busy server that misses a tick reports once, not in a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut last = 0;
        loop {
            // Whichever comes first. The tick is dropped if the token wins:
            // a future that is not polled to the end is simply cancelled.
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {
                    if stats.conversions() != last {
                        last = stats.conversions();
                        println!("served: {stats}");
                    }
                }
            }
        }
    }
    println!("{STOPPED} {stats}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counts_read_as_english() {
        let stats = Stats::default();
        assert_eq!(stats.to_string(), "0 conversions, 0 fetches of /latest");
        stats.converted();
        stats.fetched();
        assert_eq!(stats.to_string(), "1 conversion, 1 fetch of /latest");
        stats.converted();
        assert_eq!(stats.to_string(), "2 conversions, 1 fetch of /latest");
    }
}
