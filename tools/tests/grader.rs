//! The grader's own tests: it accepts every solution, rejects every pristine
//! exercise naming exactly its gaps, and tells wrong attempts from right
//! ones, for the right reason. Attempts are applied to a copy of the
//! workspace, never to the real exercises.
//!
//! They live here, not in the grader's package, because the attempts and
//! the mutants are `selftest`'s (this package's), and because they grade
//! through the runner, as a learner is graded: the grader's own package
//! knows neither (`grader/tests/grade.rs` tests it as a library).

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use workshop_testkit::{
    check, check_with, grader_target, root, run, runner, tools, wine, workspace,
};

/// Held by the tests that build solution binaries, the real tree's or a
/// copy's: in the one target directory they share, `debug/<bin>` is
/// whichever was linked last, and cargo links it again only when it
/// rebuilds.
static SOLUTION_BINARIES: Mutex<()> = Mutex::new(());

fn solution_binaries() -> MutexGuard<'static, ()> {
    SOLUTION_BINARIES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The copies of the workspace exercises are graded in, at once, each with
/// its own parts. A part is graded in its copy only: two copies that built
/// the same part would share `debug/<bin>` in the one target directory,
/// where cargo links a bin again only when it rebuilds, and a check could
/// run the other copy's server. Grading mostly waits (round trips,
/// deadlines), so two copies take little more than half the time of one;
/// the split is by how long each part's attempts take. The first copy
/// grades every part the second does not name.
const COPIES: [(&str, &[&str]); 2] = [("workspace", &[]), ("workspace-2", &["part2", "part4"])];

/// The name of the copy that grades `part`.
fn copy_of(part: &str) -> &'static str {
    COPIES
        .iter()
        .rev()
        .find(|(_, parts)| parts.contains(&part))
        .map_or(COPIES[0].0, |(name, _)| name)
}

#[test]
fn every_solution_passes() {
    let _turn = solution_binaries();
    for part in ["part1", "part2", "part3", "part4", "part5", "part6"] {
        let (passed, output) = check(&root(), &[part, "--solution"]);
        let failed = wine::failed_but_for_wine(passed, &output);
        assert!(
            failed.is_empty(),
            "the {part} solution fails {failed:?}:\n{output}"
        );
        if passed {
            assert!(output.contains(&format!("{part} passes")), "{output}");
        }
    }
}

#[test]
fn every_pristine_exercise_fails_and_names_exactly_its_gaps() {
    for part in ["part1", "part2", "part3", "part4", "part5", "part6"] {
        let copy = workspace(copy_of(part));
        let (passed, output) = check(&copy, &[part]);
        assert!(!passed, "the pristine {part} passes:\n{output}");
        let gaps: Vec<&str> = output
            .lines()
            .filter(|line| line.trim_start().starts_with("gap "))
            .collect();
        insta::assert_snapshot!(format!("pristine_{part}_gaps"), gaps.join("\n"));
        assert!(output.contains("is not filled yet"), "{output}");
    }
}

// --- attempts ---

// The attempts are found, applied and judged by the same code as
// `cargo xtask selftest`'s: every file of `tools/selftest/attempts/`.
use workshop_tools::selftest::attempts::{self, Attempt};

fn attempts() -> Vec<Attempt> {
    attempts::load(&root()).unwrap()
}

fn grade(attempt: &Attempt) -> Result<(), String> {
    let copy = workspace(copy_of(&attempt.part));
    attempt.apply(&copy).map_err(|why| format!("{why}"))?;
    let (args, env) = attempt.check_args();
    let (passed, output) = check_with(&copy, &args, &env);
    attempt
        .judge(passed, &output)
        .map_err(|why| format!("{why}:\n{output}"))
}

/// Every attempt in the folder, each graded as a learner's would be: a new
/// file there is a new case here, with nothing else to change. All are
/// graded before the test fails, so one run names every wrong verdict.
#[test]
fn every_attempt_gets_its_verdict_and_its_reason() {
    let attempts = attempts();
    assert!(!attempts.is_empty(), "no attempts in {}", attempts::DIR);
    let wrong: Vec<String> = thread::scope(|scope| {
        let graders: Vec<_> = COPIES
            .iter()
            .map(|(name, _)| {
                let attempts = &attempts;
                scope.spawn(move || {
                    attempts
                        .iter()
                        .filter(|attempt| copy_of(&attempt.part) == *name)
                        .filter_map(|attempt| {
                            grade(attempt)
                                .err()
                                .map(|why| format!("{} ({}): {why}", attempt.name, attempt.part))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        graders
            .into_iter()
            .flat_map(|grader| grader.join().expect("grading a copy never panics"))
            .collect()
    });
    assert!(
        wrong.is_empty(),
        "{} of {} attempts got a wrong verdict or reason:\n\n{}",
        wrong.len(),
        attempts.len(),
        wrong.join("\n\n")
    );
}

// --- selftest: the grader's mutation test ---

/// `cargo xtask selftest --list` reads the committed mutants and applies
/// each to its gap: a gap edited without `--refresh` fails here, at once.
#[test]
fn the_committed_mutants_fit_the_solutions() {
    let (passed, text) = run(Command::new(tools()).args(["selftest", "--list"]));
    assert!(passed, "{text}");
    assert!(text.contains("none stale"), "{text}");
}

/// A fixed sample of the mutants, the first of each of part 2's gaps, all
/// caught: the full run (`cargo xtask selftest`) is an authoring command.
/// It grades in the copy part 2's attempts use, whose builds are warm.
#[test]
fn a_sample_of_the_mutants_is_caught() {
    let copy = workspace(copy_of("part2"));
    let _turn = solution_binaries();
    let (passed, text) = run(Command::new(tools())
        .args(["selftest", "part2", "--mutants-only", "--sample", "1"])
        .env("WORKSHOP_RUNNER", runner())
        .arg("--copy")
        .arg(&*copy)
        .env("NO_COLOR", "1")
        .env("WORKSHOP_GRADER_TARGET_DIR", grader_target()));
    assert!(passed, "{text}");
    assert!(text.contains("Mutation score 100 %"), "{text}");
}
