//! What a first `cargo xtask check partN` will build right after the
//! runner: the part's crate. Built beside the runner, in the same cargo
//! run, the two share the machine's cores instead of waiting on each other,
//! and the grader then finds most of its build done.
//!
//! It builds the package's bins and its test files (`tests/*.rs`, the
//! graded tests), which the grader's own build of the same package then
//! finds fresh: the runner and the graded crates resolve their common
//! dependencies with the same features, dev-dependencies included
//! (`xtask/tests/features.rs` holds that), so building them together
//! changes none.

use std::ffi::OsString;
use std::path::Path;

/// A part's crate, to build beside the runner.
#[derive(Debug, PartialEq, Eq)]
pub struct Companion {
    /// `partN`, or `partN-solution`.
    pub package: String,
    /// Its test files' names: `tests/futures.rs` is `futures`.
    pub tests: Vec<String>,
}

/// The crate `args` will grade, if they are a check (or a watch) of a part
/// that exists: `partN`, or `partN-solution` with `--solution`. Not in
/// release: the grader would build another profile.
pub fn of(args: &[OsString], root: &Path) -> Option<Companion> {
    let args: Vec<&str> = args.iter().filter_map(|arg| arg.to_str()).collect();
    let (command, rest) = args.split_first()?;
    if !matches!(*command, "check" | "watch") || rest.contains(&"--release") {
        return None;
    }
    let part = rest.iter().find(|arg| is_part(arg))?;
    let (dir, package) = if rest.contains(&"--solution") {
        ("solutions", format!("{part}-solution"))
    } else {
        ("exercises", part.to_string())
    };
    let crate_dir = root.join(dir).join(part);
    if !crate_dir.join("Cargo.toml").is_file() {
        return None;
    }
    let mut tests: Vec<String> = std::fs::read_dir(crate_dir.join("tests"))
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    tests.sort();
    Some(Companion { package, tests })
}

/// `part` and digits: the ids of workshop.toml's parts.
fn is_part(arg: &str) -> bool {
    arg.strip_prefix("part")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn root() -> std::path::PathBuf {
        // At run time, as the launcher finds it: cargo test sets it too.
        let here = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo");
        Path::new(&here)
            .parent()
            .expect("the workspace")
            .to_path_buf()
    }

    #[test]
    fn a_check_of_a_part_builds_its_crate_beside_the_runner() {
        let part2 = of(&args("check part2"), &root()).expect("part 2");
        assert_eq!(part2.package, "part2");
        assert_eq!(part2.tests, ["forceasync", "futures"]);
        let solution = of(&args("check part2 --solution"), &root()).expect("part 2");
        assert_eq!(solution.package, "part2-solution");
        let part1 = of(&args("watch part1"), &root()).expect("part 1");
        assert_eq!(part1.package, "part1");
    }

    #[test]
    fn anything_else_builds_the_runner_alone() {
        for line in [
            "",
            "list",
            "check",
            "check part2 --release",
            "check part99",
            "hint part2",
            "check partx",
        ] {
            assert_eq!(of(&args(line), &root()), None, "{line:?}");
        }
    }
}
