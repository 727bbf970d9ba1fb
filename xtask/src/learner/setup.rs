//! `cargo xtask setup`: everything that needs the network, done before the
//! day. It fetches every dependency, builds what the grader builds for every
//! part (exercise and solution, in the grader's own target directory), and
//! builds the workspace and its tests; then `check`, `serve` and the tests
//! run offline. A stamp in the grader's target directory records it for
//! `cargo xtask doctor`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{BAD, BOLD, DIM, GOOD, Out, WARN};

use workshop_core::manifest::Manifest;
use workshop_grader::Whose;

/// What `cargo xtask setup --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Fetches every dependency and builds everything the workshop builds: each \
    part's exercise and solution for the grader, and the workspace with its \
    tests. Run it once, with network, before the day (it takes minutes the \
    first time); after it, no command needs the network. It prints each step \
    and how long it took.";

/// `setup` takes no options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask setup && cargo xtask doctor")]
pub struct SetupArgs {}

/// What `setup` left behind, for `doctor`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stamp {
    /// A hash of Cargo.lock: new dependencies need a new setup.
    pub cargo_lock: String,
    /// `rustc --version`: another compiler rebuilds everything.
    pub rustc: String,
    pub finished_at: String,
}

/// Where the stamp is: beside what it vouches for, so that deleting the
/// grader's builds deletes it too.
pub fn stamp_path(root: &Path) -> PathBuf {
    workshop_core::paths::target_dir(root).join("workshop-setup.toml")
}

/// The stamp as it would be written now.
pub fn current_stamp(root: &Path) -> anyhow::Result<Stamp> {
    let lock = fs::read(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    Ok(Stamp {
        cargo_lock: format!("{:016x}", fnv1a(&lock)),
        rustc: rustc_version()?,
        finished_at: crate::progress::stamp(SystemTime::now()),
    })
}

/// `rustc --version`, of the compiler cargo uses.
pub fn rustc_version() -> anyhow::Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", rustc.to_string_lossy()))?;
    anyhow::ensure!(output.status.success(), "`rustc --version` failed");
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// FNV-1a: a stable hash in five lines (std's hasher may change between
/// releases, and this needs no dependency).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn run(root: &Path, _args: &SetupArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let mut out = Out::new();
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    out.line(format!(
        "{BOLD}Setting up the workshop{BOLD:#}: the first time takes minutes, later ones seconds."
    ));

    step(&mut out, "fetch every dependency (`cargo fetch`)", || {
        let mut command = Command::new(&cargo);
        command.current_dir(root).arg("fetch");
        cargo_ok(command, "`cargo fetch` failed: is the network up?")
    })?;

    let mut unbuilt = Vec::new();
    for part in &manifest.parts {
        for (side, whose) in [(Whose::Solution, "solution"), (Whose::Learner, "exercise")] {
            let what = format!("build {}'s {whose} for the grader", part.id);
            let built = step(&mut out, &what, || {
                let built = workshop_grader::prebuild(root, part, side)?;
                Ok(built
                    .then_some(())
                    .ok_or_else(|| "does not compile".to_string()))
            });
            match built {
                Ok(()) => {}
                // A learner's exercise mid-way may not compile; cargo built
                // its dependencies all the same.
                Err(_) if side == Whose::Learner => unbuilt.push(part.id.clone()),
                Err(err) => return Err(err),
            }
        }
    }

    // Where `cargo xtask room serve`, `selftest` and `gen` run them: the
    // learner's runner leaves them out, so they are built here, once.
    step(
        &mut out,
        "build the instructor's and author's tools (`room serve`, `selftest`, `gen`)",
        || {
            let mut command = Command::new(&cargo);
            command
                .current_dir(root)
                .env("CARGO_TARGET_DIR", workshop_core::paths::target_dir(root))
                .args(["build", "--package", "workshop-tools"]);
            cargo_ok(command, "the tools did not build: see above")
        },
    )?;

    step(
        &mut out,
        "build the workspace and its tests (`cargo build --workspace --tests`)",
        || {
            let mut command = Command::new(&cargo);
            command
                .current_dir(root)
                .args(["build", "--workspace", "--tests"]);
            cargo_ok(
                command,
                "`cargo build --workspace --tests` failed: see above",
            )
        },
    )?;

    let stamp = current_stamp(root)?;
    let path = stamp_path(root);
    let text = format!(
        "# Written by `cargo xtask setup`; `cargo xtask doctor` reads it.\n{}",
        toml::to_string(&stamp).unwrap_or_default()
    );
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;

    for part in &unbuilt {
        out.line(format!(
            "{WARN}note{WARN:#}: your {part} does not compile yet; its dependencies are built all the same."
        ));
    }
    out.line(format!(
        "{GOOD}Setup done{GOOD:#} in {}: no command needs the network now. \
         `cargo xtask doctor` checks the rest.",
        took(started.elapsed())
    ));
    Ok(ExitCode::SUCCESS)
}

/// Runs one step, printing what it does and how long it took. A failure is
/// one line with the fix.
fn step(
    out: &mut Out,
    what: &str,
    action: impl FnOnce() -> anyhow::Result<Result<(), String>>,
) -> anyhow::Result<()> {
    out.line(format!("{DIM}… {what}{DIM:#}"));
    let started = Instant::now();
    let result = action()?;
    let time = took(started.elapsed());
    match result {
        Ok(()) => {
            out.line(format!("{GOOD}✓{GOOD:#} {what} {DIM}({time}){DIM:#}"));
            Ok(())
        }
        Err(why) => {
            out.line(format!("{BAD}✗{BAD:#} {what} {DIM}({time}){DIM:#}"));
            anyhow::bail!("{what}: {why}")
        }
    }
}

/// Runs cargo with its progress on stderr, for the learner to see.
fn cargo_ok(mut command: Command, failure: &str) -> anyhow::Result<Result<(), String>> {
    let status = command
        .stdin(Stdio::null())
        .status()
        .context("cannot run cargo")?;
    Ok(if status.success() {
        Ok(())
    } else {
        Err(failure.to_string())
    })
}

/// `4.2 s`, `3 min 12 s`.
fn took(time: Duration) -> String {
    let secs = time.as_secs();
    if secs < 60 {
        format!("{:.1} s", time.as_secs_f64())
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_hash_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn times_read_as_people_say_them() {
        assert_eq!(took(Duration::from_millis(4200)), "4.2 s");
        assert_eq!(took(Duration::from_secs(192)), "3 min 12 s");
    }
}
