//! The grader's own tests: it accepts every solution, rejects every pristine
//! exercise naming exactly its gaps, and tells wrong attempts from right
//! ones, for the right reason. Attempts are applied to a copy of the
//! workspace, never to the real exercises.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;

mod common;

use common::{check, check_with, root, workspace};

#[test]
fn every_solution_passes() {
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

#[derive(Debug, Deserialize)]
struct Attempts {
    attempt: Vec<Attempt>,
}

#[derive(Debug, Deserialize)]
struct Attempt {
    name: String,
    part: String,
    #[serde(default)]
    release: bool,
    fails: Vec<String>,
    /// Checks whose verdict this attempt does not decide (each with a
    /// comment in the fixture saying why); every other check is asserted.
    #[serde(default)]
    either: Vec<String>,
    says: String,
    gaps: BTreeMap<String, String>,
}

fn attempts() -> Vec<Attempt> {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attempts.toml"),
    )
    .unwrap();
    toml::from_str::<Attempts>(&text).unwrap().attempt
}

/// The solution's `file`, with the gaps of `overrides` filled differently and
/// every other gap filled as in the solution, named as the exercise.
fn fill(solution: &str, part: &str, overrides: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in solution.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(id) = trimmed.strip_prefix("// BEGIN GAP ") {
            if let Some(code) = overrides.get(id) {
                let indent = &line[..line.len() - line.trim_start().len()];
                for code_line in code.trim().lines() {
                    out.push_str(&format!("{indent}{code_line}\n"));
                }
                skipping = true;
            }
            continue;
        }
        if trimmed == "// END GAP" {
            skipping = false;
            continue;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out.replace(&format!("{part}_solution"), part)
}

/// Writes `attempt` into the copy: every file of the part that holds a gap.
fn apply(copy: &Path, attempt: &Attempt) {
    let solution_dir = root().join("solutions").join(&attempt.part);
    for file in [
        "src/client.rs",
        "src/server.rs",
        "tests/client_test.rs",
        "src/futures.rs",
        "src/forceasync.rs",
        "src/sync_server.rs",
        "src/fetch.rs",
        "src/cache.rs",
        "src/shutdown.rs",
    ] {
        let Ok(text) = fs::read_to_string(solution_dir.join(file)) else {
            continue;
        };
        let target = copy.join("exercises").join(&attempt.part).join(file);
        fs::write(target, fill(&text, &attempt.part, &attempt.gaps)).unwrap();
    }
}

fn grade(attempt: &Attempt) {
    let copy = workspace("workspace");
    apply(&copy, attempt);
    let mut args = vec![attempt.part.as_str()];
    let mut env = Vec::new();
    if attempt.release {
        args.push("--release");
        // What matters in release is that debug assertions are off; full
        // optimisation would only make CI compile every dependency for minutes.
        env.push(("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"));
    }
    let (passed, output) = check_with(&copy, &args, &env);
    assert_eq!(
        passed,
        attempt.fails.is_empty(),
        "{}: wrong verdict:\n{output}",
        attempt.name
    );
    assert!(
        output.contains(&attempt.says),
        "{}: the output does not say {:?}:\n{output}",
        attempt.name,
        attempt.says
    );
    for line in output
        .lines()
        .filter(|line| line.starts_with('✓') || line.starts_with('✗'))
    {
        let Some(id) = line
            .split_whitespace()
            .nth(1)
            .filter(|id| id.starts_with("part"))
        else {
            continue;
        };
        if attempt.either.iter().any(|either| either == id) {
            continue;
        }
        let should_fail = attempt.fails.iter().any(|failing| failing == id);
        assert_eq!(
            line.starts_with('✗'),
            should_fail,
            "{}: {id}:\n{output}",
            attempt.name
        );
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
}

#[test]
fn the_fixtures_and_the_tests_agree() {
    assert_eq!(attempts().len(), 19, "every attempt has a test above");
}
