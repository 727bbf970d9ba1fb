//! `cargo xtask start partN`: starts the part's clock and shows what is
//! ahead: its exercises, their minutes, and where each gap is.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use super::{BOLD, DIM, GOOD, Out, clock, count, due, gaps_left};
use crate::progress::Progress;
use workshop_core::manifest::Manifest;
use workshop_core::paths::slash;

/// What `cargo xtask start --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Starts the part's clock and shows its exercises, their minutes and where \
    each gap is. The clock also starts at your first `cargo xtask check` of \
    the part; starting a part that runs already shows how long it has run.";

/// Which part to start.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask start part1")]
pub struct StartArgs {
    /// The part, e.g. part1.
    part: String,
    /// Start the clock afresh, forgetting the part's pass times.
    #[arg(long)]
    restart: bool,
}

pub fn run(root: &Path, args: &StartArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let now = SystemTime::now();
    let (started_now, elapsed, passed) = Progress::update(root, |progress| {
        let started_now = if args.restart {
            progress.restart(part, now);
            true
        } else {
            progress.start(&part.id, now)
        };
        let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
        (started_now, elapsed, progress.part_passed(&part.id))
    });

    let budget = part.budget();
    let mut out = Out::new();
    out.line(format!("{BOLD}{}{BOLD:#}: {}", part.id, part.title));
    if started_now {
        out.line(format!(
            "{GOOD}The clock starts now{GOOD:#}: {budget} min for {}, each due when the \
             clock reaches its minutes and those before it.",
            count(part.exercises.len(), "exercise")
        ));
    } else if passed {
        out.line(format!(
            "{GOOD}Passed{GOOD:#}, {} (`--restart` starts the clock afresh).",
            clock(part, elapsed)
        ));
    } else {
        out.line(format!(
            "The clock runs: {} (`--restart` starts it afresh).",
            clock(part, elapsed).trim_start_matches("clock: ")
        ));
    }

    let left = gaps_left(root, part);
    for (index, exercise) in part.exercises.iter().enumerate() {
        out.line(format!(
            "  {}. {BOLD}{}{BOLD:#} ({} min, {}): {}",
            index + 1,
            exercise.id,
            exercise.minutes,
            due(part, exercise),
            exercise.title
        ));
        for number in part.gap_numbers(exercise) {
            let Some((_, gap)) = part.gaps().find(|(n, _)| *n == number) else {
                continue;
            };
            match left.iter().find(|gap| gap.number == number) {
                Some(at) => out.line(format!(
                    "       gap {number}  {}:{}  {}",
                    at.file, at.line, gap.title
                )),
                None => out.line(format!(
                    "       {DIM}gap {number}  {}  {} (filled){DIM:#}",
                    slash(&part.exercise.join(&gap.file)),
                    gap.title
                )),
            }
        }
    }
    // The next step as the home screen and `list` say it.
    out.line(super::home::working_next(part, &left));
    Ok(ExitCode::SUCCESS)
}
