//! The grader's own tests: it accepts every solution, rejects every pristine
//! exercise naming exactly its gaps, and tells wrong attempts from right
//! ones, for the right reason. Attempts are applied to a copy of the
//! workspace, never to the real exercises.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use serde::Deserialize;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `cargo xtask check <args>` on `root`, without colour.
fn check(root: &Path, args: &[&str]) -> (bool, String) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .arg("check")
        .args(args)
        .env("NO_COLOR", "1")
        // One grader target directory for every copy: dependencies build once.
        .env(
            "WORKSHOP_GRADER_TARGET_DIR",
            self::root().join("target/grader-tests"),
        )
        .output()
        .expect("xtask runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn every_solution_passes() {
    for part in ["part1", "part2", "part3"] {
        let (passed, output) = check(&root(), &[part, "--solution"]);
        assert!(passed, "the {part} solution fails:\n{output}");
        assert!(output.contains(&format!("{part} passes")), "{output}");
    }
}

// --- a copy of the workspace, for the exercises ---

/// The copy all exercise tests share, one at a time: each rewrites its
/// exercise files, and cargo rebuilds only what changed.
fn workspace() -> MutexGuard<'static, PathBuf> {
    static COPY: OnceLock<Mutex<PathBuf>> = OnceLock::new();
    let copy = COPY.get_or_init(|| {
        let dir = root().join("target/grader-tests/workspace");
        let _ = fs::remove_dir_all(&dir);
        copy_tree(&root(), &dir);
        Mutex::new(dir)
    });
    let guard = copy.lock().unwrap_or_else(PoisonError::into_inner);
    // Back to pristine: the real tree's exercises are the generated ones.
    let _ = fs::remove_dir_all(guard.join("exercises"));
    copy_tree(&root().join("exercises"), &guard.join("exercises"));
    guard
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if [".git", "target", ".workshop"].contains(&name.to_str().unwrap_or("")) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

#[test]
fn every_pristine_exercise_fails_and_names_exactly_its_gaps() {
    let copy = workspace();
    for part in ["part1", "part2", "part3"] {
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
    ] {
        let Ok(text) = fs::read_to_string(solution_dir.join(file)) else {
            continue;
        };
        let target = copy.join("exercises").join(&attempt.part).join(file);
        fs::write(target, fill(&text, &attempt.part, &attempt.gaps)).unwrap();
    }
}

fn grade(attempt: &Attempt) {
    let copy = workspace();
    apply(&copy, attempt);
    let mut args = vec![attempt.part.as_str()];
    if attempt.release {
        args.push("--release");
    }
    let (passed, output) = check(&copy, &args);
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
    a_thread_and_a_oneshot_pass: 6,
    block_in_place_passes: 7,
}

#[test]
fn the_fixtures_and_the_tests_agree() {
    assert_eq!(attempts().len(), 8, "every attempt has a test above");
}
