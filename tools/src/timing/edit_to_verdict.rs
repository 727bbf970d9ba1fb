//! `cargo xtask timing edit-to-verdict`: the learner's loop, timed. A
//! one-line edit to a part's solution, then `cargo xtask check partN
//! --solution`, to its verdict: the build of what changed and every check.
//!
//! With `--against DIR` (another checkout of the workshop, its grader
//! warm), each run times both workspaces one after the other, so that a
//! machine's drift hits both alike.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use anyhow::anyhow;

/// The parts timed: every part's solution, graded.
pub const PARTS: [&str; 4] = ["part1", "part2", "part3", "part4"];

#[derive(Debug, Serialize)]
pub struct Timings {
    pub workspace: PathBuf,
    pub part: String,
    /// Seconds, one a run.
    pub seconds: Vec<f64>,
}

impl Timings {
    /// Min, median, max.
    pub fn spread(&self) -> (f64, f64, f64) {
        let at =
            |q| workshop_loadgen::quantile(self.seconds.iter().copied(), q).unwrap_or(f64::NAN);
        (at(0.0), at(0.5), at(1.0))
    }
}

/// Times `runs` edits of each part in each workspace, after one edit each
/// that is not counted (it warms the build).
pub fn measure(workspaces: &[PathBuf], runs: usize) -> anyhow::Result<Vec<Timings>> {
    let mut all = Vec::new();
    for part in PARTS {
        let mut timings: Vec<Timings> = workspaces
            .iter()
            .map(|workspace| Timings {
                workspace: workspace.clone(),
                part: part.to_string(),
                seconds: Vec::new(),
            })
            .collect();
        for run in 0..=runs {
            for timing in &mut timings {
                let took = edit_and_check(&timing.workspace, part, run)?;
                if run > 0 {
                    timing.seconds.push(took.as_secs_f64());
                }
            }
        }
        for timing in &timings {
            let (min, median, max) = timing.spread();
            eprintln!(
                "{part} in {}: median {median:.2} s ({min:.2} to {max:.2})",
                timing.workspace.display()
            );
        }
        all.extend(timings);
    }
    Ok(all)
}

/// The table a person reads.
pub fn table(timings: &[Timings]) -> String {
    let mut text = format!(
        "{:<6}  {:>8}  {:>8}  {:>8}  workspace\n",
        "part", "min (s)", "median", "max"
    );
    for timing in timings {
        let (min, median, max) = timing.spread();
        text.push_str(&format!(
            "{:<6}  {min:>8.2}  {median:>8.2}  {max:>8.2}  {}\n",
            timing.part,
            timing.workspace.display()
        ));
    }
    text
}

/// Appends a comment line to the part's solution, checks it, and puts the
/// file back as it was, whatever happened.
fn edit_and_check(workspace: &Path, part: &str, run: usize) -> anyhow::Result<Duration> {
    let file = workspace
        .join("solutions")
        .join(part)
        .join("src")
        .join("lib.rs");
    let original = std::fs::read_to_string(&file)
        .map_err(|err| anyhow!("cannot read {}: {err}", file.display()))?;
    let edited = format!("{original}// bench edit {run}\n");
    std::fs::write(&file, edited)
        .map_err(|err| anyhow!("cannot write {}: {err}", file.display()))?;
    let started = Instant::now();
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(workspace)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("WORKSHOP_GRADER_TARGET_DIR")
        .args(["xtask", "check", part, "--solution"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let took = started.elapsed();
    let restored = std::fs::write(&file, &original);
    let status = status.map_err(|err| anyhow!("cannot run cargo xtask: {err}"))?;
    restored.map_err(|err| anyhow!("cannot restore {}: {err}", file.display()))?;
    if !status.success() {
        return Err(anyhow!(
            "`cargo xtask check {part} --solution` failed in {}",
            workspace.display()
        ));
    }
    Ok(took)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_is_min_median_max() {
        let timing = Timings {
            workspace: PathBuf::from("/w"),
            part: "part2".into(),
            seconds: vec![3.5, 3.2, 3.4, 3.3, 3.9],
        };
        assert_eq!(timing.spread(), (3.2, 3.4, 3.9));
        assert!(table(&[timing]).contains("part2       3.20      3.40      3.90  /w"));
    }
}
