//! Running a workspace binary with `cargo run`, in the foreground, as a
//! child: `serve` runs a part's server, `slides` and `bench` run their own
//! binaries, so the runner learners build first stays small.
//!
//! On a terminal, Ctrl-C reaches the child as well as xtask; xtask then waits
//! for the child to shut down, so the prompt never comes back while the
//! child is still printing. An interrupt sent to xtask alone (`kill -INT`)
//! is passed on, so the child can stop what it started before it goes.

use std::env;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use process_wrap::std::CommandWrap;
use workshop_core::child::{self, Ask, INTERRUPTED};

/// `cargo run --quiet --package <package> [--release] [--bin <bin>] -- <args>`
/// in `root`, until it ends; its exit code becomes ours (130 after Ctrl-C,
/// as the shell's and the grader's: interrupted, not done).
/// After an interrupt the child has `grace` to stop before it is killed.
pub fn run(
    root: &Path,
    package: &str,
    bin: Option<&str>,
    release: bool,
    grace: Duration,
    args: impl IntoIterator<Item = impl AsRef<OsStr>>,
) -> anyhow::Result<ExitCode> {
    run_with(root, package, bin, release, grace, args, &[])
}

/// [`run`], with `env` set for the child (an unset value is left out).
fn run_with(
    root: &Path,
    package: &str,
    bin: Option<&str>,
    release: bool,
    grace: Duration,
    args: impl IntoIterator<Item = impl AsRef<OsStr>>,
    env: &[(&str, Option<std::path::PathBuf>)],
) -> anyhow::Result<ExitCode> {
    // Installed before the child exists, so no Ctrl-C can kill xtask first.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot watch for Ctrl-C")?;

    // `CARGO` is set by `cargo run`: the same cargo as the one running xtask.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(root)
        // Where the runner and the grader build: what they compiled is reused.
        .env("CARGO_TARGET_DIR", workshop_core::paths::target_dir(root))
        // The workshop it acts on, whatever folder cargo ran it from.
        .env(workshop_core::manifest::ROOT_VAR, root)
        .args(["run", "--quiet", "--package", package]);
    for (name, value) in env {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    if let Some(bin) = bin {
        command.args(["--bin", bin]);
    }
    if release {
        command.arg("--release");
    }
    command.arg("--").args(args);
    // No process group of its own: a terminal's Ctrl-C must reach it.
    let mut child = CommandWrap::from(command)
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;

    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the child")? {
            // A child that stopped on the same Ctrl-C (a terminal sends it
            // to the whole group) ends with its own code: ours is 130 still.
            if interrupted.load(Ordering::SeqCst) {
                return Ok(ExitCode::from(INTERRUPTED));
            }
            break status;
        }
        if interrupted.load(Ordering::SeqCst) {
            // From a terminal it has had the interrupt already; a second
            // changes nothing. Past its grace, it is killed.
            child::stop(child.as_mut(), Ask::Interrupt, grace);
            return Ok(ExitCode::from(INTERRUPTED));
        }
        thread::sleep(Duration::from_millis(50));
    };

    // No code means a signal ended it: a failure, as far as scripts know.
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// `cargo xtask <command> <args>` for the instructor's and author's tools
/// (`room serve`, `selftest`, `gen`, `timing`): their own package, so that no learner
/// compiles them. The first run builds it, and says so in one line.
pub fn tools(
    root: &Path,
    command: &str,
    args: impl IntoIterator<Item = String>,
) -> anyhow::Result<ExitCode> {
    let exe = workshop_core::paths::target_dir(root)
        .join("debug")
        .join(format!("workshop-tools{}", env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        eprintln!(
            "building the instructor's and author's tools (workshop-tools), once: \
             a learner's runner leaves them out"
        );
    }
    let mut all = vec![
        "--root".to_string(),
        root.display().to_string(),
        command.to_string(),
    ];
    all.extend(args);
    run_with(
        root,
        "workshop-tools",
        None,
        false,
        // The board saves its state on Ctrl-C; selftest stops its copy's check.
        Duration::from_secs(10),
        all,
        // selftest grades with this very runner.
        &[("WORKSHOP_RUNNER", env::current_exe().ok())],
    )
}
