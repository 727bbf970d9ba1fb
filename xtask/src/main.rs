//! `cargo xtask`: the workshop's own tooling, in Rust so it runs wherever
//! cargo does (matklad's cargo-xtask convention).

mod cargo_run;
mod learner;
mod progress;
mod rates;
mod room;
mod serve;
mod usage;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The workshop's tasks.
#[derive(Debug, Parser)]
#[command(
    bin_name = "cargo xtask",
    after_help = "Example: cargo xtask check part2"
)]
struct Cli {
    /// None: the home screen (`cargo xtask` alone), then this usage.
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Another workspace root, for tests.
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    // In usage::GROUPS's order, which `--help` lists: the learner's loop as a
    // learner meets it, then the instructor's commands, then the author's.
    /// Start a part's clock and see its exercises and gaps.
    #[command(long_about = learner::start::LONG_ABOUT)]
    Start(learner::start::StartArgs),
    /// Grade a part: gaps, build, checks, and what to do next.
    Check(learner::check::CheckArgs),
    /// The next hint for a gap, one level deeper each time.
    #[command(long_about = learner::hint::LONG_ABOUT)]
    Hint(learner::hint::HintArgs),
    /// Check a part again on every save.
    #[command(long_about = learner::watch::LONG_ABOUT)]
    Watch(learner::watch::WatchArgs),
    /// How your files differ from the solution; --apply to take it.
    #[command(long_about = learner::solution::LONG_ABOUT)]
    Solution(learner::solution::SolutionArgs),
    /// Put an exercise's files back as they were (after a backup).
    #[command(long_about = learner::reset::LONG_ABOUT)]
    Reset(learner::reset::ResetArgs),
    /// Every part and exercise: gaps filled, checks, time spent.
    #[command(long_about = learner::list::LONG_ABOUT)]
    List(learner::list::ListArgs),
    /// Fetch and build everything in advance, so the day needs no network.
    #[command(long_about = learner::setup::LONG_ABOUT)]
    Setup(learner::setup::SetupArgs),
    /// Is this laptop ready? Toolchain, offline dependencies, ports, limits.
    #[command(long_about = learner::doctor::LONG_ABOUT)]
    Doctor(learner::doctor::DoctorArgs),
    /// The instructor's live board of who passes, who is stuck, and on what.
    #[command(long_about = room::LONG_ABOUT)]
    Room(room::RoomArgs),
    /// Render a deck of slides to one self-contained HTML file.
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask slides part2 --open"
    )]
    Slides {
        /// What `cargo xtask slides --help` lists: the deck, --out, --open.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a part's server: yours, or the solution.
    Serve(serve::ServeArgs),
    /// Run the rates service until Ctrl-C.
    Rates(rates::RatesArgs),
    /// The four implementations side by side, each against its bound
    /// (`sweep`); part 5 under overload (`overload`); part 6 through an
    /// outage (`retries`).
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask bench sweep --connections 32,256 --duration 2s"
    )]
    Bench {
        /// What `cargo xtask bench --help` lists: sweep, overload, retries, …
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write exercises/ from solutions/ and workshop.toml.
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask gen --check"
    )]
    Gen {
        /// What `cargo xtask gen --help` lists: --check.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Prove the grader (authors): solutions pass, exercises and attempts
    /// fail as they should, and every mutant of every gap fails a check.
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask selftest part2 --sample 1 --mutants-only"
    )]
    Selftest {
        /// What `cargo xtask selftest --help` lists: the part, --sample, …
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Time the runner itself (authors): a fresh clone's first check, an
    /// edit's verdict.
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask timing edit-to-verdict --runs 5"
    )]
    Timing {
        /// What `cargo xtask timing --help` lists: first-run, edit-to-verdict.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&usage::grouped(Cli::command()).get_matches())
        .unwrap_or_else(|err| err.exit());
    // Found at run time: a workshop moved, renamed or copied acts on itself.
    let Some(root) = cli.root.or_else(workshop_core::manifest::find_root) else {
        eprintln!("error: {}", workshop_core::manifest::NOT_IN_A_WORKSHOP);
        return ExitCode::FAILURE;
    };
    let Some(command) = cli.command else {
        // `cargo xtask` alone: where the learner is, then every command.
        learner::home::show(&root);
        let _ = usage::grouped(Cli::command()).print_help();
        return ExitCode::SUCCESS;
    };
    let result = match command {
        Cmd::Gen { args } => cargo_run::tools(&root, "gen", args),
        Cmd::Rates(args) => rates::run(args),
        Cmd::Serve(args) => serve::run(&root, &args),
        Cmd::Slides { args } => cargo_run::run(
            &root,
            "workshop-slides",
            Some("slides"),
            false,
            Duration::from_secs(3),
            args,
        ),
        // Optimised: a debug load generator would measure itself. It stops
        // its own servers on Ctrl-C, and may take a while to.
        Cmd::Bench { args } => cargo_run::run(
            &root,
            "workshop-bench",
            Some("workshop-bench"),
            true,
            Duration::from_secs(10),
            args,
        ),
        Cmd::Check(args) => learner::check::run(&root, &args),
        Cmd::Start(args) => learner::start::run(&root, &args),
        Cmd::Hint(args) => learner::hint::run(&root, &args),
        Cmd::Watch(args) => learner::watch::run(&root, &args),
        Cmd::Solution(args) => learner::solution::run(&root, &args),
        Cmd::Reset(args) => learner::reset::run(&root, &args),
        Cmd::List(args) => learner::list::run(&root, &args),
        Cmd::Doctor(args) => learner::doctor::run(&root, &args),
        Cmd::Setup(args) => learner::setup::run(&root, &args),
        Cmd::Room(args) => room::run(&root, &args),
        Cmd::Selftest { args } => cargo_run::tools(&root, "selftest", args),
        Cmd::Timing { args } => cargo_run::tools(&root, "timing", args),
    };
    result.unwrap_or_else(|err| {
        // `:#` puts the causes on the same line: `error: a: b`.
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}
