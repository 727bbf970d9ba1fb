//! `cargo xtask list`: every part and exercise, its gaps filled out of its
//! total, each check's verdict at the last check, and the part's clock
//! against when each exercise is due (`Part::due`).

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use crate::progress::{Last, Progress};
use anstyle::Style;

use super::{BAD, BOLD, DIM, GOOD, Out, WARN, gaps_left, minutes};
use crate::learner;
use workshop_core::manifest::{Exercise, Manifest, Part};

/// What `cargo xtask list --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Lists every part and exercise: the gaps you filled out of the total, each \
    check's verdict at your last `cargo xtask check`, and the time on the \
    part's clock, with when each exercise passed on it and when it is due (its \
    minutes plus those before it). It ends with the step to take next, as \
    `cargo xtask` alone does. It changes nothing.";

/// Which parts to list.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask list\n         cargo xtask list part2")]
pub struct ListArgs {
    /// Only this part, e.g. part2.
    part: Option<String>,
}

pub fn run(root: &Path, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let parts: Vec<&Part> = match &args.part {
        Some(id) => vec![manifest.part(id)?],
        None => manifest.parts.iter().collect(),
    };
    let progress = Progress::load(root);
    let now = SystemTime::now();
    let mut rows = Vec::new();
    let mut lefts = Vec::new();
    for part in &parts {
        let left = gaps_left(root, part);
        let numbers: Vec<usize> = left.iter().map(|gap| gap.number).collect();
        for exercise in &part.exercises {
            rows.push(Row::new(part, exercise, &numbers, &progress));
        }
        lefts.push(left);
    }
    // Columns line up on the widest cell of each, colour left out.
    let widths = [0, 1, 2, 3].map(|column| {
        rows.iter()
            .map(|row| row.cells()[column].width())
            .max()
            .unwrap_or(0)
    });

    let mut out = Out::new();
    let mut one_part_passes = true;
    let mut rows = rows.into_iter();
    for part in &parts {
        let clock = match progress.elapsed(&part.id, now) {
            Some(time) if progress.part_passed(&part.id) => {
                format!("{GOOD}done{GOOD:#}, {}", learner::clock(part, time))
            }
            Some(time) => {
                // Past the budget: yellow, a nudge to ask for a hint.
                let over = time.as_secs() / 60 >= u64::from(part.budget());
                let style = if over { WARN } else { Style::new() };
                format!("{style}{}{style:#}", learner::clock(part, time))
            }
            None => format!("{DIM}not started, {} min{DIM:#}", part.budget()),
        };
        out.line(format!(
            "{BOLD}{}{BOLD:#}  {}  {clock}",
            part.id, part.title
        ));
        let mut part_passes = true;
        for row in rows.by_ref().take(part.exercises.len()) {
            part_passes &= row.passes;
            let cells = row.cells();
            let mut line = format!("  {} ", row.mark());
            for (cell, width) in cells.iter().zip(widths) {
                line.push_str(&cell.padded(width));
                line.push_str("  ");
            }
            out.line(line.trim_end());
        }
        one_part_passes = part_passes;
        out.line("");
    }
    // The next step as the home screen gives it (issue 26: `list` said
    // `check part1` after part 1 passed, while `check` and the home screen
    // had moved on); for one part, that part's own next step.
    let next = match (&args.part, parts.as_slice(), lefts.as_slice()) {
        (Some(_), _, _) if one_part_passes => {
            "It passes: `cargo xtask list` shows every part.".to_string()
        }
        (Some(_), [part], [left]) if progress.started_at(&part.id).is_some() => {
            super::home::working_next(part, left)
        }
        (Some(_), [part], _) => format!(
            "Next: `cargo xtask start {}` starts its clock and shows its gaps.",
            part.id
        ),
        _ => super::home::next_line(root, &manifest, &progress),
    };
    out.line(next);
    if let Some(room) = crate::room::status_line(root) {
        out.line(room);
    }
    Ok(ExitCode::SUCCESS)
}

/// Text with colour, and its width without.
struct Cell {
    styled: String,
    width: usize,
}

impl Cell {
    fn plain(text: String) -> Self {
        Self::styled(text.clone(), &text)
    }

    fn styled(styled: String, plain: &str) -> Self {
        Self {
            styled,
            width: plain.chars().count(),
        }
    }

    fn width(&self) -> usize {
        self.width
    }

    fn padded(&self, width: usize) -> String {
        format!(
            "{}{}",
            self.styled,
            " ".repeat(width.saturating_sub(self.width))
        )
    }
}

/// One exercise's line.
struct Row<'a> {
    exercise: &'a Exercise,
    filled: usize,
    total: usize,
    /// Each check's name and last verdict.
    checks: Vec<(&'static str, Option<Last>)>,
    passes: bool,
    took: Option<Duration>,
    /// `due at 20 min`.
    due: String,
}

impl<'a> Row<'a> {
    fn new(part: &Part, exercise: &'a Exercise, left: &[usize], progress: &Progress) -> Self {
        let numbers: Vec<usize> = part.gap_numbers(exercise).collect();
        let filled = numbers.iter().filter(|n| !left.contains(n)).count();
        let checks: Vec<_> = exercise
            .check_ids()
            .map(|id| (id.kind.name(), progress.last(&id.to_string())))
            .collect();
        let passes =
            filled == numbers.len() && checks.iter().all(|(_, last)| *last == Some(Last::Pass));
        Self {
            exercise,
            filled,
            total: numbers.len(),
            checks,
            passes,
            took: progress.passed_after(&exercise.id),
            due: learner::due(part, exercise),
        }
    }

    fn ran(&self) -> bool {
        self.checks.iter().any(|(_, last)| last.is_some())
    }

    /// ✓ passes, ✗ failed at the last check, · never checked.
    fn mark(&self) -> String {
        if self.passes {
            format!("{GOOD}✓{GOOD:#}")
        } else if self.ran() {
            format!("{BAD}✗{BAD:#}")
        } else {
            format!("{DIM}·{DIM:#}")
        }
    }

    /// The exercise, its gaps, its time, its checks.
    fn cells(&self) -> [Cell; 4] {
        let gaps = Cell::plain(format!("{}/{} gaps filled", self.filled, self.total));
        // On the part's clock, as everywhere: when it passed, when it is due.
        let time = match self.took {
            Some(took) => Cell::plain(format!("passed at {}, {}", minutes(took), self.due)),
            None => Cell::styled(format!("{DIM}{}{DIM:#}", self.due), &self.due),
        };
        let checks = if !self.ran() {
            let text = "not checked yet";
            Cell::styled(format!("{DIM}{text}{DIM:#}"), text)
        } else if self
            .checks
            .iter()
            .all(|(_, last)| *last == Some(Last::NotBuilt))
        {
            let text = "does not build";
            Cell::styled(format!("{BAD}{text}{BAD:#}"), text)
        } else {
            let (styled, plain): (Vec<String>, Vec<String>) = self
                .checks
                .iter()
                .map(|(name, last)| {
                    let (mark, style) = match last {
                        Some(Last::Pass) => ("✓", GOOD),
                        Some(Last::Fail | Last::NotBuilt) => ("✗", BAD),
                        None => ("·", DIM),
                    };
                    (
                        format!("{name} {style}{mark}{style:#}"),
                        format!("{name} {mark}"),
                    )
                })
                .unzip();
            Cell::styled(styled.join("  "), &plain.join("  "))
        };
        [
            Cell::plain(self.exercise.id.to_string()),
            gaps,
            time,
            checks,
        ]
    }
}
