//! The run: build, start the rates services, and for each implementation
//! measure its CPU ceiling at zero latency, then every connection count
//! against the slow rates service. Part 4, bound by the CPU alone, has its
//! ceiling measured at every count, each next to its point.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};
use rates::{RatesConfig, RatesService};

use crate::generator::{self, Generator};
use crate::limits::{self, MARGIN};
use crate::littles_law::{self, Bound};
use crate::report::{
    ImplementationReport, Measurement, Point, Report, RoundTrip, Settings, Speedup, WrkCheck,
};
use crate::servers::{
    self, ASYNC_PART, CACHED_PART, IMPLEMENTATIONS, Implementation, ServerProcess,
};
use crate::{BenchConfig, BenchError, Code, GeneratorKind, chart, machine, report, wrk};

/// Sequential `GET /latest` timed to measure the round trip.
const ROUND_TRIP_SAMPLES: usize = 7;

/// How long the CPUs are watched before the run, and how busy is too busy.
const BUSY_WINDOW: Duration = Duration::from_millis(500);
const BUSY_WARNING: f64 = 20.0;

/// The comparison: both generators on the same server in slices,
/// interleaved (B W, W B, B W…). On a 2-core machine the CPU a slice gets
/// varies from one slice to the next by ±10 to 20 %, whichever generator
/// sends the load, so a run is compared with its neighbour, pair by pair, and
/// the median pair is the difference: a slice that met a busy moment moves
/// nothing. The verdict pools the pairs of all three servers (see
/// `report::GeneratorAgreement`). The best run of each is its ceiling.
const COMPARISON_PAIRS: usize = 5;
/// Whole seconds (wrk counts no less).
const COMPARISON_SLICE: Duration = Duration::from_secs(2);

/// A CPU-bound point and its ceiling: slices of `duration ÷ CPU_PAIRS`,
/// interleaved (C P, P C, C P), the best of each kept. Its target, unlike a
/// Little's-law bound, sits where the slice-to-slice noise of a 2-core
/// machine (±10 to 20 %) would decide it; and that noise only ever lowers a
/// figure, so the best slice of each is what the server can do.
const CPU_PAIRS: usize = 3;

/// A finished run and where it was written.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub json: PathBuf,
    pub svg: PathBuf,
}

/// Runs the whole comparison described by `config`.
pub fn run(config: &BenchConfig) -> Result<Outcome, BenchError> {
    let began = Instant::now();
    validate(config)?;
    let mut warnings = Vec::new();

    let open_files = limits::raise_open_files();
    eprintln!("{}", open_files.note);
    let connections = affordable(
        &config.connections,
        open_files.max_connections(),
        &mut warnings,
    )?;

    let wrk = wrk::find();
    if config.generator == GeneratorKind::Wrk && wrk.is_none() {
        return Err(BenchError::WrkMissing);
    }
    if config.wrk_check && wrk.is_none() {
        warnings.push(
            "wrk is not installed, so the built-in generator was not checked against it \
             (`apt-get install wrk`)"
                .to_string(),
        );
    }

    eprintln!(
        "building the {} servers ({} profile)…",
        code_name(config.code),
        config.profile.cargo_name()
    );
    let binaries = servers::build(
        &config.root,
        &config.target_dir,
        config.code,
        config.profile,
    )?;

    // Two rates services: the slow one plays the remote API; the instant one
    // shows what the CPU alone allows.
    let slow = RatesService::start(RatesConfig::with_latency(config.latency))
        .map_err(BenchError::Rates)?;
    let instant = RatesService::start(RatesConfig::default()).map_err(BenchError::Rates)?;
    let generator = Generator::new()?;
    let round_trip = generator.round_trip(slow.addr(), "/latest", ROUND_TRIP_SAMPLES)?;

    let busy = machine::busy_percent(BUSY_WINDOW);
    if let Some(busy) = busy.filter(|&busy| busy > BUSY_WARNING) {
        let warning = format!(
            "the CPUs were {busy:.0} % busy before the run: other programs compete with the \
             servers, so these figures are low and noisy"
        );
        eprintln!("warning: {warning}");
        warnings.push(warning);
    }

    let checking = config.wrk_check && wrk.is_some();
    let ceiling_steps = if checking { 2 * COMPARISON_PAIRS } else { 1 };
    let steps: usize = IMPLEMENTATIONS
        .iter()
        .map(|implementation| match implementation.bound() {
            Bound::LittlesLaw => ceiling_steps + connections.len(),
            Bound::Cpu => 2 * CPU_PAIRS * connections.len(),
        })
        .sum();
    let bar = progress_bar(config.progress, steps);
    let sweep = Sweep {
        config,
        generator: &generator,
        wrk: wrk.as_deref(),
        checking,
        connections: &connections,
        round_trip,
        instant_url: instant.url(),
        slow_url: slow.url(),
        bar: &bar,
    };
    let mut implementations = Vec::new();
    for (implementation, binary) in IMPLEMENTATIONS.iter().zip(&binaries) {
        match sweep.implementation(implementation, binary, &mut warnings) {
            Ok(report) => implementations.push(report),
            Err(BenchError::Interrupted) => return Err(BenchError::Interrupted),
            // A learner's unfinished server must not keep the others from
            // being measured; a solution's is a bug to stop at.
            Err(err) if config.code == Code::Learner => {
                let warning = format!("{} could not be measured: {err}", implementation.part);
                bar.suspend(|| eprintln!("warning: {warning}"));
                warnings.push(warning);
            }
            Err(err) => return Err(err),
        }
    }
    bar.finish_and_clear();

    let report = Report {
        format_version: report::FORMAT_VERSION,
        date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        machine: machine::describe(),
        busy_before_percent: busy,
        settings: Settings {
            code: config.code,
            profile: config.profile,
            generator: config.generator,
            generator_threads: generator::THREADS,
            connections,
            duration_s: config.duration.as_secs_f64(),
            warmup_s: config.warmup.as_secs_f64(),
            latency_ms: millis(config.latency),
            part3_threads: config.threads,
            request: format!("GET {}", generator::CONVERT_PATH),
        },
        open_files,
        round_trip: RoundTrip {
            configured_ms: millis(config.latency),
            measured_ms: millis(round_trip),
        },
        generators: report::GeneratorAgreement::pool(&implementations),
        speedup: Speedup::between(&implementations, CACHED_PART, ASYNC_PART),
        implementations,
        warnings,
        wall_seconds: began.elapsed().as_secs_f64(),
    };
    let (json, svg) = write(&report, &config.out_dir, config.code)?;
    Ok(Outcome { report, json, svg })
}

/// Everything the measurements of one run share.
struct Sweep<'a> {
    config: &'a BenchConfig,
    generator: &'a Generator,
    wrk: Option<&'a Path>,
    /// Whether both generators are compared at zero latency.
    checking: bool,
    connections: &'a [usize],
    round_trip: Duration,
    /// The rates service without latency, and the slow one.
    instant_url: String,
    slow_url: String,
    bar: &'a ProgressBar,
}

impl Sweep<'_> {
    /// One implementation, measured against what bounds it.
    fn implementation(
        &self,
        implementation: &Implementation,
        binary: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<ImplementationReport, BenchError> {
        match implementation.bound() {
            Bound::LittlesLaw => self.round_trip_bound(implementation, binary, warnings),
            Bound::Cpu => self.cpu_bound(implementation, binary, warnings),
        }
    }

    fn start(
        &self,
        implementation: &Implementation,
        binary: &Path,
        rates_url: &str,
    ) -> Result<ServerProcess, BenchError> {
        let config = self.config;
        ServerProcess::start(
            binary,
            implementation,
            config.threads,
            rates_url,
            &config.stop,
        )
    }

    /// An implementation whose requests wait one round trip each: its CPU
    /// ceiling (and the generators compared on it) at zero latency, then
    /// every connection count against the slow rates service, each next to
    /// its Little's-law bound.
    fn round_trip_bound(
        &self,
        implementation: &Implementation,
        binary: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<ImplementationReport, BenchError> {
        let (config, bar) = (self.config, self.bar);
        let part = implementation.part;
        let workers = implementation.workers(config.threads);
        let start = |rates_url: &str| self.start(implementation, binary, rates_url);

        // The ceiling at the smallest count: the bounds only grow from there.
        let ceiling_connections = self.connections.first().copied().unwrap_or(1);
        bar.set_message(format!("{part} · zero latency"));
        let mut server = start(&self.instant_url)?;
        let measured = if self.checking {
            self.compare(server.addr(), ceiling_connections, || bar.inc(1))
                .map(|(ceiling, check)| (ceiling, Some(check)))
        } else {
            let ceiling = self.measure(
                config.generator,
                server.addr(),
                ceiling_connections,
                config.duration,
            );
            bar.inc(1);
            ceiling.map(|ceiling| (ceiling, None))
        };
        let (ceiling, wrk_check) = measured.map_err(|err| blame(&mut server, err))?;
        // Where a bound comes near that ceiling, the ceiling at its own count.
        let mut more_ceilings = Vec::new();
        if ceiling.ok > 0 {
            for &n in self
                .connections
                .iter()
                .filter(|&&n| n != ceiling_connections)
            {
                let bound = littles_law::bound(workers.at(n), self.round_trip);
                if littles_law::needs_own_ceiling(bound, ceiling.requests_per_s) {
                    bar.inc_length(1);
                    bar.set_message(format!("{part} · zero latency, {n} connections"));
                    let more = self
                        .measure(config.generator, server.addr(), n, config.duration)
                        .map_err(|err| blame(&mut server, err))?;
                    more_ceilings.push(more);
                    bar.inc(1);
                }
            }
        }
        server.check_alive()?;
        drop(server);
        if ceiling.ok == 0 {
            warnings.push(format!(
                "{part} answered no request with 200 even at zero latency: is a gap still open? \
                 (`cargo xtask check {part}`)"
            ));
        }

        let mut server = start(&self.slow_url)?;
        let mut points = Vec::new();
        for &n in self.connections {
            bar.set_message(format!("{part} · {n} connections"));
            let measurement = self
                .measure(config.generator, server.addr(), n, config.duration)
                .map_err(|err| blame(&mut server, err))?;
            server.check_alive()?;
            bar.inc(1);
            note_trouble(part, &measurement, warnings);
            let workers = workers.at(n);
            let bound = littles_law::bound(workers, self.round_trip);
            let judged = more_ceilings
                .iter()
                .find(|more| more.connections == n)
                .unwrap_or(&ceiling);
            // A server that answered nothing at zero latency has no ceiling
            // to hide behind: the target applies everywhere.
            let below_ceiling =
                ceiling.ok == 0 || littles_law::target_applies(bound, judged.requests_per_s);
            let percent = littles_law::percent(measurement.requests_per_s, bound);
            points.push(Point {
                connections: n,
                workers,
                bound_rps: bound,
                percent_of_bound: percent,
                ceiling_rps: judged.requests_per_s,
                ceiling_connections: judged.connections,
                below_ceiling,
                meets_target: below_ceiling.then_some(percent >= littles_law::TARGET_PERCENT),
                measurement,
                runs_rps: Vec::new(),
                ceiling_runs_rps: Vec::new(),
            });
        }
        Ok(ImplementationReport {
            part: part.to_string(),
            name: implementation.name.to_string(),
            workers,
            bound: Bound::LittlesLaw,
            ceiling,
            more_ceilings,
            wrk_check,
            points,
        })
    }

    /// An implementation whose requests do not wait for the rates service
    /// (part 4: one fetch serves them all for a TTL). Its bound is its CPU
    /// ceiling, and that falls as connections grow (each costs the server
    /// and the generator CPU), so at every count the ceiling (zero latency)
    /// and the point (the slow rates service) are measured in interleaved
    /// slices (see [`CPU_PAIRS`]), with a server for each running all
    /// along: the two see the same machine, and the best of the one is
    /// judged against the best of the other.
    ///
    /// No wrk comparison here: its zero-latency load is CPU-bound like part
    /// 1's ceiling, where the generators are compared already.
    fn cpu_bound(
        &self,
        implementation: &Implementation,
        binary: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<ImplementationReport, BenchError> {
        let (config, bar) = (self.config, self.bar);
        let part = implementation.part;
        let workers = implementation.workers(config.threads);
        let mut instant = self.start(implementation, binary, &self.instant_url)?;
        let mut slow = self.start(implementation, binary, &self.slow_url)?;
        let slice = config.duration / CPU_PAIRS as u32;
        let mut ceilings = Vec::new();
        let mut points = Vec::new();
        for &n in self.connections {
            let (mut zero, mut slowed) = (Vec::new(), Vec::new());
            for pair in 0..CPU_PAIRS {
                let ceiling_first = pair % 2 == 0;
                for ceiling_now in [ceiling_first, !ceiling_first] {
                    let (server, runs, what) = if ceiling_now {
                        (&mut instant, &mut zero, "zero latency, ")
                    } else {
                        (&mut slow, &mut slowed, "")
                    };
                    bar.set_message(format!("{part} · {what}{n} connections"));
                    let run = self
                        .measure(config.generator, server.addr(), n, slice)
                        .map_err(|err| blame(server, err))?;
                    server.check_alive()?;
                    bar.inc(1);
                    runs.push(run);
                }
            }
            let (Some(ceiling), Some(measurement)) = (best(&zero), best(&slowed)) else {
                return Err(BenchError::Generator("a point made no runs".into()));
            };
            let (ceiling, measurement) = (ceiling.clone(), measurement.clone());
            for run in &slowed {
                note_trouble(part, run, warnings);
            }
            let bound = ceiling.requests_per_s;
            let percent = littles_law::percent(measurement.requests_per_s, bound);
            let rates = |runs: &[Measurement]| runs.iter().map(|m| m.requests_per_s).collect();
            points.push(Point {
                connections: n,
                workers: workers.at(n),
                bound_rps: bound,
                percent_of_bound: percent,
                ceiling_rps: bound,
                ceiling_connections: n,
                // The bound is the ceiling itself, never below it, and the
                // target holds everywhere.
                below_ceiling: false,
                meets_target: Some(percent >= littles_law::TARGET_PERCENT),
                measurement,
                runs_rps: rates(&slowed),
                ceiling_runs_rps: rates(&zero),
            });
            ceilings.push(ceiling);
        }
        drop((instant, slow));
        let mut ceilings = ceilings.into_iter();
        let ceiling = ceilings
            .next()
            .ok_or_else(|| BenchError::Config("no connection count to measure".into()))?;
        if ceiling.ok == 0 {
            warnings.push(format!(
                "{part} answered no request with 200 even at zero latency: is a gap still open? \
                 (`cargo xtask check {part}`)"
            ));
        }
        Ok(ImplementationReport {
            part: part.to_string(),
            name: implementation.name.to_string(),
            workers,
            bound: Bound::Cpu,
            ceiling,
            more_ceilings: ceilings.collect(),
            wrk_check: None,
            points,
        })
    }

    fn measure(
        &self,
        kind: GeneratorKind,
        addr: SocketAddr,
        connections: usize,
        duration: Duration,
    ) -> Result<Measurement, BenchError> {
        let config = self.config;
        match (kind, self.wrk) {
            (GeneratorKind::Builtin, _) => {
                self.generator
                    .run(addr, connections, config.warmup, duration, &config.stop)
            }
            (GeneratorKind::Wrk, Some(wrk)) => {
                // wrk has no warm-up of its own: the built-in one warms up.
                if !config.warmup.is_zero() {
                    self.generator.run(
                        addr,
                        connections,
                        Duration::ZERO,
                        config.warmup,
                        &config.stop,
                    )?;
                }
                wrk::run(wrk, addr, connections, duration, &config.stop)
            }
            (GeneratorKind::Wrk, None) => Err(BenchError::WrkMissing),
        }
    }

    /// Both generators on the same server and load, in back-to-back pairs;
    /// gives the ceiling (the best run of the configured generator) and the
    /// comparison.
    fn compare(
        &self,
        addr: SocketAddr,
        connections: usize,
        mut done: impl FnMut(),
    ) -> Result<(Measurement, WrkCheck), BenchError> {
        let mut builtin = Vec::new();
        let mut wrk = Vec::new();
        for pair in 0..COMPARISON_PAIRS {
            let order = if pair % 2 == 0 {
                [GeneratorKind::Builtin, GeneratorKind::Wrk]
            } else {
                [GeneratorKind::Wrk, GeneratorKind::Builtin]
            };
            for kind in order {
                let measurement = match (kind, self.wrk) {
                    // No warm-up before wrk here: the comparison opens with
                    // the built-in generator, whose warm-up warms the server.
                    (GeneratorKind::Wrk, Some(wrk)) => {
                        wrk::run(wrk, addr, connections, COMPARISON_SLICE, &self.config.stop)?
                    }
                    _ => self.measure(kind, addr, connections, COMPARISON_SLICE)?,
                };
                done();
                match kind {
                    GeneratorKind::Builtin => builtin.push(measurement),
                    GeneratorKind::Wrk => wrk.push(measurement),
                }
            }
        }
        let check = summarise(&builtin, &wrk)
            .ok_or_else(|| BenchError::Generator("the comparison made no runs".into()))?;
        let ceiling = match self.config.generator {
            GeneratorKind::Builtin => check.builtin.clone(),
            GeneratorKind::Wrk => check.wrk.clone(),
        };
        Ok((ceiling, check))
    }
}

/// A failed measurement, explained by the server's death where it died
/// ("wrk: connection refused" says less than the server's last words).
fn blame(server: &mut ServerProcess, err: BenchError) -> BenchError {
    match server.check_alive() {
        Err(died) if !matches!(err, BenchError::Interrupted) => died,
        _ => err,
    }
}

/// The run with the most answers a second.
fn best(runs: &[Measurement]) -> Option<&Measurement> {
    runs.iter()
        .max_by(|a, b| a.requests_per_s.total_cmp(&b.requests_per_s))
}

/// Pairs `builtin[i]` with `wrk[i]`, measured back to back.
fn summarise(builtin: &[Measurement], wrk: &[Measurement]) -> Option<WrkCheck> {
    let (best_builtin, best_wrk) = (best(builtin)?, best(wrk)?);
    let pairs: Vec<f64> = builtin
        .iter()
        .zip(wrk)
        .filter(|(_, w)| w.requests_per_s > 0.0)
        .map(|(b, w)| 100.0 * (b.requests_per_s - w.requests_per_s) / w.requests_per_s)
        .collect();
    let rates = |runs: &[Measurement]| runs.iter().map(|m| m.requests_per_s).collect();
    Some(WrkCheck {
        connections: best_builtin.connections,
        difference_percent: report::median(&pairs),
        pair_differences_percent: pairs,
        builtin_rps: best_builtin.requests_per_s,
        wrk_rps: best_wrk.requests_per_s,
        builtin_runs_rps: rates(builtin),
        wrk_runs_rps: rates(wrk),
        builtin: best_builtin.clone(),
        wrk: best_wrk.clone(),
    })
}

fn validate(config: &BenchConfig) -> Result<(), BenchError> {
    let bad = |text: &str| Err(BenchError::Config(text.to_string()));
    if config.connections.is_empty() {
        return bad("give at least one connection count, e.g. --connections 32,64");
    }
    if config.connections.contains(&0) {
        return bad("a connection count must be at least 1");
    }
    if config.duration.is_zero() {
        return bad("the duration must be more than zero, e.g. --duration 3s");
    }
    if !(1..=4096).contains(&config.threads) {
        return bad("part 3's threads must be from 1 to 4096");
    }
    Ok(())
}

/// The connection counts, sorted, without those the open-file limit cannot hold.
fn affordable(
    wanted: &[usize],
    max: Option<usize>,
    warnings: &mut Vec<String>,
) -> Result<Vec<usize>, BenchError> {
    let mut connections = wanted.to_vec();
    connections.sort_unstable();
    connections.dedup();
    let Some(max) = max else {
        return Ok(connections);
    };
    let (kept, dropped): (Vec<usize>, Vec<usize>) =
        connections.into_iter().partition(|&n| n <= max);
    if !dropped.is_empty() {
        let dropped: Vec<String> = dropped.iter().map(ToString::to_string).collect();
        let warning = format!(
            "the open-file limit allows at most {max} connections (two descriptors each, plus {MARGIN}): \
             {} connections cannot be had, left out; raise the hard limit (`ulimit -Hn`) to measure them",
            dropped.join(", ")
        );
        eprintln!("warning: {warning}");
        warnings.push(warning);
    }
    if kept.is_empty() {
        return Err(BenchError::Config(format!(
            "the open-file limit allows at most {max} connections: nothing left to measure"
        )));
    }
    Ok(kept)
}

/// Errors and connections that could not be opened make a figure less than
/// it seems: say so next to the table, not only in the JSON.
fn note_trouble(part: &str, m: &Measurement, warnings: &mut Vec<String>) {
    let n = m.connections;
    if let Some(connected) = m.connected.filter(|&connected| connected < n) {
        warnings.push(format!(
            "{part} at {n}: only {connected} of {n} connections could be opened"
        ));
    }
    if m.errors > 0 || m.non_200 > 0 {
        warnings.push(format!(
            "{part} at {n}: {} errors and {} answers other than 200 while measuring",
            m.errors, m.non_200
        ));
    }
    if m.warmup_errors > 0 {
        warnings.push(format!(
            "{part} at {n}: {} errors while warming up",
            m.warmup_errors
        ));
    }
}

fn write(report: &Report, out_dir: &Path, code: Code) -> Result<(PathBuf, PathBuf), BenchError> {
    fs::create_dir_all(out_dir).map_err(|source| BenchError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let stem = match code {
        Code::Solutions => "bench",
        Code::Learner => "bench-learner",
    };
    let json = out_dir.join(format!("{stem}.json"));
    let svg = out_dir.join(format!("{stem}.svg"));
    report::write_json(report, &json)?;
    chart::write_svg(report, &svg)?;
    Ok((json, svg))
}

fn progress_bar(visible: bool, steps: usize) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Solutions => "solution",
        Code::Learner => "learner's",
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_beyond_the_limit_are_left_out_with_a_warning() {
        let mut warnings = Vec::new();
        let kept = affordable(&[1024, 32, 64, 32], Some(500), &mut warnings).unwrap();
        assert_eq!(kept, [32, 64]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("1024 connections cannot be had"),
            "{warnings:?}"
        );
        assert!(affordable(&[1024], Some(10), &mut warnings).is_err());
        assert_eq!(
            affordable(&[64, 32], None, &mut Vec::new()).unwrap(),
            [32, 64]
        );
    }

    #[test]
    fn the_difference_is_the_median_pair() {
        let run = |generator, rps| {
            let mut m = Measurement::empty(generator, 32);
            m.requests_per_s = rps;
            m
        };
        // The second slice of wrk met a busy machine: that +90 % pair is not
        // the median, and moves nothing.
        let builtin =
            [1020.0, 950.0, 1040.0, 800.0, 1060.0].map(|rps| run(GeneratorKind::Builtin, rps));
        let wrk = [1000.0, 500.0, 1000.0, 1000.0, 1000.0].map(|rps| run(GeneratorKind::Wrk, rps));
        let check = summarise(&builtin, &wrk).unwrap();
        assert!(
            (check.difference_percent.unwrap() - 4.0).abs() < 1e-9,
            "{check:?}"
        );
        assert_eq!(check.pair_differences_percent.len(), 5);
        assert!((check.pair_differences_percent[1] - 90.0).abs() < 1e-9);
        assert_eq!((check.builtin_rps, check.wrk_rps), (1060.0, 1000.0));
        assert!(summarise(&[], &wrk).is_none());
        // A server that answered wrk nothing: kept, with nothing to compare.
        let silent = [0.0; 5].map(|rps| run(GeneratorKind::Wrk, rps));
        let check = summarise(&builtin, &silent).unwrap();
        assert_eq!(check.difference_percent, None);
        assert!(check.pair_differences_percent.is_empty());
    }
}
