//! The learner's tools around the grader (issue 19): `check --format json`.
//! Real checks run in a copy of the workspace, one test at a time
//! (`common::workspace`), building in the tests' grader directory.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;

use common::{grader_target, workspace};

/// `cargo xtask --root <root> <args>`, without colour, stdin not a
/// terminal, building where the other tests build.
fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("WORKSHOP_GRADER_TARGET_DIR", grader_target());
    command
}

fn output(root: &Path, args: &[&str]) -> Output {
    xtask(root, args).output().expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Times, clocks and the random conversions of `computed` vary.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r#""seconds": [0-9.]+"#, r#""seconds": "[SECONDS]""#),
            (r#""minutes": \d+"#, r#""minutes": "[MINUTES]""#),
            (r"clock   \d+ min", "clock   [N] min"),
            (
                r"GET /convert/[A-Z]{3}/[0-9.]+ with a rate of [0-9.]+\\n  expected: 200 [A-Z]{3} [0-9.]+",
                "GET /convert/[RANDOM] with a rate of [RANDOM]\\n  expected: 200 [RANDOM]",
            ),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

/// Breaks `exercises/part1/src/server.rs` with a type error on a line of
/// its own; that line's number.
fn break_the_build(root: &Path) -> usize {
    let file = root.join("exercises/part1/src/server.rs");
    let mut code = fs::read_to_string(&file).expect("the server's file");
    if !code.ends_with('\n') {
        code.push('\n');
    }
    let line = code.lines().count() + 1;
    code.push_str("pub fn broken() -> u32 { \"not a number\" }\n");
    fs::write(&file, code).expect("the server's file written");
    line
}

// --- check --format json ---

/// Runs `check part1 --format json`: the document, and the text on stderr.
fn check_json(root: &Path) -> (Output, Value) {
    let output = output(root, &["check", "part1", "--format", "json"]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("{\n") && stdout.ends_with("}\n"),
        "stdout is one JSON document and nothing else:\n{stdout}\n--- stderr:\n{}",
        text(&output.stderr)
    );
    let json = serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("{err}:\n{stdout}"));
    (output, json)
}

#[test]
fn check_format_json_is_one_document_on_stdout_and_the_text_on_stderr() {
    let copy = workspace("tools");
    let (output, json) = check_json(&copy);
    assert_eq!(output.status.code(), Some(1), "exit codes as for the text");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("Checking part1"), "{stderr}");
    assert!(
        stderr.contains("gap 1  exercises/part1/src/client.rs:"),
        "{stderr}"
    );
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["passed"], false);
    assert_eq!(json["gaps"].as_array().map(Vec::len), Some(5));
    // Every check of the part, each failing where its gap is.
    let checks = json["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 5, "{json:#}");
    for check in checks {
        assert_eq!(check["passed"], false, "{check:#}");
        assert!(
            check["file"].is_string() && check["line"].is_u64(),
            "{check:#}"
        );
    }
    // The clock and progress move as for the text.
    let progress = fs::read_to_string(copy.join(".workshop/progress.toml")).expect("progress");
    assert!(
        progress.contains("[checks.\"part1.client.cli\"]"),
        "{progress}"
    );
    assert!(progress.contains("[parts.part1]"), "{progress}");
    snapshot!("check_json_pristine", text(&output.stdout));

    // A compile error: its first error, plain, where rustc puts it.
    let line = break_the_build(&copy);
    let (output, json) = check_json(&copy);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json["build"]["ok"], false);
    let first = json["build"]["first_error"]
        .as_str()
        .expect("a first error");
    assert!(
        first.starts_with("error[E0308]: mismatched types\n"),
        "{first}"
    );
    assert!(
        first.contains(&format!("--> exercises/part1/src/server.rs:{line}:")),
        "{first}"
    );
    assert!(!first.contains('\x1b'), "no colour: {first:?}");
    assert_eq!(json["checks"].as_array().map(Vec::len), Some(0));
    snapshot!("check_json_build_failed", text(&output.stdout));
}
