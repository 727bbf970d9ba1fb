//! What a run found: the record written as JSON, and the terminal table.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::limits::OpenFiles;
use crate::littles_law::{Bound, TARGET_PERCENT, Workers};
use crate::machine::Machine;
use crate::{BenchError, Code, GeneratorKind, Profile};

/// Bumped when a field changes meaning, so shared results stay comparable.
/// 3: part 4, each implementation's `bound`, and the `speedup`.
pub const FORMAT_VERSION: u32 = 3;

/// The built-in generator and wrk agree when they differ by no more.
pub const GENERATORS_AGREE_PERCENT: f64 = 10.0;

/// One load, one server: what a generator saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub generator: GeneratorKind,
    pub connections: usize,
    /// Connections the built-in generator managed to open (wrk does not say).
    pub connected: Option<usize>,
    /// The measured window, warm-up excluded.
    pub seconds: f64,
    /// `200` answers a second: a server that answers 500 at once is not fast.
    pub requests_per_s: f64,
    pub ok: u64,
    pub non_200: u64,
    /// Connect, read, write errors and timeouts in the measured window.
    pub errors: u64,
    /// The same during connection set-up and warm-up (built-in only).
    pub warmup_errors: u64,
    /// Latency percentiles of every answer; none when nothing was answered.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl Measurement {
    pub fn empty(generator: GeneratorKind, connections: usize) -> Self {
        Self {
            generator,
            connections,
            connected: None,
            seconds: 0.0,
            requests_per_s: 0.0,
            ok: 0,
            non_200: 0,
            errors: 0,
            warmup_errors: 0,
            p50_ms: None,
            p99_ms: None,
        }
    }
}

/// One point of the sweep, next to its bound: Little's law's, or the CPU's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub connections: usize,
    /// Requests the server can hold waiting: min(connections, its workers).
    pub workers: usize,
    /// workers ÷ measured round trip; for a CPU-bound implementation, its
    /// CPU ceiling at this count.
    pub bound_rps: f64,
    pub percent_of_bound: f64,
    /// The CPU ceiling this point is judged against: measured at its own
    /// connection count where the bound comes near the first one, and at
    /// every count for a CPU-bound implementation.
    pub ceiling_rps: f64,
    pub ceiling_connections: usize,
    /// Whether a Little's-law bound is below that ceiling: only then is the
    /// target held against it. (A CPU bound is the ceiling: never below.)
    pub below_ceiling: bool,
    /// `None` where the target does not apply: a Little's-law bound above
    /// the CPU ceiling. A CPU bound is held to it at every point.
    pub meets_target: Option<bool>,
    /// One run; for a CPU-bound implementation, the best of its slices.
    pub measurement: Measurement,
    /// A CPU-bound implementation's slices, in the order they were made:
    /// the point's (against the slow rates service) and its ceiling's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs_rps: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ceiling_runs_rps: Vec<f64>,
}

/// The two generators side by side, same server, same load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrkCheck {
    pub connections: usize,
    /// (built-in − wrk) ÷ wrk in percent, run against run for each pair
    /// made back to back: the median pair. `None` when wrk had no answer to
    /// compare with (a server that answers nothing).
    pub difference_percent: Option<f64>,
    /// Every pair's, in the order they were made.
    pub pair_differences_percent: Vec<f64>,
    /// The best run of each.
    pub builtin_rps: f64,
    pub wrk_rps: f64,
    /// Every run, pair by pair (`builtin_runs_rps[i]` next to `wrk_runs_rps[i]`).
    pub builtin_runs_rps: Vec<f64>,
    pub wrk_runs_rps: Vec<f64>,
    pub builtin: Measurement,
    pub wrk: Measurement,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImplementationReport {
    pub part: String,
    pub name: String,
    pub workers: Workers,
    /// What its points are judged against: `littles_law` (parts 1 to 3) or
    /// `cpu` (part 4, whose requests do not wait for the rates service).
    #[serde(default)]
    pub bound: Bound,
    /// The same load at zero latency: what the CPU allows at best, at the
    /// smallest connection count.
    pub ceiling: Measurement,
    /// The ceiling again, at the counts whose bounds come near the first
    /// (at every other count for a CPU-bound implementation).
    #[serde(default)]
    pub more_ceilings: Vec<Measurement>,
    pub wrk_check: Option<WrkCheck>,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub code: Code,
    pub profile: Profile,
    pub generator: GeneratorKind,
    pub generator_threads: usize,
    pub connections: Vec<usize>,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub latency_ms: f64,
    pub part3_threads: usize,
    pub request: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundTrip {
    /// The rates service's latency, as set.
    pub configured_ms: f64,
    /// The median of a few sequential `GET /latest`: what the bounds use.
    pub measured_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    /// When the run finished, RFC 3339, UTC.
    pub date: String,
    pub machine: Machine,
    /// How busy the CPUs were just before the run (Linux).
    pub busy_before_percent: Option<f64>,
    pub settings: Settings,
    pub open_files: OpenFiles,
    pub round_trip: RoundTrip,
    pub implementations: Vec<ImplementationReport>,
    /// The verdict on the built-in generator, where wrk was there to compare.
    pub generators: Option<GeneratorAgreement>,
    /// How many times part 1's load part 4 serves, where both were measured.
    #[serde(default)]
    pub speedup: Option<Speedup>,
    /// Anything that makes these figures less than the full picture.
    pub warnings: Vec<String>,
    /// Wall time of the whole run, build included.
    pub wall_seconds: f64,
}

impl Report {
    /// Points held to the target, and how many met it.
    pub fn target_score(&self) -> (usize, usize) {
        let judged = self
            .implementations
            .iter()
            .flat_map(|implementation| &implementation.points)
            .filter_map(|point| point.meets_target);
        judged.fold((0, 0), |(met, all), ok| (met + usize::from(ok), all + 1))
    }
}

/// The built-in generator against wrk, over the pairs of every server.
///
/// One server's pairs swing by ±10 % and more with the machine (the
/// synchronous server most, its 64 threads sharing 2 cores); the generator is
/// the same whichever server it loads, so the pairs of all three together
/// judge it: their median, where one server's five pairs give a median that
/// can land past 10 % by chance alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeneratorAgreement {
    pub pairs: usize,
    /// (built-in − wrk) ÷ wrk in percent: the median over all the pairs.
    pub difference_percent: f64,
    /// Whether that is within `GENERATORS_AGREE_PERCENT`.
    pub agree: bool,
}

impl GeneratorAgreement {
    pub fn pool(implementations: &[ImplementationReport]) -> Option<Self> {
        let pairs: Vec<f64> = implementations
            .iter()
            .filter_map(|implementation| implementation.wrk_check.as_ref())
            .flat_map(|check| check.pair_differences_percent.iter().copied())
            .collect();
        let difference_percent = median(&pairs)?;
        Some(Self {
            pairs: pairs.len(),
            difference_percent,
            agree: difference_percent.abs() <= GENERATORS_AGREE_PERCENT,
        })
    }
}

/// How many times faster one implementation is than another, at the
/// smallest connection count both were measured at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Speedup {
    /// The faster one (`part4`) and the one it is compared with (`part1`).
    pub part: String,
    pub over: String,
    pub connections: usize,
    /// Its req/s ÷ the other's.
    pub times: f64,
    /// Against [`SPEEDUP_TARGET`], which is set at
    /// [`SPEEDUP_CONNECTIONS`]: `None` at any other count.
    pub meets_target: Option<bool>,
}

/// Part 4 at 32 connections serves 10 times part 1's req/s at least (the
/// issue's target, at the default 50 ms latency).
pub const SPEEDUP_TARGET: f64 = 10.0;
pub const SPEEDUP_CONNECTIONS: usize = 32;

impl Speedup {
    /// `part` against `over`, if both were measured at a common count (and
    /// the slower one answered something there).
    pub fn between(
        implementations: &[ImplementationReport],
        part: &str,
        over: &str,
    ) -> Option<Self> {
        let find = |name: &str| implementations.iter().find(|i| i.part == name);
        let (fast, slow) = (find(part)?, find(over)?);
        let (fast, slow) = fast.points.iter().find_map(|fast| {
            let slow = slow
                .points
                .iter()
                .find(|slow| slow.connections == fast.connections)?;
            Some((fast, slow))
        })?;
        let slow_rps = slow.measurement.requests_per_s;
        if slow_rps <= 0.0 {
            return None;
        }
        let times = fast.measurement.requests_per_s / slow_rps;
        Some(Self {
            part: part.to_string(),
            over: over.to_string(),
            connections: fast.connections,
            times,
            meets_target: (fast.connections == SPEEDUP_CONNECTIONS)
                .then_some(times >= SPEEDUP_TARGET),
        })
    }
}

/// The median of `values`, in any order: the workspace's one quantile.
pub fn median(values: &[f64]) -> Option<f64> {
    workshop_loadgen::quantile(values.iter().copied(), 0.5)
}

/// `report` as pretty JSON.
pub fn to_json(report: &Report) -> Result<String, BenchError> {
    Ok(serde_json::to_string_pretty(report)?)
}

/// Writes `report` as pretty JSON.
pub fn write_json(report: &Report, path: &Path) -> Result<(), BenchError> {
    fs::write(path, to_json(report)? + "\n").map_err(|source| BenchError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |ms| format!("{ms:.1}"))
}

/// The terminal table.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let machine = &report.machine;
    let _ = writeln!(
        out,
        "bench of the {:?} servers, {} · {} ({} cores, {})",
        report.settings.code, report.date, machine.cpu, machine.cores, machine.os
    );
    let _ = writeln!(
        out,
        "round trip to the rates service: {:.0} ms set, {:.1} ms measured (the bounds use the measured one)",
        report.round_trip.configured_ms, report.round_trip.measured_ms
    );
    let _ = writeln!(
        out,
        "Little's law bound = min(connections, workers) ÷ round trip; ✓ at least {TARGET_PERCENT:.0} % of it, \
         ✗ less, `cpu` where the bound is above the CPU ceiling (no target there)"
    );
    let cpu_bound = cpu_bound_parts(report);
    if !cpu_bound.is_empty() {
        let _ = writeln!(
            out,
            "bound: CPU for {}: no request waits for the rates service, so the bound is the CPU ceiling \
             at each count, and the target holds at every point",
            cpu_bound.join(", ")
        );
    }
    for implementation in &report.implementations {
        let workers = match implementation.workers {
            Workers::PerConnection => "one per connection".to_string(),
            Workers::Threads(threads) => format!("{threads} threads"),
        };
        let ceiling = &implementation.ceiling;
        let bound = match implementation.bound {
            Bound::LittlesLaw => "",
            Bound::Cpu => " · bound: CPU",
        };
        let _ = writeln!(
            out,
            "\n{} · {} · workers: {workers}{bound}",
            implementation.part, implementation.name
        );
        let _ = match implementation.bound {
            Bound::LittlesLaw => write!(
                out,
                "  CPU ceiling (zero latency, {} connections): {:.0} req/s",
                ceiling.connections, ceiling.requests_per_s
            ),
            Bound::Cpu => write!(
                out,
                "  bound: the CPU ceiling (zero latency) at each count, not workers ÷ round trip; \
                 each point and ceiling the best of {} interleaved slices: {:.0} req/s at {}",
                implementation
                    .points
                    .first()
                    .map_or(0, |point| point.runs_rps.len()),
                ceiling.requests_per_s,
                ceiling.connections
            ),
        };
        for more in &implementation.more_ceilings {
            let _ = write!(out, ", {:.0} at {}", more.requests_per_s, more.connections);
        }
        if let Some(check) = &implementation.wrk_check {
            let _ = match check.difference_percent {
                Some(difference) => write!(
                    out,
                    " · built-in vs wrk {difference:+.1} % (median of {} back-to-back pairs)",
                    check.pair_differences_percent.len()
                ),
                None => write!(
                    out,
                    " · built-in vs wrk: nothing to compare, wrk had no answer"
                ),
            };
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:>11} {:>7} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7} {:>7}",
            "connections",
            "workers",
            "bound/s",
            "req/s",
            "of bound",
            "p50 ms",
            "p99 ms",
            "errors",
            "non-200"
        );
        for point in &implementation.points {
            let m = &point.measurement;
            let verdict = match point.meets_target {
                Some(true) => "✓",
                Some(false) => "✗",
                None => "cpu",
            };
            let _ = writeln!(
                out,
                "  {:>11} {:>7} {:>9.0} {:>9.0} {:>7.1} % {:>8} {:>8} {:>7} {:>7}  {verdict}",
                point.connections,
                point.workers,
                point.bound_rps,
                m.requests_per_s,
                point.percent_of_bound,
                ms(m.p50_ms),
                ms(m.p99_ms),
                m.errors,
                m.non_200,
            );
        }
    }
    let (met, judged) = report.target_score();
    let held = if cpu_bound.is_empty() {
        "points below the CPU ceiling".to_string()
    } else {
        format!(
            "points held to it (below the CPU ceiling, and all of {})",
            cpu_bound.join(", ")
        )
    };
    let _ = writeln!(
        out,
        "\ntarget: {met} of {judged} {held} reach {TARGET_PERCENT:.0} % of their bound"
    );
    if let Some(speedup) = &report.speedup {
        let verdict = match speedup.meets_target {
            Some(true) => format!("target: at least {SPEEDUP_TARGET:.0}× ✓"),
            Some(false) => format!("target: at least {SPEEDUP_TARGET:.0}× ✗"),
            None => format!(
                "the target, at least {SPEEDUP_TARGET:.0}×, is set at {SPEEDUP_CONNECTIONS} connections"
            ),
        };
        let _ = writeln!(
            out,
            "speed-up: {} serves {:.1}× the req/s of {} at {} connections ({verdict})",
            speedup.part, speedup.times, speedup.over, speedup.connections
        );
    }
    if let Some(generators) = &report.generators {
        let verdict = if generators.agree {
            format!("within {GENERATORS_AGREE_PERCENT:.0} % ✓")
        } else {
            format!("more than {GENERATORS_AGREE_PERCENT:.0} % apart ✗")
        };
        let _ = writeln!(
            out,
            "generators: built-in vs wrk {:+.1} %, the median of all {} pairs: {verdict}",
            generators.difference_percent, generators.pairs
        );
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The parts whose bound is the CPU.
fn cpu_bound_parts(report: &Report) -> Vec<&str> {
    report
        .implementations
        .iter()
        .filter(|implementation| implementation.bound == Bound::Cpu)
        .map(|implementation| implementation.part.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implementation(pairs: &[f64]) -> ImplementationReport {
        let run = Measurement::empty(GeneratorKind::Builtin, 32);
        ImplementationReport {
            part: "part1".into(),
            name: "async".into(),
            workers: Workers::PerConnection,
            bound: Bound::LittlesLaw,
            ceiling: run.clone(),
            more_ceilings: Vec::new(),
            wrk_check: Some(WrkCheck {
                connections: 32,
                difference_percent: median(pairs),
                pair_differences_percent: pairs.to_vec(),
                builtin_rps: 0.0,
                wrk_rps: 0.0,
                builtin_runs_rps: Vec::new(),
                wrk_runs_rps: Vec::new(),
                builtin: run.clone(),
                wrk: run,
            }),
            points: Vec::new(),
        }
    }

    #[test]
    fn the_generators_are_judged_on_every_pair_of_every_server() {
        // One server's median is past 10 % by chance; over all the pairs the
        // generators agree.
        let servers = [
            implementation(&[12.0, 11.0, -3.0, 15.0, 10.5]),
            implementation(&[2.0, -4.0, 1.0, 6.0, -8.0]),
            implementation(&[3.0, 0.0, -2.0, 5.0, 4.0]),
        ];
        let alone = servers[0].wrk_check.as_ref().unwrap().difference_percent;
        assert!(alone.unwrap() > 10.0);
        let pooled = GeneratorAgreement::pool(&servers).unwrap();
        assert_eq!(pooled.pairs, 15);
        assert_eq!(pooled.difference_percent, 3.0);
        assert!(pooled.agree);

        let apart = GeneratorAgreement::pool(&[implementation(&[-20.0, -12.0, -11.0])]).unwrap();
        assert_eq!((apart.difference_percent, apart.agree), (-12.0, false));
        assert!(GeneratorAgreement::pool(&[]).is_none());
        assert_eq!(median(&[8.0, 1.0, 4.0, 2.0, 3.0]), Some(3.0));
    }

    /// An implementation measured at `points`: (connections, req/s).
    fn measured(part: &str, points: &[(usize, f64)]) -> ImplementationReport {
        let mut implementation = implementation(&[]);
        implementation.part = part.into();
        implementation.points = points
            .iter()
            .map(|&(connections, rps)| {
                let mut measurement = Measurement::empty(GeneratorKind::Builtin, connections);
                measurement.requests_per_s = rps;
                Point {
                    connections,
                    workers: connections,
                    bound_rps: 0.0,
                    percent_of_bound: 0.0,
                    ceiling_rps: 0.0,
                    ceiling_connections: connections,
                    below_ceiling: false,
                    meets_target: None,
                    measurement,
                    runs_rps: Vec::new(),
                    ceiling_runs_rps: Vec::new(),
                }
            })
            .collect();
        implementation
    }

    #[test]
    fn the_speedup_is_taken_at_the_first_common_count_and_judged_at_32() {
        let part1 = measured("part1", &[(32, 600.0), (64, 1200.0)]);
        let fast = measured("part4", &[(16, 9000.0), (32, 9000.0), (64, 8400.0)]);
        let speedup = Speedup::between(&[part1.clone(), fast], "part4", "part1").unwrap();
        assert_eq!((speedup.connections, speedup.times), (32, 15.0));
        assert_eq!(speedup.meets_target, Some(true));

        let slow = measured("part4", &[(32, 5400.0)]);
        let speedup = Speedup::between(&[part1.clone(), slow], "part4", "part1").unwrap();
        assert_eq!((speedup.times, speedup.meets_target), (9.0, Some(false)));

        // Elsewhere than at 32 connections: a figure, no verdict.
        let (a, b) = (
            measured("part1", &[(8, 100.0)]),
            measured("part4", &[(8, 2000.0)]),
        );
        let speedup = Speedup::between(&[a, b], "part4", "part1").unwrap();
        assert_eq!((speedup.times, speedup.meets_target), (20.0, None));

        // Nothing to divide by, or no part 4: none.
        let silent = measured("part1", &[(32, 0.0)]);
        let fast = measured("part4", &[(32, 9000.0)]);
        assert!(Speedup::between(&[silent, fast], "part4", "part1").is_none());
        assert!(Speedup::between(&[part1], "part4", "part1").is_none());
    }
}
