//! Running a graded test binary (libtest) with a deadline, and reading which
//! tests failed and why.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::explain;
use super::procs::Proc;
use super::verdict::Verdict;

pub const DEADLINE: Duration = Duration::from_secs(20);

/// Runs the tests in `binary`; passes when all of them do.
pub fn check(binary: &Path) -> Verdict {
    match run(binary, &[]) {
        Ok(Outcome::Passed(count)) => Verdict::pass(format!("all {count} tests pass")),
        Ok(Outcome::Failed(failures)) => {
            let reason = match failures.first() {
                Some(first) => format!("{} failed: {}", first.name, first.why),
                None => "the tests failed".to_string(),
            };
            let details = failures
                .iter()
                .skip(1)
                .map(|failure| format!("{} failed: {}", failure.name, failure.why))
                .collect();
            Verdict::fail(reason).with_details(details)
        }
        Ok(Outcome::TimedOut) => Verdict::fail(format!(
            "the tests did not finish within {} s: an infinite loop, or a future that is \
             never completed?",
            DEADLINE.as_secs()
        )),
        Err(err) => Verdict::fail(format!("cannot run the tests: {err}")),
    }
}

#[derive(Debug)]
pub enum Outcome {
    Passed(usize),
    Failed(Vec<Failure>),
    TimedOut,
}

#[derive(Debug)]
pub struct Failure {
    pub name: String,
    pub why: String,
}

/// Runs a libtest binary, with `env` set, and sorts out its result.
pub fn run(binary: &Path, env: &[(&str, &str)]) -> std::io::Result<Outcome> {
    let mut command = Command::new(binary);
    command
        .args(["--color", "never", "--test-threads", "4"])
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied());
    let proc = Proc::spawn(command, |_| {})?;
    let Some(status) = proc.wait_timeout(DEADLINE)? else {
        return Ok(Outcome::TimedOut);
    };
    proc.drain(Duration::from_secs(2));
    let stdout = proc.stdout();
    if status.success() {
        let count = stdout
            .lines()
            .filter(|line| line.ends_with(" ... ok"))
            .count();
        return Ok(Outcome::Passed(count));
    }
    Ok(Outcome::Failed(failures(&stdout)))
}

/// libtest prints each failure's output under `---- <name> stdout ----`,
/// including the panic message.
fn failures(stdout: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    for section in stdout.split("---- ").skip(1) {
        let Some((name, body)) = section.split_once(" stdout ----") else {
            continue;
        };
        let why = explain::first(body).unwrap_or_else(|| "it failed".to_string());
        failures.push(Failure {
            name: name.trim().to_string(),
            why,
        });
    }
    if failures.is_empty() {
        // No sections: the binary died before reporting (a crash, an abort).
        let why = explain::first(stdout).unwrap_or_else(|| "the test binary crashed".into());
        failures.push(Failure {
            name: "the tests".into(),
            why,
        });
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_failures() {
        let stdout = "running 2 tests\ntest a ... ok\ntest b ... FAILED\n\nfailures:\n\n\
                      ---- b stdout ----\n\nthread 'b' (7) panicked at src/futures.rs:9:9:\n\
                      not yet implemented: gap 2: parse a reply\n\n\nfailures:\n    b\n";
        let found = failures(stdout);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "b");
        assert!(
            found[0].why.starts_with("gap 2 is not filled yet"),
            "{}",
            found[0].why
        );
    }
}
