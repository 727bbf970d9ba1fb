//! `cargo xtask bench`: the three implementations side by side. The work is
//! in the `workshop-bench` crate; this only makes sure it runs optimised.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use workshop_bench::cli::{self, BenchArgs};
use workshop_bench::{BenchError, servers};

/// How long the runner may take to clean up after Ctrl-C before it is killed.
const GRACE: Duration = Duration::from_secs(10);

pub fn run(root: &Path, args: &BenchArgs) -> anyhow::Result<ExitCode> {
    if !cfg!(debug_assertions) {
        return Ok(cli::run(root, args)?);
    }
    // `cargo xtask` is a debug build, and an unoptimised load generator and
    // rates service would be the bottleneck they must never be: build the
    // release runner and let it do the run.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot watch for Ctrl-C")?;
    let config = args.config(root);
    let runner = match servers::build_runner(root, &config.target_dir, config.code, config.profile)
    {
        Ok(runner) => runner,
        Err(BenchError::Interrupted) => return Ok(ExitCode::from(130)),
        Err(err) => return Err(err.into()),
    };
    let mut child = Command::new(&runner)
        .args(args.to_args())
        .arg("--root")
        .arg(root)
        .spawn()
        .with_context(|| format!("cannot run {}", runner.display()))?;

    // Ctrl-C on a terminal reaches the runner too; it stops its servers and
    // exits, and this waits for that (killing it would orphan its servers).
    let mut interrupted_at = None;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the bench")? {
            break status;
        }
        if stop.load(Ordering::SeqCst) {
            if interrupted_at.is_none() {
                interrupted_at = Some(Instant::now());
                forward_interrupt(child.id());
            }
            if interrupted_at.is_some_and(|at| at.elapsed() > GRACE) {
                let _ = child.kill();
                break child.wait().context("cannot wait for the bench")?;
            }
        }
        thread::sleep(Duration::from_millis(50));
    };
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// Passes an interrupt that reached only xtask (`kill -INT`, not a
/// terminal's Ctrl-C) on to the runner, so it too stops its servers. A
/// second one, when the terminal sent it already, changes nothing.
fn forward_interrupt(pid: u32) {
    if cfg!(unix) {
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
    }
}
