//! The runner under bad conditions: servers that never bind, exit at once or
//! print without end; missing and edited files; two checks at once; Ctrl-C
//! and SIGTERM at any moment. Nothing hangs, nothing is lost, nothing is
//! left running.

use std::fs;
#[cfg(unix)]
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use workshop_testkit as common;

#[cfg(unix)]
use common::check_command;
use common::{check, root, workspace};

/// Replaces part 3's server binary in the copy with `main`, and checks.
fn check_part3_with_main(main: &str) -> (bool, String, Duration) {
    let copy = workspace("robustness");
    fs::write(copy.join("exercises/part3/src/bin/sync_server.rs"), main).unwrap();
    let started = Instant::now();
    let (passed, output) = check(&copy, &["part3"]);
    (passed, output, started.elapsed())
}

#[test]
fn a_server_that_never_binds_is_reported_within_the_timeout() {
    let (passed, output, took) = check_part3_with_main(
        "fn main() { loop { std::thread::sleep(std::time::Duration::from_secs(1)); } }\n",
    );
    assert!(!passed);
    assert!(
        output.contains("did not print `listening on …` within 15 s"),
        "{output}"
    );
    assert!(took < Duration::from_secs(120), "took {took:?}");
}

#[test]
fn a_server_that_exits_at_once_is_reported() {
    let (passed, output, _) =
        check_part3_with_main("fn main() { eprintln!(\"bye\"); std::process::exit(3); }\n");
    assert!(!passed);
    assert!(
        output.contains("the server stopped before it printed `listening on …`: bye"),
        "{output}"
    );
}

#[test]
fn a_server_that_prints_megabytes_is_reported_within_the_timeout() {
    let (passed, output, took) = check_part3_with_main(
        "fn main() { let line = \"x\".repeat(1 << 16); loop { println!(\"{line}\"); } }\n",
    );
    assert!(!passed);
    assert!(
        output.contains("did not print `listening on …`"),
        "{output}"
    );
    assert!(took < Duration::from_secs(120), "took {took:?}");
    assert!(
        output.len() < 100_000,
        "the grader echoed the flood: {} bytes",
        output.len()
    );
}

#[test]
fn a_missing_exercise_file_is_named() {
    let copy = workspace("robustness");
    fs::remove_file(copy.join("exercises/part2/src/forceasync.rs")).unwrap();
    let (passed, output) = check(&copy, &["part2"]);
    assert!(!passed);
    assert!(output.contains("forceasync"), "{output}");
    assert!(output.contains("does not build"), "{output}");
}

#[test]
fn an_edited_graded_test_is_restored_and_the_edit_kept() {
    let copy = workspace("robustness");
    let graded = copy.join("exercises/part2/tests/futures.rs");
    let pristine = fs::read(&graded).unwrap();
    let edited = b"// the learner gave up on these tests\n".to_vec();
    fs::write(&graded, &edited).unwrap();

    let (_, output) = check(&copy, &["part2"]);
    assert!(
        output.contains("is a graded test and was changed"),
        "{output}"
    );
    assert_eq!(fs::read(&graded).unwrap(), pristine, "the original is back");
    let backups = copy.join(".workshop/backups");
    let kept: Vec<_> = fs::read_dir(&backups)
        .unwrap()
        .map(|dir| dir.unwrap().path().join("exercises/part2/tests/futures.rs"))
        .filter(|path| path.is_file())
        .collect();
    assert_eq!(kept.len(), 1, "one backup of the edit");
    assert_eq!(fs::read(&kept[0]).unwrap(), edited, "byte for byte");
}

#[test]
fn two_checks_at_once_do_not_collide() {
    let run = || thread::spawn(|| check(&root(), &["part2", "--solution"]));
    let (first, second) = (run(), run());
    for (passed, output) in [first.join().unwrap(), second.join().unwrap()] {
        let failed = common::wine::failed_but_for_wine(passed, &output);
        assert!(failed.is_empty(), "{failed:?}\n{output}");
    }
}

/// Processes (other than ourselves) whose environment carries `mark`
/// (read from /proc).
#[cfg(unix)]
fn marked_processes(mark: &str) -> Vec<String> {
    let needle = format!("WORKSHOP_TEST_MARK={mark}");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(environ) = fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == needle.as_bytes())
        {
            let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
        }
    }
    found
}

#[cfg(unix)]
#[test]
fn interrupting_a_check_at_any_moment_leaves_nothing_running() {
    // Built once first, so the signals land in every phase: building,
    // starting servers, timing.
    assert!(check(&root(), &["part2", "--solution"]).0);
    for (signal, after_ms) in [
        ("INT", 200),
        ("TERM", 700),
        ("INT", 1200),
        ("TERM", 1800),
        ("INT", 2500),
    ] {
        let mark = format!("{signal}-{after_ms}-{}", std::process::id());
        let mut child = check_command(&root(), &["part2", "--solution"])
            .env("WORKSHOP_TEST_MARK", &mark)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(after_ms));
        // The test may shell out; the product never does.
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "SIG{signal} after {after_ms} ms: xtask did not exit"
            );
            thread::sleep(Duration::from_millis(20));
        }
        // Killed processes are reaped by their parents; give them a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = marked_processes(&mark);
            if left.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "SIG{signal} after {after_ms} ms left processes running: {left:?}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}
