//! How long to wait before a retry: capped exponential backoff, with full
//! jitter.
//!
//! Exponential: each retry may wait twice as long as the one before (`base ×
//! 2ⁿ` for retry `n`, counting from 0), so a client that keeps failing asks
//! less and less often. Capped: never longer than `cap`, or a few failures
//! would push the next try past any deadline.
//!
//! Jitter: without it, every client that failed at the same moment (an
//! outage does that) retries at the same moment, and again, in waves that
//! are each as large as the first. *Full* jitter draws the wait uniformly
//! between 0 and that ceiling: the retries spread over the whole window,
//! and AWS's measurements (the Builders' Library, "Timeouts, retries and
//! backoff with jitter") found it did the least work in all for the clients
//! and the service alike.

use std::time::Duration;

use rand::RngExt;

/// Capped exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retry's ceiling.
    pub base: Duration,
    /// No retry's ceiling is longer.
    pub cap: Duration,
}

impl Backoff {
    /// The wait before retry `retry`: 0 for the first retry (the second
    /// try), 1 for the next. Drawn anew each time.
    pub fn delay(&self, retry: u32) -> Duration {
        // The ceiling is `min(cap, base × 2^retry)`; the wait, a draw
        // uniform in `[0, ceiling]`: `rand::rng().random_range(Duration::ZERO
        // ..=ceiling)`. `Duration::saturating_mul` and `u32::saturating_pow`
        // keep a large `retry` from overflowing: the cap wins anyway.
        todo!("gap 1: the wait before a retry: random, up to a ceiling that doubles, capped")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_secs(1),
    };

    /// Many draws of the wait before retry `retry`.
    fn draws(retry: u32) -> Vec<Duration> {
        (0..1000).map(|_| BACKOFF.delay(retry)).collect()
    }

    #[test]
    fn the_wait_is_within_zero_and_the_capped_ceiling() {
        for (retry, ceiling) in [(0, 50), (1, 100), (2, 200), (3, 400), (4, 800), (5, 1000)] {
            let ceiling = Duration::from_millis(ceiling);
            let draws = draws(retry);
            assert!(
                draws.iter().all(|wait| *wait <= ceiling),
                "retry {retry}: a wait past {ceiling:?}"
            );
            // Full jitter: anywhere in the window, the short end too. The
            // chance that none of 1000 uniform draws falls in its first
            // tenth is 0.9^1000, about 1e-46.
            assert!(
                draws.iter().any(|wait| *wait < ceiling / 10),
                "retry {retry}: no short wait: not full jitter"
            );
            assert!(
                draws.iter().any(|wait| *wait > ceiling * 9 / 10),
                "retry {retry}: no long wait: the window is not all used"
            );
        }
    }

    #[test]
    fn the_window_doubles_with_each_retry_up_to_the_cap() {
        let longest = |retry| draws(retry).into_iter().max().unwrap_or_default();
        // The longest of 1000 draws in a window of 100 ms is past 50 ms but
        // for a chance of 0.5^1000.
        assert!(longest(1) > Duration::from_millis(50));
        assert!(longest(3) > Duration::from_millis(200));
        // However many retries, never past the cap, and no overflow.
        for retry in [6, 20, 31, 32, 1000, u32::MAX] {
            assert!(BACKOFF.delay(retry) <= Duration::from_secs(1), "{retry}");
        }
        let none = Backoff {
            base: Duration::ZERO,
            cap: Duration::from_secs(1),
        };
        assert_eq!(none.delay(3), Duration::ZERO);
    }
}
