//! `cargo xtask check partN`: grades a part, the learner's crate or the
//! solution, and says in plain words what passes, what does not, and why.
//!
//! 1. Graded tests the learner edited are put back (their copy is kept).
//! 2. The gaps still left are listed, `file:line` and title.
//! 3. The crate is built; the first compiler error is shown in full.
//! 4. The exercises' checks run, side by side, each with a deadline.
//! 5. A summary: passed and failed, the part's clock, the next step.

pub(crate) mod build;
mod cancellation;
mod cli;
mod client_test;
mod clock;
mod computed;
mod contract;
mod deadline;
mod explain;
pub(crate) mod gaps;
mod libtest;
mod procs;
mod protect;
mod report;
mod requests;
mod server;
mod shutdown;
mod singleflight;
mod sustained;
mod timing;
pub(crate) mod verdict;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::generate;
use crate::learner::hint::{self, SummaryHint};
use crate::manifest::{CheckKind, Exercise, Manifest, Part};
use build::{Built, Outcome, Request};
use report::Report;
use verdict::Verdict;

/// Which part to check, and whose.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask check part2")]
pub struct CheckArgs {
    /// The part, e.g. part2.
    part: String,
    /// Check the solution instead of your exercise.
    #[arg(long)]
    solution: bool,
    /// Build in release mode (timing checks hold in both).
    #[arg(long)]
    release: bool,
    /// Show every compiler error, not just the first.
    #[arg(long)]
    verbose: bool,
}

/// Every check has a hard deadline; none should come near it.
const CHECK_DEADLINE: Duration = Duration::from_secs(90);

pub fn run(root: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    procs::exit_on_interrupt();
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let crate_dir = if args.solution {
        &part.solution
    } else {
        &part.exercise
    };
    let mut report = Report::new();
    report.header(part, crate_dir, args.solution);

    if !args.solution {
        let generated = generate::generate(&manifest, root)?;
        let restored = protect::restore(root, part, &generated)?;
        report.notices(&protect::describe(&restored));
    }

    let gaps = gaps::left(root, crate_dir, part);
    report.gaps(&gaps);

    let started = Instant::now();
    report.building(part);
    let built = match build_all(root, part, args, report.color())? {
        Ok(built) => built,
        Err(errors) => {
            report.build_failed(&errors, args.verbose);
            let clock = clock(root, part, args, None, &gaps);
            let hint = next_hint(root, part, args, &gaps);
            report.summary(part, &[], &gaps, None, clock, hint);
            crate::room::after_check(root, part, args.solution, None, &gaps);
            return Ok(ExitCode::FAILURE);
        }
    };
    report.built(started.elapsed());

    let results = run_checks(part, &built, args.solution);
    for (id, verdict, took) in &results {
        report.check(id, verdict, *took);
    }
    let next = manifest
        .parts
        .iter()
        .skip_while(|other| other.id != part.id)
        .nth(1);
    let clock = clock(root, part, args, Some(&results), &gaps);
    let hint = next_hint(root, part, args, &gaps);
    report.summary(part, &results, &gaps, next, clock, hint);
    procs::kill_all();
    crate::room::after_check(root, part, args.solution, Some(&results), &gaps);
    let passed = gaps.is_empty() && results.iter().all(|(_, verdict, _)| verdict.passed);
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The clock runs, and progress is recorded, for the learner only.
fn clock(
    root: &Path,
    part: &Part,
    args: &CheckArgs,
    results: Option<&[(String, Verdict, Duration)]>,
    gaps: &[gaps::GapLeft],
) -> Option<clock::Clock> {
    (!args.solution).then(|| clock::record(root, part, results, gaps))
}

/// The hint shown under the first gap left: for the learner, the deepest
/// they have reached (see `learner::hint::for_summary`).
fn next_hint(
    root: &Path,
    part: &Part,
    args: &CheckArgs,
    gaps: &[gaps::GapLeft],
) -> Option<SummaryHint> {
    if args.solution {
        // The reference has no gaps to hint at, and no learner to record.
        return None;
    }
    let first = gaps.first()?;
    let (_, gap) = part.gaps().find(|(number, _)| *number == first.number)?;
    hint::for_summary(root, gap)
}

/// Builds what `check` builds for `part`, and runs nothing: `cargo xtask
/// setup` prebuilds with it. False when the crate does not compile.
pub fn prebuild(root: &Path, part: &Part, solution: bool) -> anyhow::Result<bool> {
    procs::exit_on_interrupt();
    let args = CheckArgs {
        part: part.id.clone(),
        solution,
        release: false,
        verbose: false,
    };
    Ok(build_all(root, part, &args, false)?.is_ok())
}

/// What to build for `part`'s checks, and the build; `Err` holds the
/// compiler's errors.
fn build_all(
    root: &Path,
    part: &Part,
    args: &CheckArgs,
    color: bool,
) -> anyhow::Result<Result<Built, Vec<String>>> {
    let suffix = if args.solution { "-solution" } else { "" };
    let package = format!("{}{suffix}", part.id);
    let kinds: Vec<CheckKind> = part
        .exercises
        .iter()
        .flat_map(|exercise| exercise.checks.iter().copied())
        .collect();
    let mut bins = vec![format!("{}{suffix}", part.server)];
    if kinds.contains(&CheckKind::Cli) {
        bins.push(format!("client{suffix}"));
    }
    let tests = part
        .exercises
        .iter()
        .filter(|exercise| exercise.checks.contains(&CheckKind::Tests))
        .map(|exercise| short_name(exercise).to_string())
        .collect();
    let request = Request {
        package: &package,
        bins,
        tests,
        release: args.release,
    };
    let mut built = match build::build(root, &request, color).context("cannot build")? {
        Outcome::Built(built) => built,
        Outcome::Failed(errors) => return Ok(Err(errors)),
    };
    if kinds.contains(&CheckKind::ClientTest) {
        // The client test is compiled against the mutants, in its own crate.
        let who = if args.solution { "solution" } else { "learner" };
        let harness = format!("client-test-{who}");
        let request = Request {
            package: &harness,
            bins: Vec::new(),
            tests: vec!["client_test".into()],
            release: args.release,
        };
        match build::build(root, &request, color).context("cannot build the client test")? {
            Outcome::Built(more) => {
                if let Some(test) = more.tests.get("client_test") {
                    built
                        .tests
                        .insert("client_test (graded)".into(), test.clone());
                }
            }
            Outcome::Failed(errors) => return Ok(Err(errors)),
        }
    }
    Ok(Ok(built))
}

/// `part2.futures` → `futures`: the exercise's name within its part.
fn short_name(exercise: &Exercise) -> &str {
    exercise
        .id
        .rsplit_once('.')
        .map_or(exercise.id.as_str(), |(_, name)| name)
}

/// Runs every check of every exercise, side by side, each on its own thread
/// with a deadline. Results come back in the manifest's order.
fn run_checks(part: &Part, built: &Built, solution: bool) -> Vec<(String, Verdict, Duration)> {
    let suffix = if solution { "-solution" } else { "" };
    let server = built.bins.get(&format!("{}{suffix}", part.server)).cloned();
    let client = built.bins.get(&format!("client{suffix}")).cloned();
    let mut pending = Vec::new();
    for exercise in &part.exercises {
        for &kind in &exercise.checks {
            let id = format!("{}.{}", exercise.id, kind_name(kind));
            let binary: Option<PathBuf> = match kind {
                CheckKind::Cli => client.clone(),
                CheckKind::ClientTest => built.tests.get("client_test (graded)").cloned(),
                CheckKind::Tests => built.tests.get(short_name(exercise)).cloned(),
                _ => server.clone(),
            };
            let (done, result) = mpsc::channel();
            thread::spawn(move || {
                let started = Instant::now();
                let verdict = match binary {
                    Some(binary) => run_check(kind, &binary),
                    None => Verdict::fail("nothing was built to check (a grader bug)"),
                };
                // The receiver is gone only if the deadline passed.
                let _ = done.send((verdict, started.elapsed()));
            });
            pending.push((id, result));
        }
    }
    let deadline = Instant::now() + CHECK_DEADLINE;
    pending
        .into_iter()
        .map(|(id, result)| {
            let left = deadline.saturating_duration_since(Instant::now());
            match result.recv_timeout(left) {
                Ok((verdict, took)) => (id, verdict, took),
                Err(_) => (
                    id,
                    Verdict::fail(format!(
                        "did not finish within {} s: an infinite loop?",
                        CHECK_DEADLINE.as_secs()
                    )),
                    CHECK_DEADLINE,
                ),
            }
        })
        .collect()
}

fn run_check(kind: CheckKind, binary: &Path) -> Verdict {
    match kind {
        CheckKind::Cli => cli::check(binary),
        CheckKind::ClientTest => client_test::check(binary),
        CheckKind::Tests => libtest::check(binary),
        CheckKind::Contract => contract::check(binary),
        CheckKind::Computed => computed::check(binary),
        CheckKind::Concurrency => timing::concurrency(binary),
        CheckKind::Threads => timing::threads(binary),
        CheckKind::Pool => timing::pool(binary),
        CheckKind::Deadline => deadline::check(binary),
        CheckKind::Singleflight => singleflight::check(binary),
        CheckKind::Cancellation => cancellation::check(binary),
        CheckKind::Shutdown => shutdown::check(binary),
    }
}

/// The kind's name as the manifest spells it.
pub fn kind_name(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Cli => "cli",
        CheckKind::ClientTest => "client_test",
        CheckKind::Tests => "tests",
        CheckKind::Contract => "contract",
        CheckKind::Computed => "computed",
        CheckKind::Concurrency => "concurrency",
        CheckKind::Threads => "threads",
        CheckKind::Pool => "pool",
        CheckKind::Deadline => "deadline",
        CheckKind::Singleflight => "singleflight",
        CheckKind::Cancellation => "cancellation",
        CheckKind::Shutdown => "shutdown",
    }
}
