//! `cargo xtask` alone: where the learner is, and the one command to run
//! next. It reads the progress file and looks for the gaps left, and runs
//! nothing: it answers at once. `main` prints the usage below it.

use std::path::Path;
use std::time::SystemTime;

use super::{BOLD, DIM, GOOD, Out, clock, count, due, gaps_left};
use crate::progress::{Last, Progress};
use workshop_core::manifest::{Manifest, Part};
use workshop_grader::GapLeft;

/// Prints the home screen. A manifest that does not load is one line on
/// stderr: the usage below still helps.
pub fn show(root: &Path) {
    let manifest = match Manifest::load(root) {
        Ok(manifest) => manifest,
        Err(err) => {
            eprintln!("error: {err}");
            return;
        }
    };
    let progress = Progress::load(root);
    let mut out = Out::new();
    for line in screen(root, &manifest, &progress, SystemTime::now()) {
        out.line(line);
    }
    out.line("");
}

/// Where the learner is: the part worked on last, else the next to start.
enum Place<'a> {
    /// No part started yet.
    Fresh,
    /// A part whose clock runs.
    Working(&'a Part),
    /// `previous` passed (if any part did); `next` is not started.
    Ready {
        previous: Option<&'a Part>,
        next: &'a Part,
    },
    /// Every part passes.
    Done,
}

fn place<'a>(manifest: &'a Manifest, progress: &Progress) -> Place<'a> {
    let started = |part: &Part| progress.started_at(&part.id).is_some();
    let passed = |part: &Part| progress.part_passed(&part.id);
    // The part worked on last: the latest start or check among those that
    // have not passed.
    let working = manifest
        .parts
        .iter()
        .filter(|part| started(part) && !passed(part))
        .max_by_key(|part| last_activity(part, progress));
    if let Some(part) = working {
        return Place::Working(part);
    }
    if !manifest.parts.iter().any(started) {
        return Place::Fresh;
    }
    let previous = manifest.parts.iter().rev().find(|part| passed(part));
    match manifest.parts.iter().find(|part| !passed(part)) {
        Some(next) => Place::Ready { previous, next },
        None => Place::Done,
    }
}

/// When the part's clock started or one of its checks last ran.
fn last_activity(part: &Part, progress: &Progress) -> Option<SystemTime> {
    let checks = part
        .exercises
        .iter()
        .flat_map(|exercise| exercise.check_ids())
        .filter_map(|id| progress.checks.get(&id.to_string()))
        .filter_map(|check| humantime::parse_rfc3339(&check.checked_at).ok());
    checks.chain(progress.started_at(&part.id)).max()
}

/// The screen's lines.
fn screen(root: &Path, manifest: &Manifest, progress: &Progress, now: SystemTime) -> Vec<String> {
    let mut lines = Vec::new();
    let place = place(manifest, progress);
    match &place {
        Place::Fresh => {
            let exercises: usize = manifest.parts.iter().map(|p| p.exercises.len()).sum();
            let total: u32 = manifest.parts.iter().map(Part::budget).sum();
            lines.push(format!(
                "{BOLD}Welcome.{BOLD:#} Nothing is started yet: {}, {}, {total} min in all.",
                count(manifest.parts.len(), "part"),
                count(exercises, "exercise")
            ));
        }
        Place::Working(part) => working(root, part, progress, now, &mut lines),
        Place::Ready {
            previous: Some(previous),
            ..
        } => {
            let took = progress.elapsed(&previous.id, now).unwrap_or_default();
            lines.push(format!(
                "{GOOD}{} passes{GOOD:#}, {}.",
                previous.id,
                clock(previous, took)
            ));
        }
        Place::Ready { previous: None, .. } | Place::Done => {}
    }
    lines.push(next_of(root, manifest, &place));
    lines
}

/// The one step to take next, as the home screen and `cargo xtask list`
/// both end with it: on the part worked on last, its next gap or its check;
/// else the next part to start.
pub fn next_line(root: &Path, manifest: &Manifest, progress: &Progress) -> String {
    next_of(root, manifest, &place(manifest, progress))
}

fn next_of(root: &Path, manifest: &Manifest, place: &Place) -> String {
    match place {
        Place::Fresh => match manifest.parts.first() {
            Some(first) => format!(
                "Begin with {}, {} ({} min): `cargo xtask start {}` starts its clock and shows its gaps.",
                first.id,
                first.title,
                first.budget(),
                first.id
            ),
            None => "The manifest has no part.".to_string(),
        },
        Place::Working(part) => working_next(part, &gaps_left(root, part)),
        Place::Ready { next, .. } => format!(
            "Next: {}, {} ({} min): `cargo xtask start {}`.",
            next.id,
            next.title,
            next.budget(),
            next.id
        ),
        Place::Done => format!(
            "{GOOD}Every part passes.{GOOD:#} Next: compare the servers side by side: `cargo xtask bench`."
        ),
    }
}

/// The next step in a part under way: its first gap left, else its check.
pub fn working_next(part: &Part, left: &[GapLeft]) -> String {
    match left.first() {
        Some(gap) => format!(
            "Next: fill gap {} ({}:{}), then `cargo xtask check {}` (or keep `cargo xtask watch {}` running).",
            gap.number, gap.file, gap.line, part.id, part.id
        ),
        None => format!("Next: `cargo xtask check {}`.", part.id),
    }
}

/// The part in progress: its clock, its checks, its next gap.
fn working(
    root: &Path,
    part: &Part,
    progress: &Progress,
    now: SystemTime,
    lines: &mut Vec<String>,
) {
    lines.push(format!("{BOLD}{}{BOLD:#}: {}", part.id, part.title));
    let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
    // The first exercise not passed yet, and when it is due on the clock.
    let at_hand = part
        .exercises
        .iter()
        .find(|exercise| progress.passed_after(&exercise.id).is_none())
        .map(|exercise| format!("; {} is {}", exercise.id, due(part, exercise)))
        .unwrap_or_default();
    lines.push(format!(
        "  clock   {}{at_hand}",
        clock(part, elapsed).trim_start_matches("clock: ")
    ));
    let lasts: Vec<Option<Last>> = part
        .exercises
        .iter()
        .flat_map(|exercise| exercise.check_ids())
        .map(|id| progress.last(&id.to_string()))
        .collect();
    let passing = lasts
        .iter()
        .filter(|last| **last == Some(Last::Pass))
        .count();
    let checks = if lasts.iter().all(Option::is_none) {
        format!("{DIM}not checked yet{DIM:#}")
    } else if lasts.iter().all(|last| *last == Some(Last::NotBuilt)) {
        "it did not build at your last check".to_string()
    } else {
        format!("{passing} of {} pass at your last check", lasts.len())
    };
    lines.push(format!("  checks  {checks}"));
    let left = gaps_left(root, part);
    match left.first() {
        Some(gap) => lines.push(format!(
            "  gaps    {} left; the next: gap {}  {}:{}  {}",
            left.len(),
            gap.number,
            gap.file,
            gap.line,
            gap.title
        )),
        None => lines.push("  gaps    every gap is filled".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Outcome;
    use std::time::Duration;
    use workshop_core::manifest::workspace_root;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn ids(place: Place) -> String {
        match place {
            Place::Fresh => "fresh".into(),
            Place::Working(part) => format!("working {}", part.id),
            Place::Ready { previous, next } => format!(
                "ready {} after {}",
                next.id,
                previous.map_or("none", |p| p.id.as_str())
            ),
            Place::Done => "done".into(),
        }
    }

    #[test]
    fn the_place_is_the_part_worked_on_last_else_the_next_to_start() {
        let manifest = Manifest::load(&workspace_root()).unwrap();
        let mut progress = Progress::default();
        assert_eq!(ids(place(&manifest, &progress)), "fresh");
        progress.start("part1", at(0));
        progress.start("part2", at(10));
        assert_eq!(ids(place(&manifest, &progress)), "working part2");
        // A check of part 1 after part 2 started: back on part 1.
        let part1 = manifest.part("part1").unwrap();
        progress.record(part1, &Outcome::NotBuilt, at(20));
        assert_eq!(ids(place(&manifest, &progress)), "working part1");

        // Every check of part 1 passes, no gap left: part 1 passes.
        let all: Vec<_> = part1
            .exercises
            .iter()
            .flat_map(|e| e.check_ids().map(|id| (id.to_string(), true)))
            .collect();
        let passed = Outcome::Checked {
            results: &all,
            gaps_left: &[],
        };
        progress.record(part1, &passed, at(30));
        assert_eq!(ids(place(&manifest, &progress)), "working part2");
        progress.parts.remove("part2");
        assert_eq!(ids(place(&manifest, &progress)), "ready part2 after part1");
    }
}
