//! `cargo xtask hint partN [gap]`: the manifest's hints for a gap, one level
//! deeper each time it is asked. The level reached is kept per gap in the
//! progress file, so the next hint survives closing the terminal.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::{BOLD, DIM, Out, gaps_left};
use crate::progress::Progress;
use workshop_core::manifest::{Gap, Manifest, Part};
use workshop_core::paths::slash;
use workshop_grader::GapLeft;

/// What `cargo xtask hint --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Shows the next hint for the first gap you have not filled: one hint, one \
    level deeper each time you ask (`check` shows the level you have reached, \
    hint 1 before you ask). Name a gap (its number, its id or the id's last \
    word) to ask about another one. --all shows every hint of the gap at once \
    and moves nothing.";

/// Which gap to hint at.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples: cargo xtask hint part2\n          cargo xtask hint part2 3\n          \
                  cargo xtask hint part2 part2.forceasync.runtime --all"
)]
pub struct HintArgs {
    /// The part, e.g. part2.
    part: String,
    /// The gap: its number (the N of `gap N`), its id, or the id's last word.
    gap: Option<String>,
    /// Show every hint of the gap (of every gap left, if none is named);
    /// moves nothing: the next `hint` goes on from where you were.
    #[arg(long)]
    all: bool,
}

pub fn run(root: &Path, args: &HintArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let left = gaps_left(root, part);
    let mut out = Out::new();

    let gaps: Vec<(usize, &Gap)> = match &args.gap {
        Some(name) => vec![find(part, name)?],
        None if args.all => part
            .gaps()
            .filter(|(n, _)| left.iter().any(|gap| gap.number == *n))
            .collect(),
        None => part
            .gaps()
            .filter(|(n, _)| left.first().is_some_and(|gap| gap.number == *n))
            .collect(),
    };
    if gaps.is_empty() {
        out.line(format!(
            "Every gap of {} is filled: `cargo xtask check {}` says what is left to pass.",
            part.id, part.id
        ));
        return Ok(ExitCode::SUCCESS);
    }

    let mut progress = Progress::load(root);
    for (index, (number, gap)) in gaps.iter().enumerate() {
        if index > 0 {
            out.line("");
        }
        let reached = progress.hint_level(&gap.id) as usize;
        let total = gap.hints.len();
        show(
            &mut out,
            part,
            *number,
            gap,
            left.iter().find(|g| g.number == *number),
        );
        let file = slash(&gap.file);
        if total == 0 {
            out.line(format!(
                "This gap has no hints: `cargo xtask solution {} {file}` shows the answer.",
                part.id
            ));
            continue;
        }
        if args.all {
            // A look at every hint, which moves nothing: `check` and `hint`
            // go on from the level reached one hint at a time.
            for (i, hint) in gap.hints.iter().enumerate() {
                out.line(format!("{BOLD}  hint {} of {total}:{BOLD:#} {hint}", i + 1));
            }
            let next = if reached < total {
                format!("the next `hint` shows hint {} of {total}", reached + 1)
            } else {
                "you had reached the last hint".to_string()
            };
            out.line(format!("{DIM}(--all moves nothing: {next}){DIM:#}"));
            continue;
        }
        // One step deeper, and that hint alone: the ones before it were
        // shown when they were reached.
        let level = (reached + 1).min(total);
        if let Some(hint) = gap.hints.get(level - 1) {
            out.line(format!("{BOLD}  hint {level} of {total}:{BOLD:#} {hint}"));
        }
        if level < total {
            // The command as they typed it: asking again is the same words.
            let again = match &args.gap {
                Some(name) => format!("{} {name}", part.id),
                None => part.id.to_string(),
            };
            out.line(format!(
                "Ask again for hint {} of {total}: `cargo xtask hint {again}`.",
                level + 1
            ));
        } else {
            out.line(format!(
                "That was the last hint: `cargo xtask solution {} {file}` shows the answer.",
                part.id
            ));
        }
        progress.hints.insert(gap.id.to_string(), level as u32);
    }
    if !args.all {
        if let Err(err) = progress.save(root) {
            eprintln!(
                "warning: cannot save the hint level in {}: {err}",
                crate::progress::FILE
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The hint a check's summary shows under the next gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryHint {
    /// 1-based: hint `level` of `total`.
    pub level: usize,
    pub total: usize,
    pub text: String,
}

/// The hint for `gap` in a check's summary: the deepest one the learner has
/// asked for (the first if none), recorded as shown, so that `cargo xtask
/// hint` goes on with the next one instead of repeating it. `None` for a gap
/// without hints.
pub fn for_summary(root: &Path, gap: &Gap) -> Option<SummaryHint> {
    let total = gap.hints.len();
    if total == 0 {
        return None;
    }
    Progress::update(root, |progress| {
        let level = (progress.hint_level(&gap.id) as usize).clamp(1, total);
        progress.hints.insert(gap.id.to_string(), level as u32);
        Some(SummaryHint {
            level,
            total,
            text: gap.hints.get(level - 1)?.clone(),
        })
    })
}

/// `gap 3 in exercises/part2/src/forceasync.rs:58: build a runtime …`
fn show(out: &mut Out, part: &Part, number: usize, gap: &Gap, left: Option<&GapLeft>) {
    match left {
        Some(at) => out.line(format!(
            "{BOLD}gap {number}{BOLD:#} in {}:{}: {}",
            at.file, at.line, gap.title
        )),
        None => out.line(format!(
            "{BOLD}gap {number}{BOLD:#} in {}: {} (filled already)",
            slash(&part.exercise.join(&gap.file)),
            gap.title
        )),
    }
}

/// The gap named by number, id, or the id's last segment.
fn find<'a>(part: &'a Part, name: &str) -> anyhow::Result<(usize, &'a Gap)> {
    let found = part.gaps().find(|(number, gap)| {
        name.parse::<usize>().is_ok_and(|n| n == *number)
            || gap.id == name
            || gap.id.rsplit('.').next() == Some(name)
    });
    match found {
        Some(gap) => Ok(gap),
        None => {
            let known: Vec<String> = part
                .gaps()
                .map(|(number, gap)| format!("{number} ({})", gap.id))
                .collect();
            bail!(
                "{} has no gap {name:?}: name one of {}",
                part.id,
                known.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_shows_the_deepest_hint_reached_and_records_the_first() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let gap = Gap {
            id: workshop_core::ids::GapId::new("part2.futures.poll"),
            title: "poll".into(),
            file: "src/futures.rs".into(),
            hints: vec!["one".into(), "two".into(), "three".into()],
        };
        let hint = |level, text: &str| SummaryHint {
            level,
            total: 3,
            text: text.into(),
        };
        // Nothing asked yet: the first, now counted as shown, so that
        // `cargo xtask hint` goes on with the second.
        assert_eq!(for_summary(root.path(), &gap), Some(hint(1, "one")));
        assert_eq!(Progress::load(root.path()).hint_level(&gap.id), 1);
        Progress::update(root.path(), |p| p.hints.insert(gap.id.to_string(), 3));
        assert_eq!(for_summary(root.path(), &gap), Some(hint(3, "three")));
        let bare = Gap {
            hints: Vec::new(),
            ..gap
        };
        assert_eq!(for_summary(root.path(), &bare), None);
    }
}
