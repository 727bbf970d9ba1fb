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
use std::path::{Path, PathBuf};
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
    let board = Board::start(&[]);

    // Renamed: no `cargo clean`, and every command reads this folder.
    let renamed = base.path().join("renamed");
    fs::rename(&built, &renamed).expect("the folder renamed");
    acts_on_itself(&renamed, None, &board, "Renamed");

    // Copied with its target/ (cargo finds it as fresh as the original):
    // the copy acts on itself, and the original stays as it was, its own
    // work included.
    fs::write(renamed.join(client()), "// the original's own work\n").expect("an edit");
    let copy = base.path().join("copy");
    common::copy_as_is(&renamed, &copy);
    acts_on_itself(&copy, Some(&renamed), &board, "Copy");
}

fn client() -> PathBuf {
    Path::new("exercises")
        .join("part1")
        .join("src")
        .join("client.rs")
}

/// `list`, `room join`, `check` and `reset` in `dir`, each on `dir`'s own
/// files: `other`, another workshop, is left as it was.
fn acts_on_itself(dir: &Path, other: Option<&Path>, board: &Board, name: &str) {
    let workshop = Path::new(".workshop");
    let kept = [
        workshop.join("progress.toml"),
        workshop.join("room.toml"),
        client(),
    ];
    let read = |root: &Path| {
        kept.iter()
            .map(|file| fs::read(root.join(file)).ok())
            .collect::<Vec<_>>()
    };
    let before = other.map(read);

    let (ok, said) = cargo_xtask(dir, &["list"]);
    assert!(ok, "list in {name}: {said}");
    let (ok, said) = cargo_xtask(dir, &board.join_line(name));
    assert!(ok, "room join in {name}: {said}");
    assert!(dir.join(&kept[1]).is_file(), "{name} did not join: {said}");

    fs::write(dir.join(client()), format!("// {name}'s own work\n")).expect("an edit");
    let (passed, said) = cargo_xtask(dir, &["check", "part1"]);
    assert!(!passed, "{name}'s broken client passed: {said}");
    assert!(
        find(&board.state(), name).is_some(),
        "{name}'s check did not reach the board: {said}"
    );
    let progress = fs::read_to_string(dir.join(&kept[0])).unwrap_or_default();
    assert!(
        progress.contains("part1"),
        "{name}'s check recorded nothing there: {said}"
    );

    let (ok, said) = cargo_xtask(dir, &["reset", "part1", "client", "--yes"]);
    assert!(ok, "reset in {name}: {said}");
    let pristine = fs::read(common::root().join(client())).expect("the exercise");
    assert_eq!(
        fs::read(dir.join(client())).ok(),
        Some(pristine),
        "{name} was not reset: {said}"
    );

    if let (Some(other), Some(before)) = (other, before) {
        assert_eq!(
            read(other),
            before,
            "{name}'s commands changed {}",
            other.display()
        );
    }
}
