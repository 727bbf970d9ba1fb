//! The grader's own tests: it accepts every solution, rejects every pristine
//! exercise naming exactly its gaps, and tells wrong attempts from right
//! ones, for the right reason. Attempts are applied to a copy of the
//! workspace, never to the real exercises.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

mod common;

use common::{check, check_with, grader_target, root, run, workspace};

/// Held by the tests that build solution binaries, the real tree's or a
/// copy's: in the one target directory they share, `debug/<bin>` is whichever
/// was linked last, and cargo links it again only when it rebuilds.
static SOLUTION_BINARIES: Mutex<()> = Mutex::new(());

fn solution_binaries() -> MutexGuard<'static, ()> {
    SOLUTION_BINARIES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn every_solution_passes() {
    let _turn = solution_binaries();
    for part in ["part1", "part2", "part3", "part4"] {
        let (passed, output) = check(&root(), &[part, "--solution"]);
        assert!(passed, "the {part} solution fails:\n{output}");
        assert!(output.contains(&format!("{part} passes")), "{output}");
    }
}

#[test]
fn every_pristine_exercise_fails_and_names_exactly_its_gaps() {
    let copy = workspace("workspace");
    for part in ["part1", "part2", "part3", "part4"] {
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

// The attempts are read, applied and judged by the same code as
// `cargo xtask selftest`'s.
#[allow(dead_code, reason = "selftest uses more of these than the tests do")]
#[path = "../src/selftest/attempts.rs"]
mod attempts;
#[allow(dead_code, reason = "selftest uses more of these than the tests do")]
#[path = "../src/selftest/regions.rs"]
mod regions;

use attempts::Attempt;

fn attempts() -> Vec<Attempt> {
    attempts::load(&root()).unwrap()
}

fn grade(attempt: &Attempt) {
    let copy = workspace("workspace");
    attempt.apply(&copy).unwrap();
    let (args, env) = attempt.check_args();
    let (passed, output) = check_with(&copy, &args, &env);
    if let Err(why) = attempt.judge(passed, &output) {
        panic!("{why}:\n{output}");
    }
}

macro_rules! attempt_tests {
    ($($test:ident: $index:expr,)*) => {$(
        #[test]
        fn $test() {
            grade(&attempts()[$index]);
        }
    )*};
}

attempt_tests! {
    a_blocking_call_fails: 0,
    a_blocking_call_fails_in_release: 1,
    a_hard_coded_reply_fails: 2,
    wrong_rounding_fails: 3,
    a_test_that_asserts_nothing_fails: 4,
    an_infinite_loop_is_reported: 5,
    a_thread_per_request_fails_the_pool: 6,
    block_in_place_fails_the_pool: 7,
    a_pool_of_4_fails: 8,
    the_default_pool_fails: 9,
    a_join_error_always_called_a_panic_fails: 10,
    ignoring_a_closed_wire_fails: 11,
    workers_that_serve_one_request_fail: 12,
    a_cache_that_never_expires_fails: 13,
    a_cached_error_fails: 14,
    a_fetch_cancelled_with_its_first_waiter_fails: 15,
    a_deadline_on_the_headers_only_fails: 16,
    a_shutdown_that_drops_requests_in_flight_fails: 17,
    background_tasks_never_stopped_fail: 18,
    a_worker_that_panics_on_a_hang_up_fails: 19,
    workers_that_survive_a_panicking_handler_pass: 20,
    a_deadline_per_step_fails: 21,
    a_whole_fetch_deadline_by_timeout_at_passes: 22,
    a_whole_fetch_deadline_by_select_passes: 23,
    a_whole_fetch_deadline_by_reqwests_timeout_passes: 24,
    a_handler_that_sleeps_is_judged_within_10_s: 25,
    a_lock_across_an_await_is_said_in_plain_words: 26,
}

#[test]
fn the_fixtures_and_the_tests_agree() {
    assert_eq!(attempts().len(), 27, "every attempt has a test above");
}

// --- selftest: the grader's mutation test ---

/// `cargo xtask selftest --list` reads the committed mutants and applies
/// each to its gap: a gap edited without `--refresh` fails here, at once.
#[test]
fn the_committed_mutants_fit_the_solutions() {
    let (passed, text) =
        run(Command::new(env!("CARGO_BIN_EXE_xtask")).args(["selftest", "--list"]));
    assert!(passed, "{text}");
    assert!(text.contains("none stale"), "{text}");
}

/// A fixed sample of the mutants, the first of each of part 2's gaps, all
/// caught: the full run (`cargo xtask selftest`) is an authoring command.
/// It grades in the copy the attempts use, whose builds are warm.
#[test]
fn a_sample_of_the_mutants_is_caught() {
    let copy = workspace("workspace");
    let _turn = solution_binaries();
    let (passed, text) = run(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["selftest", "part2", "--mutants-only", "--sample", "1"])
        .arg("--copy")
        .arg(&*copy)
        .env("NO_COLOR", "1")
        .env("WORKSHOP_GRADER_TARGET_DIR", grader_target()));
    assert!(passed, "{text}");
    assert!(text.contains("Mutation score 100 %"), "{text}");
}
