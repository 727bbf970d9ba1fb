//! The copy of the workspace that selftest breaks things in, and grading
//! it with `cargo xtask check` run as a learner runs it.
//!
//! The copy sits outside any target directory (cargo does not watch the
//! mtimes of sources inside one) and in the same place every run, and only
//! files that differ are written: a second run rebuilds only what changed.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use process_wrap::std::CommandWrap;

use workshop_core::child::{self, Ask};
use workshop_core::generate;
use workshop_core::manifest::{Manifest, Part};

/// Left out of the copy: builds, history, a learner's progress.
const SKIPPED: [&str; 3] = ["target", ".git", ".workshop"];

/// A check takes seconds, a first build minutes; the grader's own deadlines
/// (checks 90 s, builds 20 min) come first. This only guards against a
/// grader that hangs.
const GRADE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The copy, and where its builds go.
#[derive(Debug)]
pub struct Copy {
    pub dir: PathBuf,
    target: PathBuf,
}

/// What a check said.
#[derive(Debug)]
pub struct Graded {
    pub passed: bool,
    pub output: String,
    pub took: Duration,
}

impl Graded {
    /// The ids of the checks that failed.
    pub fn failed_checks(&self) -> Vec<String> {
        self.output
            .lines()
            .filter_map(|line| line.strip_prefix("✗ "))
            .filter_map(|rest| rest.split_whitespace().next())
            .filter(|id| id.starts_with("part"))
            .map(str::to_string)
            .collect()
    }

    /// Whether the crate did not compile.
    pub fn build_failed(&self) -> bool {
        self.output.contains("✗ it does not build")
    }
}

impl Copy {
    /// Brings the copy at `dir` in line with `root`, writing only what differs.
    pub fn sync(root: &Path, dir: &Path, target: &Path) -> anyhow::Result<Copy> {
        sync_tree(root, dir)
            .with_context(|| format!("cannot copy the workspace to {}", dir.display()))?;
        Ok(Copy {
            dir: dir.to_path_buf(),
            target: target.to_path_buf(),
        })
    }

    /// Puts `relative` (a file or a directory) back as it is in `root`.
    pub fn restore(&self, root: &Path, relative: &Path) -> anyhow::Result<()> {
        let from = root.join(relative);
        let to = self.dir.join(relative);
        let done = if from.is_dir() {
            sync_tree(&from, &to)
        } else {
            write_if_changed(&to, &fs::read(&from)?)
        };
        done.with_context(|| format!("cannot restore {} in the copy", relative.display()))
    }

    /// Puts `part`'s exercise back as `gen` makes it from the copy's
    /// solution: pristine, whatever the real tree's exercise holds.
    pub fn reset_exercise(&self, manifest: &Manifest, part: &Part) -> anyhow::Result<()> {
        let files = generate::generate(manifest, &self.dir)?;
        let ours: Vec<(&PathBuf, &String)> = files
            .iter()
            .filter(|(path, _)| path.starts_with(&part.exercise))
            .collect();
        for (path, text) in &ours {
            write_if_changed(&self.dir.join(path), text.as_bytes())?;
        }
        for path in generate::walk(&self.dir, &part.exercise)? {
            let path = part.exercise.join(path);
            if !ours.iter().any(|(generated, _)| **generated == path) {
                fs::remove_file(self.dir.join(&path))?;
            }
        }
        Ok(())
    }

    /// Forgets the learner's progress and backups that checks wrote.
    pub fn forget_progress(&self) {
        let _ = fs::remove_dir_all(self.dir.join(".workshop"));
    }

    /// `cargo xtask --root <copy> check <args>`, with `env` set, without colour.
    pub fn check(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Graded> {
        let mut command = Command::new(runner()?);
        command
            .arg("--root")
            .arg(&self.dir)
            .arg("check")
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .env("WORKSHOP_GRADER_TARGET_DIR", &self.target);
        let started = Instant::now();
        let (passed, output) = run(command)?;
        Ok(Graded {
            passed,
            output,
            took: started.elapsed(),
        })
    }
}

/// Runs `command` to its end (or [`GRADE_TIMEOUT`]); whether it succeeded,
/// and its stdout then stderr.
fn run(mut command: Command) -> anyhow::Result<(bool, String)> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // No process group of its own: a terminal's Ctrl-C reaches it too, and
    // it stops its servers.
    let mut child = CommandWrap::from(command)
        .spawn()
        .context("cannot start cargo xtask check")?;
    let stdout = child.stdout().take().map(read_all);
    let stderr = child.stderr().take().map(read_all);
    let deadline = Instant::now() + GRADE_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // Asked first, so that the check stops its servers too.
            child::stop(child.as_mut(), Ask::Terminate, Duration::from_secs(5));
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut output = String::new();
    for pipe in [stdout, stderr].into_iter().flatten() {
        output.push_str(&pipe.join().unwrap_or_default());
    }
    match status {
        Some(status) => Ok((status.success(), output)),
        None => anyhow::bail!(
            "cargo xtask check ran for {} min and was stopped:\n{output}",
            GRADE_TIMEOUT.as_secs() / 60
        ),
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The learner's runner, whose `check` grades the copy: the one that started
/// these tools (it says where it is in `WORKSHOP_RUNNER`), or the `xtask`
/// built beside them.
fn runner() -> anyhow::Result<PathBuf> {
    if let Some(exe) = std::env::var_os("WORKSHOP_RUNNER") {
        return Ok(PathBuf::from(exe));
    }
    let here = std::env::current_exe().context("where are these tools?")?;
    let runner = here.with_file_name(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    if !runner.is_file() {
        anyhow::bail!(
            "no runner at {}: start selftest with `cargo xtask selftest`",
            runner.display()
        );
    }
    Ok(runner)
}

/// Makes `to` hold what `from` holds (but the [`SKIPPED`] directories):
/// files that differ are written, files `from` lacks are deleted.
pub fn sync_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    let mut wanted = Vec::new();
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if SKIPPED.iter().any(|skipped| name == *skipped) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_tree(&path, &to.join(&name))?;
        } else {
            write_if_changed(&to.join(&name), &fs::read(&path)?)?;
        }
        wanted.push(name);
    }
    for entry in fs::read_dir(to)? {
        let entry = entry?;
        let name = entry.file_name();
        if wanted.contains(&name) || SKIPPED.iter().any(|skipped| name == *skipped) {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` unless it holds them already: an unchanged
/// file keeps its mtime, and cargo does not rebuild for it.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::read(path).is_ok_and(|on_disk| on_disk == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_writes_what_differs_and_deletes_what_is_gone() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        fs::create_dir_all(from.path().join("src")).unwrap();
        fs::write(from.path().join("src/a.rs"), "a").unwrap();
        fs::write(from.path().join("b.rs"), "b").unwrap();
        fs::create_dir_all(from.path().join("target")).unwrap();
        fs::write(from.path().join("target/big"), "x").unwrap();
        fs::create_dir_all(to.path().join("old")).unwrap();
        fs::write(to.path().join("b.rs"), "stale").unwrap();
        fs::write(to.path().join("c.rs"), "gone").unwrap();
        fs::create_dir_all(to.path().join("target")).unwrap();
        fs::write(to.path().join("target/kept"), "k").unwrap();

        sync_tree(from.path(), to.path()).unwrap();

        assert_eq!(fs::read_to_string(to.path().join("src/a.rs")).unwrap(), "a");
        assert_eq!(fs::read_to_string(to.path().join("b.rs")).unwrap(), "b");
        assert!(!to.path().join("c.rs").exists());
        assert!(!to.path().join("old").exists());
        assert!(
            !to.path().join("target/big").exists(),
            "target/ is not copied"
        );
        assert!(to.path().join("target/kept").exists(), "nor deleted");
    }

    #[test]
    fn failed_checks_are_read_from_the_report() {
        let graded = Graded {
            passed: false,
            output: "✓ part2.futures.tests   1.0 s  ok\n✗ part2.forceasync.contract   0.3 s  wrong\n✗ it does not build\n".into(),
            took: Duration::ZERO,
        };
        assert_eq!(graded.failed_checks(), ["part2.forceasync.contract"]);
        assert!(graded.build_failed());
    }
}
