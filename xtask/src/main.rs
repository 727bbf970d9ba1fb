//! `cargo xtask`: the workshop's own tooling, in Rust so it runs wherever
//! cargo does (matklad's cargo-xtask convention).

mod backup;
mod check;
// `gen` is a reserved keyword in edition 2024, hence the longer module name.
mod generate;
mod manifest;
mod rates;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The workshop's tasks.
#[derive(Debug, Parser)]
#[command(
    bin_name = "cargo xtask",
    after_help = "Example: cargo xtask gen --check"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Another workspace root, for tests.
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write exercises/ from solutions/ and workshop.toml.
    #[command(after_help = "Example: cargo xtask gen --check")]
    Gen {
        /// Write nothing: show how exercises/ differ, and fail if they do.
        #[arg(long)]
        check: bool,
    },
    /// Run the rates service until Ctrl-C.
    Rates(rates::RatesArgs),
    /// Run a part's server: yours, or the solution.
    Serve(serve::ServeArgs),
    /// Check a part (not built yet).
    Check(check::CheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(manifest::workspace_root);
    let result = match cli.command {
        Cmd::Gen { check } => generate::run(&root, check),
        Cmd::Rates(args) => rates::run(args),
        Cmd::Serve(args) => serve::run(&root, &args),
        Cmd::Check(args) => check::run(&root, &args),
    };
    result.unwrap_or_else(|err| {
        // `:#` puts the causes on the same line: `error: a: b`.
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}
