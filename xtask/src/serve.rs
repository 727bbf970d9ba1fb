//! `cargo xtask serve`: runs a part's server, the learner's or the solution.
//!
//! The server is a child `cargo run`, so it is built first if needed. On a
//! terminal, Ctrl-C reaches the child as well as xtask; xtask then waits for
//! the child to shut down, so the prompt never comes back while the server
//! is still printing.

use std::env;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::manifest::Manifest;

/// How long the child may take to stop after Ctrl-C before it is killed.
const GRACE: Duration = Duration::from_secs(3);

/// Which server to run.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask serve part1 --port 8080")]
pub struct ServeArgs {
    /// The part, e.g. part1.
    part: String,
    /// Run the solution instead of your exercise.
    #[arg(long)]
    solution: bool,
    /// Port for the server to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

pub fn run(root: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    // By convention: exercise `part1`/`webserver`, solution
    // `part1-solution`/`webserver-solution`.
    let (package, bin, whose) = if args.solution {
        let package = format!("{}-solution", part.id);
        (package, format!("{}-solution", part.server), "solution")
    } else {
        (part.id.clone(), part.server.clone(), "your exercise")
    };

    // Installed before the child exists, so no Ctrl-C can kill xtask first.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot watch for Ctrl-C")?;

    println!("serving {} ({whose}) — Ctrl-C stops it", part.id);
    // `CARGO` is set by `cargo run`: the same cargo as the one running xtask.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(&cargo)
        .current_dir(root)
        .args(["run", "--quiet", "--package", &package, "--bin", &bin, "--"])
        .args(["--port", &args.port.to_string()])
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;

    let mut interrupted_at = None;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the server")? {
            break status;
        }
        if interrupted.load(Ordering::SeqCst) {
            let since = *interrupted_at.get_or_insert_with(Instant::now);
            if since.elapsed() > GRACE {
                // Already exited is fine: `wait` below collects it either way.
                let _ = child.kill();
                break child.wait().context("cannot wait for the server")?;
            }
        }
        thread::sleep(Duration::from_millis(50));
    };

    if interrupted.load(Ordering::SeqCst) {
        return Ok(ExitCode::SUCCESS);
    }
    // No code means a signal ended it: a failure, as far as scripts know.
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
