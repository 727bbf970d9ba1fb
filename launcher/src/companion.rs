//! What a first `cargo xtask check partN` will build right after the
//! runner: the part's crate. Built beside the runner, in the same cargo
//! run, the two share the machine's cores instead of waiting on each other,
//! and the grader then finds most of its build done.
//!
//! It builds the package's default targets (its lib and bins), which the
//! grader's own build of the same package reuses: the runner and the graded
//! crates resolve their common dependencies with the same features
//! (`xtask/tests/features.rs` holds that), so building them together
//! changes none.

use std::ffi::OsString;
use std::path::Path;

/// The package `args` will grade, if they are a check (or a watch) of a
/// part that exists: `partN`, or `partN-solution` with `--solution`. Not in
/// release: the grader would build another profile.
pub fn of(args: &[OsString], root: &Path) -> Option<String> {
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
    root.join(dir)
        .join(part)
        .join("Cargo.toml")
        .is_file()
        .then_some(package)
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
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_path_buf()
    }

    #[test]
    fn a_check_of_a_part_builds_its_crate_beside_the_runner() {
        assert_eq!(of(&args("check part2"), &root()).as_deref(), Some("part2"));
        assert_eq!(
            of(&args("check part2 --solution"), &root()).as_deref(),
            Some("part2-solution")
        );
        assert_eq!(of(&args("watch part1"), &root()).as_deref(), Some("part1"));
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
