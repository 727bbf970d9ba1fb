//! Building the crate under grading, and showing compiler errors readably:
//! the first in full, then how many more.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use cargo_messages::CrateDone;
use serde_json::Value;

use super::procs::Proc;

/// Where the grader builds: its own target directory, so an editor's
/// rust-analyzer, busy in `target/`, never holds the lock the grader waits on.
/// The runner itself is built there too (the `xtask` alias), and so are the
/// binaries `serve`, `slides` and `bench` run: one build of the dependencies.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("WORKSHOP_GRADER_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("grader"))
}

/// What to build: a package, some of its binaries and test targets.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub package: &'a str,
    pub bins: Vec<String>,
    pub tests: Vec<String>,
    pub release: bool,
}

/// The executables built, by target name.
#[derive(Debug, Default)]
pub struct Built {
    pub bins: HashMap<String, PathBuf>,
    pub tests: HashMap<String, PathBuf>,
}

#[derive(Debug)]
pub enum Outcome<T = Built> {
    Built(T),
    /// The compiler's errors, rendered as rustc prints them.
    Failed(Vec<String>),
}

/// Why cargo built nothing when the code is not the reason (the compiler's
/// errors are an `Outcome::Failed`). Each says it in one line, its cause
/// included, as the learner reads it after `cannot build: `.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Cargo could not be started, or waited for: `No such file or
    /// directory (os error 2)`.
    #[error("{0}")]
    NotRun(io::Error),
    /// It ran past `BUILD_TIMEOUT`.
    #[error("cargo build did not finish within {BUILD_TIMEOUT:?}")]
    TimedOut,
    /// It could not replace a program that is still running (Windows):
    /// what to do about it.
    #[error("{0}")]
    StillRunning(&'static str),
    /// Cargo's own first error, without its `error: ` (a bad Cargo.toml,
    /// a missing crate, no network…).
    #[error("{0}")]
    Failed(String),
}

/// A first build compiles every dependency: on a slow laptop, minutes.
const BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// How far a build is: crates done (each package once, across the builds of
/// one grade) of how many the build needs, once `cargo tree` has counted.
#[derive(Debug, Default)]
pub struct Progress {
    /// Counted as the launcher counts the runner's build.
    crates: cargo_messages::Progress,
    /// A first build (or nearly): many crates compiled, not one edited.
    pub cold: bool,
    counting: Option<Receiver<usize>>,
}

/// A build that compiles this many crates is a first build, or close to
/// one: it is said, and counted. An edit recompiles the edited crate and
/// the one or two graded with it, and says nothing (nor spends a `cargo
/// tree` on a build of seconds).
const COLD_AFTER: usize = 4;

impl Progress {
    pub fn done(&self) -> usize {
        self.crates.done()
    }

    pub fn total(&self) -> Option<usize> {
        self.crates.total()
    }
}

/// How often a build's progress is passed on.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Builds `request`; `on_progress` hears how far it is while it goes.
pub fn build(
    root: &Path,
    request: &Request,
    color: bool,
    progress: &mut Progress,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Outcome, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    let format = if color {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    command
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir(root))
        .args([
            "build",
            "--package",
            request.package,
            "--message-format",
            format,
        ]);
    for bin in &request.bins {
        command.args(["--bin", bin]);
    }
    for test in &request.tests {
        command.args(["--test", test]);
    }
    if request.release {
        command.arg("--release");
    }

    let messages = Arc::new(Mutex::new(Messages::default()));
    let sink = Arc::clone(&messages);
    let (crates, crate_done) = mpsc::channel();
    let proc = Proc::spawn(command, move |line| {
        if let Some(done) = cargo_messages::crate_done(line) {
            let _ = crates.send(done);
        }
        if let Ok(message) = serde_json::from_str::<Value>(line) {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(&message);
        }
    })
    .map_err(BuildError::NotRun)?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = proc
            .wait_timeout(PROGRESS_EVERY)
            .map_err(BuildError::NotRun)?
        {
            break status;
        }
        if started.elapsed() > BUILD_TIMEOUT {
            return Err(BuildError::TimedOut);
        }
        if progress.take(&crate_done, root, request) {
            on_progress(progress);
        }
    };
    if progress.take(&crate_done, root, request) {
        on_progress(progress);
    }
    proc.drain(Duration::from_secs(5));
    let messages = std::mem::take(&mut *messages.lock().unwrap_or_else(PoisonError::into_inner));
    if status.success() {
        return Ok(Outcome::Built(messages.built));
    }
    if messages.errors.is_empty() {
        // Not the code: cargo itself failed (a bad Cargo.toml, no network…).
        let stderr = proc.stderr();
        if let Some(running) = crate::compile_errors::still_running(&stderr) {
            return Err(BuildError::StillRunning(running));
        }
        let first = stderr
            .lines()
            .find(|line| line.starts_with("error"))
            .unwrap_or("cargo build failed");
        return Err(BuildError::Failed(
            first.trim_start_matches("error: ").to_string(),
        ));
    }
    Ok(Outcome::Failed(messages.errors))
}

impl Progress {
    /// Takes the crates done since last time; true if anything changed.
    /// The first compiled crate starts the count of them all.
    fn take(&mut self, crates: &Receiver<CrateDone>, root: &Path, request: &Request) -> bool {
        let mut changed = false;
        for done in crates.try_iter() {
            changed |= self.crates.record(done);
            if !self.cold && self.crates.compiled() >= COLD_AFTER {
                self.cold = true;
                self.counting = Some(count(root, request.package));
            }
        }
        if let Some(total) = self.counting.as_ref().and_then(|rx| rx.try_recv().ok()) {
            self.crates.set_total(total);
            self.counting = None;
            changed = true;
        }
        changed
    }
}

/// Counts, in the background, the packages a build of `package` and its
/// tests needs (`cargo tree`, each package once).
fn count(root: &Path, package: &str) -> Receiver<usize> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = cargo_messages::tree(&cargo, &[package], "normal,build,dev");
    command.current_dir(root);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        if let Ok(output) = command.output()
            && output.status.success()
        {
            let text = String::from_utf8_lossy(&output.stdout);
            let _ = tx.send(cargo_messages::unique_packages(&text));
        }
    });
    rx
}

#[derive(Debug, Default)]
struct Messages {
    built: Built,
    errors: Vec<String>,
}

impl Messages {
    /// Keeps what matters from one of cargo's JSON messages.
    fn take(&mut self, message: &Value) {
        match message["reason"].as_str() {
            Some("compiler-message") if message["message"]["level"] == "error" => {
                if let Some(rendered) = message["message"]["rendered"].as_str() {
                    // "aborting due to 3 previous errors" counts nothing new.
                    if !rendered.contains("aborting due to") {
                        self.errors.push(rendered.trim_end().to_string());
                    }
                }
            }
            Some("compiler-artifact") => {
                let (Some(name), Some(executable)) = (
                    message["target"]["name"].as_str(),
                    message["executable"].as_str(),
                ) else {
                    return;
                };
                let kinds = &message["target"]["kind"];
                let is_test = message["profile"]["test"] == true;
                let path = PathBuf::from(executable);
                if kinds
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
                    && !is_test
                {
                    self.built.bins.insert(name.to_string(), path);
                } else if kinds
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "test"))
                {
                    self.built.tests.insert(name.to_string(), path);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request<'static> {
        Request {
            package: "part2",
            bins: Vec::new(),
            tests: Vec::new(),
            release: false,
        }
    }

    #[test]
    fn an_edits_few_crates_are_not_a_first_build() {
        let (tx, rx) = mpsc::channel();
        let mut progress = Progress::default();
        let root = workshop_core::manifest::workspace_root();
        let done = |package: &str, fresh| CrateDone {
            package: package.to_string(),
            fresh,
        };
        for package in ["a", "b", "c"] {
            tx.send(done(package, false)).unwrap();
        }
        // Fresh crates count as done, never as compiled.
        for package in ["d", "e", "f", "g"] {
            tx.send(done(package, true)).unwrap();
        }
        assert!(progress.take(&rx, &root, &request()));
        assert_eq!(progress.done(), 7);
        assert!(!progress.cold);
        tx.send(done("h", false)).unwrap();
        assert!(progress.take(&rx, &root, &request()));
        assert!(progress.cold, "four crates compiled: a first build");
    }
}
