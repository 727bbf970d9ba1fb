//! `cargo xtask reset partN [exercise]`: puts an exercise's files back as
//! they were at the start.
//!
//! Nothing is lost: every file about to be replaced is first copied to a new
//! timestamped folder under `.workshop/backups/` (git-ignored), and if any
//! copy fails nothing is replaced. On a terminal it asks first; elsewhere it
//! needs `--yes`. There is no reset of everything: a part must be named.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::{Ask, BOLD, GOOD, Out, count};
use workshop_core::backup::Backup;
use workshop_core::generate;
use workshop_core::manifest::{Exercise, Manifest, Part};
use workshop_core::paths::slash;

/// What `cargo xtask reset --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Puts a part's exercise files back as they were at the start: all of the \
    part's files, or only those holding one exercise's gaps. Your files are \
    first copied to .workshop/backups/<time>/ (the path is printed). It asks \
    before replacing anything; --yes answers for you, and is needed where \
    there is no terminal to ask on. Files you added are left alone.";

/// What to reset.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples: cargo xtask reset part2 forceasync\n          \
                  cargo xtask reset part2 --yes"
)]
pub struct ResetArgs {
    /// The part, e.g. part2.
    part: String,
    /// Only this exercise: its id (part2.forceasync) or last word (forceasync).
    exercise: Option<String>,
    /// Do not ask: replace the files (a backup is kept all the same).
    #[arg(long, short)]
    yes: bool,
}

/// The refusal when nobody can be asked, one line with the fix.
pub const NEEDS_YES: &str = "reset replaces your files: pass --yes to confirm (a backup is kept)";

pub fn run(root: &Path, args: &ResetArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let exercise = args
        .exercise
        .as_deref()
        .map(|name| find(part, name))
        .transpose()?;
    let what = exercise.map_or(part.id.as_str(), |exercise| exercise.id.as_str());
    let generated = generate::generate(&manifest, root)?;
    let files: Vec<(PathBuf, String)> = generated
        .into_iter()
        .filter(|(path, _)| path.starts_with(&part.exercise))
        .filter(|(path, _)| exercise.is_none_or(|exercise| holds_gap_of(part, exercise, path)))
        .filter(|(path, pristine)| {
            fs::read(root.join(path)).ok().as_deref() != Some(pristine.as_bytes())
        })
        .collect();

    let mut out = Out::new();
    if files.is_empty() {
        out.line(format!(
            "{GOOD}✓{GOOD:#} {what} is as it was at the start: nothing to reset."
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !io::stdin().is_terminal() {
            bail!("{NEEDS_YES}");
        }
        let mut ask = Ask::new();
        ask.line(format!(
            "Reset puts back {} of {what} as at the start:",
            count(files.len(), "file")
        ));
        for (path, _) in &files {
            let state = if root.join(path).exists() {
                "changed"
            } else {
                "missing"
            };
            ask.line(format!("  {} ({state})", slash(path)));
        }
        if !ask.yes(format!(
            "{BOLD}Reset them?{BOLD:#} Yours are backed up first."
        ))? {
            ask.line("Nothing was changed.");
            return Ok(ExitCode::FAILURE);
        }
    }

    // Every copy first: a failed one stops the reset before any file changes.
    let mut backup = Backup::new(root, "reset");
    for (path, _) in &files {
        if root.join(path).exists() {
            backup
                .save(path)
                .with_context(|| format!("cannot back up {}, so nothing was reset", slash(path)))?;
        }
    }
    if backup.saved() > 0 {
        out.line(format!("backed up to {}", slash(backup.dir())));
    }
    for (path, pristine) in &files {
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&full, pristine).with_context(|| format!("cannot write {}", slash(path)))?;
        out.line(format!("  restored {}", slash(path)));
    }
    out.line(format!(
        "{GOOD}✓{GOOD:#} {what} is back to its start ({} reset).",
        count(files.len(), "file")
    ));
    Ok(ExitCode::SUCCESS)
}

/// The exercise named by its id or its last word.
fn find<'a>(part: &'a Part, name: &str) -> anyhow::Result<&'a Exercise> {
    part.exercises
        .iter()
        .find(|exercise| exercise.id == name || exercise.id.rsplit('.').next() == Some(name))
        .ok_or_else(|| {
            let known: Vec<&str> = part.exercises.iter().map(|e| e.id.as_str()).collect();
            anyhow::anyhow!(
                "{} has no exercise {name:?}: name one of {}",
                part.id,
                known.join(", ")
            )
        })
}

/// Whether `path` (under the exercise crate) holds one of the exercise's gaps.
fn holds_gap_of(part: &Part, exercise: &Exercise, path: &Path) -> bool {
    exercise
        .gaps
        .iter()
        .any(|gap| part.exercise.join(&gap.file) == path)
}
