//! `cargo xtask check partN --format json`: the check's results as one JSON
//! document, for editors, scripts and CI. Built from the grader's report,
//! the clock and the next step, as the human summary is; the schema is in
//! docs/grading.md ("Results for machines"), and a change to it that a
//! reader could trip on is a new `format_version`.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use super::clock::Clock;
use super::location::Location;
use super::next::Next;
use workshop_core::manifest::Part;
use workshop_grader::{Build, Report};

/// What readers check first; 1 until a change breaks them.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Results {
    pub format_version: u32,
    pub part: String,
    /// `learner` (your exercise) or `solution` (`--solution`).
    pub whose: &'static str,
    /// Everything passes: it builds, no gap left, every check passes.
    pub passed: bool,
    pub build: BuildResult,
    /// The gaps left, in the part's order.
    pub gaps: Vec<GapResult>,
    /// Every check that ran, in the manifest's order; none when the build
    /// failed.
    pub checks: Vec<CheckResult>,
    /// The part's clock; `null` for `--solution`, which is nobody's clock.
    pub clock: Option<ClockResult>,
    /// `null` when there is nothing to do.
    pub next: Option<NextStep>,
}

#[derive(Debug, Serialize)]
pub struct BuildResult {
    pub ok: bool,
    /// How long the build took; `null` when it failed.
    pub seconds: Option<f64>,
    /// How many compiler errors.
    pub errors: usize,
    /// The first one, as rustc renders it, without colour.
    pub first_error: Option<String>,
    /// One line for it in plain words, when it is an error learners meet
    /// in the gaps (a lock across an `.await`, a closure without `move`…).
    pub in_plain_words: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GapResult {
    pub number: usize,
    pub id: String,
    pub exercise: String,
    /// Relative to the workspace root, with `/`.
    pub file: String,
    pub line: usize,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub exercise: String,
    pub kind: &'static str,
    pub passed: bool,
    pub reason: String,
    pub details: Vec<String>,
    pub seconds: f64,
    /// Where to look, for a check that fails (see `location::of_check`).
    pub file: Option<String>,
    pub line: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ClockResult {
    /// Whole minutes on the part's clock (frozen once the part passed).
    pub minutes: u64,
    /// The part's minutes: the sum of its exercises'.
    pub budget: u32,
}

#[derive(Debug, Serialize)]
pub struct NextStep {
    /// What to do, in one line.
    pub step: String,
    /// What to run once it is done.
    pub command: String,
    /// For a gap: the hint the summary shows.
    pub hint: Option<HintResult>,
}

#[derive(Debug, Serialize)]
pub struct HintResult {
    /// Hint `level` of `of`; `cargo xtask hint` shows the next one.
    pub level: usize,
    pub of: usize,
    pub text: String,
}

impl Results {
    /// `locations` are the checks' (`report.checks`), in their order.
    pub fn new(
        part: &Part,
        report: &Report,
        locations: &[Option<Location>],
        clock: Option<&Clock>,
        next: Option<&Next>,
    ) -> Self {
        let exercise_of_gap = |id: &str| {
            part.exercises
                .iter()
                .find(|exercise| exercise.gaps.iter().any(|gap| gap.id == id))
                .map(|exercise| exercise.id.to_string())
                .unwrap_or_default()
        };
        let build = match &report.build {
            Build::Built { took } => BuildResult {
                ok: true,
                seconds: Some(seconds(*took)),
                errors: 0,
                first_error: None,
                in_plain_words: None,
            },
            Build::Failed { errors } => BuildResult {
                ok: false,
                seconds: None,
                errors: errors.len(),
                first_error: errors
                    .first()
                    .map(|error| anstream::adapter::strip_str(error).to_string()),
                in_plain_words: errors
                    .first()
                    .and_then(|error| workshop_grader::plain_words(error)),
            },
        };
        Self {
            format_version: FORMAT_VERSION,
            part: part.id.to_string(),
            whose: report.whose.side(),
            passed: report.passed(),
            build,
            gaps: report
                .gaps
                .iter()
                .map(|gap| GapResult {
                    number: gap.number,
                    id: gap.id.to_string(),
                    exercise: exercise_of_gap(&gap.id),
                    file: gap.file.clone(),
                    line: gap.line,
                    title: gap.title.clone(),
                })
                .collect(),
            checks: report
                .checks
                .iter()
                .zip(locations.iter().chain(std::iter::repeat(&None)))
                .map(|(check, at)| CheckResult {
                    id: check.id.to_string(),
                    exercise: check.id.exercise.to_string(),
                    kind: check.id.kind.name(),
                    passed: check.verdict.passed,
                    reason: check.verdict.reason.clone(),
                    details: check.verdict.details.clone(),
                    seconds: seconds(check.took),
                    file: at.as_ref().map(|at| at.file.clone()),
                    line: at.as_ref().map(|at| at.line),
                })
                .collect(),
            clock: clock.map(|clock| ClockResult {
                minutes: clock.elapsed.as_secs() / 60,
                budget: part.exercises.iter().map(|exercise| exercise.minutes).sum(),
            }),
            next: next.map(|next| NextStep {
                step: next.step(),
                command: next.command(part, report.whose),
                hint: match next {
                    Next::Gap {
                        hint: Some(hint), ..
                    } => Some(HintResult {
                        level: hint.level,
                        of: hint.total,
                        text: hint.text.clone(),
                    }),
                    _ => None,
                },
            }),
        }
    }

    /// The document, with a newline, on stdout. A closed stdout means
    /// nobody reads it: nothing to tell.
    pub fn print(&self) {
        // Strings, numbers, booleans and lists: nothing fails to serialise.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

/// Milliseconds, as seconds.
fn seconds(took: Duration) -> f64 {
    took.as_millis() as f64 / 1000.0
}
