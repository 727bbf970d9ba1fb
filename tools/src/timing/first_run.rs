//! `cargo xtask timing first-run`: what a learner waits for on a fresh
//! clone, against what the crates of part 2 alone cost to build.
//!
//! Each run clones the workspace afresh (its committed state, no target
//! directory) and times, alternately so that a machine's drift hits both
//! alike:
//! - the yardstick: `cargo build -p part2 --tests`, part 2's own crates and
//!   their dependencies, from nothing;
//! - the learner: `cargo xtask check part2` from nothing, until its first
//!   line (a first run must talk within seconds) and until its verdict.
//!
//! The cargo home is shared: its crates are downloaded already, as after
//! `cargo xtask setup` or on any machine that built once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use anyhow::anyhow;

/// One run of each command.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// `cargo build -p part2 --tests` on a fresh clone, seconds.
    pub build_part2_s: f64,
    /// `cargo xtask check part2` on a fresh clone: its first line, seconds.
    pub first_line_s: f64,
    /// … and its verdict (the process's end), seconds.
    pub first_verdict_s: f64,
}

impl Run {
    /// The first verdict against the yardstick.
    pub fn ratio(&self) -> f64 {
        self.first_verdict_s / self.build_part2_s
    }
}

#[derive(Debug, Serialize)]
pub struct FirstRun {
    pub commit: String,
    pub runs: Vec<Run>,
    /// The median of the runs' ratios.
    pub median_ratio: f64,
    /// The slowest first line.
    pub max_first_line_s: f64,
}

/// Runs `runs` pairs in `scratch`, cloning `root`'s committed state.
pub fn measure(root: &Path, scratch: &Path, runs: usize) -> anyhow::Result<FirstRun> {
    let commit = git(root, &["rev-parse", "--short", "HEAD"])?;
    let mut done = Vec::new();
    for run in 0..runs {
        let clone = fresh_clone(root, scratch)?;
        let build = || {
            timed(
                Command::new(cargo()).args(["build", "-p", "part2", "--tests"]),
                &clone,
            )
        };
        let check = || {
            timed(
                Command::new(cargo()).args(["xtask", "check", "part2"]),
                &clone,
            )
        };
        // A B, then B A: the order's own advantage (a warmer disk cache)
        // goes to each side once.
        let (built, checked) = if run % 2 == 0 {
            let built = build()?;
            remove(&clone.join("target"))?;
            (built, check()?)
        } else {
            let checked = check()?;
            remove(&clone.join("target"))?;
            (build()?, checked)
        };
        let run = Run {
            build_part2_s: built.end.as_secs_f64(),
            first_line_s: checked.first_line.unwrap_or(checked.end).as_secs_f64(),
            first_verdict_s: checked.end.as_secs_f64(),
        };
        eprintln!(
            "run {}: part 2 built in {:.1} s; check part2: first line {:.1} s, verdict {:.1} s ({:.2}×)",
            done.len() + 1,
            run.build_part2_s,
            run.first_line_s,
            run.first_verdict_s,
            run.ratio()
        );
        done.push(run);
        remove(&clone)?;
    }
    let median_ratio =
        workshop_loadgen::quantile(done.iter().map(Run::ratio), 0.5).unwrap_or(f64::NAN);
    let max_first_line_s = done.iter().map(|run| run.first_line_s).fold(0.0, f64::max);
    Ok(FirstRun {
        commit,
        runs: done,
        median_ratio,
        max_first_line_s,
    })
}

/// The table a person reads.
pub fn table(result: &FirstRun) -> String {
    let mut text = format!(
        "first run on a fresh clone, commit {} ({} runs)\n\
         {:>4}  {:>16}  {:>14}  {:>16}  {:>6}\n",
        result.commit,
        result.runs.len(),
        "run",
        "build part2 (s)",
        "first line (s)",
        "first verdict (s)",
        "ratio"
    );
    for (i, run) in result.runs.iter().enumerate() {
        text.push_str(&format!(
            "{:>4}  {:>16.1}  {:>14.1}  {:>16.1}  {:>6.2}\n",
            i + 1,
            run.build_part2_s,
            run.first_line_s,
            run.first_verdict_s,
            run.ratio()
        ));
    }
    text.push_str(&format!(
        "median ratio {:.2} (target ≤ 1.35); slowest first line {:.1} s (target ≤ 5)\n",
        result.median_ratio, result.max_first_line_s
    ));
    text
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

struct Timed {
    first_line: Option<Duration>,
    end: Duration,
}

/// Runs `command` in `dir` as a learner would there (none of the target
/// directories this bench itself was started with), timing its first
/// output and its end.
fn timed(command: &mut Command, dir: &Path) -> anyhow::Result<Timed> {
    command
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("WORKSHOP_GRADER_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| anyhow!("cannot run cargo: {err}"))?;
    let (tx, rx) = mpsc::channel();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|out| Box::new(out) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|err| Box::new(err) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut stream| {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let _ = tx.send(Instant::now());
            }
        })
    })
    .collect();
    drop(tx);
    let first = rx.recv().ok();
    for reader in readers {
        let _ = reader.join();
    }
    child
        .wait()
        .map_err(|err| anyhow!("cannot wait for cargo: {err}"))?;
    Ok(Timed {
        first_line: first.map(|at| at - started),
        end: started.elapsed(),
    })
}

/// A clone of `root`'s committed state, with no target directory.
fn fresh_clone(root: &Path, scratch: &Path) -> anyhow::Result<PathBuf> {
    let clone = scratch.join("clone");
    remove(&clone)?;
    std::fs::create_dir_all(scratch)
        .map_err(|err| anyhow!("cannot create {}: {err}", scratch.display()))?;
    let root = root.to_string_lossy().into_owned();
    let to = clone.to_string_lossy().into_owned();
    git(scratch, &["clone", "--quiet", "--no-hardlinks", &root, &to])?;
    Ok(clone)
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|err| anyhow!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(anyhow!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn remove(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(anyhow!("cannot remove {}: {err}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_the_median_and_the_targets() {
        let result = FirstRun {
            commit: "abc1234".into(),
            runs: vec![Run {
                build_part2_s: 30.0,
                first_line_s: 1.5,
                first_verdict_s: 39.0,
            }],
            median_ratio: 1.3,
            max_first_line_s: 1.5,
        };
        let table = table(&result);
        assert!(
            table.contains("   1              30.0             1.5              39.0    1.30"),
            "{table}"
        );
        assert!(
            table.contains("median ratio 1.30 (target ≤ 1.35)"),
            "{table}"
        );
    }
}
