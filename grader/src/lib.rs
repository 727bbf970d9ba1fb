//! The grader: `grade` checks a part, the learner's crate or the solution,
//! and returns a `Report`. It knows nothing of progress, hints or the room:
//! the commands on top (`learner::check`) act on the report.
//!
//! 1. Graded tests the learner edited are put back (their copy is kept).
//! 2. The gaps still left are found, `file:line` and title.
//! 3. The crate is built; the compiler's errors are kept.
//! 4. The exercises' checks run, side by side, each with a deadline; a
//!    check that needs the machine quiet starts once the others are done.
//!
//! Two grades may run at once in one process (threads): each has its own
//! children (`engine::procs::Grade`) and its own quiet (`engine::quiet`).

mod build;
mod compile_errors;
mod engine;
mod explain;
mod gaps;
mod kinds;
mod protect;
mod report;
mod verdict;

use std::collections::BTreeSet;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use build::{Built, Outcome, Request};
use engine::GRADER_BUG;
use engine::procs::{self, Grade};
use engine::quiet::Sharing;
use kinds::{Machine, Subject};
use workshop_core::generate::{self, GenError};
use workshop_core::ids::{CheckKind, ExerciseId};
use workshop_core::manifest::{Manifest, Part};

// The grader's whole API: `grade` (and `prebuild`, which builds what it
// would), its options, events and errors, the report and what the report
// names. The engine and the check kinds are private: a check is reached only
// through a part's grade.
pub use build::BuildError;
pub use compile_errors::plain_words;
pub use engine::procs::exit_on_interrupt;
pub use gaps::{GapLeft, left as gaps_left};
pub use report::{Build, CheckResult, Report, Whose};
pub use verdict::Verdict;

/// How to grade.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub whose: Whose,
    /// Build in release mode (the timing checks hold in both).
    pub release: bool,
    /// Whether the compiler's errors may carry colour.
    pub color: bool,
}

/// What the grader has done so far, for whoever shows it as it goes (a
/// first build takes minutes: the learner must see it has started).
#[derive(Debug)]
pub enum Event<'a> {
    Restored(&'a [String]),
    Gaps(&'a [GapLeft]),
    Building,
    /// How far the build is: crates done, whether it is a first build
    /// (many crates compiled, not an edit's one or two), and how many it
    /// needs once counted.
    Compiling {
        done: usize,
        cold: bool,
        total: Option<usize>,
    },
    Built(Duration),
    BuildFailed(&'a [String]),
}

/// Why `grade` or `prebuild` could not grade at all. A crate that does not
/// compile is no error: that is the report's `Build::Failed`. Each says it
/// in one line, its cause included, as the learner reads it after
/// `error: ` (none has a `source()`, so a caller that prints the chain
/// says it once).
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    /// The exercises could not be derived from the solutions, to know the
    /// graded tests to put back.
    #[error("{0}")]
    Generate(GenError),
    /// A graded test the learner edited could not be put back.
    #[error("{0}")]
    Restore(io::Error),
    /// Cargo built nothing, and not because of the code.
    #[error("cannot build: {0}")]
    Build(BuildError),
    /// The same, for the harness crate the learner's client test is
    /// compiled in.
    #[error("cannot build the client test: {0}")]
    BuildClientTest(BuildError),
}

/// Every check has a hard deadline; none should come near it.
const CHECK_DEADLINE: Duration = Duration::from_secs(90);

/// Grades `part`; `on` sees each step as it happens.
pub fn grade(
    root: &Path,
    manifest: &Manifest,
    part: &Part,
    options: Options,
    on: &mut dyn FnMut(Event),
) -> Result<Report, GradeError> {
    // Every process this grade starts, here or on its checks' threads, is
    // its own: stopped when it ends (a check past its deadline may still
    // run), and nobody else's.
    let _grade = Grade::begin();
    if options.whose == Whose::Learner {
        let generated = generate::generate(manifest, root).map_err(GradeError::Generate)?;
        let restored = protect::restore(root, part, &generated).map_err(GradeError::Restore)?;
        on(Event::Restored(&protect::describe(&restored)));
    }

    let gaps = gaps::left(root, options.whose.crate_dir(part), part);
    on(Event::Gaps(&gaps));

    let started = Instant::now();
    on(Event::Building);
    let mut report = Report {
        part: part.id.clone(),
        whose: options.whose,
        gaps,
        build: Build::Built {
            took: Duration::ZERO,
        },
        checks: Vec::new(),
    };
    let subjects = match build_all(root, part, options, &mut |progress| {
        on(Event::Compiling {
            done: progress.done(),
            cold: progress.cold,
            total: progress.total(),
        })
    })? {
        Outcome::Built(subjects) => subjects,
        Outcome::Failed(errors) => {
            let errors = compile_errors::in_order(errors);
            on(Event::BuildFailed(&errors));
            report.build = Build::Failed { errors };
            return Ok(report);
        }
    };
    let took = started.elapsed();
    on(Event::Built(took));
    report.build = Build::Built { took };
    report.checks = run_checks(part, &subjects);
    Ok(report)
}

/// Builds what `grade` builds for `part`, and runs nothing: `cargo xtask
/// setup` prebuilds with it. False when the crate does not compile.
pub fn prebuild(root: &Path, part: &Part, whose: Whose) -> Result<bool, GradeError> {
    exit_on_interrupt();
    let _grade = Grade::begin();
    let options = Options {
        whose,
        release: false,
        color: false,
    };
    Ok(matches!(
        build_all(root, part, options, &mut |_| {})?,
        Outcome::Built(_)
    ))
}

/// The executables the checks run, by what they are.
#[derive(Debug, Default)]
struct Subjects {
    server: Option<PathBuf>,
    client: Option<PathBuf>,
    /// The crate's own build: its graded tests, by the exercise's short name.
    built: Built,
    client_test: Option<PathBuf>,
}

impl Subjects {
    fn for_check(&self, subject: Subject, exercise: &ExerciseId) -> Option<PathBuf> {
        match subject {
            Subject::Server => self.server.clone(),
            Subject::Client => self.client.clone(),
            Subject::ExerciseTests => self.built.tests.get(exercise.short_name()).cloned(),
            Subject::ClientTest => self.client_test.clone(),
        }
    }
}

/// Builds what `part`'s checks run, and only that.
fn build_all(
    root: &Path,
    part: &Part,
    options: Options,
    on_progress: &mut dyn FnMut(&build::Progress),
) -> Result<Outcome<Subjects>, GradeError> {
    let mut progress = build::Progress::default();
    let Options {
        whose,
        release,
        color,
    } = options;
    let needed: BTreeSet<Subject> = part
        .exercises
        .iter()
        .flat_map(|exercise| &exercise.checks)
        .map(|kind| kinds::subject(*kind))
        .collect();
    let needs = |subject: Subject| needed.contains(&subject);

    let server = whose.name(&part.server);
    let client = whose.name("client");
    let mut bins = vec![server.clone()];
    if needs(Subject::Client) {
        bins.push(client.clone());
    }
    let tests = part
        .exercises
        .iter()
        .filter(|exercise| {
            exercise
                .checks
                .iter()
                .any(|kind| kinds::subject(*kind) == Subject::ExerciseTests)
        })
        .map(|exercise| exercise.id.short_name().to_string())
        .collect();
    let request = Request {
        package: &whose.name(part.id.as_str()),
        bins,
        tests,
        release,
    };
    let built = match build::build(root, &request, color, &mut progress, on_progress)
        .map_err(GradeError::Build)?
    {
        Outcome::Built(built) => built,
        Outcome::Failed(errors) => return Ok(Outcome::Failed(errors)),
    };
    let mut subjects = Subjects {
        server: built.bins.get(&server).cloned(),
        client: built.bins.get(&client).cloned(),
        built,
        client_test: None,
    };
    if needs(Subject::ClientTest) {
        // The client test is compiled against the broken clients, in a
        // harness crate of its own for each side.
        let request = Request {
            package: &format!("client-test-{}", whose.side()),
            bins: Vec::new(),
            tests: vec!["client_test".into()],
            release,
        };
        match build::build(root, &request, color, &mut progress, on_progress)
            .map_err(GradeError::BuildClientTest)?
        {
            Outcome::Built(more) => subjects.client_test = more.tests.get("client_test").cloned(),
            Outcome::Failed(errors) => return Ok(Outcome::Failed(errors)),
        }
    }
    Ok(Outcome::Built(subjects))
}

/// Runs every check of every exercise, side by side, each on its own thread
/// with a deadline; a check that needs the machine quiet waits first for
/// the others (`Machine::Quiet`). Each check's time counts from when they
/// all started, its wait included. Results come back in the manifest's
/// order.
fn run_checks(part: &Part, subjects: &Subjects) -> Vec<CheckResult> {
    let started = Instant::now();
    let sharing = Arc::new(Sharing::default());
    let checks: Vec<_> = part
        .exercises
        .iter()
        .flat_map(|exercise| {
            exercise.check_ids().map(|id| {
                let binary = subjects.for_check(kinds::subject(id.kind), &exercise.id);
                // Every place is taken before any check starts: a quiet
                // check never sees the machine quiet too soon.
                let place = match kinds::machine(id.kind) {
                    Machine::Shared => Some(sharing.place()),
                    Machine::Quiet { .. } => None,
                };
                (id, binary, place)
            })
        })
        .collect();
    let mut pending = Vec::new();
    for (id, binary, place) in checks {
        let kind = id.kind;
        let sharing = Arc::clone(&sharing);
        let (done, result) = mpsc::channel();
        procs::spawn(move || {
            if let Machine::Quiet { within } = kinds::machine(kind) {
                sharing.quiet(started + within);
            }
            let verdict = match binary {
                Some(binary) => run_check(kind, &binary),
                None => Verdict::fail("nothing was built to check (a grader bug)"),
            };
            // Done, its servers stopped: its place is given back.
            drop(place);
            // The receiver is gone only if the deadline passed.
            let _ = done.send((verdict, started.elapsed()));
        });
        pending.push((id, result));
    }
    let deadline = started + CHECK_DEADLINE;
    pending
        .into_iter()
        .map(|(id, result)| {
            let left = deadline.saturating_duration_since(Instant::now());
            let (verdict, took) = result.recv_timeout(left).unwrap_or_else(|_| {
                let why = format!(
                    "did not finish within {} s: an infinite loop?",
                    CHECK_DEADLINE.as_secs()
                );
                (Verdict::fail(why), CHECK_DEADLINE)
            });
            CheckResult { id, verdict, took }
        })
        .collect()
}

/// Runs one check; a panic in it is the grader's, and says so.
fn run_check(kind: CheckKind, binary: &Path) -> Verdict {
    catch_unwind(AssertUnwindSafe(|| kinds::run(kind, binary)))
        .unwrap_or_else(|_| Verdict::fail(GRADER_BUG))
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn an_error_is_one_line_with_its_cause_and_no_chain_to_repeat() {
        let not_run =
            GradeError::Build(BuildError::NotRun(io::Error::from(io::ErrorKind::NotFound)));
        assert_eq!(not_run.to_string(), "cannot build: entity not found");
        let late = GradeError::BuildClientTest(BuildError::TimedOut);
        assert_eq!(
            late.to_string(),
            "cannot build the client test: cargo build did not finish within 1200s"
        );
        let cargo = GradeError::Build(BuildError::Failed("key with no value".into()));
        assert_eq!(cargo.to_string(), "cannot build: key with no value");
        let restore = GradeError::Restore(io::Error::other("Is a directory"));
        assert_eq!(restore.to_string(), "Is a directory");
        // `cargo xtask` prints the chain (`{:#}`): a source would say the
        // cause twice.
        for error in [not_run, late, cargo, restore] {
            assert!(error.source().is_none(), "{error}");
        }
    }
}
