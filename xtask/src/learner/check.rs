//! `cargo xtask check partN`: the grader's report, shown to the learner in
//! plain words, then acted on: progress and the clock recorded, the next
//! hint chosen, the outcome sent to the room. The grader (`workshop_grader`)
//! only grades; everything the learner's loop adds is here.
//!
//! `--format json` changes only where the results go: one JSON document on
//! stdout (`json.rs`), the text on stderr. The clock, the hint and the room
//! are the same, from the same report.

mod clock;
mod json;
mod location;
mod next;
mod print;

use std::path::Path;
use std::process::ExitCode;

use crate::learner::hint::{self, SummaryHint};
use next::Next;
use print::{Printer, Sink};
use workshop_core::manifest::{Manifest, Part};
use workshop_grader::{self, Event, Options, Whose};

/// Which part to check, and whose.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples: cargo xtask check part2\n          cargo xtask check part2 --format json"
)]
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
    /// The results as text, or as one JSON document on stdout for editors
    /// and scripts (the text then goes to stderr).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// How `check` gives its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text as the checks go, for people.
    Human,
    /// One JSON document at the end; its schema is in docs/grading.md.
    Json,
}

pub fn run(root: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    workshop_grader::exit_on_interrupt();
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let whose = if args.solution {
        Whose::Solution
    } else {
        Whose::Learner
    };
    let json = args.format == Format::Json;
    let sink = if json { Sink::stderr() } else { Sink::stdout() };
    let mut printer = Printer::new(sink, args.verbose);
    printer.header(part, whose);
    let options = Options {
        whose,
        release: args.release,
        // The JSON's first error is plain text, whatever stderr is.
        color: printer.color() && !json,
    };
    let report =
        workshop_grader::grade(root, &manifest, part, options, &mut |event| match event {
            Event::Restored(notices) => printer.notices(notices),
            Event::Gaps(gaps) => printer.gaps(gaps),
            Event::Building => printer.building(part),
            Event::Compiling { done, cold, total } => printer.compiling(done, cold, total),
            Event::Built(took) => printer.built(took),
            Event::BuildFailed(errors) => printer.build_failed(errors),
        })?;
    let locations: Vec<_> = report
        .checks
        .iter()
        .map(|result| location::of_check(part, whose, &report, result))
        .collect();
    for (result, at) in report.checks.iter().zip(&locations) {
        printer.check(result, at.as_ref());
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
    let next_part = manifest
        .parts
        .iter()
        .skip_while(|other| other.id != part.id)
        .nth(1);
    let next = Next::of(&report, next_part, hint);
    printer.summary(part, &report, clock.as_ref(), next.as_ref());
    if json {
        json::Results::new(part, &report, &locations, clock.as_ref(), next.as_ref()).print();
    }
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
fn next_hint(root: &Path, part: &Part, report: &workshop_grader::Report) -> Option<SummaryHint> {
    let first = report.gaps.first()?;
    let (_, gap) = part.gaps().find(|(_, gap)| gap.id == first.id)?;
    hint::for_summary(root, gap)
}
