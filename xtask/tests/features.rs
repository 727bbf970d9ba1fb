//! The runner and the crates it grades share one build of their common
//! dependencies (both build in `target/grader`). That holds only while
//! cargo resolves each common crate with the same features for both: one
//! feature more, and that crate and everything above it (tokio, hyper, axum,
//! reqwest) are compiled twice on a learner's first check. `rates/Cargo.toml`
//! asks for the features the runner's own dependencies add; this test says
//! which crate differs when a new dependency changes that.

use std::collections::BTreeMap;
use std::process::Command;

use workshop_testkit as common;

/// `name version` → its features, as `cargo tree` resolves them for a build
/// of `package` (with its dev-dependencies when the grader builds its tests).
fn features(package: &str, with_dev: bool) -> BTreeMap<String, String> {
    let edges = if with_dev {
        "normal,build,dev"
    } else {
        "normal,build"
    };
    // The cargo running the tests, as it says at run time (under Wine, the
    // relay to the Linux one: .ci/wine/run).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(common::root())
        .args(["tree", "--offline", "--locked", "--package", package])
        .args(["--edges", edges, "--prefix", "none", "--format", "{p}|{f}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (package, features) = line.trim_end_matches(" (*)").split_once('|')?;
            // `name v1.2.3 (/path)` for workspace crates: the name and version.
            let key: Vec<&str> = package.split_whitespace().take(2).collect();
            Some((key.join(" "), features.to_string()))
        })
        .collect()
}

#[test]
fn the_runner_and_the_graded_crates_resolve_common_crates_alike() {
    let runner = features("xtask", false);
    let mut differ = Vec::new();
    for graded in [
        "part1",
        "part2",
        "part3",
        "part1-solution",
        "part2-solution",
        "part5",
        "part5-solution",
        "part6",
        "part6-solution",
    ] {
        for (package, theirs) in features(graded, true) {
            if let Some(ours) = runner.get(&package)
                && *ours != theirs
            {
                differ.push(format!(
                    "{package}: the runner [{ours}], {graded} [{theirs}]"
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "built twice on a fresh clone; add the runner's features to rates/Cargo.toml:\n{}",
        differ.join("\n")
    );
}

/// A learner compiles only what learners run: the offline archive's crates
/// are the instructor's tools', never the runner's.
#[test]
fn the_runner_leaves_the_instructors_crates_out() {
    let runner = features("xtask", false);
    let theirs: Vec<&String> = runner
        .keys()
        .filter(|package| {
            let name = package.split_whitespace().next().unwrap_or_default();
            ["tar", "flate2", "sha2", "miniz_oxide", "workshop-tools"].contains(&name)
        })
        .collect();
    assert!(theirs.is_empty(), "the runner depends on {theirs:?}");
    // The check can fail: the tools do depend on them.
    let tools = features("workshop-tools", false);
    assert!(tools.keys().any(|package| package.starts_with("flate2 ")));
}

/// The launcher is what a fresh clone compiles before its first line: it
/// must stay without dependencies from crates.io. Its one, the workspace's
/// own reading of cargo's messages, has none either.
#[test]
fn the_launcher_has_no_dependencies_but_one_of_ours_that_has_none() {
    let launcher = features("workshop-launcher", false);
    let names: Vec<&String> = launcher.keys().collect();
    assert_eq!(
        names,
        ["workshop-cargo-messages v0.1.0", "workshop-launcher v0.1.0"],
        "{names:?}"
    );
    let messages = features("workshop-cargo-messages", false);
    let names: Vec<&String> = messages.keys().collect();
    assert_eq!(names, ["workshop-cargo-messages v0.1.0"], "{names:?}");
}
