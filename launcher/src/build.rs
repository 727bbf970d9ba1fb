//! Building the runner with cargo, and reading what cargo says as it goes:
//! its JSON messages on stdout (a crate done, fresh or compiled; the end)
//! and its status lines on stderr (downloading, compiling, waiting for a
//! lock), which come before the first crate is done.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::companion::Companion;
use crate::progress::Progress;

/// The package `cargo xtask` runs.
const RUNNER: &str = "xtask";

/// What cargo said, from either stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Said {
    /// A crate is built; `fresh` if it was already (no compile).
    Done { package: String, fresh: bool },
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
    if others.iter().any(|line| still_running(line)) {
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

/// Whether cargo's line says a file could not be replaced because a
/// program using it runs (Windows: os error 5 or 32, or the linker's
/// LNK1104); the grader's build says the same of the servers.
fn still_running(line: &str) -> bool {
    ["(os error 5)", "(os error 32)", "LNK1104"]
        .iter()
        .any(|sign| line.contains(sign))
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
    let mut done = HashSet::new();
    let mut others = Vec::new();
    let mut counting = false;
    while streams > 0 {
        let said = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(said) => Some(said),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match said {
            Some(Said::Done { package, fresh }) => {
                if !fresh {
                    progress.announce();
                }
                done.insert(package);
                progress.done(done.len());
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
    let mut command = Command::new(cargo);
    command.args(["tree", "--package", RUNNER]);
    if let Some(part) = part {
        command.args(["--package", part]);
    }
    command
        .args(["--edges", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    thread::spawn(move || {
        let Ok(output) = command.output() else {
            return;
        };
        if output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout);
            let _ = tx.send(Said::Total(unique_packages(&text)));
        }
    });
}

/// `cargo tree` lists a package again wherever it is needed, marked `(*)`.
pub fn unique_packages(tree: &str) -> usize {
    tree.lines()
        .map(|line| line.trim_end_matches(" (*)").trim())
        .filter(|line| !line.is_empty())
        .collect::<HashSet<_>>()
        .len()
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

/// One JSON message of cargo's, read by hand (no dependencies here): only
/// crates done and the end matter. A build script's compile is not a crate.
pub fn json(line: &str) -> Option<Said> {
    if line.contains(r#""reason":"compiler-artifact""#) {
        if line.contains(r#""kind":["custom-build"]"#) {
            return None;
        }
        let package = field(line, "package_id")?;
        let fresh = line.contains(r#""fresh":true"#);
        return Some(Said::Done { package, fresh });
    }
    if line.contains(r#""reason":"build-finished""#) {
        let success = line.contains(r#""success":true"#);
        return Some(Said::Finished { success });
    }
    None
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

/// The string value of `"name":"…"` (package ids hold no escaped quotes).
fn field(line: &str, name: &str) -> Option<String> {
    let key = format!(r#""{name}":""#);
    let start = line.find(&key)? + key.len();
    let end = line[start..].find('"')?;
    Some(line[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_done_is_read_from_cargos_json() {
        let line = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1","target":{"kind":["lib"],"name":"tokio"},"fresh":false}"#;
        assert_eq!(
            json(line),
            Some(Said::Done {
                package: "registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1"
                    .to_string(),
                fresh: false
            })
        );
        let fresh = line.replace(r#""fresh":false"#, r#""fresh":true"#);
        assert!(matches!(json(&fresh), Some(Said::Done { fresh: true, .. })));
    }

    #[test]
    fn a_build_script_is_not_a_crate() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/rates#0.1.0","target":{"kind":["custom-build"]},"fresh":false}"#;
        assert_eq!(json(line), None);
    }

    #[test]
    fn the_end_says_whether_it_built() {
        assert_eq!(
            json(r#"{"reason":"build-finished","success":false}"#),
            Some(Said::Finished { success: false })
        );
        assert_eq!(json(r#"{"reason":"compiler-message","message":{}}"#), None);
    }

    #[test]
    fn a_runner_still_running_on_windows_is_told_apart() {
        assert!(still_running("  Access is denied. (os error 5)"));
        assert!(still_running(
            "LINK : fatal error LNK1104: cannot open file 'xtask.exe'"
        ));
        assert!(!still_running("error[E0433]: cannot find crate"));
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

    #[test]
    fn each_package_counts_once() {
        let tree = "xtask v0.1.0 (/w/xtask)\nanyhow v1.0.100\nclap v4.6.0\nanyhow v1.0.100 (*)\n\n";
        assert_eq!(unique_packages(tree), 3);
    }
}
