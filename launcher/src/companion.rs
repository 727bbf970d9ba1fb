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
/// that workshop.toml has: its `exercise` crate, or with `--solution` its
/// `solution` crate. Not in release: the grader would build another
/// profile. Anything unreadable is no companion: the runner builds alone.
pub fn of(args: &[OsString], root: &Path) -> Option<Companion> {
    let args: Vec<&str> = args.iter().filter_map(|arg| arg.to_str()).collect();
    let (command, rest) = args.split_first()?;
    if !matches!(*command, "check" | "watch") || rest.contains(&"--release") {
        return None;
    }
    let manifest = std::fs::read_to_string(root.join("workshop.toml")).ok()?;
    let whose = if rest.contains(&"--solution") {
        "solution"
    } else {
        "exercise"
    };
    let dir = rest
        .iter()
        .filter(|arg| !arg.starts_with('-'))
        .find_map(|part| part_value(&manifest, part, whose))?;
    let crate_dir = root.join(dir);
    let cargo_toml = std::fs::read_to_string(crate_dir.join("Cargo.toml")).ok()?;
    let package = table_value(&cargo_toml, "[package]", "name")?;
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

// TOML read by hand, as far as the launcher needs (it has no
// dependencies): `key = "value"` lines of one table. workshop.toml and the
// crates' manifests are ours, and a line this misreads only costs the
// companion build.

/// `key` of the `[[parts]]` table whose `id` is `part`.
fn part_value(manifest: &str, part: &str, key: &str) -> Option<String> {
    tables(manifest, "[[parts]]").find_map(|table| {
        let id = value_in(&table, "id")?;
        (id == part).then(|| value_in(&table, key)).flatten()
    })
}

/// `key` of the first table headed `header`.
fn table_value(text: &str, header: &str, key: &str) -> Option<String> {
    tables(text, header).find_map(|table| value_in(&table, key))
}

/// The lines of each table headed `header`, up to the next header.
fn tables<'a>(text: &'a str, header: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    let mut lines = text.lines().map(str::trim).peekable();
    std::iter::from_fn(move || {
        lines.by_ref().find(|line| *line == header)?;
        let mut table = Vec::new();
        while let Some(line) = lines.next_if(|line| !line.starts_with('[')) {
            table.push(line);
        }
        Some(table)
    })
}

/// `key = "value"` among `lines`.
fn value_in(lines: &[&str], key: &str) -> Option<String> {
    lines.iter().find_map(|line| {
        let value = line
            .strip_prefix(key)?
            .trim_start()
            .strip_prefix('=')?
            .trim();
        Some(value.strip_prefix('"')?.split('"').next()?.to_string())
    })
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

    #[test]
    fn the_crate_and_its_name_are_read_from_the_manifests() {
        // Any folder and any package name workshop.toml and the crate's
        // Cargo.toml say, none of them typed here.
        let root = std::env::temp_dir().join(format!("companion-{}", std::process::id()));
        let crate_dir = root.join("answers").join("nine");
        std::fs::create_dir_all(crate_dir.join("tests")).expect("a crate");
        std::fs::write(
            root.join("workshop.toml"),
            "format_version = 1\n[[parts]]\nid = \"part8\"\nsolution = \"elsewhere\"\n\
             [[parts.exercises]]\nid = \"part8.x\"\n\
             [[parts]]\nsolution = \"answers/nine\" # after a comment\nid = \"part9\"\n",
        )
        .expect("a manifest");
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            "[package]\nname = \"nine-answers\"\n\n[dependencies]\nname = \"not this\"\n",
        )
        .expect("a crate manifest");
        std::fs::write(crate_dir.join("tests").join("graded.rs"), "").expect("a test");
        let nine = of(&args("check --solution part9"), &root);
        std::fs::remove_dir_all(&root).expect("cleaned");
        assert_eq!(
            nine,
            Some(Companion {
                package: "nine-answers".into(),
                tests: vec!["graded".into()],
            })
        );
    }
}
