//! A plan's rate: at most so many requests for a date a second, as a paid
//! rates API meters them. Every request counts, the refused ones too: a
//! client that keeps asking while it is refused stays refused.
//!
//! That is how a retry storm outlives its cause (a metastable failure,
//! Bronson et al., HotOS 2021): during an outage, clients that retry at
//! once spend the plan three times as fast; once the outage is over, their
//! first tries meet `429`s, which they retry at once too, and the plan
//! never refills. Clients that back off, within a budget, spend it no
//! faster than they used to, and are served again as soon as it ends.

use std::time::{Duration, Instant};

/// `--rate-limit N`: N requests for a date a second on average, and a burst
/// of as many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
}

/// The plan's tokens: a bucket of a second's worth, refilled at the rate;
/// each request takes one, refused or not, down to a second's worth below
/// zero (the most a plan remembers).
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    rate: f64,
    level: f64,
    /// When `level` was last brought up to date.
    at: Option<Instant>,
}

impl Bucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let rate = f64::from(limit.per_second.max(1));
        Self {
            rate,
            level: rate,
            at: None,
        }
    }

    /// A request arrives at `now` and takes its token: `None` if the plan
    /// had one for it, or the seconds its `429`'s `Retry-After` says: when
    /// a token will be there again, if nobody asks before.
    pub(crate) fn take(&mut self, now: Instant) -> Option<u32> {
        if let Some(at) = self.at {
            let refilled = self.rate * now.saturating_duration_since(at).as_secs_f64();
            self.level = (self.level + refilled).min(self.rate);
        }
        self.at = Some(now);
        let allowed = self.level >= 1.0;
        self.level = (self.level - 1.0).max(-self.rate);
        if allowed {
            return None;
        }
        let wait = Duration::from_secs_f64((1.0 - self.level) / self.rate);
        // Whole seconds, rounded up: a client that waits as asked finds a
        // token there.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Some(u32::try_from(secs.max(1)).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn a_second_of_requests_at_once_then_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit { per_second: 10 });
        let allowed = (0..15).filter(|_| bucket.take(start).is_none()).count();
        assert_eq!(allowed, 10, "a burst of one second's worth");
        // 15 taken from 10: 5 below zero. A second later, 5 above.
        let later = start + ms(1000);
        let allowed = (0..10).filter(|_| bucket.take(later).is_none()).count();
        assert_eq!(allowed, 5);
    }

    #[test]
    fn a_client_that_keeps_asking_while_refused_stays_refused() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit { per_second: 10 });
        // Twice the rate for 3 s: the plan is spent, then in debt.
        for tick in 0..60 {
            bucket.take(start + ms(tick * 50));
        }
        // Still at twice the rate: every one refused, however long.
        let refused = (60..120)
            .filter(|tick| bucket.take(start + ms(tick * 50)).is_some())
            .count();
        assert_eq!(refused, 60);
        // Below the rate (5 a second), the debt is paid off and requests
        // are served again: the same plan, other clients' manners.
        let served: Vec<bool> = (0..30)
            .map(|tick| bucket.take(start + ms(6000 + tick * 200)).is_none())
            .collect();
        assert!(!served[0], "the debt is still there at first");
        assert!(
            served[15..].iter().all(|served| *served),
            "served again within 3 s: {served:?}"
        );
    }

    #[test]
    fn retry_after_says_when_a_token_is_back_in_whole_seconds() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit { per_second: 2 });
        assert_eq!(bucket.take(start), None);
        assert_eq!(bucket.take(start), None);
        // Level 0, then -1 after this one: back to 1 in 1 s.
        assert_eq!(bucket.take(start), Some(1));
        // -2 (the floor): 1.5 s, rounded up.
        assert_eq!(bucket.take(start), Some(2));
    }
}
