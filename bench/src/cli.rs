//! The command line of `workshop-bench`, which `cargo xtask bench` builds
//! optimised and hands its arguments to, as they were typed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::overload::{self, OverloadConfig, OverloadReport};
use crate::retries::{self, RetriesConfig, RetriesReport};
use crate::{
    BenchConfig, BenchError, Code, GeneratorKind, Profile, overload_chart, report, retries_chart,
};

/// The four implementations side by side, each against its bound; part 5
/// under overload; or part 6 through an outage.
#[derive(Debug, Parser)]
#[command(
    name = "workshop-bench",
    bin_name = "cargo xtask bench",
    after_help = "\
Examples:
  cargo xtask bench                                   the sweep with its defaults, about 4½ minutes
  cargo xtask bench sweep --connections 32,256 --duration 5s
  cargo xtask bench sweep --latency 200ms --learner   your servers, a slower rates service
  cargo xtask bench sweep --wrk                       wrk sends the load (apt-get install wrk)
  cargo xtask bench sweep --json > results.json       for machines: share it with the room
  cargo xtask bench overload                          part 5: what shedding buys, at 0.5× to 10× capacity
  cargo xtask bench overload --latency 100ms --multiples 1,10 --run-for 10s
  cargo xtask bench retries                           part 6: what a retry storm costs, through a 3 s outage
  cargo xtask bench retries --outage-at 5s --outage 10s --run-for 20s

The JSON and the SVG chart are written to bench/ in the target directory (or --out), and their
paths printed. Ctrl-C stops the run and every server it started, and exits 130, as every command
of `cargo xtask` does."
)]
struct Cli {
    /// None: the sweep with its defaults.
    #[command(subcommand)]
    command: Option<Command>,
    /// The workspace root, where the servers are built.
    #[arg(long, hide = true, global = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The comparison: the four servers under a closed loop at each
    /// connection count, each against its Little's-law bound or its CPU
    /// ceiling (what `bench` alone runs).
    Sweep(SweepArgs),
    /// Part 5 with its queue's end and without, offered constant rates up
    /// to 10× the rates service's capacity (its --quota ÷ --latency), in an
    /// open loop. Writes overload.json and .svg.
    Overload(OverloadArgs),
    /// Part 6's server through an outage of the rates service, at 0.8× its
    /// capacity in an open loop: without retries, with naive ones (3 tries
    /// at once), and with part 6's (backoff, jitter, a retry budget). Writes
    /// retries.json and .svg.
    Retries(RetriesArgs),
}

/// What both commands take.
#[derive(Debug, Clone, Args)]
struct Shared {
    /// The rates service's latency: the round trip every request waits for.
    #[arg(long, default_value = "50ms", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// Benchmark your servers (exercises/) instead of the solutions.
    #[arg(long)]
    learner: bool,
    /// Print the results as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Where to write the JSON and the chart [default: <target dir>/bench].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Build the servers in this profile: dev builds faster, runs slower.
    #[arg(long, value_enum, default_value_t = Profile::Release)]
    profile: Profile,
}

#[derive(Debug, Clone, Args)]
struct SweepArgs {
    #[command(flatten)]
    shared: Shared,
    /// Connection counts to sweep, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256,512,1024")]
    connections: Vec<usize>,
    /// How long each point is measured, e.g. 3s.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Load before each point is measured, not counted.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Part 3's thread pool (its server's `--threads`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    threads: u16,
    /// Send the load with wrk instead of the built-in generator.
    #[arg(long)]
    wrk: bool,
    /// Skip the other generator at zero latency (the check, where wrk is
    /// installed, that the built-in one is not the bottleneck).
    #[arg(long)]
    no_wrk_check: bool,
}

#[derive(Debug, Clone, Args)]
struct OverloadArgs {
    #[command(flatten)]
    shared: Shared,
    /// The rates service's quota, and the servers' --max-fetches.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    quota: u16,
    /// Part 5's --max-wait, the end of its queue.
    #[arg(long, default_value = "10ms", value_parser = humantime::parse_duration)]
    max_wait: Duration,
    /// The offered rates, as multiples of the capacity.
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2,10")]
    multiples: Vec<f64>,
    /// How long each rate is offered.
    #[arg(long, default_value = "6s", value_parser = humantime::parse_duration)]
    run_for: Duration,
    /// Draw overload.svg again from this overload.json, beside it, and run
    /// nothing.
    #[arg(long, value_name = "JSON", hide = true)]
    redraw: Option<PathBuf>,
    /// A 200 later than this, from when it was due, is no good to its
    /// client; goodput counts the others.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    client_timeout: Duration,
}

#[derive(Debug, Clone, Args)]
struct RetriesArgs {
    #[command(flatten)]
    shared: Shared,
    /// The rates service's quota, and the server's --max-fetches.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    quota: u16,
    /// The server's --max-wait (part 5's shed).
    #[arg(long, default_value = "10ms", value_parser = humantime::parse_duration)]
    max_wait: Duration,
    /// The offered rate, as a multiple of the capacity.
    #[arg(long, default_value_t = 0.8)]
    multiple: f64,
    /// How long the rate is offered, the outage included.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    run_for: Duration,
    /// When the rates service goes down, from the start of the load.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    outage_at: Duration,
    /// How long it stays down (every request for rates: 503, no
    /// Retry-After).
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    outage: Duration,
    /// A 200 later than this, from when it was due, is no good to its
    /// client; goodput counts the others.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    client_timeout: Duration,
    /// The server's --retry-floor (retries a second its budget always
    /// allows) [default: the server's own, 2].
    #[arg(long)]
    retry_floor: Option<u32>,
    /// The rates service's plan: at most this multiple of the capacity in
    /// requests for a date a second, every request counted, refused ones
    /// too (`cargo xtask rates --rate-limit`); 0: no plan.
    #[arg(long, default_value_t = 1.0)]
    plan: f64,
    /// Draw retries.svg again from this retries.json, beside it, and run
    /// nothing.
    #[arg(long, value_name = "JSON", hide = true)]
    redraw: Option<PathBuf>,
}

impl RetriesArgs {
    fn settings(&self) -> RetriesConfig {
        RetriesConfig {
            quota: usize::from(self.quota),
            max_wait: self.max_wait,
            multiple: self.multiple,
            run_for: self.run_for,
            outage_at: self.outage_at,
            outage_for: self.outage,
            client_timeout: self.client_timeout,
            retry_floor: self.retry_floor,
            plan: self.plan,
            ..RetriesConfig::default()
        }
    }
}

impl Shared {
    fn config(&self, root: &Path) -> BenchConfig {
        let mut config = BenchConfig::new(root);
        if let Some(out) = &self.out {
            config.out_dir.clone_from(out);
        }
        config.code = if self.learner {
            Code::Learner
        } else {
            Code::Solutions
        };
        config.profile = self.profile;
        config.latency = self.latency;
        config
    }
}

impl SweepArgs {
    fn config(&self, root: &Path) -> BenchConfig {
        let mut config = self.shared.config(root);
        config.connections.clone_from(&self.connections);
        config.duration = self.duration;
        config.warmup = self.warmup;
        config.threads = usize::from(self.threads);
        config.generator = if self.wrk {
            GeneratorKind::Wrk
        } else {
            GeneratorKind::Builtin
        };
        config.wrk_check = !self.no_wrk_check;
        config
    }
}

/// The binary's `main`: parses the command line, runs it, says why it
/// failed.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(|| {
        // This crate sits one level below the workspace root; where, cargo
        // tells the process it runs (a workshop moved or copied benches
        // itself). Run by hand, the current folder.
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(crate_dir) => {
                let crate_dir = PathBuf::from(crate_dir);
                crate_dir.parent().unwrap_or(&crate_dir).to_path_buf()
            }
            None => PathBuf::from("."),
        }
    });
    let result = match cli.command.unwrap_or_else(default_command) {
        Command::Sweep(args) => sweep(&root, &args),
        Command::Overload(args) => overload(&root, &args),
        Command::Retries(args) => retries(&root, &args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `bench` alone: the sweep, with its defaults.
fn default_command() -> Command {
    Cli::parse_from(["workshop-bench", "sweep"])
        .command
        .expect("`sweep` is a command")
}

/// The sweep, with a Ctrl-C handler; prints the table (or the JSON) and
/// where the files are.
fn sweep(root: &Path, args: &SweepArgs) -> Result<u8, BenchError> {
    let mut config = args.config(root);
    config.stop = stop_on_ctrl_c()?;
    let run = crate::run(&config).and_then(|outcome| {
        Ok(Printed {
            json: report::to_json(&outcome.report)?,
            table: report::table(&outcome.report),
            results: outcome.json,
            chart: outcome.svg,
            wall_seconds: outcome.report.wall_seconds,
        })
    });
    print_outcome(args.shared.json, run)
}

/// Part 5 with and without an end to its queue.
fn overload(root: &Path, args: &OverloadArgs) -> Result<u8, BenchError> {
    if let Some(json) = &args.redraw {
        return redraw::<OverloadReport>(json, overload_chart::write_svg);
    }
    let mut config = args.shared.config(root);
    config.stop = stop_on_ctrl_c()?;
    let settings = OverloadConfig {
        quota: usize::from(args.quota),
        max_wait: args.max_wait,
        multiples: args.multiples.clone(),
        run_for: args.run_for,
        client_timeout: args.client_timeout,
        ..OverloadConfig::default()
    };
    let run = overload::run(&config, &settings).and_then(|outcome| {
        Ok(Printed {
            json: serde_json::to_string_pretty(&outcome.report)?,
            table: overload::table(&outcome.report),
            results: outcome.json,
            chart: outcome.svg,
            wall_seconds: outcome.report.wall_seconds,
        })
    });
    print_outcome(args.shared.json, run)
}

/// Part 6's server through an outage, with each of three clients.
fn retries(root: &Path, args: &RetriesArgs) -> Result<u8, BenchError> {
    if let Some(json) = &args.redraw {
        return redraw::<RetriesReport>(json, retries_chart::write_svg);
    }
    let mut config = args.shared.config(root);
    config.stop = stop_on_ctrl_c()?;
    let run = retries::run(&config, &args.settings()).and_then(|outcome| {
        Ok(Printed {
            json: serde_json::to_string_pretty(&outcome.report)?,
            table: retries::table(&outcome.report),
            results: outcome.json,
            chart: outcome.svg,
            wall_seconds: outcome.report.wall_seconds,
        })
    });
    print_outcome(args.shared.json, run)
}

/// `--redraw`: the chart drawn again by `draw` from the report in `json`,
/// beside it; nothing run.
fn redraw<R: serde::de::DeserializeOwned>(
    json: &Path,
    draw: impl FnOnce(&R, &Path) -> Result<(), BenchError>,
) -> Result<u8, BenchError> {
    let text = std::fs::read_to_string(json)
        .map_err(|err| BenchError::Config(format!("cannot read {}: {err}", json.display())))?;
    let report: R = serde_json::from_str(&text)?;
    let svg = json.with_extension("svg");
    draw(&report, &svg)?;
    println!("chart: {}", svg.display());
    Ok(0)
}

/// What a finished run prints.
struct Printed {
    json: String,
    table: String,
    results: PathBuf,
    chart: PathBuf,
    wall_seconds: f64,
}

/// Installed before any server starts: Ctrl-C then sets the flag, the run
/// stops at its next check, and the guards stop every server on the way
/// out.
fn stop_on_ctrl_c() -> Result<Arc<AtomicBool>, BenchError> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|err| BenchError::Config(format!("cannot watch for Ctrl-C: {err}")))?;
    Ok(stop)
}

/// Prints a run: its table, or its JSON (and then the paths on stderr, so
/// stdout stays one JSON document). Stopped by Ctrl-C, it exits 130
/// (`INTERRUPTED`), as every `cargo xtask` command does: stopped, not done.
fn print_outcome(json: bool, run: Result<Printed, BenchError>) -> Result<u8, BenchError> {
    let printed = match run {
        Ok(printed) => printed,
        Err(BenchError::Interrupted) => {
            eprintln!("{}", BenchError::Interrupted);
            return Ok(workshop_core::child::INTERRUPTED);
        }
        Err(err) => return Err(err),
    };
    let paths = format!(
        "results: {}\nchart:   {}\nwall time: {:.0} s",
        printed.results.display(),
        printed.chart.display(),
        printed.wall_seconds
    );
    if json {
        println!("{}", printed.json);
        eprintln!("{paths}");
    } else {
        print!("{}", printed.table);
        println!("{paths}");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        Cli::parse_from(std::iter::once("bench").chain(args.iter().copied()))
            .command
            .unwrap_or_else(default_command)
    }

    fn sweep_config(args: &[&str]) -> BenchConfig {
        match parse(args) {
            Command::Sweep(args) => args.config(Path::new("/w")),
            Command::Overload(_) | Command::Retries(_) => panic!("{args:?} is not the sweep"),
        }
    }

    #[test]
    fn bench_alone_is_the_sweep_with_the_issues_defaults() {
        let config = sweep_config(&[]);
        assert_eq!(config.connections, crate::DEFAULT_CONNECTIONS);
        assert_eq!(config.latency, Duration::from_millis(50));
        assert_eq!(config.threads, 32);
        assert_eq!(config.profile, Profile::Release);
        assert_eq!(config.generator, GeneratorKind::Builtin);
        assert!(config.wrk_check);
    }

    #[test]
    fn the_sweeps_arguments_reach_its_config() {
        let config = sweep_config(&[
            "sweep",
            "--connections",
            "8,16",
            "--duration",
            "1s 500ms",
            "--latency",
            "20ms",
            "--threads",
            "8",
            "--learner",
            "--wrk",
            "--out",
            "/tmp/x",
            "--profile",
            "dev",
        ]);
        assert_eq!(config.connections, [8, 16]);
        assert_eq!(config.duration, Duration::from_millis(1500));
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!(config.code, Code::Learner);
        assert_eq!(config.generator, GeneratorKind::Wrk);
        assert_eq!(config.out_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.profile, Profile::Dev);
    }

    #[test]
    fn overload_takes_its_own_flags_and_no_profile_outside_the_enum() {
        let Command::Overload(args) = parse(&["overload", "--multiples", "1,10", "--quota", "4"])
        else {
            panic!("not overload");
        };
        assert_eq!((args.multiples, args.quota), (vec![1.0, 10.0], 4));
        for wrong in [
            &["overload", "--connections", "8"][..],
            &["sweep", "--multiples", "1"],
            &["sweep", "--profile", "fast"],
        ] {
            let parsed = Cli::try_parse_from(std::iter::once("bench").chain(wrong.iter().copied()));
            assert!(parsed.is_err(), "{wrong:?} parsed");
        }
    }

    #[test]
    fn retries_takes_its_own_flags_with_the_issues_defaults() {
        let Command::Retries(args) = parse(&["retries"]) else {
            panic!("not retries");
        };
        let settings = args.settings();
        assert_eq!(settings.multiple, 0.8);
        assert_eq!(settings.run_for, Duration::from_secs(10));
        assert_eq!(
            (settings.outage_at, settings.outage_for),
            (Duration::from_secs(3), Duration::from_secs(3))
        );
        assert_eq!((settings.quota, settings.retry_floor), (8, None));
        let Command::Retries(args) = parse(&[
            "retries",
            "--outage-at",
            "5s",
            "--outage",
            "10s",
            "--run-for",
            "20s",
            "--retry-floor",
            "0",
            "--latency",
            "20ms",
        ]) else {
            panic!("not retries");
        };
        let settings = args.settings();
        assert_eq!(
            (settings.outage_at, settings.outage_for, settings.run_for),
            (
                Duration::from_secs(5),
                Duration::from_secs(10),
                Duration::from_secs(20)
            )
        );
        assert_eq!(settings.retry_floor, Some(0));
        assert_eq!(
            args.shared.config(Path::new("/w")).latency,
            Duration::from_millis(20)
        );
        for wrong in [
            &["retries", "--multiples", "1,10"][..],
            &["retries", "--connections", "8"],
            &["overload", "--outage", "3s"],
            &["retries", "--retries"],
        ] {
            let parsed = Cli::try_parse_from(std::iter::once("bench").chain(wrong.iter().copied()));
            assert!(parsed.is_err(), "{wrong:?} parsed");
        }
    }

    #[test]
    fn ctrl_c_exits_130_as_the_runner_does() {
        assert_eq!(
            print_outcome(false, Err(BenchError::Interrupted)).ok(),
            Some(130)
        );
    }
}
