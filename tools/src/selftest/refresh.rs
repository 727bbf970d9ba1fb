//! `cargo xtask selftest --refresh`: asks cargo-mutants for its mutants of
//! each solution and keeps those inside a gap, in the committed
//! `tools/selftest/mutants.json`. Only an author needs cargo-mutants; a run
//! (and CI) reads the file.

use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::mutants::{LISTED_FILE, Listed, ListedMutant};
use super::regions::{self, Region};
use workshop_core::manifest::Manifest;
use workshop_core::paths::slash;

/// What this module reads of `cargo mutants --list --json`.
#[derive(Debug, Deserialize)]
struct Found {
    /// `file:line:column: description`.
    name: String,
    /// Relative to the workspace root, with `/`.
    file: String,
    span: Span,
    replacement: String,
}

#[derive(Debug, Deserialize)]
struct Span {
    start: LineColumn,
    end: LineColumn,
}

#[derive(Debug, Deserialize)]
struct LineColumn {
    line: usize,
    column: usize,
}

pub fn run(root: &Path, manifest: &Manifest) -> anyhow::Result<ExitCode> {
    let mut listed = Listed {
        about: "cargo-mutants' mutants inside the gaps, written by `cargo xtask selftest --refresh`: do not edit. Lines count from the line after BEGIN GAP; columns are 1-based, in characters, the end exclusive.".into(),
        ..Listed::default()
    };
    let mut version = String::new();
    for part in &manifest.parts {
        let package = format!("{}-solution", part.id);
        let found = list(root, &package)?;
        println!("{package}: cargo-mutants lists {} mutants", found.len());
        for (_, gap) in part.gaps() {
            let file = slash(&part.solution.join(&gap.file));
            let text = fs::read_to_string(root.join(&file))
                .with_context(|| format!("cannot read {file}"))?;
            let region = regions::regions(&text)
                .into_iter()
                .find(|region| region.id == gap.id)
                .with_context(|| format!("{file}: no gap {}", gap.id))?;
            listed
                .gaps
                .insert(gap.id.to_string(), region.text(&text).to_string());
            let inside: Vec<ListedMutant> = found
                .iter()
                .filter(|one| one.file == file)
                .filter_map(|one| keep(one, &region, &text))
                .collect();
            println!("  {}: {} mutants in the gap", gap.id, inside.len());
            listed.mutants.extend(inside);
        }
        if version.is_empty() {
            version = cargo_mutants_version(root);
        }
    }
    listed.about.push_str(&format!(" Listed by {version}."));
    let json = serde_json::to_string_pretty(&listed)? + "\n";
    fs::write(root.join(LISTED_FILE), json)
        .with_context(|| format!("cannot write {LISTED_FILE}"))?;
    println!(
        "{} mutants written to {LISTED_FILE}: commit it.",
        listed.mutants.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `one`, made relative to `region`, if its whole span lies in the gap's code.
fn keep(one: &Found, region: &Region, text: &str) -> Option<ListedMutant> {
    let lines = region.lines();
    if !lines.contains(&one.span.start.line) || !lines.contains(&one.span.end.line) {
        return None;
    }
    let prefix = format!(
        "{}:{}:{}: ",
        one.file, one.span.start.line, one.span.start.column
    );
    let description = one.name.strip_prefix(&prefix).unwrap_or(&one.name);
    let mut listed = ListedMutant {
        gap: region.id.clone(),
        description: description.to_string(),
        start: [one.span.start.line - region.begin, one.span.start.column],
        end: [one.span.end.line - region.begin, one.span.end.column],
        original: String::new(),
        replacement: one.replacement.clone(),
    };
    listed.original = extract(text, one);
    Some(listed)
}

/// The text of `one`'s span, counted as cargo-mutants counts: 1-based lines
/// and columns in characters, the end exclusive.
fn extract(text: &str, one: &Found) -> String {
    let (start, end) = (&one.span.start, &one.span.end);
    let mut out = String::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if number < start.line || number > end.line {
            continue;
        }
        for (column, c) in line.chars().enumerate().map(|(i, c)| (i + 1, c)) {
            let after_start = number > start.line || column >= start.column;
            let before_end = number < end.line || column < end.column;
            if after_start && before_end {
                out.push(c);
            }
        }
    }
    out
}

fn list(root: &Path, package: &str) -> anyhow::Result<Vec<Found>> {
    let output = Command::new("cargo")
        .current_dir(root)
        .args(["mutants", "--list", "--json", "--package", package])
        .output()
        .context("cannot run cargo mutants")?;
    if !output.status.success() {
        bail!(
            "`cargo mutants --list --json --package {package}` failed (is it installed? `cargo install cargo-mutants`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("cargo mutants --json said something unexpected")
}

fn cargo_mutants_version(root: &Path) -> String {
    Command::new("cargo")
        .current_dir(root)
        .args(["mutants", "--version"])
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .filter(|version| !version.is_empty())
        .unwrap_or_else(|| "cargo-mutants".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: usize, column: usize, end_line: usize, end_column: usize) -> Found {
        Found {
            name: format!("src/a.rs:{line}:{column}: replace == with != in f"),
            file: "src/a.rs".into(),
            span: Span {
                start: LineColumn { line, column },
                end: LineColumn {
                    line: end_line,
                    column: end_column,
                },
            },
            replacement: "!=".into(),
        }
    }

    const TEXT: &str = "fn f(a: u32) -> bool {
    // BEGIN GAP p.f
    a == 1
    // END GAP
}
";

    #[test]
    fn a_mutant_inside_a_gap_is_kept_relative_to_it() {
        let region = &regions::regions(TEXT)[0];
        let kept = keep(&found(3, 7, 3, 9), region, TEXT).unwrap();
        assert_eq!(kept.gap, "p.f");
        assert_eq!(kept.description, "replace == with != in f");
        assert_eq!((kept.start, kept.end), ([1, 7], [1, 9]));
        assert_eq!(kept.original, "==");
    }

    #[test]
    fn a_mutant_reaching_outside_the_gap_is_left_out() {
        let region = &regions::regions(TEXT)[0];
        assert!(keep(&found(1, 22, 5, 2), region, TEXT).is_none());
        assert!(keep(&found(5, 1, 5, 2), region, TEXT).is_none());
    }
}
