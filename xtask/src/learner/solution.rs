//! `cargo xtask solution partN [file]`: how the learner's file differs from
//! the solution, as a unified diff; `--apply` puts the solution in place,
//! after a backup.
//!
//! The solution is shown *as the exercise would hold it*: named `partN`, not
//! `partN_solution`, and without its `// BEGIN GAP`/`// END GAP` markers, so
//! the diff shows the code that differs and nothing else.
//!
//! A solution read too early spoils its exercise, so it waits for the
//! exercise's minutes: before the exercise passes and before the part's
//! clock reaches the minutes of the exercises up to this one, `solution`
//! says how long is left and asks (`--now` answers yes; with nobody to ask,
//! it exits 2). `solutions = "always"` in workshop.toml never asks.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anstyle::AnsiColor;
use anyhow::{Context, bail};
use similar::TextDiff;

use super::{Ask, BAD, BOLD, GOOD, Out};
use crate::progress::Progress;
use workshop_core::backup::Backup;
use workshop_core::generate::{self, Files, rename_identifier};
use workshop_core::manifest::{Exercise, Manifest, Part, Solutions};
use workshop_core::paths::slash;

/// What `cargo xtask solution --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Shows how your files differ from the solution, as a unified diff (- yours, \
    + the solution); it changes nothing. Without a file, every file of the part \
    that differs. --apply puts the solution in one file, after copying yours to \
    .workshop/backups/. Until an exercise passes or is due on the part's clock \
    (its minutes plus those before it), it says how long is left and asks first, \
    on the terminal; --now answers yes.";

/// Which part and file.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples: cargo xtask solution part2\n          \
                  cargo xtask solution part2 src/forceasync.rs --apply")]
pub struct SolutionArgs {
    /// The part, e.g. part2.
    part: String,
    /// One file, relative to the exercise crate (src/forceasync.rs).
    file: Option<String>,
    /// Replace your file with the solution (yours is backed up first).
    #[arg(long)]
    apply: bool,
    /// Do not wait for the exercise's minutes: show it now.
    #[arg(long)]
    now: bool,
}

/// The exit code when the solution must wait and nobody can be asked.
const WAITS: u8 = 2;

/// A file of the exercise, yours and the solution's.
struct Pair {
    /// Relative to the workspace root: `exercises/part2/src/forceasync.rs`.
    path: PathBuf,
    yours: Option<String>,
    solution: String,
}

pub fn run(root: &Path, args: &SolutionArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    let generated = generate::generate(&manifest, root)?;
    let paths: Vec<PathBuf> = match &args.file {
        Some(file) => vec![find(part, &generated, file)?],
        None if args.apply => bail!(
            "--apply replaces one file: name it, e.g. `cargo xtask solution {} {} --apply`",
            part.id,
            first_gap_file(part)
        ),
        None => generated
            .keys()
            .filter(|path| path.starts_with(&part.exercise))
            .cloned()
            .collect(),
    };
    let mut pairs = Vec::new();
    for path in paths {
        pairs.push(pair(root, part, &generated, path)?);
    }
    let differ: Vec<&Pair> = pairs
        .iter()
        .filter(|pair| pair.yours.as_deref() != Some(pair.solution.as_str()))
        .collect();

    let mut out = Out::new();
    // What would be shown: the file to apply, or the files that differ.
    let shown: Vec<&Pair> = if args.apply {
        pairs.iter().take(1).collect()
    } else {
        differ.clone()
    };
    if !args.now {
        let progress = Progress::load(root);
        let now = SystemTime::now();
        let waiting = waiting(&manifest, part, &shown, &progress, now);
        if let Some(line) = wait_line(part, &waiting, &progress, now) {
            if !io::stdin().is_terminal() {
                // The learner's command again, answered: one line to copy.
                let file = args.file.as_deref().map(|f| format!(" {f}"));
                let apply = if args.apply { " --apply" } else { "" };
                eprintln!(
                    "{line} `cargo xtask solution {}{}{apply} --now` shows it anyway.",
                    part.id,
                    file.unwrap_or_default()
                );
                return Ok(ExitCode::from(WAITS));
            }
            let mut ask = Ask::new();
            ask.line(line);
            if !ask.yes(format!("{BOLD}Show it now?{BOLD:#}"))? {
                ask.line("Nothing shown.");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    if args.apply {
        return apply(root, &mut out, &pairs[0]);
    }
    if differ.is_empty() {
        let what = match &args.file {
            Some(_) => slash(&pairs[0].path),
            None => format!("every file of {}", part.id),
        };
        out.line(format!(
            "{GOOD}✓{GOOD:#} {what} is the same as the solution."
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for pair in &differ {
        print_diff(&mut out, pair);
    }
    let example = differ
        .iter()
        .find_map(|pair| pair.path.strip_prefix(&part.exercise).ok())
        .map(slash)
        .unwrap_or_default();
    out.line(format!(
        "`cargo xtask solution {} {example} --apply` puts the solution in that file (yours is backed up first).",
        part.id
    ));
    Ok(ExitCode::SUCCESS)
}

/// The file the way the learner typed it: relative to the crate, to the
/// workspace, or only its name when that is unique.
fn find(part: &Part, generated: &Files, file: &str) -> anyhow::Result<PathBuf> {
    let wanted = Path::new(file);
    let files: Vec<&PathBuf> = generated
        .keys()
        .filter(|path| path.starts_with(&part.exercise))
        .collect();
    let exact = files.iter().find(|path| {
        path.as_path() == wanted || path.strip_prefix(&part.exercise).ok() == Some(wanted)
    });
    if let Some(path) = exact {
        return Ok(path.to_path_buf());
    }
    let by_name: Vec<&&PathBuf> = files
        .iter()
        .filter(|path| path.file_name() == Some(wanted.as_os_str()))
        .collect();
    match by_name.as_slice() {
        [only] => return Ok(only.to_path_buf()),
        [] => {}
        several => {
            let paths: Vec<String> = several
                .iter()
                .filter_map(|path| path.strip_prefix(&part.exercise).ok())
                .map(slash)
                .collect();
            bail!(
                "{} has several files named {file:?}: name one of {}",
                part.id,
                paths.join(", ")
            )
        }
    }
    let mut with_gaps: Vec<String> = part.gaps().map(|(_, gap)| slash(&gap.file)).collect();
    with_gaps.dedup();
    bail!(
        "{} has no file {file:?}: its files with gaps are {}",
        part.id,
        with_gaps.join(", ")
    )
}

fn first_gap_file(part: &Part) -> String {
    part.gaps()
        .next()
        .map(|(_, gap)| slash(&gap.file))
        .unwrap_or_else(|| "src/main.rs".into())
}

/// An exercise whose solution waits, and how long.
#[derive(Debug)]
struct Waiting<'a> {
    exercise: &'a Exercise,
    /// Until it is due on the part's clock.
    left: Duration,
}

/// The exercises with a gap in a file of `shown` whose solution still
/// waits, in the part's order.
fn waiting<'a>(
    manifest: &Manifest,
    part: &'a Part,
    shown: &[&Pair],
    progress: &Progress,
    now: SystemTime,
) -> Vec<Waiting<'a>> {
    if manifest.solutions == Solutions::Always {
        return Vec::new();
    }
    let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
    let mut waiting = Vec::new();
    for exercise in &part.exercises {
        // Open once it is due on the part's clock.
        let due = Duration::from_secs(u64::from(part.due(&exercise.id)) * 60);
        let in_shown = exercise.gaps.iter().any(|gap| {
            let path = part.exercise.join(&gap.file);
            shown.iter().any(|pair| pair.path == path)
        });
        let passed = progress.passed_after(&exercise.id).is_some();
        if in_shown && !passed && elapsed < due {
            waiting.push(Waiting {
                exercise,
                left: due - elapsed,
            });
        }
    }
    waiting
}

/// `Not passed yet: part1.client's solution opens in 7 min (…).`, or
/// `None` when nothing waits.
fn wait_line(
    part: &Part,
    waiting: &[Waiting],
    progress: &Progress,
    now: SystemTime,
) -> Option<String> {
    let (first, rest) = waiting.split_first()?;
    let elapsed = progress.elapsed(&part.id, now);
    // Whole minutes, rounded up: "0 min left" would read as "now".
    let left = |waiting: &Waiting| match elapsed {
        Some(_) => format!(": in {} min", waiting.left.as_secs().div_ceil(60)),
        None => String::new(),
    };
    let mut opens = format!(
        "{}'s solution opens when it is due, at {} min on the clock{}",
        first.exercise.id,
        part.due(&first.exercise.id),
        left(first)
    );
    for more in rest {
        opens.push_str(&format!(
            "; {}'s at {} min{}",
            more.exercise.id,
            part.due(&more.exercise.id),
            left(more)
        ));
    }
    let clock = match elapsed {
        Some(elapsed) => super::clock(part, elapsed),
        None => format!(
            "{}'s clock has not started: `cargo xtask start {}`",
            part.id, part.id
        ),
    };
    Some(format!("Not passed yet: {opens} ({clock})."))
}

/// The learner's file and the solution's, named as the exercise.
fn pair(root: &Path, part: &Part, generated: &Files, path: PathBuf) -> anyhow::Result<Pair> {
    let pristine = generated.get(&path).cloned().unwrap_or_default();
    let solution = if pristine.contains("todo!(\"gap ") {
        let relative = path.strip_prefix(&part.exercise).unwrap_or(&path);
        let source = part.solution.join(relative);
        let text = fs::read_to_string(root.join(&source))
            .with_context(|| format!("cannot read {}", slash(&source)))?;
        as_exercise(&text, &part.id)
    } else {
        // No gap: the exercise's file is the solution's, already renamed.
        pristine
    };
    let yours = fs::read(root.join(&path))
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Pair {
        path,
        yours,
        solution,
    })
}

/// The solution's text as the exercise holds it: markers out, crate renamed.
fn as_exercise(solution: &str, part: &str) -> String {
    let code: String = solution
        .split_inclusive('\n')
        .filter(|line| {
            let line = line.trim();
            !(line.starts_with("// BEGIN GAP ") || line == "// END GAP")
        })
        .collect();
    rename_identifier(&code, &format!("{part}_solution"), part)
}

fn print_diff(out: &mut Out, pair: &Pair) {
    let shown = slash(&pair.path);
    let yours_label = if pair.yours.is_some() {
        format!("{shown} (yours)")
    } else {
        format!("{shown} (missing)")
    };
    let yours = pair.yours.as_deref().unwrap_or("");
    let diff = TextDiff::from_lines(yours, &pair.solution)
        .unified_diff()
        .header(&yours_label, &format!("{shown} (solution)"))
        .to_string();
    let hunk = AnsiColor::Cyan.on_default();
    for line in diff.lines() {
        let styled = if line.starts_with("---") || line.starts_with("+++") {
            format!("{BOLD}{line}{BOLD:#}")
        } else if line.starts_with("@@") {
            format!("{hunk}{line}{hunk:#}")
        } else if line.starts_with('+') {
            format!("{GOOD}{line}{GOOD:#}")
        } else if line.starts_with('-') {
            format!("{BAD}{line}{BAD:#}")
        } else {
            line.to_string()
        };
        out.line(styled);
    }
    out.line("");
}

/// Puts the solution in the learner's file, after backing theirs up.
fn apply(root: &Path, out: &mut Out, pair: &Pair) -> anyhow::Result<ExitCode> {
    let shown = slash(&pair.path);
    if pair.yours.as_deref() == Some(pair.solution.as_str()) {
        out.line(format!("{shown} is the solution already: nothing to do."));
        return Ok(ExitCode::SUCCESS);
    }
    if pair.yours.is_some() {
        let mut backup = Backup::new(root, "solution");
        backup
            .save(&pair.path)
            .with_context(|| format!("cannot back up {shown}, so it is left as it is"))?;
        out.line(format!(
            "backed up to {}",
            slash(&backup.dir().join(&pair.path))
        ));
    }
    let full = root.join(&pair.path);
    if let Some(dir) = full.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(&full, &pair.solution).with_context(|| format!("cannot write {shown}"))?;
    out.line(format!("{GOOD}✓{GOOD:#} {shown} now holds the solution."));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_solution_as_the_exercise_has_no_markers_and_the_exercise_name() {
        let solution = "use part2_solution::x;\nfn f() {\n    // keep\n    // BEGIN GAP part2.a.b\n    1\n    // END GAP\n}\n";
        assert_eq!(
            as_exercise(solution, "part2"),
            "use part2::x;\nfn f() {\n    // keep\n    1\n}\n"
        );
    }

    #[test]
    fn a_solution_waits_until_its_exercise_passes_or_its_minutes_are_up() {
        let manifest = Manifest::load(&workshop_core::manifest::workspace_root()).unwrap();
        // part1: client, client_test, webserver, 10 min each.
        let part = manifest.part("part1").unwrap();
        let pair = |file: &str| Pair {
            path: part.exercise.join(file),
            yours: None,
            solution: String::new(),
        };
        let (client, server, lib) = (
            pair("src/client.rs"),
            pair("src/server.rs"),
            pair("src/lib.rs"),
        );
        let shown = [&client, &server, &lib];
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let minutes = |n: u64| start + Duration::from_secs(n * 60);
        let waits = |manifest: &Manifest, progress: &Progress, now: SystemTime| {
            waiting(manifest, part, &shown, progress, now)
                .iter()
                .map(|w| format!("{} {}", w.exercise.id, w.left.as_secs() / 60))
                .collect::<Vec<_>>()
        };

        // Before the clock starts, every minute is left; a file without a
        // gap (lib.rs) spoils nothing.
        let mut progress = Progress::default();
        assert_eq!(
            waits(&manifest, &progress, start),
            ["part1.client 10", "part1.webserver 30"]
        );
        let line = wait_line(
            part,
            &waiting(&manifest, part, &shown, &progress, start),
            &progress,
            start,
        );
        assert_eq!(
            line.as_deref(),
            Some(
                "Not passed yet: part1.client's solution opens when it is due, at 10 min on the \
                 clock; part1.webserver's at 30 min \
                 (part1's clock has not started: `cargo xtask start part1`)."
            )
        );
        // The minutes add up in the part's order: the webserver, third,
        // opens at 30 min on the part's clock.
        progress.start("part1", start);
        // Issue 26's example, said on the one clock, as `check` and `list`
        // say it: the webserver is due at 30, the clock reads 6.
        let at_six = waiting(&manifest, part, &[&server], &progress, minutes(6));
        assert_eq!(
            wait_line(part, &at_six, &progress, minutes(6)).as_deref(),
            Some(
                "Not passed yet: part1.webserver's solution opens when it is due, at 30 min on \
                 the clock: in 24 min (clock: 6 min of 30)."
            )
        );
        assert_eq!(
            waits(&manifest, &progress, minutes(9)),
            ["part1.client 1", "part1.webserver 21"]
        );
        assert_eq!(
            waits(&manifest, &progress, minutes(10)),
            ["part1.webserver 20"]
        );
        assert!(waits(&manifest, &progress, minutes(30)).is_empty());
        // Passed: open, whatever the clock says.
        progress.exercises.insert(
            "part1.webserver".into(),
            crate::progress::ExerciseProgress {
                passed_after_secs: Some(60),
            },
        );
        assert_eq!(waits(&manifest, &progress, minutes(1)), ["part1.client 9"]);
        // A course for people alone: never waits.
        let always = Manifest {
            solutions: Solutions::Always,
            ..manifest.clone()
        };
        assert!(waits(&always, &Progress::default(), start).is_empty());
    }

    /// Outside its gaps, the solution as the exercise is the generated
    /// exercise, byte for byte: the diff shows the gaps' code only.
    #[test]
    fn outside_the_gaps_it_is_the_generated_exercise() {
        let root = workshop_core::manifest::workspace_root();
        let manifest = Manifest::load(&root).unwrap();
        let generated = generate::generate(&manifest, &root).unwrap();
        for part in &manifest.parts {
            for (_, gap) in part.gaps() {
                let path = part.exercise.join(&gap.file);
                let pair = pair(&root, part, &generated, path.clone()).unwrap();
                let diff = TextDiff::from_lines(&generated[&path], &pair.solution);
                for change in diff.iter_all_changes() {
                    if change.tag() == similar::ChangeTag::Delete {
                        assert!(
                            change.value().contains("todo!(\"gap "),
                            "{}: only todo! lines go: {:?}",
                            slash(&path),
                            change.value()
                        );
                    }
                }
            }
        }
    }
}
