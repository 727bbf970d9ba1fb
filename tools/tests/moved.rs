//! A workshop is found where it runs, never where it was built: renamed, or
//! copied with its `target/` (a backup, a USB stick from the instructor),
//! every command acts on the folder it is run in. Cargo does not rebuild a
//! workspace that moved, so a path baked in at build time would send the
//! renamed folder to one that is gone, and the copy to the original.
//!
//! Run as a learner runs it: `cargo xtask …` in the folder, offline, the
//! runner built by the launcher there. Skipped under Wine, which has no
//! Windows cargo to run it with (.ci/wine/skips.txt).

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use workshop_testkit as common;

use support::{Board, find};

/// `cargo xtask <args>` in `dir`, as typed there: nothing of this test's
/// own cargo run leaks in (its manifest folder, a target directory).
fn cargo_xtask(dir: &Path, args: &[&str]) -> (bool, String) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .arg("xtask")
        .args(args)
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("WORKSHOP_ROOT")
        .env_remove("WORKSHOP_GRADER_TARGET_DIR");
    common::run(&mut command)
}

#[test]
fn a_built_workshop_renamed_or_copied_acts_on_the_folder_it_is_run_in() {
    let base = tempfile::tempdir().expect("a temporary folder");
    let built = base.path().join("workshop");
    common::copy_tree(&common::root(), &built);
    let (ok, said) = cargo_xtask(&built, &["list"]);
    assert!(ok, "a first `cargo xtask list` builds the runner: {said}");

    // Renamed: no `cargo clean`, and every command reads this folder.
    let renamed = base.path().join("renamed");
    fs::rename(&built, &renamed).expect("the folder renamed");
    let (ok, said) = cargo_xtask(&renamed, &["start", "part1"]);
    assert!(ok, "start in the renamed folder: {said}");
    let (ok, said) = cargo_xtask(&renamed, &["list"]);
    assert!(ok, "list in the renamed folder: {said}");
    let progress = Path::new(".workshop").join("progress.toml");
    assert!(renamed.join(&progress).is_file(), "{said}");
    let client = Path::new("exercises")
        .join("part1")
        .join("src")
        .join("client.rs");
    fs::write(renamed.join(&client), "// the original's own work\n").expect("an edit");

    // Copied with its target/: the copy acts on itself, never on the
    // original, whose files stay as they were.
    let copy = base.path().join("copy");
    common::copy_as_is(&renamed, &copy);
    fs::write(copy.join(&client), "// the copy's own work\n").expect("an edit");
    let original_progress = fs::read(renamed.join(&progress)).expect("the progress");

    let board = Board::start(&[]);
    let (ok, said) = cargo_xtask(&copy, &board.join_line("Copy"));
    assert!(ok, "room join in the copy: {said}");
    let membership = Path::new(".workshop").join("room.toml");
    assert!(copy.join(&membership).is_file(), "{said}");
    assert!(!renamed.join(&membership).exists(), "the original joined");

    let (passed, said) = cargo_xtask(&copy, &["check", "part1"]);
    assert!(!passed, "the copy's broken client passed: {said}");
    assert!(
        find(&board.state(), "Copy").is_some(),
        "the copy's check reached the board: {said}"
    );
    assert_ne!(
        fs::read(copy.join(&progress)).ok(),
        Some(original_progress.clone()),
        "the copy's check recorded nothing in the copy: {said}"
    );
    assert_eq!(
        fs::read(renamed.join(&progress)).ok(),
        Some(original_progress),
        "the copy's check wrote the original's progress"
    );

    let (ok, said) = cargo_xtask(&copy, &["reset", "part1", "client", "--yes"]);
    assert!(ok, "reset in the copy: {said}");
    let pristine = fs::read_to_string(common::root().join(&client)).expect("the exercise");
    assert_eq!(
        fs::read_to_string(copy.join(&client)).ok(),
        Some(pristine),
        "the copy was not reset: {said}"
    );
    assert_eq!(
        fs::read_to_string(renamed.join(&client)).ok().as_deref(),
        Some("// the original's own work\n"),
        "the copy's reset reached the original"
    );
}
