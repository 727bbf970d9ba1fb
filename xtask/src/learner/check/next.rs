//! The next step after a check: one thing to do, and the command to run
//! once it is done. The summary prints it, `--format json` gives it, and
//! both read it from here so that they never disagree.

use crate::learner::hint::SummaryHint;
use workshop_core::manifest::Part;
use workshop_grader::GapLeft;
use workshop_grader::{CheckResult, Report, Whose};

/// What to do next, most urgent first: a gap, the build, a failing check;
/// once everything passes, the next part or the bench.
#[derive(Debug)]
pub enum Next<'a> {
    /// Fill the first gap left; the hint reached for it, if it has hints.
    Gap {
        gap: &'a GapLeft,
        hint: Option<SummaryHint>,
    },
    /// No gap left, but it does not compile.
    Build,
    /// It builds with no gap left, and this check fails.
    Check(&'a CheckResult),
    /// The part passes: the next one.
    Part(&'a Part),
    /// The last part passes.
    Bench,
}

impl<'a> Next<'a> {
    /// The next step after `report`; `next_part` follows the part checked.
    /// `None` when there is nothing to do (a part without checks).
    pub fn of(
        report: &'a Report,
        next_part: Option<&'a Part>,
        hint: Option<SummaryHint>,
    ) -> Option<Self> {
        if let Some(gap) = report.gaps.first() {
            return Some(Next::Gap { gap, hint });
        }
        if report.passed() && !report.checks.is_empty() {
            return Some(next_part.map_or(Next::Bench, Next::Part));
        }
        if !report.built() {
            return Some(Next::Build);
        }
        report.first_failure().map(Next::Check)
    }

    /// The step in one line, plain text.
    pub fn step(&self) -> String {
        match self {
            Next::Gap { gap, .. } => format!(
                "gap {} in {}:{}, {}",
                gap.number, gap.file, gap.line, gap.title
            ),
            Next::Build => "make it build: fix the first compiler error".into(),
            Next::Check(check) => format!("make {} pass: {}", check.id, check.verdict.reason),
            Next::Part(part) => format!("{}, {}", part.id, part.title),
            Next::Bench => "compare the servers side by side".into(),
        }
    }

    /// The command to run once the step is done: the same check again,
    /// or the next part's.
    pub fn command(&self, part: &Part, whose: Whose) -> String {
        match self {
            Next::Gap { .. } | Next::Build | Next::Check(_) => match whose {
                Whose::Learner => format!("cargo xtask check {}", part.id),
                Whose::Solution => format!("cargo xtask check {} --solution", part.id),
            },
            // `start`, as the home screen and `list` say: it starts the
            // next part's clock and shows where its gaps are.
            Next::Part(next) => match whose {
                Whose::Learner => format!("cargo xtask start {}", next.id),
                Whose::Solution => format!("cargo xtask check {} --solution", next.id),
            },
            Next::Bench => "cargo xtask bench".into(),
        }
    }
}
