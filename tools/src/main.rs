//! `workshop-tools`: what `cargo xtask room serve`, `selftest`, `gen` and
//! `timing` run. The learner's runner starts it; its usage reads as the runner's.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use workshop_core::manifest;
use workshop_tools::{exercises, room, selftest, timing};

#[derive(Debug, Parser)]
#[command(bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Another workspace root, for tests.
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The instructor's live board of who passes, who is stuck, and on what.
    Room {
        #[command(subcommand)]
        command: RoomCmd,
    },
    /// Write exercises/ from solutions/ and workshop.toml.
    #[command(after_help = "Example: cargo xtask gen --check")]
    Gen {
        /// Write nothing: show how exercises/ differ, and fail if they do.
        #[arg(long)]
        check: bool,
    },
    /// Prove the grader (authors): solutions pass, exercises and attempts
    /// fail as they should, and every mutant of every gap fails a check.
    Selftest(selftest::SelftestArgs),
    /// Time the runner itself (authors): a fresh clone's first check, an
    /// edit's verdict.
    Timing {
        #[command(subcommand)]
        command: timing::TimingArgs,
    },
}

#[derive(Debug, Subcommand)]
enum RoomCmd {
    /// Run the board: learners × exercises, live, until Ctrl-C.
    Serve(room::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(root) = cli.root.or_else(manifest::find_root) else {
        eprintln!("error: {}", manifest::NOT_IN_A_WORKSHOP);
        return ExitCode::FAILURE;
    };
    let result = match cli.command {
        Cmd::Room {
            command: RoomCmd::Serve(args),
        } => room::serve(&root, &args),
        Cmd::Gen { check } => exercises::run(&root, check),
        Cmd::Selftest(args) => selftest::run(&root, &args),
        Cmd::Timing { command } => timing::run(&root, &command),
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}
