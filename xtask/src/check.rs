//! `cargo xtask check`: will run a part's tests and say which gaps are done.
//! Not built yet: the command exists so its name and arguments are stable.

use std::path::Path;
use std::process::ExitCode;

use crate::manifest::Manifest;

/// Which part to check.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask check part1")]
pub struct CheckArgs {
    /// The part, e.g. part1.
    part: String,
    /// Check the solution instead of your exercise.
    #[arg(long)]
    solution: bool,
}

/// Exit code 2 tells scripts "not available", apart from a failed check (1).
pub fn run(root: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    // A mistyped part is reported already, as it will be then.
    Manifest::load(root)?.part(&args.part)?;
    eprintln!("check is not built yet: see the README");
    Ok(ExitCode::from(2))
}
