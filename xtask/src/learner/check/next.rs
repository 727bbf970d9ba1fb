//! The next step after a check: one thing to do, and the command to run
//! once it is done. The summary prints it, `--format json` gives it, and
//! both read it from here so that they never disagree.

use super::location::{self, Location};
use crate::learner::hint::SummaryHint;
use workshop_core::manifest::Part;
use workshop_grader::GapLeft;
use workshop_grader::{Build, CheckResult, Report, Whose};

/// What to do next, most urgent first: the build, a gap, a failing check;
/// once everything passes, the next part or the bench.
#[derive(Debug)]
pub enum Next<'a> {
    /// Fill the first gap left; the hint reached for it, if it has hints.
    Gap {
        gap: &'a GapLeft,
        hint: Option<SummaryHint>,
    },
    /// It does not compile: the first compiler error, where it is and
    /// what it says (in plain words when it is one learners meet).
    Build { at: Option<Location>, what: String },
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
        // A compile error first: a `todo!()` compiles, so the error is in
        // code the learner wrote, and nothing runs until it is fixed
        // (issue 26: it named gap 4 elsewhere while client.rs:92 failed).
        if let Build::Failed { errors } = &report.build {
            let first = errors.first().map(String::as_str).unwrap_or_default();
            let what = workshop_grader::plain_words(first).unwrap_or_else(|| {
                let plain = anstream::adapter::strip_str(first).to_string();
                let headline = plain.lines().next().unwrap_or_default().trim();
                if headline.is_empty() {
                    "the compiler's first error".to_string()
                } else {
                    headline.to_string()
                }
            });
            let at = location::of_error(first);
            // `at file:line:col, an async function…`: the place is said
            // once, before it.
            let what = match &at {
                Some(at) => what
                    .strip_prefix(&format!("at {}:{}:", at.file, at.line))
                    .and_then(|rest| rest.split_once(", "))
                    .map_or(what.clone(), |(_, rest)| rest.to_string()),
                None => what,
            };
            return Some(Next::Build { at, what });
        }
        if let Some(gap) = report.gaps.first() {
            return Some(Next::Gap { gap, hint });
        }
        if report.passed() && !report.checks.is_empty() {
            return Some(next_part.map_or(Next::Bench, Next::Part));
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
            Next::Build { at: Some(at), what } => {
                format!("make it build: {}:{}: {what}", at.file, at.line)
            }
            Next::Build { at: None, what } => format!("make it build: {what}"),
            Next::Check(check) => format!("make {} pass: {}", check.id, check.verdict.reason),
            Next::Part(part) => format!("{}, {}", part.id, part.title),
            Next::Bench => "compare the servers side by side".into(),
        }
    }

    /// The command to run once the step is done: the same check again,
    /// or the next part's.
    pub fn command(&self, part: &Part, whose: Whose) -> String {
        match self {
            Next::Gap { .. } | Next::Build { .. } | Next::Check(_) => match whose {
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
