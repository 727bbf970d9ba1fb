//! The learner's loop, run as a learner runs it: `list`, `start`, `hint`,
//! `solution`, `reset`, `watch`, the progress file, and the instructor's
//! `doctor` and `setup`. Everything that writes works on a copy of the
//! workspace in a temporary directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use workshop_testkit as common;

use common::{copy_tree, root};

/// A copy of the workspace without build output, VCS or learner state.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_tree(&root(), dir.path());
    dir
}

/// `cargo xtask --root <root> <args>`, without colour, stdin not a terminal.
fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::from_std(common::xtask_command(root, args));
    command.timeout(Duration::from_secs(120));
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs and expects success; its stdout.
fn ok(root: &Path, args: &[&str]) -> String {
    let output = xtask(root, args).output().expect("xtask runs");
    assert!(
        output.status.success(),
        "{args:?} failed:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Timestamps and clocks vary from run to run.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d[-:]\d\d[-:]\d\dZ(-\d+)?", "[TIME]"),
            (r"clock: \d+ min", "clock: [N] min"),
            (r"started \d+ min ago", "started [N] min ago"),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

fn exercise_file(root: &Path) -> PathBuf {
    root.join("exercises/part2/src/forceasync.rs")
}

#[test]
fn list_shows_gaps_checks_and_clock() {
    let copy = copy();
    snapshot!("list_pristine", ok(copy.path(), &["list"]));
    snapshot!("start_part2", ok(copy.path(), &["start", "part2"]));
    // Gap 3 filled by hand: one of three for that exercise.
    let file = exercise_file(copy.path());
    let text = fs::read_to_string(&file).unwrap();
    let filled = text.replace(
        "todo!(\"gap 3: build a runtime with 32 blocking threads\")",
        "tokio::runtime::Builder::new_multi_thread().enable_all().build()",
    );
    assert_ne!(text, filled);
    fs::write(&file, filled).unwrap();
    snapshot!("list_part2_started", ok(copy.path(), &["list", "part2"]));
    snapshot!("start_again", ok(copy.path(), &["start", "part2"]));
}

#[test]
fn check_verdicts_and_pass_times_show_in_list() {
    let copy = copy();
    let progress = copy.path().join(".workshop/progress.toml");
    fs::create_dir_all(progress.parent().unwrap()).unwrap();
    // What `check` writes, including ids this manifest does not know.
    fs::write(
        &progress,
        r#"format_version = 1
[parts.part1]
started_at = "2026-01-01T10:00:00Z"
[parts.part0]
started_at = "2026-01-01T10:00:00Z"
[exercises."part1.client"]
passed_after_secs = 420
[checks."part1.client.cli"]
last = "pass"
checked_at = "2026-01-01T10:07:00Z"
[checks."part1.webserver.contract"]
last = "pass"
checked_at = "2026-01-01T10:07:00Z"
[checks."part1.webserver.computed"]
last = "fail"
checked_at = "2026-01-01T10:07:00Z"
[checks."part1.gone.contract"]
last = "pass"
checked_at = "2026-01-01T10:07:00Z"
"#,
    )
    .unwrap();
    let file = copy.path().join("exercises/part1/src/client.rs");
    let text = fs::read_to_string(&file).unwrap();
    let filled: String = text
        .lines()
        .map(|line| {
            if line.contains("todo!(\"gap ") {
                "        unimplemented!()"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(&file, filled).unwrap();
    let output = xtask(copy.path(), &["list", "part1"]).output().unwrap();
    assert!(output.status.success());
    assert_eq!(stderr(&output), "", "unknown ids are ignored, silently");
    snapshot!("list_checked", stdout(&output));
}

/// Issue 26: the first exercise's title says `client USD 100` prints `122
/// USD`, and gap 4's test must assert `USD 122`. Where the learner meets
/// the second (the test's file, the gap's hints), it says why.
#[test]
fn the_client_tests_answer_says_why_it_is_not_the_titles() {
    let manifest = fs::read_to_string(root().join("workshop.toml")).unwrap();
    assert!(
        manifest.contains("`client USD 100` prints `122 USD`"),
        "the title"
    );
    let test = fs::read_to_string(root().join("exercises/part1/tests/client_test.rs")).unwrap();
    let hints = ok(
        &root(),
        &["hint", "part1", "part1.client_test.test", "--all"],
    );
    for (what, text) in [("tests/client_test.rs", test), ("the hints", hints)] {
        assert!(
            text.contains("`USD 122`") && text.contains("`122 USD`") && text.contains("`Display`"),
            "{what} name the answer without saying why it is not the title's:\n{text}"
        );
    }
}

/// Issue 26: `solution` counted the webserver's minutes on the part's clock
/// (due at 30) while `check` read the same clock against its own 10. One
/// clock now, said one way: the part's, against when each exercise is due.
#[test]
fn one_clock_said_one_way_by_list_home_and_solution() {
    let copy = copy();
    let root = copy.path();
    let progress = root.join(".workshop/progress.toml");
    fs::create_dir_all(progress.parent().unwrap()).unwrap();
    let started = std::time::SystemTime::now() - Duration::from_secs(27 * 60 + 30);
    let started = humantime::format_rfc3339_seconds(started);
    fs::write(
        &progress,
        format!(
            "format_version = 1\n[parts.part1]\nstarted_at = \"{started}\"\n\
             [exercises.\"part1.client\"]\npassed_after_secs = 420\n"
        ),
    )
    .unwrap();
    let list = ok(root, &["list", "part1"]);
    assert!(list.contains("  clock: 27 min of 30\n"), "{list}");
    assert!(list.contains("passed at 7 min, due at 10 min"), "{list}");
    assert!(
        list.contains("part1.webserver    0/1 gaps filled  due at 30 min"),
        "{list}"
    );
    let home = ok(root, &[]);
    assert!(
        home.contains("  clock   27 min of 30; part1.client_test is due at 20 min\n"),
        "{home}"
    );
    let output = xtask(root, &["solution", "part1", "src/server.rs"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "it waits");
    assert!(
        stderr(&output).starts_with(
            "Not passed yet: part1.webserver's solution opens when it is due, at 30 min on the \
             clock: in 3 min (clock: 27 min of 30)."
        ),
        "{}",
        stderr(&output)
    );
}

/// The last line of `list`, and of the home screen (`cargo xtask` alone,
/// up to the usage).
fn next_lines(root: &Path) -> (String, String) {
    let list = ok(root, &["list"]);
    let home = ok(root, &[]);
    let home = home.split("\n\n").next().unwrap_or_default().to_string();
    let last = |text: &str| text.lines().last().unwrap_or_default().to_string();
    (last(&list), last(&home))
}

/// Issue 26: `list` right after a check that passed said `Next: cargo
/// xtask check part1`, while the check and the home screen had moved on.
/// Both now give the one next step, the same.
#[test]
fn list_and_the_home_screen_give_the_same_next_step() {
    let copy = copy();
    let root = copy.path();
    ok(
        root,
        &["solution", "part1", "src/client.rs", "--apply", "--now"],
    );
    let progress = root.join(".workshop/progress.toml");
    fs::create_dir_all(progress.parent().unwrap()).unwrap();
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    // What `check part1` records when the client passes and the rest fails.
    fs::write(
        &progress,
        format!(
            "format_version = 1\n[parts.part1]\nstarted_at = \"{started}\"\n\
             [exercises.\"part1.client\"]\npassed_after_secs = 420\n\
             [checks.\"part1.client.cli\"]\nlast = \"pass\"\nchecked_at = \"{started}\"\n\
             [checks.\"part1.client_test.client_test\"]\nlast = \"fail\"\nchecked_at = \"{started}\"\n"
        ),
    )
    .unwrap();
    let (list, home) = next_lines(root);
    assert!(
        list.starts_with("Next: fill gap 4 (exercises/part1/tests/client_test.rs:"),
        "{list}"
    );
    assert_eq!(list, home);

    // The whole part passes: on to part 2, everywhere.
    for file in ["tests/client_test.rs", "src/server.rs"] {
        ok(root, &["solution", "part1", file, "--apply", "--now"]);
    }
    let mut passed = format!(
        "format_version = 1\n[parts.part1]\nstarted_at = \"{started}\"\npassed_after_secs = 1500\n"
    );
    for (exercise, checks) in [
        ("client", &["cli"][..]),
        ("client_test", &["client_test"]),
        ("webserver", &["contract", "computed", "concurrency"]),
    ] {
        passed.push_str(&format!(
            "[exercises.\"part1.{exercise}\"]\npassed_after_secs = 600\n"
        ));
        for check in checks {
            passed.push_str(&format!(
                "[checks.\"part1.{exercise}.{check}\"]\nlast = \"pass\"\nchecked_at = \"{started}\"\n"
            ));
        }
    }
    fs::write(&progress, passed).unwrap();
    let (list, home) = next_lines(root);
    assert_eq!(
        list,
        "Next: part2, Futures and threads: synchronous code made asynchronous (20 min): \
         `cargo xtask start part2`."
    );
    assert_eq!(list, home);
}

#[test]
fn hints_go_one_level_deeper_each_time() {
    let copy = copy();
    let level = |root: &Path| {
        let progress = fs::read_to_string(root.join(".workshop/progress.toml")).unwrap();
        progress
            .lines()
            .find_map(|line| line.strip_prefix("\"part2.futures.some_operation\" = "))
            .map(str::to_string)
    };
    let first = ok(copy.path(), &["hint", "part2"]);
    let second = ok(copy.path(), &["hint", "part2"]);
    snapshot!("hint_1", first);
    // One hint at a time: the second alone, not the first again.
    snapshot!("hint_2", &second);
    assert!(!second.contains("hint 1 of 3"), "{second}");
    assert_eq!(level(copy.path()).as_deref(), Some("2"));

    // --all shows every hint and moves nothing.
    let all = ok(copy.path(), &["hint", "part2", "--all"]);
    assert!(all.contains("hint 3 of 3"), "{all}");
    assert!(
        all.contains("(--all moves nothing: the next `hint` shows hint 3 of 3)"),
        "{all}"
    );
    assert_eq!(
        level(copy.path()).as_deref(),
        Some("2"),
        "--all moved the level"
    );

    let third = ok(copy.path(), &["hint", "part2"]);
    let fourth = ok(copy.path(), &["hint", "part2"]);
    snapshot!("hint_3", &third);
    assert_eq!(third, fourth, "past the last hint, the same");
    snapshot!(
        "hint_named_all",
        ok(copy.path(), &["hint", "part2", "spawn_blocking", "--all"])
    );
    let by_number = ok(copy.path(), &["hint", "part2", "4"]);
    assert!(by_number.contains("hint 1 of 3"), "{by_number}");
    let by_id = ok(
        copy.path(),
        &["hint", "part2", "part2.forceasync.spawn_blocking"],
    );
    assert!(
        by_id.contains("hint 2 of 3"),
        "a gap by number or by id: {by_id}"
    );
    assert_eq!(level(copy.path()).as_deref(), Some("3"));

    let output = xtask(copy.path(), &["hint", "part2", "9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    snapshot!("hint_unknown_gap", stderr(&output));
}

#[test]
fn solution_shows_a_diff_and_changes_nothing_until_apply() {
    let copy = copy();
    let file = exercise_file(copy.path());
    let mine = "// my attempt\n".to_string() + &fs::read_to_string(&file).unwrap();
    fs::write(&file, &mine).unwrap();

    snapshot!(
        "solution_diff",
        ok(
            copy.path(),
            &["solution", "part2", "src/forceasync.rs", "--now"]
        )
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), mine, "nothing touched");
    let all = ok(copy.path(), &["solution", "part2", "--now"]);
    assert!(
        all.contains("+++ exercises/part2/src/futures.rs (solution)"),
        "{all}"
    );
    assert!(!copy.path().join(".workshop/backups").exists());

    let output = xtask(copy.path(), &["solution", "part2", "--apply", "--now"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    snapshot!("solution_apply_needs_a_file", stderr(&output));

    let applied = ok(
        copy.path(),
        &["solution", "part2", "src/forceasync.rs", "--apply", "--now"],
    );
    snapshot!("solution_apply", &applied);
    let backup = backup_path(&applied, copy.path());
    assert_eq!(fs::read_to_string(backup).unwrap(), mine, "backed up first");
    let solution =
        fs::read_to_string(copy.path().join("solutions/part2/src/forceasync.rs")).unwrap();
    let now = fs::read_to_string(&file).unwrap();
    assert!(!now.contains("todo!("), "{now}");
    assert!(!now.contains("BEGIN GAP"), "{now}");
    assert!(
        solution.contains("max_blocking_threads(32)") && now.contains("max_blocking_threads(32)")
    );
    snapshot!(
        "solution_same",
        ok(
            copy.path(),
            &["solution", "part2", "src/forceasync.rs", "--now"]
        )
    );
}

/// The path after `backed up to `, under `root`.
fn backup_path(output: &str, root: &Path) -> PathBuf {
    let line = output
        .lines()
        .find_map(|line| line.strip_prefix("backed up to "))
        .unwrap_or_else(|| panic!("no backup path in:\n{output}"));
    root.join(line)
}

#[test]
fn reset_backs_up_byte_for_byte_then_restores_the_start() {
    let copy = copy();
    let file = exercise_file(copy.path());
    let futures = copy.path().join("exercises/part2/src/futures.rs");
    let pristine = fs::read(&file).unwrap();
    // Not even UTF-8: the backup is a copy of bytes, not of text.
    let mine: &[u8] = b"fn mine() {}\r\n\xff\xfe my work\n";
    fs::write(&file, mine).unwrap();
    fs::write(&futures, "// also mine\n").unwrap();

    let output = ok(copy.path(), &["reset", "part2", "forceasync", "--yes"]);
    snapshot!("reset_exercise", &output);
    let backup = backup_path(&output, copy.path());
    assert_eq!(
        fs::read(backup.join("exercises/part2/src/forceasync.rs")).unwrap(),
        mine
    );
    assert_eq!(fs::read(&file).unwrap(), pristine, "back to the start");
    assert_eq!(
        fs::read_to_string(&futures).unwrap(),
        "// also mine\n",
        "another exercise's file is left alone"
    );

    // A second reset in the same second keeps both backups apart.
    fs::write(&file, "second attempt\n").unwrap();
    let again = ok(copy.path(), &["reset", "part2", "--yes"]);
    let second = backup_path(&again, copy.path());
    assert_ne!(second, backup);
    assert_eq!(
        fs::read_to_string(second.join("exercises/part2/src/forceasync.rs")).unwrap(),
        "second attempt\n"
    );
    assert_eq!(
        fs::read_to_string(second.join("exercises/part2/src/futures.rs")).unwrap(),
        "// also mine\n"
    );
    snapshot!(
        "reset_nothing_left",
        ok(copy.path(), &["reset", "part2", "--yes"])
    );
}

#[test]
fn reset_refuses_without_confirmation_and_touches_nothing() {
    let copy = copy();
    let file = exercise_file(copy.path());
    fs::write(&file, "my work\n").unwrap();
    // assert_cmd gives no terminal: stdin is empty.
    let output = xtask(copy.path(), &["reset", "part2"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: reset replaces your files: pass --yes to confirm (a backup is kept)\n"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "my work\n");
    assert!(!copy.path().join(".workshop/backups").exists());

    let output = xtask(copy.path(), &["reset"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "a part must be named");
    assert_eq!(fs::read_to_string(&file).unwrap(), "my work\n");
}

#[test]
fn a_corrupt_progress_file_is_moved_aside_with_a_warning() {
    let copy = copy();
    let dir = copy.path().join(".workshop");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("progress.toml"),
        "format_version = 1\n[parts\ngarbage",
    )
    .unwrap();

    let output = xtask(copy.path(), &["start", "part1"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    snapshot!("progress_corrupt_warning", stderr(&output));
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|name| name.starts_with("progress.toml.corrupt-")),
        "{names:?}"
    );
    // A fresh file, started by `start`, that reads back without a warning.
    let output = xtask(copy.path(), &["list", "part1"]).output().unwrap();
    assert_eq!(stderr(&output), "");
    assert!(
        stdout(&output).contains("clock: 0 min of 30"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn doctor_prints_one_line_per_check() {
    let output = xtask(&root(), &["doctor"]).output().unwrap();
    let text = stdout(&output);
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("✓ ")
                .or_else(|| line.strip_prefix("✗ "))?;
            rest.split(':').next()
        })
        .collect();
    assert_eq!(
        labels,
        [
            "toolchain",
            "linker",
            "dependencies",
            "sources",
            "prebuilt",
            "port 8080",
            "port 8081",
            "open files"
        ],
        "{text}"
    );
    for line in text.lines().filter(|line| line.starts_with("✗ ")) {
        assert!(line.contains(": "), "a failure says what to do: {line}");
    }
    let last = text.lines().last().unwrap_or("");
    assert_eq!(
        output.status.success(),
        last.starts_with("All 8 checks pass"),
        "{text}"
    );
}

#[test]
fn every_command_explains_itself_with_an_example() {
    for command in [
        "list", "start", "hint", "watch", "solution", "reset", "doctor", "setup",
    ] {
        let help = ok(&root(), &[command, "--help"]);
        assert!(help.contains("Example"), "{command} --help:\n{help}");
        assert!(help.lines().count() > 5, "{command} --help:\n{help}");
    }
    snapshot!("help_reset", ok(&root(), &["reset", "--help"]));
}

#[test]
fn colour_only_when_asked_for_and_never_with_no_color() {
    let plain = ok(&root(), &["list"]);
    assert!(!plain.contains('\x1b'), "{plain}");
    let output = xtask(&root(), &["list"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(stdout(&output).contains('\x1b'), "{}", stdout(&output));
}

// --- watch ---

#[cfg(target_os = "linux")]
mod watch {
    use super::*;
    use common::processes_in;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Stdio};
    use std::sync::mpsc::{self, Receiver};
    use std::thread;
    use std::time::Instant;

    /// Lines of a child's stdout, as they come.
    fn lines(child: &mut Child) -> Receiver<String> {
        let (send, receive) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        receive
    }

    /// Waits for a line containing `needle`; every line seen goes to `seen`.
    fn wait_for(lines: &Receiver<String>, needle: &str, seen: &mut Vec<String>) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    fn watch_until_second_run(poll: bool) {
        let copy = copy();
        let mut args = vec!["watch", "part2"];
        if poll {
            args.push("--poll");
        }
        let mut command = std::process::Command::new(common::runner());
        command
            .arg("--root")
            .arg(copy.path())
            .args(&args)
            .env("NO_COLOR", "1")
            // The copy's own grader directory: its first build is cold, so
            // the checks are still building when they are stopped.
            .env_remove("WORKSHOP_GRADER_TARGET_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("xtask runs");
        let lines = lines(&mut child);
        let mut seen = Vec::new();
        assert!(
            wait_for(&lines, "Checking part2", &mut seen),
            "no first check: {seen:#?}"
        );

        // Editor leftovers and build output are not saves.
        let src = copy.path().join("exercises/part2/src");
        fs::write(src.join(".forceasync.rs.swp"), "swap").unwrap();
        fs::write(src.join("forceasync.rs~"), "backup").unwrap();
        fs::write(src.join("4913"), "").unwrap();
        fs::create_dir_all(copy.path().join("exercises/part2/target")).unwrap();
        fs::write(copy.path().join("exercises/part2/target/x"), "").unwrap();
        thread::sleep(Duration::from_millis(if poll { 2500 } else { 1500 }));
        while let Ok(line) = lines.try_recv() {
            assert!(!line.contains("run 2"), "noise started a check: {line}");
            seen.push(line);
        }

        let file = exercise_file(copy.path());
        let text = fs::read_to_string(&file).unwrap();
        fs::write(&file, text + "// saved\n").unwrap();
        assert!(
            wait_for(
                &lines,
                "run 2 of `cargo xtask check part2` (exercises/part2/src/forceasync.rs changed)",
                &mut seen
            ),
            "no second run: {seen:#?}"
        );
        assert!(
            wait_for(&lines, "Checking part2", &mut seen),
            "no second check: {seen:#?}"
        );
        thread::sleep(Duration::from_millis(500));
        // The first check was stopped, with its cargo, before this one began.
        let running = processes_in(copy.path());
        let builds = running.iter().filter(|p| p.contains("cargo build")).count();
        assert!(
            builds <= 1,
            "the first check's build still runs: {running:#?}"
        );

        // Ctrl-C, as a terminal sends it.
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "watch did not stop on Ctrl-C");
            thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(130), "{seen:#?}");

        // Nothing the checks started is left: cargo, rustc, servers. (A
        // killed process may take a moment to be gone from /proc.)
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let left = processes_in(copy.path());
            if left.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "still running: {left:#?}");
            thread::sleep(Duration::from_millis(100));
        }
        // Read only now: a check left running would hold the pipe open.
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("watch stopped"), "{stderr}");
    }

    #[test]
    fn watch_rechecks_on_save_and_ctrl_c_leaves_nothing_running() {
        watch_until_second_run(false);
    }

    #[test]
    fn watch_polls_where_file_events_do_not_arrive() {
        watch_until_second_run(true);
    }
}

// --- setup, and the grader offline ---

/// The target directory this test binary was built in: setup's workspace
/// build then finds everything built already.
fn test_target_dir() -> PathBuf {
    let exe = common::runner();
    let exe = exe.as_path();
    exe.ancestors()
        .nth(2)
        .expect("<target>/debug/xtask")
        .to_path_buf()
}

#[test]
fn setup_prebuilds_so_that_check_works_offline() {
    let grader = common::grader_target();
    let output = xtask(&root(), &["setup"])
        .env("CARGO_TARGET_DIR", test_target_dir())
        .env("WORKSHOP_GRADER_TARGET_DIR", &grader)
        .timeout(Duration::from_secs(30 * 60))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    let steps: Vec<String> = text
        .lines()
        .filter(|line| line.starts_with("✓ ") || line.starts_with("Setup done"))
        .map(|line| {
            // `(12.3 s)` and `in 4 min 2 s` vary.
            let line = line.split(" (").next().unwrap_or(line);
            line.split(" in ").next().unwrap_or(line).to_string()
        })
        .collect();
    snapshot!("setup_steps", steps.join("\n"));

    // The proof: with cargo offline, the grader still builds and passes
    // (under Wine, but for what Wine cannot run: .ci/wine/cannot.txt).
    let output = xtask(&root(), &["check", "part2", "--solution"])
        .env("CARGO_NET_OFFLINE", "true")
        .env("WORKSHOP_GRADER_TARGET_DIR", &grader)
        .timeout(Duration::from_secs(10 * 60))
        .output()
        .unwrap();
    let said = stdout(&output);
    let failed = common::wine::failed_but_for_wine(output.status.success(), &said);
    assert!(failed.is_empty(), "{failed:?}\n{said}{}", stderr(&output));
    assert!(
        said.contains("✓ it builds"),
        "built offline, from what setup left:\n{said}"
    );

    // And the doctor sees the setup.
    let output = xtask(&root(), &["doctor"])
        .env("WORKSHOP_GRADER_TARGET_DIR", &grader)
        .output()
        .unwrap();
    assert!(
        stdout(&output).contains("✓ prebuilt: `cargo xtask setup` built everything"),
        "{}",
        stdout(&output)
    );
}
