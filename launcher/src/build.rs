//! Building the runner with cargo, and reading what cargo says as it goes:
//! its JSON messages on stdout (a crate done, fresh or compiled; the end)
//! and its status lines on stderr (downloading, compiling, waiting for a
//! lock), which come before the first crate is done.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use cargo_messages::{CrateDone, Progress as Crates};

use crate::companion::Companion;
use crate::progress::Progress;

/// The package `cargo xtask` runs.
const RUNNER: &str = "xtask";

/// What cargo said, from either stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Said {
    /// A crate is built, or found fresh.
    Done(CrateDone),
    /// A status line: `Compiling tokio v1.54.1`, `Downloading crates ...`.
    Status(String),
    /// Anything else on stderr: the compiler's errors, for a failed build.
    Other(String),
    /// How many crates the runner needs, counted by `cargo tree`.
    Total(usize),
    /// The build ended.
    Finished { success: bool },
    /// One of cargo's two streams closed.
    Closed,
}

/// Builds the runner in `target`, and beside it `part`'s crate if the
/// command will grade one (see `companion`). The runner built is all that
/// counts: the part's crate may not compile (a learner's code mid-way), and
/// the grader says so in its own words. If the runner does not build, what
/// cargo printed is shown and its exit code is the error.
pub fn runner(
    cargo: &OsStr,
    target: &Path,
    part: Option<&Companion>,
    binary: &Path,
    root: &Path,
) -> Result<(), ExitCode> {
    let mut command = Command::new(cargo);
    command.args(["build", "--package", RUNNER]);
    if let Some(part) = part {
        // Every bin of both, and the part's tests; on past an error in the
        // part's crate, which must not stop the runner's.
        command.args(["--package", &part.package, "--bins", "--keep-going"]);
        for test in &part.tests {
            command.args(["--test", test]);
        }
    }
    let part = part.map(|part| part.package.as_str());
    let mut child = command
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--target-dir")
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            eprintln!("error: cannot run cargo: {err}");
            ExitCode::FAILURE
        })?;
    let (tx, rx) = mpsc::channel();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|out| read_lines(out, tx.clone(), json)),
        child
            .stderr
            .take()
            .map(|err| read_lines(err, tx.clone(), status)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut progress = Progress::new(part);
    let others = follow(&rx, &tx, readers.len(), cargo, part, &mut progress);
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().map_err(|err| {
        eprintln!("error: cannot wait for cargo: {err}");
        ExitCode::FAILURE
    })?;
    if status.success() || (part.is_some() && crate::fresh::is_fresh(binary, root)) {
        progress.finish();
        return Ok(());
    }
    progress.abandon();
    for line in &others {
        eprintln!("{line}");
    }
    eprintln!("error: the workshop's runner did not build (cargo's own words above)");
    if others
        .iter()
        .any(|line| cargo_messages::still_running(line))
    {
        eprintln!(
            "The runner is still running elsewhere (`cargo xtask watch` in another terminal?), \
             and Windows keeps a running program's file from being replaced: stop it (q or \
             Ctrl-C there), then run this again."
        );
    }
    Err(ExitCode::from(
        status.code().unwrap_or(1).clamp(1, 255) as u8
    ))
}

/// Shows the build as it goes, until cargo's `streams` close; returns the
/// lines that were neither status nor progress (the errors, if any).
fn follow(
    rx: &Receiver<Said>,
    tx: &Sender<Said>,
    mut streams: usize,
    cargo: &OsStr,
    part: Option<&str>,
    progress: &mut Progress,
) -> Vec<String> {
    let started = Instant::now();
    let mut crates = Crates::default();
    let mut others = Vec::new();
    let mut counting = false;
    while streams > 0 {
        let said = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(said) => Some(said),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match said {
            Some(Said::Done(done)) => {
                if !done.fresh {
                    progress.announce();
                }
                crates.record(done);
                progress.done(crates.done());
            }
            Some(Said::Status(line)) => {
                progress.announce();
                progress.status(&line);
                // Crates are downloaded before any compiles: counting them
                // now reads manifests already on disk, and never races the
                // download for cargo's package cache.
                if !counting && line.starts_with("Compiling") {
                    counting = true;
                    count(cargo, part, tx.clone());
                }
            }
            Some(Said::Total(total)) => progress.total(total),
            Some(Said::Other(line)) => others.push(line),
            Some(Said::Closed) => streams -= 1,
            Some(Said::Finished { .. }) | None => {}
        }
        // A build that has not ended by now is not a no-op: say so, even
        // if cargo has not said a word yet (it may be resolving, or waiting).
        if started.elapsed() > Progress::QUIET_FOR {
            progress.announce();
        }
        progress.draw();
    }
    others
}

/// Counts the crates the build needs (`cargo tree`, each package once), in
/// the background: the bar has its end when this answers.
fn count(cargo: &OsStr, part: Option<&str>, tx: Sender<Said>) {
    let packages: Vec<&str> = [Some(RUNNER), part].into_iter().flatten().collect();
    let mut command = cargo_messages::tree(cargo, &packages, "normal,build");
    thread::spawn(move || {
        let Ok(output) = command.output() else {
            return;
        };
        if output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout);
            let _ = tx.send(Said::Total(cargo_messages::unique_packages(&text)));
        }
    });
}

fn read_lines(
    stream: impl Read + Send + 'static,
    tx: Sender<Said>,
    parse: fn(&str) -> Option<Said>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(said) = parse(&line) {
                if tx.send(said).is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(Said::Closed);
    })
}

/// One JSON message of cargo's: only crates done and the end matter.
pub fn json(line: &str) -> Option<Said> {
    cargo_messages::crate_done(line)
        .map(Said::Done)
        .or_else(|| cargo_messages::build_finished(line).map(|success| Said::Finished { success }))
}

/// A line of cargo's stderr: a status (`   Compiling tokio v1.54.1`) or
/// anything else.
pub fn status(line: &str) -> Option<Said> {
    let trimmed = line.trim_start();
    const STATUSES: [&str; 6] = [
        "Compiling",
        "Downloading",
        "Downloaded",
        "Updating",
        "Blocking",
        "Locking",
    ];
    if STATUSES.iter().any(|status| trimmed.starts_with(status)) {
        return Some(Said::Status(trimmed.to_string()));
    }
    if trimmed.starts_with("Finished") || trimmed.starts_with("Fresh") {
        return None;
    }
    Some(Said::Other(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // What a message says is read by cargo_messages, and tested there;
    // here, what the launcher makes of it.
    #[test]
    fn crates_done_and_the_end_are_told_apart_from_the_rest() {
        let line = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1","target":{"kind":["lib"],"name":"tokio"},"fresh":true}"#;
        assert!(matches!(
            json(line),
            Some(Said::Done(CrateDone { fresh: true, .. }))
        ));
        assert_eq!(
            json(r#"{"reason":"build-finished","success":false}"#),
            Some(Said::Finished { success: false })
        );
        assert_eq!(json(r#"{"reason":"compiler-message","message":{}}"#), None);
    }

    #[test]
    fn status_lines_are_told_from_errors() {
        assert_eq!(
            status("   Compiling tokio v1.54.1"),
            Some(Said::Status("Compiling tokio v1.54.1".to_string()))
        );
        assert_eq!(status("    Finished `dev` profile in 0.2s"), None);
        assert_eq!(
            status("error[E0433]: cannot find crate"),
            Some(Said::Other("error[E0433]: cannot find crate".to_string()))
        );
    }
}
