//! `workshop-bench`: the bench, optimised. `cargo xtask bench` is a debug
//! build, and a debug load generator would measure itself; so xtask builds
//! this binary in release and hands it the same arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use workshop_bench::cli::{self, BenchArgs};

/// The four implementations side by side, each against its bound.
#[derive(Parser)]
#[command(name = "workshop-bench", bin_name = "cargo xtask bench")]
struct Cli {
    #[command(flatten)]
    args: BenchArgs,
    /// The workspace root, where the servers are built.
    #[arg(long, hide = true)]
    root: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(|| {
        // This crate sits one level below the workspace root; where, cargo
        // tells the process it runs (a workshop moved or copied benches
        // itself). Run by hand, the current folder.
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(crate_dir) => {
                let crate_dir = PathBuf::from(crate_dir);
                crate_dir.parent().unwrap_or(&crate_dir).to_path_buf()
            }
            None => PathBuf::from("."),
        }
    });
    match cli::run(&root, &cli.args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
