//! How the rates service behaves: which rates, how slow, how flaky.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::RngExt;
use rust_decimal::Decimal;

use crate::fixture;
use crate::plan::RateLimit;
use crate::trouble::{Failures, Outage};

/// Everything the rates service can be told. `RatesConfig::default()` is the
/// fixture, answered at once, never failing.
#[derive(Debug, Clone)]
pub struct RatesConfig {
    /// Rates against [`fixture::BASE`], keyed by currency code.
    pub rates: BTreeMap<String, Decimal>,
    /// How long every answer takes: this is how the service plays a remote API.
    pub latency: Duration,
    /// Each answer's latency varies uniformly by up to this much either way.
    pub jitter: Duration,
    /// The share of answers, from 0.0 to 1.0, that are a `500` instead of
    /// rates, after the latency: the simple flakiness of parts 1 to 5.
    /// [`failures`](Self::failures) chooses how, and counts exactly.
    pub failure_rate: f64,
    /// A share of the requests for rates failed in a chosen way (a `503`, a
    /// `429` with `Retry-After`, a reset connection…), at once, as they
    /// arrive: trouble for a retrying client.
    /// [`RatesService::set_failures`](crate::RatesService::set_failures)
    /// changes it while the service runs.
    pub failures: Option<Failures>,
    /// Down between two moments, then up again.
    pub outage: Option<Outage>,
    /// A way to be broken on every answer, to test how clients cope.
    pub fault: Option<Fault>,
    /// At most this many requests for a date's rates (`GET /2016-10-14`)
    /// answered at once, as a paid rates API allows on its plan; one more
    /// gets `429 Too Many Requests` at once (within
    /// [`QUOTA_GRACE`](crate::QUOTA_GRACE), the moment the service may take
    /// to see that a client hung up and freed its place). `None`: no quota. `/latest` is
    /// not counted against it: in this workshop the history is the metered
    /// part, and part 4's cache asks `/latest` once an hour.
    pub quota: Option<usize>,
    /// At most this many requests for a date a second on average, as a
    /// plan meters them: every request counts, refused ones too, and one
    /// past the plan gets `429 Too Many Requests` with `Retry-After`, at
    /// once. `None`: no rate.
    pub rate_limit: Option<RateLimit>,
}

/// Broken answers a remote API gives, besides errors and slowness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A `200` whose body is not JSON.
    GarbageJson,
    /// A `200` that promises a body and hangs up halfway through it.
    CloseMidResponse,
    /// A `503 Service Unavailable`: the service is down for maintenance.
    Unavailable,
    /// A `200` whose headers come at once, and then no body, ever: a client
    /// with a deadline on the headers only waits forever.
    StallBody,
    /// A `200` whose headers come at once, and then the body one byte every
    /// [`TRICKLE_INTERVAL`]: a timeout on each read never fires, only a
    /// deadline on the whole answer does.
    TrickleBody,
}

/// How long [`Fault::TrickleBody`] waits between two bytes. The fixture's
/// body of about 440 bytes then takes 45 s.
pub const TRICKLE_INTERVAL: Duration = Duration::from_millis(100);

impl Fault {
    /// Every fault, with the name `cargo xtask rates --fault` knows it by.
    pub const NAMED: [(&'static str, Fault); 5] = [
        ("garbage-json", Self::GarbageJson),
        ("close-mid-response", Self::CloseMidResponse),
        ("unavailable", Self::Unavailable),
        ("stall-body", Self::StallBody),
        ("trickle-body", Self::TrickleBody),
    ];
}

impl Default for RatesConfig {
    fn default() -> Self {
        Self {
            rates: fixture::rates(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            failure_rate: 0.0,
            failures: None,
            outage: None,
            fault: None,
            quota: None,
            rate_limit: None,
        }
    }
}

impl RatesConfig {
    /// The fixture, answered after `latency`.
    pub fn with_latency(latency: Duration) -> Self {
        Self {
            latency,
            ..Self::default()
        }
    }

    /// How long the next answer waits: `latency ± jitter`, never negative.
    #[cfg(test)]
    pub(crate) fn next_delay(&self) -> Duration {
        delay(self.latency, self.jitter)
    }

    /// Whether the next answer is a simulated failure.
    pub(crate) fn next_fails(&self) -> bool {
        self.failure_rate > 0.0 && rand::rng().random_bool(self.failure_rate.clamp(0.0, 1.0))
    }
}

/// `latency ± jitter`, never negative.
pub(crate) fn delay(latency: Duration, jitter: Duration) -> Duration {
    if jitter.is_zero() {
        return latency;
    }
    let jitter = jitter.as_secs_f64();
    let offset = rand::rng().random_range(-jitter..=jitter);
    Duration::from_secs_f64((latency.as_secs_f64() + offset).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds() {
        let config = RatesConfig {
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(20),
            ..RatesConfig::default()
        };
        let delays: Vec<_> = (0..1000).map(|_| config.next_delay()).collect();
        assert!(delays.iter().all(|d| *d >= Duration::from_millis(30)));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(70)));
        assert!(
            delays.iter().any(|d| *d != Duration::from_millis(50)),
            "jitter varies"
        );
    }

    #[test]
    fn failure_rate_is_honoured_at_both_ends() {
        let never = RatesConfig::default();
        let always = RatesConfig {
            failure_rate: 1.0,
            ..RatesConfig::default()
        };
        assert!((0..100).all(|_| !never.next_fails()));
        assert!((0..100).all(|_| always.next_fails()));
    }
}
