//! The command line, shared by `cargo xtask bench` and the optimised runner
//! binary it starts (`workshop-bench`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::{BenchConfig, BenchError, Code, GeneratorKind, Profile, report};

/// How to run the comparison.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  cargo xtask bench                                   the default sweep, about 3½ minutes
  cargo xtask bench --connections 32,256 --duration 5s
  cargo xtask bench --latency 200ms --learner         your servers, a slower rates service
  cargo xtask bench --wrk                             wrk sends the load (apt-get install wrk)
  cargo xtask bench --json > results.json             for machines: share it with the room
  cargo xtask bench --first-run --runs 2              a fresh clone's first check, against building part 2
  cargo xtask bench --overload                        part 5: what shedding buys, at 0.5× to 10× capacity
  cargo xtask bench --overload --latency 100ms --multiples 1,10 --run-for 10s
  cargo xtask bench --edit-to-verdict --runs 5        a one-line edit, then check partN --solution, every part

The JSON and the SVG chart are written to bench/ in the target directory (or --out), and their
paths printed.")]
pub struct BenchArgs {
    /// Connection counts to sweep, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256,512,1024")]
    pub connections: Vec<usize>,
    /// How long each point is measured, e.g. 3s.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Load before each point is measured, not counted.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration)]
    pub warmup: Duration,
    /// The rates service's latency: the round trip of Little's law.
    #[arg(long, default_value = "50ms", value_parser = humantime::parse_duration)]
    pub latency: Duration,
    /// Part 3's thread pool (its server's `--threads`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub threads: u16,
    /// Benchmark your servers (exercises/) instead of the solutions.
    #[arg(long)]
    pub learner: bool,
    /// Send the load with wrk instead of the built-in generator.
    #[arg(long)]
    pub wrk: bool,
    /// Skip the other generator at zero latency (the check, where wrk is
    /// installed, that the built-in one is not the bottleneck).
    #[arg(long)]
    pub no_wrk_check: bool,
    /// Print the results as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Where to write the JSON and the chart [default: <target dir>/bench].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Build the servers in this profile: dev builds faster, runs slower.
    #[arg(long, default_value = "release", value_parser = ["release", "dev"])]
    pub profile: String,
    /// Instead of the comparison: a fresh clone's first `cargo xtask check
    /// part2` (its first line, its verdict) against `cargo build -p part2
    /// --tests` from nothing. Minutes a run.
    #[arg(long)]
    pub first_run: bool,
    /// Instead of the comparison: a one-line edit to each part's solution,
    /// then `cargo xtask check partN --solution`, timed to the verdict.
    #[arg(long, conflicts_with = "first_run")]
    pub edit_to_verdict: bool,
    /// With --edit-to-verdict: another checkout of the workshop to time
    /// the same way, run for run (e.g. the commit before a change).
    #[arg(long, value_name = "DIR", requires = "edit_to_verdict")]
    pub against: Option<PathBuf>,
    /// How many runs --first-run (fresh clones, each both ways) or
    /// --edit-to-verdict (edits of each part) times.
    #[arg(long, default_value_t = 2)]
    pub runs: usize,
    /// Instead of the comparison: part 5 with its queue's end and without,
    /// offered constant rates up to 10× the rates service's capacity (its
    /// --quota ÷ --latency), in an open loop. Writes overload.json and .svg.
    #[arg(long, conflicts_with_all = ["first_run", "edit_to_verdict"])]
    pub overload: bool,
    /// --overload: the rates service's quota, and the servers' --max-fetches.
    #[arg(long, default_value_t = 8, requires = "overload",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub quota: u16,
    /// --overload: part 5's --max-wait, the end of its queue.
    #[arg(long, default_value = "10ms", requires = "overload", value_parser = humantime::parse_duration)]
    pub max_wait: Duration,
    /// --overload: the offered rates, as multiples of the capacity.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.5,1,2,10",
        requires = "overload"
    )]
    pub multiples: Vec<f64>,
    /// --overload: how long each rate is offered.
    #[arg(long, default_value = "6s", requires = "overload", value_parser = humantime::parse_duration)]
    pub run_for: Duration,
    /// --overload: draw overload.svg again from this overload.json, beside
    /// it, and run nothing.
    #[arg(long, value_name = "JSON", requires = "overload", hide = true)]
    pub redraw: Option<PathBuf>,
    /// --overload: a 200 later than this, from when it was due, is no
    /// good to its client; goodput counts the others.
    #[arg(long, default_value = "1s", requires = "overload", value_parser = humantime::parse_duration)]
    pub client_timeout: Duration,
}

impl BenchArgs {
    /// The run these arguments ask for, on the workspace at `root`.
    pub fn config(&self, root: &Path) -> BenchConfig {
        let mut config = BenchConfig::new(root);
        if let Some(out) = &self.out {
            config.out_dir.clone_from(out);
        }
        config.code = if self.learner {
            Code::Learner
        } else {
            Code::Solutions
        };
        config.profile = if self.profile == "dev" {
            Profile::Dev
        } else {
            Profile::Release
        };
        config.connections.clone_from(&self.connections);
        config.duration = self.duration;
        config.warmup = self.warmup;
        config.latency = self.latency;
        config.threads = usize::from(self.threads);
        config.generator = if self.wrk {
            GeneratorKind::Wrk
        } else {
            GeneratorKind::Builtin
        };
        config.wrk_check = !self.no_wrk_check;
        config
    }

    /// The same arguments as a command line, to hand to the runner.
    pub fn to_args(&self) -> Vec<String> {
        let list = |values: &[usize]| {
            values
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut args = vec![
            format!("--connections={}", list(&self.connections)),
            format!("--duration={}", humantime::format_duration(self.duration)),
            format!("--warmup={}", humantime::format_duration(self.warmup)),
            format!("--latency={}", humantime::format_duration(self.latency)),
            format!("--threads={}", self.threads),
            format!("--profile={}", self.profile),
        ];
        if self.first_run || self.edit_to_verdict {
            args.push(format!("--runs={}", self.runs));
        }
        if let Some(json) = &self.redraw {
            args.push(format!("--redraw={}", json.display()));
        }
        if self.overload {
            let multiples: Vec<String> = self.multiples.iter().map(ToString::to_string).collect();
            args.extend([
                format!("--quota={}", self.quota),
                format!("--max-wait={}", humantime::format_duration(self.max_wait)),
                format!("--multiples={}", multiples.join(",")),
                format!("--run-for={}", humantime::format_duration(self.run_for)),
                format!(
                    "--client-timeout={}",
                    humantime::format_duration(self.client_timeout)
                ),
            ]);
        }
        if let Some(against) = &self.against {
            args.push(format!("--against={}", against.display()));
        }
        for (flag, set) in [
            ("--first-run", self.first_run),
            ("--overload", self.overload),
            ("--edit-to-verdict", self.edit_to_verdict),
            ("--learner", self.learner),
            ("--wrk", self.wrk),
            ("--no-wrk-check", self.no_wrk_check),
            ("--json", self.json),
        ] {
            if set {
                args.push(flag.to_string());
            }
        }
        if let Some(out) = &self.out {
            args.push(format!("--out={}", out.display()));
        }
        args
    }
}

/// Runs the bench with a Ctrl-C handler, prints the table (or the JSON) and
/// where the files are. Exit code 130 after Ctrl-C, as shells expect.
pub fn run(root: &Path, args: &BenchArgs) -> Result<ExitCode, BenchError> {
    let mut config = args.config(root);
    if args.first_run {
        return first_run(args, &config);
    }
    if args.overload {
        return overload(args, config);
    }
    if args.edit_to_verdict {
        return edit_to_verdict(args, &config);
    }
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
    print_outcome(args.json, run)
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
/// stops at its next check, and the guards kill every server on the way
/// out.
fn stop_on_ctrl_c() -> Result<Arc<AtomicBool>, BenchError> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|err| BenchError::Config(format!("cannot watch for Ctrl-C: {err}")))?;
    Ok(stop)
}

/// Prints a run: its table, or its JSON (and then the paths on stderr, so
/// stdout stays one JSON document); exit 130 if Ctrl-C stopped it.
fn print_outcome(json: bool, run: Result<Printed, BenchError>) -> Result<ExitCode, BenchError> {
    let printed = match run {
        Ok(printed) => printed,
        Err(BenchError::Interrupted) => {
            eprintln!("{}", BenchError::Interrupted);
            return Ok(ExitCode::from(130));
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
    Ok(ExitCode::SUCCESS)
}

/// `--overload`: part 5 with and without an end to its queue.
fn overload(args: &BenchArgs, mut config: BenchConfig) -> Result<ExitCode, BenchError> {
    if let Some(json) = &args.redraw {
        let text = std::fs::read_to_string(json)
            .map_err(|err| BenchError::Config(format!("cannot read {}: {err}", json.display())))?;
        let report: crate::overload::OverloadReport = serde_json::from_str(&text)?;
        let svg = json.with_extension("svg");
        crate::overload_chart::write_svg(&report, &svg)?;
        println!("chart: {}", svg.display());
        return Ok(ExitCode::SUCCESS);
    }
    config.stop = stop_on_ctrl_c()?;
    let overload = crate::overload::OverloadConfig {
        quota: usize::from(args.quota),
        max_wait: args.max_wait,
        multiples: args.multiples.clone(),
        run_for: args.run_for,
        client_timeout: args.client_timeout,
        ..crate::overload::OverloadConfig::default()
    };
    let run = crate::overload::run(&config, &overload).and_then(|outcome| {
        Ok(Printed {
            json: serde_json::to_string_pretty(&outcome.report)?,
            table: crate::overload::table(&outcome.report),
            results: outcome.json,
            chart: outcome.svg,
            wall_seconds: outcome.report.wall_seconds,
        })
    });
    print_outcome(args.json, run)
}

/// `--first-run`: timed in fresh clones under the system's temporary
/// directory (outside any target directory, whose sources cargo would not
/// watch), written to `first-run.json` beside the comparison's results.
fn first_run(args: &BenchArgs, config: &BenchConfig) -> Result<ExitCode, BenchError> {
    let scratch = std::env::temp_dir().join("workshop-first-run");
    let result = crate::first_run::measure(&config.root, &scratch, args.runs)?;
    let json = serde_json::to_string_pretty(&result)
        .map_err(|err| BenchError::Config(format!("cannot write JSON: {err}")))?;
    std::fs::create_dir_all(&config.out_dir).map_err(|err| {
        BenchError::Config(format!("cannot create {}: {err}", config.out_dir.display()))
    })?;
    let path = config.out_dir.join("first-run.json");
    std::fs::write(&path, format!("{json}\n"))
        .map_err(|err| BenchError::Config(format!("cannot write {}: {err}", path.display())))?;
    if args.json {
        println!("{json}");
    } else {
        print!("{}", crate::first_run::table(&result));
    }
    eprintln!("results: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `--edit-to-verdict`: every part, in this workspace (and `--against`'s),
/// written to `edit-to-verdict.json`.
fn edit_to_verdict(args: &BenchArgs, config: &BenchConfig) -> Result<ExitCode, BenchError> {
    let mut workspaces = vec![config.root.clone()];
    workspaces.extend(args.against.clone());
    let timings = crate::edit_to_verdict::measure(&workspaces, args.runs)?;
    let json = serde_json::to_string_pretty(&timings)
        .map_err(|err| BenchError::Config(format!("cannot write JSON: {err}")))?;
    write_result(config, "edit-to-verdict.json", &json)?;
    if args.json {
        println!("{json}");
    } else {
        print!("{}", crate::edit_to_verdict::table(&timings));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `json` to `name` beside the comparison's results, and says where.
fn write_result(config: &BenchConfig, name: &str, json: &str) -> Result<(), BenchError> {
    std::fs::create_dir_all(&config.out_dir).map_err(|err| {
        BenchError::Config(format!("cannot create {}: {err}", config.out_dir.display()))
    })?;
    let path = config.out_dir.join(name);
    std::fs::write(&path, format!("{json}\n"))
        .map_err(|err| BenchError::Config(format!("cannot write {}: {err}", path.display())))?;
    eprintln!("results: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn parse(args: &[&str]) -> BenchArgs {
        Cli::parse_from(std::iter::once("bench").chain(args.iter().copied())).args
    }

    #[test]
    fn the_defaults_are_the_issues() {
        let config = parse(&[]).config(Path::new("/w"));
        assert_eq!(config.connections, crate::DEFAULT_CONNECTIONS);
        assert_eq!(config.latency, Duration::from_millis(50));
        assert_eq!(config.threads, 32);
        assert_eq!(config.profile, Profile::Release);
        assert_eq!(config.generator, GeneratorKind::Builtin);
        assert!(config.wrk_check);
    }

    #[test]
    fn arguments_survive_the_trip_to_the_runner() {
        let args = parse(&[
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
            "--json",
            "--out",
            "/tmp/x",
            "--profile",
            "dev",
        ]);
        let again = parse(
            &args
                .to_args()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        assert_eq!(again.to_args(), args.to_args());
        let config = again.config(Path::new("/w"));
        assert_eq!(config.connections, [8, 16]);
        assert_eq!(config.duration, Duration::from_millis(1500));
        assert_eq!(config.code, Code::Learner);
        assert_eq!(config.generator, GeneratorKind::Wrk);
        assert_eq!(config.out_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.profile, Profile::Dev);
    }
}
