//! What `bench retries` measured, as `retries.json` holds it: read by the
//! run that writes it, the table, the verdicts and the chart.

use serde::{Deserialize, Serialize};

use crate::machine::Machine;

/// The three clients compared, as the report names them, and the part 6
/// server's `--retries` for each: one binary, three settings.
pub const NONE: &str = "none";
pub const NAIVE: &str = "naive";
pub const PART6: &str = "part6";
pub const CLIENTS: [(&str, &str); 3] = [(NONE, "off"), (NAIVE, "naive"), (PART6, "full")];

/// The results: `retries.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetriesReport {
    pub format_version: u32,
    /// When the run finished, RFC 3339, UTC.
    pub date: String,
    pub machine: Machine,
    /// Quota ÷ the round trip measured: conversions on a date a second.
    pub capacity: f64,
    /// The median of a few sequential requests for a date's rates.
    pub round_trip_ms: f64,
    /// The round trip as set (`--latency`).
    pub latency_ms: f64,
    /// The rates service's quota, and the server's `--max-fetches`.
    pub quota: usize,
    /// The server's `--max-wait` (part 5's shed).
    pub max_wait_ms: f64,
    /// The offered rate as a multiple of the capacity.
    pub multiple: f64,
    pub run_seconds: f64,
    /// How long the rates service was down, from `outage_from_s` (from the
    /// open loop's start) to `outage_until_s`.
    pub outage_s: f64,
    pub outage_from_s: f64,
    pub outage_until_s: f64,
    /// How the outage failed every request for rates: `503 Service
    /// Unavailable`, no `Retry-After`.
    pub outage_answer: String,
    pub client_timeout_ms: f64,
    pub connections: usize,
    /// The server's `--retry-floor` where the bench set one (`None`: the
    /// server's default).
    #[serde(default)]
    pub retry_floor: Option<u32>,
    /// The rates service's plan: requests for a date a second, refused
    /// ones counted too (`None`: no plan).
    #[serde(default)]
    pub plan_per_second: Option<u32>,
    pub runs: Vec<RetriesRun>,
    pub wall_seconds: f64,
}

/// One client (a `--retries` of the part 6 server) through the outage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetriesRun {
    /// `none`, `naive` or `part6`.
    pub client: String,
    /// The server's `--retries`: `off`, `naive` or `full`.
    pub retries: String,
    /// Requests a second, due at a constant rate.
    pub offered: f64,
    /// Requests for rates that arrived during the outage ÷ the requests
    /// due during it.
    pub amplification: f64,
    /// From the outage's end to the first moment (in steps of 0.1 s) from
    /// which the next second's goodput is 90 % of the goodput before the
    /// outage; `None` if no such second is left in the run.
    pub recovery_s: Option<f64>,
    /// 200s within the client's timeout, by the second of the run they
    /// were due in.
    pub goodput_by_second: Vec<u64>,
    /// Requests for rates, by the second of the run they arrived in (the
    /// rates service's log); those after the last second are not in it.
    pub upstream_by_second: Vec<u64>,
    /// Goodput a second before the outage: what recovery is measured
    /// against.
    pub goodput_before: f64,
    /// The counts the amplification divides.
    pub upstream_in_outage: u64,
    pub offered_in_outage: u64,
    /// Every request for rates the service saw during the run and its
    /// drain.
    pub upstream_total: u64,
    /// The answers: 200s in time, 200s late, 502s and 504s (the fetch
    /// failed), 503s (shed, or a `Retry-After` passed on), anything else or
    /// a failed connection, and what had no answer by the end.
    pub sent: u64,
    pub good: u64,
    pub late: u64,
    pub failed: u64,
    pub unavailable: u64,
    pub errors: u64,
    pub unanswered: u64,
    /// What the rates service saw: the most requests at once, and the ones
    /// past its quota it refused (429).
    pub most_at_once: u64,
    pub refused: u64,
}

/// A report to test what reads one: capacity 100/s, 0.8× of it offered for
/// 10 s, down from 3 s to 6 s.
#[cfg(test)]
pub(crate) mod sample {
    use super::{RetriesReport, RetriesRun};

    /// A run of `client` with its per-second figures.
    pub fn run(
        client: &str,
        amplification: f64,
        goodput: Vec<u64>,
        upstream: Vec<u64>,
    ) -> RetriesRun {
        RetriesRun {
            client: client.into(),
            retries: client.into(),
            offered: 80.0,
            amplification,
            recovery_s: Some(0.0),
            goodput_by_second: goodput,
            upstream_by_second: upstream,
            goodput_before: 80.0,
            upstream_in_outage: (240.0 * amplification) as u64,
            offered_in_outage: 240,
            upstream_total: 1000,
            sent: 800,
            good: 560,
            late: 0,
            failed: 240,
            unavailable: 0,
            errors: 0,
            unanswered: 0,
            most_at_once: 8,
            refused: 0,
        }
    }

    pub fn report(runs: Vec<RetriesRun>) -> RetriesReport {
        RetriesReport {
            format_version: 1,
            date: "2026-12-08T12:00:00Z".into(),
            machine: crate::machine::describe(),
            capacity: 100.0,
            round_trip_ms: 80.0,
            latency_ms: 80.0,
            quota: 8,
            max_wait_ms: 10.0,
            multiple: 0.8,
            run_seconds: 10.0,
            outage_s: 3.0,
            outage_from_s: 3.0,
            outage_until_s: 6.0,
            outage_answer: "503 Service Unavailable".into(),
            client_timeout_ms: 1000.0,
            connections: 1024,
            retry_floor: None,
            plan_per_second: Some(100),
            runs,
            wall_seconds: 0.0,
        }
    }
}
