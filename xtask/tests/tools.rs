//! The learner's tools around the grader (issue 19): `check --format json`,
//! the editor's problem list (.vscode/tasks.json), the home screen,
//! solutions that wait for the minutes, and `watch`'s keys in a
//! pseudo-terminal. Real checks run in a copy of the workspace, one test at
//! a time (`workshop_testkit::workspace`), building in the tests' grader directory.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use regex::Regex;
use serde_json::Value;

use workshop_testkit as common;

use common::{copy_tree, grader_target, root, workspace};

/// `cargo xtask --root <root> <args>`, without colour, stdin not a
/// terminal, building where the other tests build.
/// How long `watch` may take to its first verdict (it may build part 1
/// from cold), and to anything after that.
const FIRST_VERDICT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const ANSWER: std::time::Duration = std::time::Duration::from_secs(60);

fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = common::xtask_command(root, args);
    command.env("WORKSHOP_GRADER_TARGET_DIR", grader_target());
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
    // Built here first: the grader's folder is shared with the other tests,
    // whose copies (same relative paths, same artifacts) may have built an
    // attempt's part 1 there last, and this check would then rebuild it.
    output(&copy, &["check", "part1"]);
    let (output, json) = check_json(&copy);
    assert_eq!(output.status.code(), Some(1), "exit codes as for the text");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("Checking part1"), "{stderr}");
    // Built before: no word of a first build (issue 26: said every time).
    assert!(stderr.contains("  building part1…\n"), "{stderr}");
    assert!(!stderr.contains("a minute or two"), "{stderr}");
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

/// Issue 26: with `error[E0599]` at `client.rs:92`, `Next:` and the JSON's
/// `next.step` named gap 4 in another file. A build that fails comes first:
/// the next step is its first error, at its `file:line`, in plain words.
#[test]
fn after_a_failed_build_next_points_at_the_compile_error() {
    let copy = workspace("tools");
    let file = copy.join("exercises/part1/src/client.rs");
    let mut code = fs::read_to_string(&file).expect("the client");
    let line = code.lines().count() + 2;
    code.push_str(
        "\nasync fn one() -> u32 {\n    1\n}\n\npub async fn two() -> u32 {\n    one()\n}\n",
    );
    let line = line + 5;
    fs::write(&file, code).expect("written");
    let (output, json) = check_json(&copy);
    let step = json["next"]["step"].as_str().expect("a next step");
    let at = format!("make it build: exercises/part1/src/client.rs:{line}: ");
    assert!(step.starts_with(&at), "{step}");
    assert!(
        step.contains("an async function is called but not awaited"),
        "the plain words: {step}"
    );
    assert!(!step.contains("gap"), "{step}");
    assert_eq!(json["next"]["command"], "cargo xtask check part1");
    let said = text(&output.stderr);
    assert!(said.contains(&format!("Next: {at}")), "{said}");
}

/// Issue 26: `check` showed hint 1, the first `hint` then showed 1 and 2,
/// and `hint --all` moved the level, so that later checks said "Hint 4 of
/// 4". Now `check` shows the level reached (recording hint 1 once shown),
/// `hint` shows the next hint alone and moves there, `--all` moves nothing.
#[test]
fn check_hint_and_hint_all_agree_on_the_level_reached() {
    let copy = workspace("tools");
    let (_, json) = check_json(&copy);
    assert_eq!(json["next"]["hint"]["level"], 1, "{:#}", json["next"]);
    let hint = text(&output(&copy, &["hint", "part1"]).stdout);
    assert!(hint.contains("  hint 2 of 3: "), "{hint}");
    assert!(!hint.contains("hint 1 of 3"), "{hint}");
    let all = text(&output(&copy, &["hint", "part1", "--all"]).stdout);
    assert!(all.contains("  hint 3 of 3: "), "{all}");
    let (output, json) = check_json(&copy);
    assert_eq!(json["next"]["hint"]["level"], 2, "{:#}", json["next"]);
    assert!(
        text(&output.stderr).contains("  Hint 2 of 3: "),
        "{}",
        text(&output.stderr)
    );
}

// --- the editor's problem list ---

/// One pattern of a VS Code problem matcher: a regex and the groups of the
/// problem's parts.
struct Pattern {
    regex: Regex,
    file: Option<usize>,
    line: Option<usize>,
    message: Option<usize>,
    code: Option<usize>,
}

/// A problem as VS Code's Problems panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Problem {
    file: String,
    line: usize,
    code: String,
    message: String,
}

/// The problem matchers of every task of .vscode/tasks.json, by task label.
fn matchers() -> Vec<(String, Vec<Vec<Pattern>>)> {
    let path = root().join(".vscode/tasks.json");
    let text = fs::read_to_string(&path).expect(".vscode/tasks.json");
    let tasks: Value = serde_json::from_str(&text).expect("tasks.json is plain JSON");
    let group = |pattern: &Value, name: &str| {
        pattern[name]
            .as_u64()
            .map(|group| usize::try_from(group).expect("a group number"))
    };
    tasks["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|task| {
            let label = task["label"].as_str().expect("a label").to_string();
            let matchers = task["problemMatcher"]
                .as_array()
                .expect("problem matchers")
                .iter()
                .map(|matcher| {
                    assert_eq!(
                        matcher["fileLocation"],
                        serde_json::json!(["relative", "${workspaceFolder}"])
                    );
                    // One pattern, or several for lines in a row.
                    let patterns = match &matcher["pattern"] {
                        Value::Array(several) => several.clone(),
                        one => vec![one.clone()],
                    };
                    patterns
                        .iter()
                        .map(|pattern| Pattern {
                            regex: Regex::new(pattern["regexp"].as_str().expect("a regexp"))
                                .expect("the regexp compiles"),
                            file: group(pattern, "file"),
                            line: group(pattern, "line"),
                            message: group(pattern, "message"),
                            code: group(pattern, "code"),
                        })
                        .collect()
                })
                .collect();
            (label, matchers)
        })
        .collect()
}

/// What VS Code's Problems panel shows for `output`: each matcher is tried
/// on every line, its patterns on that line and the ones after it, in order.
fn problems(matchers: &[Vec<Pattern>], output: &str) -> Vec<Problem> {
    let lines: Vec<&str> = output.lines().collect();
    let mut found = Vec::new();
    for patterns in matchers {
        for start in 0..lines.len() {
            let mut problem = Problem {
                file: String::new(),
                line: 0,
                code: String::new(),
                message: String::new(),
            };
            let matched = patterns.iter().enumerate().all(|(i, pattern)| {
                let Some(captures) = lines.get(start + i).and_then(|l| pattern.regex.captures(l))
                else {
                    return false;
                };
                let get = |group: Option<usize>| {
                    group
                        .and_then(|g| captures.get(g))
                        .map(|m| m.as_str().to_string())
                };
                if let Some(file) = get(pattern.file) {
                    problem.file = file;
                }
                if let Some(line) = get(pattern.line) {
                    problem.line = line.parse().expect("a line number");
                }
                if let Some(message) = get(pattern.message) {
                    problem.message = message;
                }
                if let Some(code) = get(pattern.code) {
                    problem.code = code;
                }
                true
            });
            if matched {
                found.push(problem);
            }
        }
    }
    found.sort();
    found
}

/// The problems the JSON of the same check says there are: its gaps, its
/// first compiler error's place, its failing checks.
fn expected(json: &Value) -> Vec<Problem> {
    let field = |value: &Value, name: &str| value[name].as_str().unwrap_or_default().to_string();
    let line = |value: &Value| usize::try_from(value["line"].as_u64().expect("a line")).unwrap();
    let mut problems: Vec<Problem> = json["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|gap| Problem {
            file: field(gap, "file"),
            line: line(gap),
            code: format!("gap {}", gap["number"]),
            message: field(gap, "title"),
        })
        .collect();
    for check in json["checks"].as_array().expect("checks") {
        if check["passed"] == false {
            problems.push(Problem {
                file: field(check, "file"),
                line: line(check),
                code: field(check, "id"),
                message: field(check, "reason"),
            });
        }
    }
    problems.sort();
    problems
}

#[test]
fn vscode_tasks_check_every_part_with_one_problem_matcher() {
    let manifest = fs::read_to_string(root().join("workshop.toml")).unwrap();
    let parts: Vec<String> = Regex::new(r#"(?m)^id = "(part\d+)"$"#)
        .unwrap()
        .captures_iter(&manifest)
        .map(|captures| captures[1].to_string())
        .collect();
    let text = fs::read_to_string(root().join(".vscode/tasks.json")).unwrap();
    let tasks: Value = serde_json::from_str(&text).unwrap();
    let tasks = tasks["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), parts.len(), "one task a part");
    for (task, part) in tasks.iter().zip(&parts) {
        assert_eq!(task["label"], format!("check {part}"));
        assert_eq!(task["command"], "cargo");
        assert_eq!(task["args"], serde_json::json!(["xtask", "check", part]));
        assert_eq!(task["problemMatcher"], tasks[0]["problemMatcher"], "{part}");
    }
    let extensions = fs::read_to_string(root().join(".vscode/extensions.json")).unwrap();
    let extensions: Value = serde_json::from_str(&extensions).unwrap();
    assert_eq!(
        extensions["recommendations"],
        serde_json::json!(["rust-lang.rust-analyzer"])
    );
}

#[test]
fn the_problem_matcher_finds_every_gap_the_first_error_and_every_failing_check() {
    let matchers = matchers();
    let (_, part1) = matchers
        .iter()
        .find(|(label, _)| label == "check part1")
        .expect("a task `check part1`");
    let copy = workspace("tools");

    // Pristine: five gaps, five failing checks, each at its file and line.
    let human = output(&copy, &["check", "part1"]);
    assert_eq!(human.status.code(), Some(1));
    let found = problems(part1, &text(&human.stdout));
    let (_, json) = check_json(&copy);
    assert_eq!(found, expected(&json), "{}", text(&human.stdout));
    assert_eq!(found.len(), 10, "{found:#?}");
    assert!(
        found.contains(&Problem {
            file: "exercises/part1/src/server.rs".into(),
            line: 68,
            code: "part1.webserver.contract".into(),
            message: "gap 5 is not filled yet: answer GET /convert/{currency}/{amount} \
                      (exercises/part1/src/server.rs:68:5)"
                .into(),
        }),
        "{found:#?}"
    );
    for problem in &found {
        assert!(copy.join(&problem.file).is_file(), "{problem:?}");
    }

    // A compile error: the gaps, and the first error where rustc puts it.
    let line = break_the_build(&copy);
    let human = output(&copy, &["check", "part1"]);
    let found = problems(part1, &text(&human.stdout));
    let errors: Vec<&Problem> = found.iter().filter(|p| p.code == "E0308").collect();
    assert_eq!(
        errors,
        [&Problem {
            file: "exercises/part1/src/server.rs".into(),
            line,
            code: "E0308".into(),
            message: "mismatched types".into(),
        }],
        "{}",
        text(&human.stdout)
    );
    assert_eq!(found.len(), 6, "five gaps and the error: {found:#?}");
}

// --- the home screen ---

/// `cargo xtask` alone: the home screen (up to its blank line) and the rest.
fn home(root: &Path) -> (String, String) {
    let output = output(root, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let (home, usage) = stdout
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no blank line after the home screen:\n{stdout}"));
    assert!(usage.contains("Usage: cargo xtask"), "{stdout}");
    assert!(usage.contains("During the workshop:\n  start "), "{stdout}");
    (home.to_string(), usage.to_string())
}

#[test]
fn cargo_xtask_alone_shows_where_you_are_then_the_usage() {
    let copy = workspace("tools");
    let (fresh, usage) = home(&copy);
    snapshot!("home_fresh", fresh);
    let help = text(&output(&copy, &["--help"]).stdout);
    assert!(
        help.ends_with(&usage),
        "the usage is --help's:\n{usage}\n---\n{help}"
    );

    let (passed, check) = common::check(&copy, &["part1"]);
    assert!(!passed, "{check}");
    let (after, _) = home(&copy);
    snapshot!("home_after_check", after);
}

// --- solutions that wait for the minutes ---

/// A copy of the workspace of its own, for the commands that build nothing.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_tree(&root(), dir.path());
    dir
}

fn progress(root: &Path, toml: &str) {
    let dir = root.join(".workshop");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("progress.toml"), toml).unwrap();
}

#[test]
fn a_solution_waits_for_its_minutes_unless_asked_now() {
    let copy = copy();
    let root = copy.path();
    let client = root.join("exercises/part1/src/client.rs");
    let pristine = fs::read_to_string(&client).unwrap();

    // Pristine, nobody to ask: one line, exit 2, nothing shown or changed.
    let waits = output(root, &["solution", "part1"]);
    assert_eq!(waits.status.code(), Some(2));
    assert_eq!(text(&waits.stdout), "");
    assert_eq!(
        text(&waits.stderr),
        "Not passed yet: part1.client's solution opens when it is due, at 10 min on the clock; \
         part1.client_test's at 20 min; part1.webserver's at 30 min (part1's clock has not \
         started: `cargo xtask start part1`). `cargo xtask solution part1 --now` shows it anyway.\n"
    );
    let apply = output(root, &["solution", "part1", "src/client.rs", "--apply"]);
    assert_eq!(apply.status.code(), Some(2), "--apply waits too");
    assert!(
        text(&apply.stderr).ends_with(
            "`cargo xtask solution part1 src/client.rs --apply --now` shows it anyway.\n"
        ),
        "{}",
        text(&apply.stderr)
    );
    assert_eq!(fs::read_to_string(&client).unwrap(), pristine);
    assert!(!root.join(".workshop/backups").exists());

    // --now answers yes.
    let now = output(root, &["solution", "part1", "src/client.rs", "--now"]);
    assert_eq!(now.status.code(), Some(0), "{}", text(&now.stderr));
    assert!(
        text(&now.stdout).contains("+++ exercises/part1/src/client.rs (solution)"),
        "{}",
        text(&now.stdout)
    );

    // Passed: its solution opens, the others still wait.
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    progress(
        root,
        &format!(
            "format_version = 1\n[parts.part1]\nstarted_at = \"{started}\"\n\
             [exercises.\"part1.client\"]\npassed_after_secs = 60\n"
        ),
    );
    let passed = output(root, &["solution", "part1", "src/client.rs"]);
    assert_eq!(passed.status.code(), Some(0), "{}", text(&passed.stderr));
    assert!(text(&passed.stdout).contains("+++ exercises/part1/src/client.rs (solution)"));
    let others = output(root, &["solution", "part1"]);
    assert_eq!(others.status.code(), Some(2));
    assert!(
        text(&others.stderr).starts_with(
            "Not passed yet: part1.client_test's solution opens when it is due, at 20 min on the \
             clock: in 20 min; part1.webserver's at 30 min: in 30 min (clock: 0 min of 30)."
        ),
        "{}",
        text(&others.stderr)
    );

    // The minutes are up: every solution opens.
    progress(
        root,
        "format_version = 1\n[parts.part1]\nstarted_at = \"2020-01-01T00:00:00Z\"\n",
    );
    let late = output(root, &["solution", "part1"]);
    assert_eq!(late.status.code(), Some(0), "{}", text(&late.stderr));
    assert!(text(&late.stdout).contains("+++ exercises/part1/src/server.rs (solution)"));

    // A course for people alone: never waits.
    fs::remove_dir_all(root.join(".workshop")).unwrap();
    let manifest = root.join("workshop.toml");
    let text_before = fs::read_to_string(&manifest).unwrap();
    let always = text_before.replace("solutions = \"after-minutes\"", "solutions = \"always\"");
    assert_ne!(always, text_before);
    fs::write(&manifest, always).unwrap();
    let always = output(root, &["solution", "part1", "src/server.rs", "--apply"]);
    assert_eq!(always.status.code(), Some(0), "{}", text(&always.stderr));
    assert!(
        !fs::read_to_string(root.join("exercises/part1/src/server.rs"))
            .unwrap()
            .contains("todo!(\"gap 5")
    );
}

// --- watch's keys ---

#[cfg(unix)]
mod keys {
    use std::io::{Read, Write};
    use std::sync::mpsc::{self, Receiver};
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

    use super::*;

    /// `watch part1` on a pseudo-terminal, and what it shows.
    struct Terminal {
        child: Box<dyn Child + Send + Sync>,
        keys: Box<dyn Write + Send>,
        chunks: Receiver<Vec<u8>>,
        /// Every byte shown so far.
        raw: Vec<u8>,
        /// The same, colour and clearing left out.
        screen: String,
        /// Where the last wait's match ended: the next looks after it.
        seen: usize,
    }

    impl Terminal {
        fn watch(root: &Path) -> Self {
            let mut command = CommandBuilder::new(common::runner());
            command.arg("--root");
            command.arg(root);
            command.args(["watch", "part1"]);
            Self::run(root, command)
        }

        /// `cargo xtask --root <root> <args> > <stdout>`: a terminal on
        /// stdin and stderr, stdout a file, as with `| cat > file`.
        fn piped(root: &Path, args: &[&str], stdout: &Path) -> Self {
            // A shell only to redirect, as a learner's would.
            let mut command = CommandBuilder::new("sh");
            command.args(["-c", "exec \"$0\" \"$@\" > \"$OUT\""]);
            command.arg(common::runner());
            command.arg("--root");
            command.arg(root);
            command.args(args);
            command.env("OUT", stdout);
            Self::run(root, command)
        }

        fn run(root: &Path, mut command: CommandBuilder) -> Self {
            let pty = native_pty_system();
            let pair = pty
                .openpty(PtySize {
                    rows: 50,
                    cols: 200,
                    pixel_width: 0,
                    pixel_height: 0,
                })
                .expect("a pseudo-terminal");
            command.cwd(root);
            command.env("NO_COLOR", "1");
            command.env("WORKSHOP_GRADER_TARGET_DIR", grader_target());
            let child = pair.slave.spawn_command(command).expect("watch starts");
            // Only the child holds the terminal's other end: when it ends,
            // reading ends.
            drop(pair.slave);
            let mut reader = pair.master.try_clone_reader().expect("a reader");
            let keys = pair.master.take_writer().expect("a writer");
            let (send, chunks) = mpsc::channel();
            thread::spawn(move || {
                let _master = pair.master;
                let mut buffer = [0; 4096];
                while let Ok(n @ 1..) = reader.read(&mut buffer) {
                    if send.send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            });
            Self {
                child,
                keys,
                chunks,
                raw: Vec::new(),
                screen: String::new(),
                seen: 0,
            }
        }

        /// Waits until `needle` is shown after the last match, or panics
        /// with the screen so far once `within` has passed.
        fn wait_for(&mut self, needle: &str, within: Duration) {
            let deadline = Instant::now() + within;
            loop {
                if let Some(at) = self.screen[self.seen..].find(needle) {
                    self.seen += at + needle.len();
                    return;
                }
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    panic!(
                        "no {needle:?} within {within:?}; the screen:\n{}",
                        self.screen
                    );
                };
                if let Ok(chunk) = self
                    .chunks
                    .recv_timeout(left.min(Duration::from_millis(200)))
                {
                    // Stripped whole: a chunk may end inside an escape.
                    self.raw.extend(chunk);
                    let raw = String::from_utf8_lossy(&self.raw);
                    self.screen = anstream::adapter::strip_str(&raw)
                        .to_string()
                        .replace('\r', "");
                }
            }
        }

        fn press(&mut self, keys: &str) {
            self.keys.write_all(keys.as_bytes()).expect("a key pressed");
            self.keys.flush().expect("keys sent");
        }

        /// The exit code, once it has exited within `within`.
        fn exit_code(&mut self, within: Duration) -> u32 {
            let deadline = Instant::now() + within;
            loop {
                if let Some(status) = self.child.try_wait().expect("watch's status") {
                    return status.exit_code();
                }
                assert!(
                    Instant::now() < deadline,
                    "watch still runs after {within:?}; the screen:\n{}",
                    self.screen
                );
                thread::sleep(Duration::from_millis(50));
            }
        }
    }

    impl Drop for Terminal {
        fn drop(&mut self) {
            // A failed test leaves nothing running.
            let _ = self.child.kill();
        }
    }

    /// Issue 26: `solution part1 | cat > f` with a terminal on stdin
    /// printed its question into the pipe, and looked hung. Questions go to
    /// the terminal (stderr); stdout holds the answer's output alone.
    #[test]
    fn questions_are_asked_on_the_terminal_not_into_a_pipe() {
        let copy = copy();
        let root = copy.path();
        let diff = root.join("diff.txt");
        let mut terminal = Terminal::piped(root, &["solution", "part1", "src/client.rs"], &diff);
        terminal.wait_for(
            "Not passed yet: part1.client's solution opens when it is due",
            ANSWER,
        );
        terminal.wait_for("Show it now? [y/N] ", ANSWER);
        terminal.press("y\r");
        assert_eq!(terminal.exit_code(ANSWER), 0, "{}", terminal.screen);
        let shown = fs::read_to_string(&diff).expect("the diff");
        assert!(
            shown.starts_with("--- exercises/part1/src/client.rs (yours)\n"),
            "{shown}"
        );
        assert!(!shown.contains("Show it now"), "{shown}");

        fs::write(root.join("exercises/part1/src/client.rs"), "// mine\n").expect("written");
        let listed = root.join("reset.txt");
        let mut terminal = Terminal::piped(root, &["reset", "part1", "client"], &listed);
        terminal.wait_for("exercises/part1/src/client.rs (changed)", ANSWER);
        terminal.wait_for("Reset them? Yours are backed up first. [y/N] ", ANSWER);
        terminal.press("n\r");
        terminal.wait_for("Nothing was changed.", ANSWER);
        assert_eq!(terminal.exit_code(ANSWER), 1, "{}", terminal.screen);
        assert_eq!(fs::read_to_string(&listed).expect("stdout"), "");
    }

    /// Issue 26: the board's `join:` line could not be pasted as it was
    /// (`--name` was required and missing). Pasted as it is, it asks for the
    /// name on the terminal; with no terminal it says the line to type.
    #[test]
    fn the_boards_join_line_works_pasted_as_it_is() {
        use std::io::BufRead;
        use std::process::Stdio;

        let copy = copy();
        let root = copy.path();
        /// The board, stopped however the test ends.
        struct Board(std::process::Child);
        impl Drop for Board {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let mut board = Board(
            std::process::Command::new(common::tools())
                .args(["room", "serve", "--port", "0"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("room serve starts"),
        );
        let stdout = board.0.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let join = lines.next().expect("a join line").expect("text");
        let command = join
            .strip_prefix("join: cargo xtask ")
            .unwrap_or_else(|| panic!("not a join line: {join}"));
        let words: Vec<&str> = command.split_whitespace().collect();

        let mut nobody = xtask(root, &[]);
        let unasked = nobody
            .args(&words)
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        assert_eq!(unasked.status.code(), Some(1));
        let said = text(&unasked.stderr);
        assert!(
            said.starts_with(
                "error: choose the name the board shows for you: cargo xtask room join http://"
            ) && said.trim_end().ends_with(" --name NAME"),
            "{said}"
        );

        let mut pasted = CommandBuilder::new(common::runner());
        pasted.arg("--root");
        pasted.arg(root);
        pasted.args(&words);
        let mut terminal = Terminal::run(root, pasted);
        terminal.wait_for(
            "Your name on the board (your choice, up to 40 characters): ",
            ANSWER,
        );
        terminal.press("Ada\r");
        terminal.wait_for("Joined the room at http://127.0.0.1:", ANSWER);
        terminal.wait_for(" as Ada.", ANSWER);
        assert_eq!(terminal.exit_code(ANSWER), 0, "{}", terminal.screen);
    }

    /// The first check may build everything; a key is answered at once.
    const KEYS: &str =
        "keys: h next hint · s solution · r reset the exercise · l list · c check now · q quit";

    #[test]
    fn watch_keys_in_a_terminal_list_hint_solution_and_quit() {
        let copy = workspace("tools");
        let mut terminal = Terminal::watch(&copy);
        terminal.wait_for("part1 does not pass yet", FIRST_VERDICT);
        terminal.wait_for(KEYS, ANSWER);

        terminal.press("l");
        terminal.wait_for("watch: cargo xtask list part1", ANSWER);
        terminal.wait_for("part1.webserver    0/1 gaps filled", ANSWER);
        terminal.wait_for(KEYS, ANSWER);

        // The check's summary showed hint 1: the key goes one deeper.
        terminal.press("h");
        terminal.wait_for("watch: cargo xtask hint part1", ANSWER);
        terminal.wait_for("hint 2 of 3: ", ANSWER);
        terminal.wait_for(KEYS, ANSWER);

        // The solution of the exercise at hand, after a question.
        terminal.press("s");
        terminal.wait_for("watch: cargo xtask solution part1 src/client.rs", ANSWER);
        terminal.wait_for(
            "Not passed yet: part1.client's solution opens when it is due, at 10 min",
            ANSWER,
        );
        terminal.wait_for("Show it now? [y/N] ", ANSWER);
        terminal.press("y\r");
        terminal.wait_for("+++ exercises/part1/src/client.rs (solution)", ANSWER);
        terminal.wait_for(KEYS, ANSWER);

        terminal.press("q");
        terminal.wait_for("watch stopped (q)", ANSWER);
        assert_eq!(terminal.exit_code(ANSWER), 0, "{}", terminal.screen);
    }

    #[test]
    fn ctrl_c_in_a_terminal_stops_watch_and_its_check() {
        let copy = workspace("tools");
        let mut terminal = Terminal::watch(&copy);
        terminal.wait_for("part1 does not pass yet", FIRST_VERDICT);
        terminal.wait_for(KEYS, ANSWER);
        terminal.press("c");
        terminal.wait_for("run 2 of `cargo xtask check part1` (you pressed c)", ANSWER);
        // Ctrl-C: a signal while the check runs, a key once watch waits
        // again; either way everything stops.
        terminal.press("\x03");
        terminal.wait_for("watch stopped: no check is left running", ANSWER);
        assert_eq!(terminal.exit_code(ANSWER), 130, "{}", terminal.screen);
        #[cfg(target_os = "linux")]
        nothing_runs_in(&copy);
    }

    #[test]
    fn ctrl_c_while_watch_waits_is_read_as_a_key_and_stops_it() {
        let copy = workspace("tools");
        let mut terminal = Terminal::watch(&copy);
        terminal.wait_for("part1 does not pass yet", FIRST_VERDICT);
        terminal.wait_for(KEYS, ANSWER);
        // Raw mode: the terminal sends no signal, watch reads the key.
        terminal.press("\x03");
        terminal.wait_for("watch stopped: no check is left running", ANSWER);
        assert_eq!(terminal.exit_code(ANSWER), 130, "{}", terminal.screen);
    }

    /// No process works in, or names, `dir` (a killed one may take a moment
    /// to leave /proc).
    #[cfg(target_os = "linux")]
    fn nothing_runs_in(dir: &Path) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = common::processes_in(dir);
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "still running: {left:#?}");
            thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn without_a_terminal_watch_shows_no_keys() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    let copy = workspace("tools");
    let mut child = xtask(&copy, &["watch", "part1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + FIRST_VERDICT;
    while !seen
        .iter()
        .any(|line: &String| line.starts_with("watch: waiting for you"))
    {
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("watch never waited: {seen:#?}"));
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("watch never waited: {seen:#?}"),
        }
    }
    // Whatever would follow the waiting line has had time to.
    thread::sleep(Duration::from_secs(1));
    seen.extend(lines.try_iter());
    assert!(!seen.iter().any(|line| line.contains("keys:")), "{seen:#?}");
    stop_as_a_terminal_would(&mut child, ANSWER);
}

/// Ctrl-C, as a terminal sends it: watch exits 130 (Unix). Windows has
/// no signal to send one program, and Wine none to send a console group
/// (`core::child::ask_group`), so there it is killed: what is tested
/// there is what it showed.
fn stop_as_a_terminal_would(child: &mut std::process::Child, within: std::time::Duration) {
    #[cfg(unix)]
    {
        use std::time::Instant;
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "watch did not stop on Ctrl-C");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(130));
    }
    #[cfg(windows)]
    {
        let _ = within;
        child.kill().expect("watch is killed");
        child.wait().expect("and reaped");
    }
}
