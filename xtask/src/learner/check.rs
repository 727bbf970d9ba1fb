//! `cargo xtask check partN`: the grader's report, shown to the learner in
//! plain words, then acted on: progress and the clock recorded, the next
//! hint chosen, the outcome sent to the room. The grader (`crate::check`)
//! only grades; everything the learner's loop adds is here.

mod clock;
mod print;

use std::path::Path;
use std::process::ExitCode;

use crate::check::{self, Event, Options, report::Whose};
use crate::learner::hint::{self, SummaryHint};
use crate::manifest::{Manifest, Part};
use print::Printer;

/// Which part to check, and whose.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask check part2")]
pub struct CheckArgs {
    /// The part, e.g. part2.
    part: String,
    /// Check the solution instead of your exercise.
    #[arg(long)]
    solution: bool,
    /// Build in release mode (timing checks hold in both).
    #[arg(long)]
    release: bool,
    /// Show every compiler error, not just the first.
    #[arg(long)]
    verbose: bool,
}

pub fn run(root: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    check::exit_on_interrupt();
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let whose = if args.solution {
        Whose::Solution
    } else {
        Whose::Learner
    };
    let mut printer = Printer::new(args.verbose);
    printer.header(part, whose);
    let options = Options {
        whose,
        release: args.release,
        color: printer.color(),
    };
    let report = check::grade(root, &manifest, part, options, &mut |event| match event {
        Event::Restored(notices) => printer.notices(notices),
        Event::Gaps(gaps) => printer.gaps(gaps),
        Event::Building => printer.building(part),
        Event::Built(took) => printer.built(took),
        Event::BuildFailed(errors) => printer.build_failed(errors),
    })?;
    for result in &report.checks {
        printer.check(result);
    }

    // The clock runs, progress is recorded and hints are given for the
    // learner only: the solution is nobody's progress.
    let (clock, hint) = match whose {
        Whose::Learner => (
            Some(clock::record(root, part, &report)),
            next_hint(root, part, &report),
        ),
        Whose::Solution => (None, None),
    };
    let next = manifest
        .parts
        .iter()
        .skip_while(|other| other.id != part.id)
        .nth(1);
    printer.summary(part, &report, next, clock, hint);
    if whose == Whose::Learner {
        crate::room::after_check(root, part, &report);
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The hint shown under the first gap left: the deepest the learner has
/// reached (see `learner::hint::for_summary`).
fn next_hint(root: &Path, part: &Part, report: &check::report::Report) -> Option<SummaryHint> {
    let first = report.gaps.first()?;
    let (_, gap) = part.gaps().find(|(_, gap)| gap.id == first.id)?;
    hint::for_summary(root, gap)
}
