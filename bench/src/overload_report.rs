//! What `bench overload` measured, as `overload.json` holds it: read by the
//! run that writes it, the table, the verdicts and the chart.

use serde::{Deserialize, Serialize};

use crate::machine::Machine;

/// The two servers compared: one binary, two settings.
pub const SHEDDING: &str = "part5";
pub const UNBOUNDED: &str = "unbounded";

/// The results: `overload.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverloadReport {
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
    pub quota: usize,
    /// Part 5's `--max-wait`.
    pub max_wait_ms: f64,
    pub run_seconds: f64,
    pub client_timeout_ms: f64,
    pub connections: usize,
    pub runs: Vec<OverloadRun>,
    pub wall_seconds: f64,
}

/// One server at one offered rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverloadRun {
    /// `part5` or `unbounded`.
    pub server: String,
    /// The offered rate as a multiple of the capacity.
    pub multiple: f64,
    /// Requests a second, due at a constant rate.
    pub offered: f64,
    /// 200s within the client's timeout, a second.
    pub goodput: f64,
    /// 503s, a second.
    pub shed: f64,
    /// Of the 200s, from when each was due.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Of every answer, 200s and 503s alike: what a generator that does
    /// not look at statuses (oha's latency) reports.
    #[serde(default)]
    pub p50_all_ms: Option<f64>,
    #[serde(default)]
    pub p99_all_ms: Option<f64>,
    /// Connections that failed, and answers neither 200 nor 503.
    pub errors: u64,
    /// 200s later than the client's timeout.
    pub late: u64,
    /// Requests with no answer when the run ended: still queued, or never
    /// sent for want of a free connection.
    pub unanswered: u64,
    pub sent: u64,
    /// The p99 of the 200s due in each second of the run, in ms (`None`:
    /// no 200 in that second).
    pub p99_by_second_ms: Vec<Option<f64>>,
    /// What the rates service saw: the most fetches at once, and the ones
    /// it refused (429).
    pub most_at_once: u64,
    pub refused: u64,
}

/// A report to test what reads one: capacity 80/s, a round trip of 100 ms.
#[cfg(test)]
pub(crate) mod sample {
    use super::{OverloadReport, OverloadRun};

    /// A run at `multiple`× the capacity of 80/s, its p50 half its p99.
    pub fn run(server: &str, multiple: f64, goodput: f64, p99: f64) -> OverloadRun {
        let offered = 80.0 * multiple;
        OverloadRun {
            server: server.into(),
            multiple,
            offered,
            goodput,
            shed: (offered - goodput).max(0.0),
            p50_ms: Some(p99 / 2.0),
            p99_ms: Some(p99),
            p50_all_ms: None,
            p99_all_ms: None,
            errors: 0,
            late: 0,
            unanswered: 0,
            sent: 100,
            p99_by_second_ms: Vec::new(),
            most_at_once: 8,
            refused: 0,
        }
    }

    pub fn report(runs: Vec<OverloadRun>) -> OverloadReport {
        OverloadReport {
            format_version: 1,
            date: "2026-12-04T12:00:00Z".into(),
            machine: crate::machine::describe(),
            capacity: 80.0,
            round_trip_ms: 100.0,
            latency_ms: 100.0,
            quota: 8,
            max_wait_ms: 10.0,
            run_seconds: 6.0,
            client_timeout_ms: 1000.0,
            connections: 1024,
            runs,
            wall_seconds: 0.0,
        }
    }
}
