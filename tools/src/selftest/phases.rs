//! The four proofs selftest runs on a part, in the copy: the solution
//! passes, the pristine exercise fails naming exactly its gaps, each attempt
//! gets its verdict and reason, and each mutant of a gap fails some check.

use std::fs;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use super::attempts::Attempt;
use super::copy::{Copy, Graded};
use super::equivalent::{self, Equivalent};
use super::mutants::Mutant;
use super::report::{self, Outcome, Tried};
use workshop_core::manifest::{Manifest, Part};
use workshop_core::paths::slash;

/// A proof that did not hold, in one paragraph.
pub type Failure = String;

/// The solution passes every check: without that, every mutant would be
/// "caught" and prove nothing.
pub fn solution(copy: &Copy, part: &Part, when: &str) -> anyhow::Result<Option<Failure>> {
    let graded = copy.check(&[&part.id, "--solution"], &[])?;
    println!(
        "  solution{when}: {} ({:.1} s)",
        verdict(graded.passed),
        graded.took.as_secs_f64()
    );
    Ok((!graded.passed)
        .then(|| format!("the {} solution{when} fails:\n{}", part.id, graded.output)))
}

/// The pristine exercise fails, lists every gap (number, file, line, title)
/// and nothing else, and says a `todo!()` is a gap not filled yet.
pub fn pristine(copy: &Copy, manifest: &Manifest, part: &Part) -> anyhow::Result<Option<Failure>> {
    copy.reset_exercise(manifest, part)?;
    let graded = copy.check(&[&part.id], &[])?;
    let mut expected = Vec::new();
    for (number, gap) in part.gaps() {
        let file = part.exercise.join(&gap.file);
        let text = fs::read_to_string(copy.dir.join(&file))
            .with_context(|| format!("cannot read {}", file.display()))?;
        let needle = format!("todo!(\"gap {number}:");
        let line = text
            .lines()
            .position(|line| line.contains(&needle))
            .map_or(0, |index| index + 1);
        expected.push(format!(
            "gap {number}  {}:{line}  {}",
            slash(&file),
            gap.title
        ));
    }
    let listed: Vec<&str> = graded
        .output
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("gap "))
        .collect();
    let failure = if graded.passed {
        Some(format!("the pristine {} passes", part.id))
    } else if listed != expected {
        Some(format!(
            "the pristine {} lists its gaps as\n{}\ninstead of\n{}",
            part.id,
            listed.join("\n"),
            expected.join("\n")
        ))
    } else if !graded.output.contains("is not filled yet") {
        Some(format!(
            "the pristine {} never says \"is not filled yet\"",
            part.id
        ))
    } else {
        None
    };
    println!(
        "  pristine exercise: {} ({:.1} s)",
        if failure.is_none() {
            "fails, naming exactly its gaps"
        } else {
            "WRONG"
        },
        graded.took.as_secs_f64()
    );
    Ok(failure.map(|failure| format!("{failure}:\n{}", graded.output)))
}

/// Each attempt gets its verdict, for its reason.
pub fn attempts(
    copy: &Copy,
    manifest: &Manifest,
    part: &Part,
    attempts: &[Attempt],
) -> anyhow::Result<Vec<Failure>> {
    let mut failures = Vec::new();
    for attempt in attempts {
        copy.reset_exercise(manifest, part)?;
        attempt
            .apply(&copy.dir)
            .with_context(|| format!("cannot write the attempt {:?}", attempt.name))?;
        let (args, env) = attempt.check_args();
        let graded = copy.check(&args, &env)?;
        let judged = attempt.judge(graded.passed, &graded.output);
        println!(
            "  attempt {:?}: {} ({:.1} s)",
            attempt.name,
            if judged.is_ok() {
                "as expected"
            } else {
                "WRONG"
            },
            graded.took.as_secs_f64()
        );
        if let Err(why) = judged {
            failures.push(format!("{why}:\n{}", graded.output));
        }
    }
    copy.reset_exercise(manifest, part)?;
    Ok(failures)
}

/// Applies each mutant to the solution in the copy, grades it, and puts the
/// file back.
pub fn mutants(
    root: &Path,
    copy: &Copy,
    part: &Part,
    mutants: &[Mutant],
    equivalent: &[Equivalent],
) -> anyhow::Result<Vec<Tried>> {
    let mut tried = Vec::new();
    for (index, mutant) in mutants.iter().enumerate() {
        let path = copy.dir.join(&mutant.file);
        copy.restore(root, &mutant.file)?;
        let original =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mutated = mutant.apply(&original)?;
        fs::write(&path, &mutated).with_context(|| format!("cannot write {}", path.display()))?;
        let started = Instant::now();
        let graded = grade_twice_if_timed(copy, part);
        // Put back before anything else can fail.
        copy.restore(root, &mutant.file)?;
        let (graded, again) = graded?;
        let outcome = if graded.build_failed() && mutant.must_not_compile() {
            Outcome::Caught(vec!["the build".into()])
        } else if graded.build_failed() {
            Outcome::Unviable
        } else if again.as_ref().is_some_and(|again| again.passed) {
            Outcome::Flaky(graded.failed_checks())
        } else if !graded.passed {
            Outcome::Caught(graded.failed_checks())
        } else if let Some(reason) = equivalent::reason(equivalent, mutant) {
            Outcome::Equivalent(reason.to_string())
        } else {
            Outcome::Missed
        };
        let name = slash(&mutant.file);
        let diff = similar::TextDiff::from_lines(&original, &mutated)
            .unified_diff()
            .context_radius(2)
            .header(&name, &name)
            .to_string();
        let one = Tried {
            mutant: mutant.clone(),
            outcome,
            diff,
            took: started.elapsed(),
        };
        report::progress(index + 1, mutants.len(), &one);
        tried.push(one);
    }
    Ok(tried)
}

/// The checks that measure time. A busy machine only ever slows a server
/// down, so noise can make one of these fail, never pass: a mutant caught by
/// them alone is graded a second time, and counts as caught only if it fails
/// again. Part 6's retries check is counts but for its deadline scenario
/// (an answer at the deadline, a second before the limit), the jitter check
/// times waits, retry_after times them against what was asked, and
/// permits times the answers of conversions sent during a wait.
const TIMED_CHECKS: [&str; 9] = [
    ".concurrency",
    ".threads",
    ".shedding",
    ".no_leak",
    ".observe",
    ".retries",
    ".jitter",
    ".retry_after",
    ".permits",
];

/// Grades the solution in the copy; a second time when only timed checks
/// failed.
fn grade_twice_if_timed(copy: &Copy, part: &Part) -> anyhow::Result<(Graded, Option<Graded>)> {
    let args = [part.id.as_str(), "--solution"];
    let graded = copy.check(&args, &[])?;
    let failed = graded.failed_checks();
    let timed_only = !failed.is_empty()
        && failed
            .iter()
            .all(|id| TIMED_CHECKS.iter().any(|timed| id.ends_with(timed)));
    let again = if timed_only {
        Some(copy.check(&args, &[])?)
    } else {
        None
    };
    Ok((graded, again))
}

fn verdict(passed: bool) -> &'static str {
    if passed { "passes" } else { "FAILS" }
}
