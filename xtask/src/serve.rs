//! `cargo xtask serve`: runs a part's server, the learner's or the solution.
//!
//! The server is a child `cargo run`, so it is built first if needed; see
//! `cargo_run` for how Ctrl-C stops it.

use std::path::Path;
use std::process::ExitCode;

use std::time::Duration;

use crate::cargo_run;

/// How long a server may take to stop after Ctrl-C before it is killed.
const GRACE: Duration = Duration::from_secs(3);
use workshop_core::manifest::{Manifest, Whose};

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
    let (side, whose) = if args.solution {
        (Whose::Solution, "solution")
    } else {
        (Whose::Learner, "your exercise")
    };
    let (package, bin) = (side.name(&part.id), side.name(&part.server));

    println!("serving {} ({whose}) — Ctrl-C stops it", part.id);
    let port = args.port.to_string();
    cargo_run::run(root, &package, Some(&bin), false, GRACE, ["--port", &port])
}
