//! Little's law: in a steady state, requests in flight = throughput × time
//! each spends in the system. A server that can hold `w` requests at once,
//! each waiting one round trip to the rates service, can answer at most
//! `w ÷ round trip` a second, however fast its CPU.
//!
//! Unless a request no longer waits for the rates service: part 4 fetches the
//! rates once for many requests and keeps them, so its requests spend no
//! round trip in the system, and what bounds it is the CPU alone.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The share of its bound a server must reach wherever the bound, not the
/// CPU, is what limits it (the target).
pub const TARGET_PERCENT: f64 = 85.0;

/// What holds an implementation back, and so what it is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Every request waits one round trip: `workers ÷ round trip`, where
    /// that is below the CPU ceiling (parts 1 to 3).
    #[default]
    LittlesLaw,
    /// No request waits for the rates service: the CPU ceiling measured at
    /// each point's own connection count, the target applying at every one
    /// (part 4).
    Cpu,
}

/// How many requests an implementation can have waiting at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workers {
    /// Async: a waiting request is a parked task, so every connection has one.
    PerConnection,
    /// A pool of threads, each blocked for the whole round trip.
    Threads(usize),
}

impl Workers {
    /// The requests in flight at `connections` closed-loop connections.
    pub fn at(self, connections: usize) -> usize {
        match self {
            Workers::PerConnection => connections,
            Workers::Threads(threads) => connections.min(threads),
        }
    }
}

/// `workers ÷ round trip`, in requests a second.
pub fn bound(workers: usize, round_trip: Duration) -> f64 {
    let seconds = round_trip.as_secs_f64();
    if seconds > 0.0 {
        workers as f64 / seconds
    } else {
        f64::INFINITY
    }
}

/// `measured` as a percentage of `bound`.
pub fn percent(measured: f64, bound: f64) -> f64 {
    if bound.is_finite() && bound > 0.0 {
        100.0 * measured / bound
    } else {
        0.0
    }
}

/// Where a bound comes within this fraction of the ceiling measured at the
/// smallest count, the ceiling is measured again at the point's own count:
/// the CPU a request costs grows with the connections (part 1 at zero
/// latency: 10 500-12 700 req/s at 32 connections, 7 200-9 900 at 512), so
/// the first ceiling would hold a CPU-bound point to a target no server can
/// meet.
pub const OWN_CEILING_FRACTION: f64 = 0.5;

/// Whether a point's bound is close enough to `ceiling` to need a ceiling
/// measured at its own connection count.
pub fn needs_own_ceiling(bound: f64, ceiling: f64) -> bool {
    bound >= OWN_CEILING_FRACTION * ceiling
}

/// Whether a point is held to the target: only where the bound is below
/// the CPU ceiling; above it the CPU, not the workers, is the limit.
pub fn target_applies(bound: f64, ceiling: f64) -> bool {
    bound < ceiling
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_cap_the_requests_in_flight_and_tasks_do_not() {
        assert_eq!(Workers::PerConnection.at(1024), 1024);
        assert_eq!(Workers::Threads(32).at(1024), 32);
        assert_eq!(Workers::Threads(32).at(8), 8);
    }

    #[test]
    fn the_bound_is_workers_over_the_round_trip() {
        let bound = bound(32, Duration::from_millis(50));
        assert!((bound - 640.0).abs() < 1e-9, "{bound}");
        assert!((percent(544.0, bound) - 85.0).abs() < 1e-9);
        assert!(target_applies(640.0, 5000.0));
        assert!(!target_applies(20_480.0, 5000.0));
        assert!(!needs_own_ceiling(640.0, 5000.0));
        assert!(needs_own_ceiling(2500.0, 5000.0));
    }
}
