//! `cargo xtask bench retries`: what a retry storm costs (issue #33).
//!
//! Part 6's server meets a constant load of conversions on a date (each its
//! own fetch), 0.8× the rates service's capacity, in `bench overload`'s
//! open loop; a few seconds into the run the rates service goes down
//! (every request for rates answered `503` at once, no `Retry-After`), and
//! a few seconds later it is back. Three runs, each a fresh server and a
//! fresh rates service, differ only in the server's `--retries`: `off`
//! (the client "none"), `naive` (up to 3 tries at once) and `full` (part
//! 6: backoff with full jitter, within the server's retry budget).
//!
//! The rates service also has a plan, as a paid API does: at most the
//! capacity in requests for a date a second, every request counted, the
//! refused ones too (`429` with `Retry-After` past it). The offered load
//! fits in it; three tries for each conversion do not. So the outage's
//! cost outlives it for a client that retries at once: it spends the plan
//! during the outage, meets `429`s when the outage is over, retries them at
//! once too, and the plan never refills (a metastable failure). Part 6's
//! client spends it no faster than it did before the outage.
//!
//! For each: how many requests for rates arrived during the outage for
//! each request due during it (the rates service's own log, by arrival),
//! how soon after its end goodput came back, and both second by second.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use rates::{FailureKind, Outage, RateLimit, RatesConfig, RatesService};

use crate::machine;
use crate::open_loop::{Missing, OpenLoop, Record, Schedule};
use crate::rig::{Rig, dated_path, write_results};
use crate::servers::ServerProcess;
use crate::{BenchConfig, BenchError, retries_chart};

pub use crate::retries_report::{CLIENTS, NAIVE, NONE, PART6, RetriesReport, RetriesRun};

/// Goodput is back once it is this share of what it was before the outage.
pub const RECOVERED: f64 = 0.9;

/// The steps in which recovery is looked for.
const RECOVERY_STEP: Duration = Duration::from_millis(100);

/// What `bench retries` runs, besides what `BenchConfig` already says
/// (`latency`: the round trip; `code`, `profile`, `out_dir`, `stop`).
#[derive(Debug, Clone)]
pub struct RetriesConfig {
    /// The rates service's quota and the server's `--max-fetches`.
    pub quota: usize,
    /// The server's `--max-wait`.
    pub max_wait: Duration,
    /// The offered rate, as a multiple of the capacity.
    pub multiple: f64,
    /// How long the rate is offered.
    pub run_for: Duration,
    /// When the outage begins, from the start of the load.
    pub outage_at: Duration,
    /// How long it lasts.
    pub outage_for: Duration,
    /// A 200 later than this (from when it was due) is no good to its
    /// client: goodput counts the others.
    pub client_timeout: Duration,
    /// Connections open at most.
    pub connections: usize,
    /// The server's `--retry-floor`, if the bench sets one.
    pub retry_floor: Option<u32>,
    /// The rates service's plan, as a multiple of the capacity, in requests
    /// for a date a second (refused ones counted too); 0: none.
    pub plan: f64,
}

impl Default for RetriesConfig {
    /// Issue #33's: 0.8× the capacity for 10 s, down from 3 s to 6 s.
    fn default() -> Self {
        Self {
            quota: 8,
            max_wait: Duration::from_millis(10),
            multiple: 0.8,
            run_for: Duration::from_secs(10),
            outage_at: Duration::from_secs(3),
            outage_for: Duration::from_secs(3),
            client_timeout: Duration::from_secs(1),
            connections: 1024,
            retry_floor: None,
            plan: 1.0,
        }
    }
}

/// A finished `bench retries` and where it was written.
#[derive(Debug)]
pub struct RetriesOutcome {
    pub report: RetriesReport,
    pub json: PathBuf,
    pub svg: PathBuf,
}

/// Builds part 6's server, and runs the three clients through the outage.
pub fn run(config: &BenchConfig, retries: &RetriesConfig) -> Result<RetriesOutcome, BenchError> {
    validate(retries)?;
    let rig = Rig::new(config, "part6", retries.quota, retries.connections)?;
    let offered = rig.capacity * retries.multiple;
    eprintln!(
        "offering {offered:.0}/s ({}×) for {:?}, the rates service down from {:?} for {:?}",
        retries.multiple, retries.run_for, retries.outage_at, retries.outage_for,
    );
    // The plan meters at the capacity: the offered load fits in it, and a
    // client that asks more than 1.25 times for each conversion spends it.
    let plan = (retries.plan > 0.0).then(|| (rig.capacity * retries.plan).round().max(1.0) as u32);
    if let Some(plan) = plan {
        eprintln!(
            "the rates service's plan: {plan} requests for a date a second, refused ones counted"
        );
    }
    let schedule = Schedule {
        rate: offered,
        duration: retries.run_for,
        connections: rig.connections,
        drain: retries.client_timeout,
    };
    let mut runs = Vec::new();
    for (client, mode) in CLIENTS {
        let settings = Settings {
            binary: &rig.binary,
            client,
            mode,
            config: retries,
            latency: config.latency,
            plan,
        };
        let run = one_run(&settings, &rig.open_loop, schedule, &config.stop)?;
        eprintln!("  {}", line(&run));
        runs.push(run);
    }
    let report = RetriesReport {
        format_version: 1,
        date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        machine: machine::describe(),
        capacity: rig.capacity,
        round_trip_ms: rig.round_trip.as_secs_f64() * 1000.0,
        latency_ms: config.latency.as_secs_f64() * 1000.0,
        quota: retries.quota,
        max_wait_ms: retries.max_wait.as_secs_f64() * 1000.0,
        multiple: retries.multiple,
        run_seconds: retries.run_for.as_secs_f64(),
        outage_s: retries.outage_for.as_secs_f64(),
        outage_from_s: retries.outage_at.as_secs_f64(),
        outage_until_s: (retries.outage_at + retries.outage_for).as_secs_f64(),
        outage_answer: FailureKind::default().to_string(),
        client_timeout_ms: retries.client_timeout.as_secs_f64() * 1000.0,
        connections: rig.connections,
        retry_floor: retries.retry_floor,
        plan_per_second: plan,
        runs,
        wall_seconds: rig.began.elapsed().as_secs_f64(),
    };
    let (json, svg) = write_results(
        &report,
        &config.out_dir,
        "retries",
        retries_chart::write_svg,
    )?;
    Ok(RetriesOutcome { report, json, svg })
}

/// A multiple that schedules something, a quota, and an outage that ends
/// within the run with a second left after it (recovery is looked for in
/// the second after the outage, and goodput before it is its measure).
fn validate(retries: &RetriesConfig) -> Result<(), BenchError> {
    let rates = retries.multiple.is_finite()
        && retries.multiple > 0.0
        && retries.plan.is_finite()
        && retries.plan >= 0.0;
    let outage = !retries.outage_at.is_zero()
        && !retries.outage_for.is_zero()
        && retries.outage_at + retries.outage_for + Duration::from_secs(1) <= retries.run_for;
    if !rates || retries.quota == 0 {
        return Err(BenchError::Config(
            "the multiple must be finite and above zero, the plan finite and not below zero, \
             and the quota above zero"
                .into(),
        ));
    }
    if !outage {
        return Err(BenchError::Config(
            "the outage must begin after the start, last a while, and end a second before \
             the run does (--outage-at + --outage + 1s <= --run-for)"
                .into(),
        ));
    }
    Ok(())
}

/// How one run's server is started.
struct Settings<'a> {
    binary: &'a Path,
    /// `none`, `naive` or `part6`.
    client: &'static str,
    /// Its `--retries`.
    mode: &'static str,
    config: &'a RetriesConfig,
    latency: Duration,
    /// The rates service's plan, requests for a date a second.
    plan: Option<u32>,
}

impl Settings<'_> {
    /// The server's arguments besides the port, host and timeout.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--max-fetches".to_string(),
            self.config.quota.to_string(),
            "--max-wait".to_string(),
            humantime::format_duration(self.config.max_wait).to_string(),
            "--retries".to_string(),
            self.mode.to_string(),
        ];
        if let Some(floor) = self.config.retry_floor {
            args.extend(["--retry-floor".to_string(), floor.to_string()]);
        }
        args
    }
}

/// A fresh rates service and server, the schedule through the outage, and
/// what it measured.
fn one_run(
    settings: &Settings,
    open_loop: &OpenLoop,
    schedule: Schedule,
    stop: &AtomicBool,
) -> Result<RetriesRun, BenchError> {
    let config = settings.config;
    let rates = RatesService::start(RatesConfig {
        quota: Some(config.quota),
        rate_limit: settings.plan.map(|per_second| RateLimit { per_second }),
        ..RatesConfig::with_latency(settings.latency)
    })
    .map_err(BenchError::Rates)?;
    let mut server = ServerProcess::start_with(
        settings.binary,
        &format!("{} (--retries {})", settings.client, settings.mode),
        &settings.args(),
        &rates.url(),
        stop,
    )?;
    eprintln!(
        "{}: --retries {}, {:.0}/s for {:?}",
        settings.client, settings.mode, schedule.rate, schedule.duration
    );
    // The outage is timed from here, and the load too: the open loop's
    // clock starts once its requests are written, well within a
    // millisecond of this.
    let origin = Instant::now();
    let from = origin + config.outage_at;
    rates.set_outage(Some(Outage::new(from, from + config.outage_for)));
    let records = open_loop.run(server.addr(), schedule, dated_path, stop)?;
    server.check_alive()?;
    let upstream: Vec<Duration> = rates
        .arrivals()
        .iter()
        .filter_map(|arrival| arrival.at.checked_duration_since(origin))
        .collect();
    let window = Window {
        from: config.outage_at,
        until: config.outage_at + config.outage_for,
        run: schedule.duration,
    };
    Ok(summarise(
        (settings.client, settings.mode),
        schedule.rate,
        window,
        config.client_timeout,
        &records,
        &upstream,
        (rates.most_at_once(), rates.refused()),
    ))
}

/// The outage and the run, from the start of the load.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Duration,
    until: Duration,
    run: Duration,
}

/// What `records` and the rates service's arrivals (`upstream`, from the
/// start of the load) say, as a run of the report.
fn summarise(
    (client, mode): (&str, &str),
    rate: f64,
    window: Window,
    client_timeout: Duration,
    records: &[Record],
    upstream: &[Duration],
    (most_at_once, refused): (u64, u64),
) -> RetriesRun {
    let count =
        |wanted: &dyn Fn(&Record) -> bool| records.iter().filter(|r| wanted(r)).count() as u64;
    let good: Vec<Duration> = records
        .iter()
        .filter(|r| r.status == Ok(200) && r.latency <= client_timeout)
        .map(|r| r.due(rate))
        .collect();
    let due: Vec<Duration> = records.iter().map(|r| r.due(rate)).collect();
    let seconds = whole_seconds(window.run);
    let upstream_in_outage = within(upstream, window.from, window.until);
    let offered_in_outage = within(&due, window.from, window.until);
    let goodput_before =
        within(&good, Duration::ZERO, window.from) as f64 / window.from.as_secs_f64();
    RetriesRun {
        client: client.to_string(),
        retries: mode.to_string(),
        offered: rate,
        amplification: amplification(upstream_in_outage, offered_in_outage),
        recovery_s: recovery(&good, goodput_before, window.until, window.run)
            .map(|after| round(after.as_secs_f64(), 10.0)),
        goodput_by_second: by_second(&good, seconds),
        upstream_by_second: by_second(upstream, seconds),
        goodput_before: round(goodput_before, 10.0),
        upstream_in_outage,
        offered_in_outage,
        upstream_total: upstream.len() as u64,
        sent: records.len() as u64,
        good: good.len() as u64,
        late: count(&|r| r.status == Ok(200) && r.latency > client_timeout),
        failed: count(&|r| matches!(r.status, Ok(502 | 504))),
        unavailable: count(&|r| r.status == Ok(503)),
        errors: count(&|r| {
            matches!(r.status, Err(Missing::Failed))
                || matches!(r.status, Ok(code) if ![200, 502, 503, 504].contains(&code))
        }),
        unanswered: count(&|r| r.status == Err(Missing::Unanswered)),
        most_at_once,
        refused,
    }
}

/// The run's whole seconds, one bucket each (a part second left over is a
/// bucket too).
fn whole_seconds(run: Duration) -> usize {
    run.as_secs_f64().ceil().max(1.0) as usize
}

/// How many of `times` fall in `[from, until)`.
fn within(times: &[Duration], from: Duration, until: Duration) -> u64 {
    times.iter().filter(|&&at| from <= at && at < until).count() as u64
}

/// `times` counted by the second they fall in, the first `seconds` of them;
/// later ones are not counted.
pub fn by_second(times: &[Duration], seconds: usize) -> Vec<u64> {
    let mut counts = vec![0; seconds];
    for at in times {
        if let Some(count) = usize::try_from(at.as_secs())
            .ok()
            .and_then(|second| counts.get_mut(second))
        {
            *count += 1;
        }
    }
    counts
}

/// Requests for rates for each request offered; 0 when none was offered.
pub fn amplification(upstream: u64, offered: u64) -> f64 {
    if offered == 0 {
        return 0.0;
    }
    round(upstream as f64 / offered as f64, 1000.0)
}

/// How long after `end` goodput came back: the first moment `t` from `end`
/// on, in steps of 0.1 s, such that the 200s due in `[t, t + 1 s)` are at
/// least [`RECOVERED`] of `before` (200s a second); from `end`. `None` if
/// no such second ends within `run`.
pub fn recovery(good: &[Duration], before: f64, end: Duration, run: Duration) -> Option<Duration> {
    let second = Duration::from_secs(1);
    let mut at = end;
    while at + second <= run {
        if within(good, at, at + second) as f64 >= RECOVERED * before {
            return Some(at - end);
        }
        at += RECOVERY_STEP;
    }
    None
}

fn round(value: f64, per: f64) -> f64 {
    (value * per).round() / per
}

/// One run, on one line.
pub fn line(run: &RetriesRun) -> String {
    format!(
        "{:<6} (--retries {:<5}): {:>5.2}× during the outage ({} requests for rates for {} due), \
         recovery {}, goodput before {:.1}/s; 200s {}, late {}, 502/504 {}, 503 {}, errors {}, \
         unanswered {}, 429s {}",
        run.client,
        run.retries,
        run.amplification,
        run.upstream_in_outage,
        run.offered_in_outage,
        seconds(run.recovery_s),
        run.goodput_before,
        run.good,
        run.late,
        run.failed,
        run.unavailable,
        run.errors,
        run.unanswered,
        run.refused
    )
}

fn seconds(recovery: Option<f64>) -> String {
    recovery.map_or("none in the run".to_string(), |s| format!("{s:.1} s"))
}

/// The report as a table, second by second, and the verdicts.
pub fn table(report: &RetriesReport) -> String {
    let mut out = format!(
        "capacity {:.0}/s: {} fetches at once ÷ {:.1} ms; offered {:.0}/s ({}×) for {:.0} s; the \
         rates service down from {:.1} s to {:.1} s ({}); goodput is 200s within {:.0} ms, by the \
         second they were due\n",
        report.capacity,
        report.quota,
        report.round_trip_ms,
        report.capacity * report.multiple,
        report.multiple,
        report.run_seconds,
        report.outage_from_s,
        report.outage_until_s,
        report.outage_answer,
        report.client_timeout_ms
    );
    for run in &report.runs {
        out.push_str(&line(run));
        out.push('\n');
    }
    let row = |values: &[u64]| {
        values
            .iter()
            .map(|n| format!("{n:>4}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    out.push_str("second by second (the outage's marked *):\n");
    let marks: Vec<String> = (0..whole_seconds(Duration::from_secs_f64(report.run_seconds)))
        .map(|second| {
            let (start, end) = (second as f64, second as f64 + 1.0);
            let down = start < report.outage_until_s && end > report.outage_from_s;
            format!("{:>3}{}", second, if down { "*" } else { " " })
        })
        .collect();
    out.push_str(&format!("  {:<24} {}\n", "second", marks.join(" ")));
    for run in &report.runs {
        out.push_str(&format!(
            "  {:<24} {}\n",
            format!("{} goodput", run.client),
            row(&run.goodput_by_second)
        ));
        out.push_str(&format!(
            "  {:<24} {}\n",
            format!("{} upstream", run.client),
            row(&run.upstream_by_second)
        ));
    }
    for verdict in verdicts(report) {
        out.push_str(&verdict);
        out.push('\n');
    }
    out
}

/// Issue #33's targets: the naive client at least 2.5× the requests for
/// rates during the outage, and a recovery that lags its end; part 6 at
/// most 1.15×, and goodput back to 90 % within a second of the end.
pub fn verdicts(report: &RetriesReport) -> Vec<String> {
    let of = |client: &str| report.runs.iter().find(|run| run.client == client);
    let (Some(naive), Some(part6)) = (of(NAIVE), of(PART6)) else {
        return Vec::new();
    };
    let mark = |held: bool| if held { "✓" } else { "✗" };
    let lags = |run: &RetriesRun| run.recovery_s.is_none_or(|s| s > 0.0);
    vec![
        format!(
            "{} naive: {:.2}× the requests for rates during the outage (target: 2.5× at least)",
            mark(naive.amplification >= 2.5),
            naive.amplification
        ),
        format!(
            "{} naive: goodput back to 90 % after the outage's end: {} (target: later than \
             its end)",
            mark(lags(naive)),
            seconds(naive.recovery_s)
        ),
        format!(
            "{} part6: {:.2}× the requests for rates during the outage (target: 1.15× at most)",
            mark(part6.amplification <= 1.15),
            part6.amplification
        ),
        format!(
            "{} part6: goodput back to 90 % after the outage's end: {} (target: within 1 s)",
            mark(part6.recovery_s.is_some_and(|s| s <= 1.0)),
            seconds(part6.recovery_s)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retries_report::sample;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn times_are_counted_by_the_second_they_fall_in() {
        let times = [
            ms(0),
            ms(999),
            ms(1000),
            ms(2500),
            ms(2999),
            ms(3000),
            ms(7000),
        ];
        assert_eq!(by_second(&times, 3), [2, 1, 2], "3 s and after left out");
        assert_eq!(by_second(&[], 2), [0, 0]);
        assert_eq!(whole_seconds(Duration::from_millis(2500)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(10)), 10);
        assert_eq!(within(&times, ms(1000), ms(3000)), 3, "half open");
    }

    #[test]
    fn amplification_is_requests_for_rates_per_request_offered() {
        assert_eq!(amplification(300, 100), 3.0);
        assert_eq!(amplification(372, 372), 1.0);
        assert_eq!(amplification(430, 372), 1.156);
        assert_eq!(amplification(5, 0), 0.0, "nothing offered");
    }

    /// 100 a second due, evenly, over `[from, until)` ms.
    fn due(from: u64, until: u64) -> Vec<Duration> {
        (from..until).step_by(10).map(ms).collect()
    }

    #[test]
    fn recovery_is_when_the_next_second_is_back_to_90_percent() {
        // 100/s before, none during the outage (3 s to 6 s), and back at
        // once after: recovered at the end itself.
        let at_once: Vec<Duration> = [due(0, 3000), due(6000, 10_000)].concat();
        let recovered = |good: &[Duration]| recovery(good, 100.0, ms(6000), ms(10_000));
        assert_eq!(recovered(&at_once), Some(Duration::ZERO));
        // Back 500 ms after the end: the second from 6.4 s holds 90 of the
        // 100 (6.5 s to 7.4 s), the one from 6.3 s only 80.
        let later = [due(0, 3000), due(6500, 10_000)].concat();
        assert_eq!(recovered(&later), Some(ms(400)));
        // Half the goodput ever after: never back.
        let halved = [
            due(0, 3000),
            due(6000, 10_000).into_iter().step_by(2).collect(),
        ]
        .concat();
        assert_eq!(recovered(&halved), None);
        // Back too late for a whole second to be left in the run.
        let too_late = [due(0, 3000), due(9500, 10_000)].concat();
        assert_eq!(recovered(&too_late), None);
    }

    fn record(index: usize, status: Result<u16, Missing>, latency: u64) -> Record {
        Record {
            index,
            status,
            latency: ms(latency),
        }
    }

    #[test]
    fn a_run_is_summarised_as_the_issue_asks() {
        // 8 a second for 4 s (every one due at an exact eighth of a
        // second), down from 1 s to 2 s: the requests due then fail (502),
        // each after 3 requests for rates.
        let records: Vec<Record> = (0..32)
            .map(|index| match index {
                8..16 => record(index, Ok(502), 5),
                16 => record(index, Ok(200), 1500),
                17 => record(index, Ok(503), 1),
                18 => record(index, Err(Missing::Unanswered), 2000),
                _ => record(index, Ok(200), 60),
            })
            .collect();
        let upstream: Vec<Duration> = (0..32)
            .flat_map(|index| {
                let tries = if (8..16).contains(&index) { 3 } else { 1 };
                std::iter::repeat_n(ms(125 * index), tries)
            })
            .collect();
        let window = Window {
            from: ms(1000),
            until: ms(2000),
            run: ms(4000),
        };
        let run = summarise(
            (NAIVE, "naive"),
            8.0,
            window,
            ms(1000),
            &records,
            &upstream,
            (8, 0),
        );
        assert_eq!((run.upstream_in_outage, run.offered_in_outage), (24, 8));
        assert_eq!(run.amplification, 3.0);
        assert_eq!(run.goodput_by_second, [8, 0, 5, 8]);
        assert_eq!(run.upstream_by_second, [8, 24, 8, 8]);
        assert_eq!(run.goodput_before, 8.0);
        // 7.2 good needed in a second: the second from 2.2 s holds 7 (the
        // one due at 2.25 s unanswered), the one from 2.3 s all 8.
        assert_eq!(run.recovery_s, Some(0.3));
        assert_eq!(
            (
                run.good,
                run.late,
                run.failed,
                run.unavailable,
                run.unanswered,
                run.errors
            ),
            (21, 1, 8, 1, 1, 0)
        );
        assert_eq!((run.sent, run.upstream_total), (32, 48));
    }

    #[test]
    fn an_outage_must_fit_in_the_run() {
        let with = |at: u64, lasting: u64, run: u64| RetriesConfig {
            outage_at: Duration::from_secs(at),
            outage_for: Duration::from_secs(lasting),
            run_for: Duration::from_secs(run),
            ..RetriesConfig::default()
        };
        assert!(validate(&RetriesConfig::default()).is_ok());
        assert!(validate(&with(3, 3, 7)).is_ok());
        assert!(validate(&with(3, 3, 6)).is_err(), "no second after it");
        assert!(validate(&with(0, 3, 10)).is_err(), "nothing before it");
        assert!(validate(&with(3, 0, 10)).is_err());
        let nothing = RetriesConfig {
            multiple: f64::NAN,
            ..RetriesConfig::default()
        };
        assert!(validate(&nothing).is_err());
    }

    #[test]
    fn the_verdicts_hold_the_issues_numbers() {
        let mut naive = sample::run(NAIVE, 3.0, vec![80; 10], vec![80; 10]);
        naive.recovery_s = Some(0.4);
        let report = sample::report(vec![
            sample::run(NONE, 1.0, vec![80; 10], vec![80; 10]),
            naive,
            sample::run(PART6, 1.12, vec![80; 10], vec![80; 10]),
        ]);
        let said = verdicts(&report);
        assert_eq!(said.len(), 4);
        assert!(said.iter().all(|line| line.starts_with('✓')), "{said:?}");
        let mut worse = report.clone();
        worse.runs[1].recovery_s = Some(0.0);
        worse.runs[2].amplification = 1.2;
        worse.runs[2].recovery_s = None;
        let said = verdicts(&worse);
        assert!(said[0].starts_with('✓'));
        assert!(
            said[1..].iter().all(|line| line.starts_with('✗')),
            "{said:?}"
        );
        let text = table(&report);
        assert!(text.contains("  3*"), "the outage's seconds marked: {text}");
    }
}
