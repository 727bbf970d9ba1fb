//! `cargo xtask bench overload`: what shedding buys.
//!
//! The rates service gets a quota (8 requests for a date at once) and a
//! round trip (`--latency`): its capacity is quota ÷ round trip, and no
//! server converts on a date faster. Two servers meet constant offered
//! rates, 0.5×, 1×, 2× and 10× that capacity, in an open loop
//! (`open_loop`, wrk2's method): part 5's solution, whose queue has an end
//! (`--max-wait`, then 503 at once), and the same server with
//! `--max-wait unbounded`, whose queue has none. Each run is a fresh server
//! and a fresh rates service, long enough for a queue to build.
//!
//! For each: goodput (200s within the client's timeout, a second), sheds
//! (503s a second), p50 and p99 of the 200s (from when each was due), errors,
//! what was never answered, and the p99 second by second of the run: without
//! an end to its queue, a server's latency grows with the run's length.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use rates::{RatesConfig, RatesService};

use crate::machine;
use crate::open_loop::{Missing, OpenLoop, Record, Schedule, quantile_ms};
use crate::rig::{Rig, dated_path, write_results};
use crate::servers::ServerProcess;
use crate::{BenchConfig, BenchError, overload_chart};

pub use crate::overload_report::{OverloadReport, OverloadRun, SHEDDING, UNBOUNDED};

/// What `bench overload` runs, besides what `BenchConfig` already says
/// (`latency`: the round trip; `code`, `profile`, `out_dir`, `stop`).
#[derive(Debug, Clone)]
pub struct OverloadConfig {
    /// The rates service's quota and the servers' `--max-fetches`.
    pub quota: usize,
    /// Part 5's `--max-wait`.
    pub max_wait: Duration,
    /// Offered rates, as multiples of the capacity.
    pub multiples: Vec<f64>,
    /// How long each rate is offered.
    pub run_for: Duration,
    /// A 200 later than this (from when it was due) is no good to its
    /// client: goodput counts the others.
    pub client_timeout: Duration,
    /// Connections open at most.
    pub connections: usize,
}

impl Default for OverloadConfig {
    fn default() -> Self {
        Self {
            quota: 8,
            max_wait: Duration::from_millis(10),
            multiples: vec![0.5, 1.0, 2.0, 10.0],
            run_for: Duration::from_secs(6),
            client_timeout: Duration::from_secs(1),
            connections: 1024,
        }
    }
}

/// A finished `bench overload` and where it was written.
#[derive(Debug)]
pub struct OverloadOutcome {
    pub report: OverloadReport,
    pub json: PathBuf,
    pub svg: PathBuf,
}

/// Builds the server, and offers every rate to each setting.
pub fn run(config: &BenchConfig, overload: &OverloadConfig) -> Result<OverloadOutcome, BenchError> {
    validate(overload)?;
    let rig = Rig::new(config, "part5", overload.quota, overload.connections)?;

    let mut runs = Vec::new();
    for multiple in &overload.multiples {
        for (server, max_wait) in [
            (
                SHEDDING,
                humantime::format_duration(overload.max_wait).to_string(),
            ),
            (UNBOUNDED, "unbounded".to_string()),
        ] {
            let offered = rig.capacity * multiple;
            eprintln!(
                "{server}: offering {offered:.0}/s ({multiple}× capacity) for {:?}",
                overload.run_for
            );
            let settings = Settings {
                binary: &rig.binary,
                server,
                max_wait: &max_wait,
                quota: overload.quota,
                latency: config.latency,
            };
            let schedule = Schedule {
                rate: offered,
                duration: overload.run_for,
                connections: rig.connections,
                drain: overload.client_timeout,
            };
            let run = one_run(
                &settings,
                &rig.open_loop,
                schedule,
                *multiple,
                overload,
                &config.stop,
            )?;
            eprintln!("  {}", line(&run));
            runs.push(run);
        }
    }
    let report = OverloadReport {
        format_version: 1,
        date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        machine: machine::describe(),
        capacity: rig.capacity,
        round_trip_ms: rig.round_trip.as_secs_f64() * 1000.0,
        latency_ms: config.latency.as_secs_f64() * 1000.0,
        quota: overload.quota,
        max_wait_ms: overload.max_wait.as_secs_f64() * 1000.0,
        run_seconds: overload.run_for.as_secs_f64(),
        client_timeout_ms: overload.client_timeout.as_secs_f64() * 1000.0,
        connections: rig.connections,
        runs,
        wall_seconds: rig.began.elapsed().as_secs_f64(),
    };
    let (json, svg) = write_results(
        &report,
        &config.out_dir,
        "overload",
        overload_chart::write_svg,
    )?;
    Ok(OverloadOutcome { report, json, svg })
}

/// Every multiple a finite number above zero (`inf` would schedule
/// `usize::MAX` requests, NaN none), and a quota.
fn validate(overload: &OverloadConfig) -> Result<(), BenchError> {
    let finite = |multiple: &f64| multiple.is_finite() && *multiple > 0.0;
    if overload.multiples.iter().all(finite) && overload.quota > 0 {
        Ok(())
    } else {
        Err(BenchError::Config(
            "the multiples must be finite and above zero, and the quota above zero".into(),
        ))
    }
}

/// How one server is started.
struct Settings<'a> {
    binary: &'a Path,
    server: &'static str,
    max_wait: &'a str,
    quota: usize,
    latency: Duration,
}

/// A fresh rates service and server, one schedule, and what it measured.
fn one_run(
    settings: &Settings,
    open_loop: &OpenLoop,
    schedule: Schedule,
    multiple: f64,
    overload: &OverloadConfig,
    stop: &AtomicBool,
) -> Result<OverloadRun, BenchError> {
    let rates = RatesService::start(RatesConfig {
        quota: Some(settings.quota),
        ..RatesConfig::with_latency(settings.latency)
    })
    .map_err(BenchError::Rates)?;
    let args = [
        "--max-fetches".to_string(),
        settings.quota.to_string(),
        "--max-wait".to_string(),
        settings.max_wait.to_string(),
    ];
    let mut server = ServerProcess::start_with(
        settings.binary,
        &format!("{} (--max-wait {})", settings.server, settings.max_wait),
        &args,
        &rates.url(),
        stop,
    )?;
    let records = open_loop.run(server.addr(), schedule, dated_path, stop)?;
    server.check_alive()?;
    Ok(summarise(
        settings.server,
        multiple,
        schedule,
        overload.client_timeout,
        &records,
        (rates.most_at_once(), rates.refused()),
    ))
}

/// What `records` say, as a run of the report.
fn summarise(
    server: &str,
    multiple: f64,
    schedule: Schedule,
    client_timeout: Duration,
    records: &[Record],
    (most_at_once, refused): (u64, u64),
) -> OverloadRun {
    let seconds = schedule.duration.as_secs_f64();
    let served: Vec<&Record> = records.iter().filter(|r| r.status == Ok(200)).collect();
    let good = served
        .iter()
        .filter(|r| r.latency <= client_timeout)
        .count();
    let shed = records.iter().filter(|r| r.status == Ok(503)).count();
    let errors = records
        .iter()
        .filter(|r| {
            matches!(r.status, Err(Missing::Failed))
                || matches!(r.status, Ok(code) if code != 200 && code != 503)
        })
        .count();
    let unanswered = records
        .iter()
        .filter(|r| r.status == Err(Missing::Unanswered))
        .count();
    let latencies: Vec<Duration> = served.iter().map(|r| r.latency).collect();
    let all: Vec<Duration> = records
        .iter()
        .filter(|r| r.status.is_ok())
        .map(|r| r.latency)
        .collect();
    let whole_seconds = schedule.duration.as_secs().max(1) as usize;
    let p99_by_second_ms = (0..whole_seconds)
        .map(|second| {
            let in_it: Vec<Duration> = served
                .iter()
                .filter(|r| r.due(schedule.rate).as_secs() as usize == second)
                .map(|r| r.latency)
                .collect();
            quantile_ms(&in_it, 0.99).map(round_ms)
        })
        .collect();
    OverloadRun {
        server: server.to_string(),
        multiple,
        offered: schedule.rate,
        goodput: good as f64 / seconds,
        shed: shed as f64 / seconds,
        p50_ms: quantile_ms(&latencies, 0.5).map(round_ms),
        p99_ms: quantile_ms(&latencies, 0.99).map(round_ms),
        p50_all_ms: quantile_ms(&all, 0.5).map(round_ms),
        p99_all_ms: quantile_ms(&all, 0.99).map(round_ms),
        errors: errors as u64,
        late: (served.len() - good) as u64,
        unanswered: unanswered as u64,
        sent: records.len() as u64,
        p99_by_second_ms,
        most_at_once,
        refused,
    }
}

fn round_ms(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// One run, on one line.
pub fn line(run: &OverloadRun) -> String {
    let ms = |value: Option<f64>| value.map_or("-".to_string(), |ms| format!("{ms:.0} ms"));
    format!(
        "{:<9} offered {:>6.0}/s ({:>4}×): goodput {:>5.1}/s, shed {:>6.1}/s, p50 {:>8}, p99 {:>8}, \
         late {}, unanswered {}, errors {}, 429s {}",
        run.server,
        run.offered,
        run.multiple,
        run.goodput,
        run.shed,
        ms(run.p50_ms),
        ms(run.p99_ms),
        run.late,
        run.unanswered,
        run.errors,
        run.refused
    )
}

/// The report as a table, with the p99 second by second and the verdicts.
pub fn table(report: &OverloadReport) -> String {
    let mut out = format!(
        "capacity {:.0}/s: {} fetches at once ÷ {:.1} ms; part 5 sheds past {:.0} ms of waiting; \
         goodput is 200s within {:.0} ms of when they were due\n",
        report.capacity,
        report.quota,
        report.round_trip_ms,
        report.max_wait_ms,
        report.client_timeout_ms
    );
    for run in &report.runs {
        out.push_str(&line(run));
        out.push('\n');
    }
    out.push_str("p99 of the 200s due in each second of the run, ms:\n");
    for run in &report.runs {
        let seconds: Vec<String> = run
            .p99_by_second_ms
            .iter()
            .map(|p99| p99.map_or("-".to_string(), |ms| format!("{ms:.0}")))
            .collect();
        out.push_str(&format!(
            "  {:<9} {:>4}×: {}\n",
            run.server,
            run.multiple,
            seconds.join(" ")
        ));
    }
    for verdict in verdicts(report) {
        out.push_str(&verdict);
        out.push('\n');
    }
    out
}

/// The targets at 10× the capacity: part 5's goodput at 90 % of it and its
/// p99 within two round trips; the unbounded server's p99 5× part 5's.
pub fn verdicts(report: &OverloadReport) -> Vec<String> {
    let top = report
        .runs
        .iter()
        .map(|run| run.multiple)
        .fold(0.0, f64::max);
    let at = |server: &str| {
        report
            .runs
            .iter()
            .find(|run| run.server == server && run.multiple == top)
    };
    let (Some(shedding), Some(unbounded)) = (at(SHEDDING), at(UNBOUNDED)) else {
        return Vec::new();
    };
    let mark = |held: bool| if held { "✓" } else { "✗" };
    let share = shedding.goodput / report.capacity;
    let two = 2.0 * report.round_trip_ms;
    let p99 = shedding.p99_ms.unwrap_or(f64::INFINITY);
    let theirs = unbounded.p99_ms.unwrap_or(f64::INFINITY);
    vec![
        format!(
            "{} at {top}× the capacity, part 5's goodput is {:.0} % of it (target: 90 %)",
            mark(share >= 0.9),
            share * 100.0
        ),
        format!(
            "{} at {top}×, part 5's p99 is {p99:.0} ms (target: two round trips, {two:.0} ms)",
            mark(p99 <= two)
        ),
        format!(
            "{} at {top}×, the unbounded server's p99 is {theirs:.0} ms, {:.0}× part 5's (target: 5×)",
            mark(theirs >= 5.0 * p99),
            theirs / p99
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overload_report::sample;

    fn record(index: usize, status: Result<u16, Missing>, latency_ms: u64) -> Record {
        Record {
            index,
            status,
            latency: Duration::from_millis(latency_ms),
        }
    }

    #[test]
    fn a_run_is_summarised_as_the_issue_asks() {
        let schedule = Schedule {
            rate: 2.0,
            duration: Duration::from_secs(2),
            connections: 8,
            drain: Duration::from_secs(1),
        };
        let records = [
            record(0, Ok(200), 100),
            record(1, Ok(503), 5),
            record(2, Ok(200), 1500),
            record(3, Err(Missing::Unanswered), 2000),
        ];
        let run = summarise(
            "part5",
            10.0,
            schedule,
            Duration::from_secs(1),
            &records,
            (8, 0),
        );
        assert_eq!(run.goodput, 0.5, "one 200 in time, over 2 s");
        assert_eq!(run.shed, 0.5);
        assert_eq!(
            (run.late, run.unanswered, run.errors, run.sent),
            (1, 1, 0, 4)
        );
        assert_eq!(run.p99_ms, Some(1500.0));
        assert_eq!(run.p99_by_second_ms, vec![Some(100.0), Some(1500.0)]);
    }

    #[test]
    fn multiples_must_be_finite_and_above_zero() {
        let with = |multiples: Vec<f64>| OverloadConfig {
            multiples,
            ..OverloadConfig::default()
        };
        assert!(validate(&OverloadConfig::default()).is_ok());
        for wrong in [f64::INFINITY, f64::NAN, 0.0, -1.0] {
            assert!(validate(&with(vec![1.0, wrong])).is_err(), "{wrong}");
        }
    }

    #[test]
    fn the_verdicts_hold_the_issues_numbers() {
        let report = sample::report(vec![
            sample::run(SHEDDING, 10.0, 76.0, 150.0),
            sample::run(UNBOUNDED, 10.0, 10.0, 4000.0),
        ]);
        let said = verdicts(&report);
        assert!(said.iter().all(|line| line.starts_with('✓')), "{said:?}");
        let mut worse = report.clone();
        worse.runs[0].goodput = 60.0;
        assert!(verdicts(&worse)[0].starts_with('✗'));
    }
}
