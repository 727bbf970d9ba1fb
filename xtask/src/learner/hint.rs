//! `cargo xtask hint partN [gap]`: the manifest's hints for a gap, one level
//! deeper each time it is asked. The level reached is kept per gap in the
//! progress file, so the next hint survives closing the terminal.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::progress::Progress;
use super::{BOLD, DIM, Out, gaps_left};
use crate::check::gaps::GapLeft;
use crate::generate::slash;
use crate::manifest::{Gap, Manifest, Part};

/// What `cargo xtask hint --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Shows the next hint for the first gap you have not filled, one level deeper \
    each time you ask; the earlier ones are repeated, dimmed. Name a gap (its \
    number, its id or the id's last word) to ask about another one. --all shows \
    every hint at once.";

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
    /// Show every hint of the gap (of every gap left, if none is named).
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
        let shown = progress.hint_level(&gap.id) as usize;
        let total = gap.hints.len();
        let level = if args.all {
            total
        } else {
            (shown + 1).min(total)
        };
        show(
            &mut out,
            part,
            *number,
            gap,
            left.iter().find(|g| g.number == *number),
        );
        for (i, hint) in gap.hints.iter().enumerate().take(level) {
            let text = format!("  hint {} of {total}: {hint}", i + 1);
            // What was shown before is dimmed: the eye goes to the new one.
            if i < shown && i + 1 != level {
                out.line(format!("{DIM}{text}{DIM:#}"));
            } else {
                out.line(format!("{BOLD}{text}{BOLD:#}"));
            }
        }
        let file = slash(&gap.file);
        if level < total {
            // The command as they typed it: asking again is the same words.
            let again = match &args.gap {
                Some(name) => format!("{} {name}", part.id),
                None => part.id.clone(),
            };
            out.line(format!(
                "Ask again for the next hint: `cargo xtask hint {again}`."
            ));
        } else if total == 0 {
            out.line(format!(
                "This gap has no hints: `cargo xtask solution {} {file}` shows the answer.",
                part.id
            ));
        } else {
            out.line(format!(
                "That was the last hint: `cargo xtask solution {} {file}` shows the answer.",
                part.id
            ));
        }
        progress
            .hints
            .insert(gap.id.clone(), level.max(shown) as u32);
    }
    if let Err(err) = progress.save(root) {
        eprintln!(
            "warning: cannot save the hint level in {}: {err}",
            super::progress::FILE
        );
    }
    Ok(ExitCode::SUCCESS)
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
