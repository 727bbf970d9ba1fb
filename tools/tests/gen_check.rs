//! `gen --check` on the real tree, and on a copy that drifts and is repaired.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(workshop_testkit::tools())
        .args(args)
        .output()
        .expect("xtask runs")
}

/// Both streams, for assertion messages.
fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn workspace_root() -> PathBuf {
    workshop_testkit::root()
}

/// Copies a directory tree, leaving out build output.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_committed_exercises_are_up_to_date() {
    let output = xtask(&["gen", "--check"]);
    assert!(output.status.success(), "{}", printed(&output));
}

#[test]
fn drift_in_a_copy_is_shown_and_gen_repairs_it() {
    let real = workspace_root();
    let copy = tempfile::tempdir().unwrap();
    fs::copy(
        real.join("workshop.toml"),
        copy.path().join("workshop.toml"),
    )
    .unwrap();
    copy_tree(&real.join("solutions"), &copy.path().join("solutions"));
    if real.join("exercises").is_dir() {
        copy_tree(&real.join("exercises"), &copy.path().join("exercises"));
    }
    let root = copy.path().to_str().expect("a UTF-8 temporary path");
    let generate = || xtask(&["gen", "--root", root]);
    let check = || xtask(&["gen", "--check", "--root", root]);

    // Start from freshly generated exercises, whatever the real ones are.
    let output = generate();
    assert!(output.status.success(), "{}", printed(&output));
    let output = check();
    assert!(output.status.success(), "{}", printed(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "exercises are up to date\n"
    );

    // A learner's edit and a stray file are drift.
    let lib = copy.path().join("exercises/part1/src/lib.rs");
    let mut text = fs::read_to_string(&lib).unwrap();
    text.push_str("// a learner's edit\n");
    fs::write(&lib, text).unwrap();
    fs::write(copy.path().join("exercises/part1/notes.txt"), "mine").unwrap();

    let output = check();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    assert!(
        stdout.contains("--- exercises/part1/src/lib.rs (on disk)"),
        "{stdout}"
    );
    assert!(stdout.contains("\n-// a learner's edit\n"), "{stdout}");
    assert!(
        stdout.contains("extra: exercises/part1/notes.txt"),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        "error: exercises/ have drifted from solutions/: run `cargo xtask gen`\n"
    );

    // Generating again repairs both.
    let output = generate();
    assert!(output.status.success(), "{}", printed(&output));
    let output = check();
    assert!(output.status.success(), "{}", printed(&output));
    assert!(!copy.path().join("exercises/part1/notes.txt").exists());
}
