//! Running a graded test binary (libtest): each test in a process of its
//! own, with a deadline of its own, side by side.
//!
//! One process per test is what makes a verdict name its test: a test that
//! hangs is stopped at its own deadline and named, while the others have
//! already given their verdicts; a panic anywhere in a test's process (the
//! test's thread, or a task it spawned on another thread) is read from that
//! process's output alone, so a `todo!()` reads as its gap, not as a timeout.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::procs::{self, Proc};
use crate::explain;

/// One test's deadline. The graded tests poll their futures by hand or talk
/// to a local service: they take milliseconds. Only a real infinite loop
/// comes near this.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Tests run at once: enough to overlap their start-up on two cores.
const AT_ONCE: usize = 4;

#[derive(Debug)]
pub enum Outcome {
    Passed(usize),
    /// Every test that failed or hung, in the binary's order, the gaps first.
    Failed(Vec<Failure>),
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub name: String,
    pub why: String,
    /// It was stopped at its deadline.
    pub hung: bool,
    /// A `todo!()` left in a gap explains it (the panic said so, on any of
    /// the test's threads): such failures are listed first.
    pub gap: bool,
    /// It never ran: a test before it hung, and the rest were given up.
    pub not_run: bool,
}

impl Failure {
    /// `name failed: why`, one line.
    pub fn describe(&self) -> String {
        if self.not_run {
            format!("{}: {}", self.name, self.why)
        } else {
            format!("{} failed: {}", self.name, self.why)
        }
    }
}

/// Runs every test of a libtest binary, with `env` set, and sorts out the
/// results.
pub fn run(binary: &Path, env: &[(&str, &str)]) -> std::io::Result<Outcome> {
    let names = list(binary)?;
    if names.is_empty() {
        return Ok(Outcome::Passed(0));
    }
    let queue = Mutex::new(names.iter().enumerate());
    let results = Mutex::new(Vec::new());
    // After a test hangs, no new one starts: the others most likely hang the
    // same way, and a verdict must not wait out a deadline per test.
    let hung = AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..AT_ONCE.min(names.len()) {
            procs::spawn_scoped(scope, || {
                while !hung.load(Ordering::SeqCst) {
                    let next = queue.lock().map(|mut queue| queue.next());
                    let Ok(Some((index, name))) = next else {
                        break;
                    };
                    let result = run_one(binary, name, env);
                    if matches!(result, Ok(One::Failed { hung: true, .. })) {
                        hung.store(true, Ordering::SeqCst);
                    }
                    if let Ok(mut results) = results.lock() {
                        results.push((index, name.clone(), result));
                    }
                }
            });
        }
    });
    let not_run = names.len() - results.lock().map_or(0, |results| results.len());
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(index, _, _)| *index);
    let mut failures = Vec::new();
    for (_, name, result) in results {
        match result? {
            One::Passed => {}
            One::Failed { why, hung, gap } => failures.push(Failure {
                name,
                why,
                hung,
                gap,
                not_run: false,
            }),
        }
    }
    if failures.is_empty() {
        return Ok(Outcome::Passed(names.len()));
    }
    if not_run > 0 {
        failures.push(Failure {
            name: format!("{not_run} more test{}", if not_run == 1 { "" } else { "s" }),
            why: "not run, since a test before them hung".into(),
            hung: false,
            gap: false,
            not_run: true,
        });
    }
    // A gap not filled explains everything that follows from it: first.
    failures.sort_by_key(|failure| !failure.gap);
    Ok(Outcome::Failed(failures))
}

/// The binary's tests, in its order (`--list --format terse`).
fn list(binary: &Path) -> std::io::Result<Vec<String>> {
    let mut command = Command::new(binary);
    command.args(["--list", "--format", "terse"]);
    let proc = Proc::spawn(command, |_| {})?;
    if proc.wait_timeout(DEADLINE)?.is_none() {
        return Err(std::io::Error::other("listing its tests did not finish"));
    }
    proc.drain(Duration::from_secs(2));
    Ok(proc
        .stdout()
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

enum One {
    Passed,
    Failed { why: String, hung: bool, gap: bool },
}

/// Runs the test `name` alone, with its deadline.
fn run_one(binary: &Path, name: &str, env: &[(&str, &str)]) -> std::io::Result<One> {
    let mut command = Command::new(binary);
    command
        .args(["--exact", name, "--color", "never", "--test-threads", "1"])
        // Everything the test prints, on every thread, reaches our pipes.
        .arg("--nocapture")
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied());
    let proc = Proc::spawn(command, |_| {})?;
    let status = proc.wait_timeout(DEADLINE)?;
    if status.is_none() {
        proc.kill();
    }
    proc.drain(Duration::from_secs(2));
    let output = format!("{}\n{}", proc.stderr(), proc.stdout());
    // A gap explains a failure first, whatever else the test printed; a
    // gap hit on another thread can leave the test waiting for it (hung).
    let gap = explain::gap(&output);
    let failed = |why: String, hung: bool| One::Failed {
        gap: gap.is_some(),
        why: gap.clone().unwrap_or(why),
        hung,
    };
    Ok(match status {
        Some(status) if status.success() => One::Passed,
        Some(_) => failed(
            explain::first(&output).unwrap_or_else(|| crashed(&output)),
            false,
        ),
        None => failed(
            format!(
                "it did not finish within {} s: an infinite loop, or a wait for \
                 something that never comes?",
                DEADLINE.as_secs()
            ),
            true,
        ),
    })
}

/// No panic to quote: the process died another way (an abort, a signal).
fn crashed(output: &str) -> String {
    let last = output
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty() && !line.starts_with("test result"))
        .unwrap_or("it printed nothing");
    format!("the test process crashed: {last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_hit_on_another_thread_explains_the_failure() {
        let output = "thread 'b' (7) panicked at tests/futures.rs:30:5:\n\
                      assertion failed: the call was woken\n\
                      thread 'tokio-runtime-worker' (9) panicked at src/futures.rs:60:9:\n\
                      not yet implemented: gap 2: parse a reply\n";
        let why = explain::first(output).unwrap();
        assert!(why.starts_with("gap 2 is not filled yet"), "{why}");
        assert_eq!(explain::gap(output), Some(why));
    }

    #[test]
    fn otherwise_the_first_panic_explains_it() {
        let output = "thread 'b' (7) panicked at tests/futures.rs:30:5:\npending; nobody replied\n";
        let why = explain::first(output).unwrap();
        assert!(why.contains("pending; nobody replied"), "{why}");
        assert_eq!(explain::gap(output), None);
        assert!(crashed("running 1 test\nAborted (core dumped)\n").contains("Aborted"));
    }
}
