//! `cargo xtask selftest [partN]`: proves the grader, by mutation.
//!
//! On a copy of the workspace (never the real tree), part by part: the
//! solution passes; the pristine exercise fails naming exactly its gaps; the
//! attempts of `tools/selftest/attempts/` get their verdicts and
//! reasons; and every mutant of every gap region fails some check. A missed
//! mutant fails the run unless `tools/selftest/equivalent.toml` says why it
//! is equivalent to the solution.

pub mod attempts;
mod copy;
mod equivalent;
mod mutants;
mod phases;
mod refresh;
mod regions;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use copy::Copy;
use equivalent::Equivalent;
use mutants::Mutant;
use report::{ByGap, Outcome, Tried};
use workshop_core::manifest::{Manifest, Part};

/// Which parts, and how much of them.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask selftest                 every part, every proof, every mutant (authoring: minutes)
  cargo xtask selftest part2 --sample 1 --mutants-only
  cargo xtask selftest --refresh       list cargo-mutants' mutants of the gaps again")]
pub struct SelftestArgs {
    /// One part, e.g. part2; every part when left out.
    part: Option<String>,
    /// Grade a fixed sample of the mutants: N of each gap, the same every run.
    #[arg(long, value_name = "N")]
    sample: Option<usize>,
    /// Only the mutants (the solution is still checked first): leave out
    /// the pristine exercises and the attempts.
    #[arg(long)]
    mutants_only: bool,
    /// Check the mutant lists against the solutions (none stale) and print
    /// every mutant by the name `equivalent.toml` uses; grade nothing.
    #[arg(long, conflicts_with_all = ["sample", "mutants_only", "refresh"])]
    list: bool,
    /// List cargo-mutants' mutants of the gaps again into
    /// tools/selftest/mutants.json (needs `cargo install cargo-mutants`),
    /// and grade nothing.
    #[arg(long)]
    refresh: bool,
    /// Where to copy the workspace to (default: a fixed folder in the
    /// system's temporary directory, so that builds stay incremental).
    #[arg(long, value_name = "DIR")]
    copy: Option<PathBuf>,
}

pub fn run(root: &Path, args: &SelftestArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    if args.refresh {
        return refresh::run(root, &manifest);
    }
    let parts: Vec<_> = match &args.part {
        Some(id) => vec![manifest.part(id)?.clone()],
        None => manifest.parts.clone(),
    };

    // Everything read and checked before the first build: a stale list
    // fails now, not after minutes.
    let listed = mutants::load_listed(root)?;
    let semantic = mutants::load_semantic(root, &manifest)?;
    let mut all = Vec::new();
    for part in &manifest.parts {
        all.extend(mutants::of_part(root, part, &listed, &semantic)?);
    }
    let equivalent = equivalent::load(root, &all)?;
    let attempts = attempts::load(root).map_err(anyhow::Error::msg)?;
    if args.list {
        return Ok(list(&parts, &all, &equivalent));
    }

    let started = Instant::now();
    let dir = args.copy.clone().unwrap_or_else(|| default_copy(root));
    // Its own target directory: it never waits for a learner's check, and
    // no other copy of the workspace builds there. Two copies sharing one
    // would share `target/debug/<bin>`, which cargo links again only when it
    // rebuilds: a check can then run the other copy's server. The tests
    // share theirs (WORKSHOP_GRADER_TARGET_DIR), and take turns.
    let target = std::env::var_os("WORKSHOP_GRADER_TARGET_DIR")
        .map_or_else(|| root.join("target/selftest"), PathBuf::from);
    println!(
        "Copying the workspace to {} (builds in {})",
        dir.display(),
        target.display()
    );
    let copy = Copy::sync(root, &dir, &target)?;

    let mut failures = Vec::new();
    let mut tables = Vec::new();
    for part in &parts {
        println!("\n{}: {}", part.id, part.title);
        copy.forget_progress();
        if let Some(failure) = phases::solution(&copy, part, "")? {
            // Every mutant would be "caught": nothing to learn from them.
            failures.push(failure);
            continue;
        }
        if !args.mutants_only {
            failures.extend(phases::pristine(&copy, &manifest, part)?);
            let ours: Vec<_> = attempts
                .iter()
                .filter(|attempt| attempt.part == part.id)
                .cloned()
                .collect();
            failures.extend(phases::attempts(&copy, &manifest, part, &ours)?);
        }
        let gap_ids: Vec<String> = part.gaps().map(|(_, gap)| gap.id.to_string()).collect();
        let mut chosen: Vec<_> = all
            .iter()
            .filter(|mutant| gap_ids.contains(&mutant.gap))
            .cloned()
            .collect();
        if let Some(per_gap) = args.sample {
            chosen = mutants::sample(chosen, per_gap);
        }
        println!("  {} mutants:", chosen.len());
        let tried = phases::mutants(root, &copy, part, &chosen, &equivalent)?;
        if !chosen.is_empty() {
            // Nothing of the mutants is left behind, and the binaries in the
            // target directory are the solution's again (see `target` above).
            failures.extend(phases::solution(&copy, part, ", after the mutants")?);
        }
        let by_gap: ByGap = gap_ids
            .iter()
            .map(|gap| {
                let ours = tried.iter().filter(|one| one.mutant.gap == *gap);
                (gap.clone(), ours.cloned().collect())
            })
            .collect();
        tables.push((part.id.to_string(), by_gap));
    }
    copy.forget_progress();
    Ok(conclude(&tables, failures, &equivalent, started))
}

/// The copy's folder when `--copy` is not given: fixed, so that a second
/// run rebuilds only what changed, and one a workspace, named by a hash of
/// its path. Two work trees on one machine once shared one folder, and a run
/// in one synced the copy from its tree while the other's checks ran in it.
fn default_copy(root: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut hasher);
    std::env::temp_dir().join(format!(
        "async-workshop-selftest-{:08x}",
        hasher.finish() as u32
    ))
}

/// `--list`: every mutant of `parts`, by the name `equivalent.toml` uses.
fn list(parts: &[Part], all: &[Mutant], equivalent: &[Equivalent]) -> ExitCode {
    let mut shown = 0;
    for part in parts {
        let ours = all
            .iter()
            .filter(|mutant| part.gaps().any(|(_, gap)| gap.id == mutant.gap));
        for mutant in ours {
            shown += 1;
            let equivalent = equivalent::reason(equivalent, mutant)
                .map_or_else(String::new, |reason| format!("  (equivalent: {reason})"));
            println!("{}  {}{equivalent}", mutant.gap, mutant.name);
        }
    }
    println!("{shown} mutants, none stale.");
    ExitCode::SUCCESS
}

/// Each part's table and missed mutants, the total score, what failed;
/// success only when nothing did and no mutant was missed unexplained.
fn conclude(
    tables: &[(String, ByGap)],
    mut failures: Vec<String>,
    equivalent: &[Equivalent],
    started: Instant,
) -> ExitCode {
    let mut unlisted = 0;
    for (part, by_gap) in tables {
        println!("\n{part}\n\n{}", report::table(by_gap));
        let missed = report::missed(by_gap);
        if !missed.is_empty() {
            println!("{missed}");
        }
        for one in by_gap.iter().flat_map(|(_, tried)| tried) {
            if matches!(one.outcome, Outcome::Missed | Outcome::Flaky(_)) {
                unlisted += 1;
            }
            failures.extend(semantic_fault(one));
            if matches!(one.outcome, Outcome::Caught(_))
                && equivalent::reason(equivalent, &one.mutant).is_some()
            {
                println!(
                    "note: {} {:?} is listed in {} but a check catches it now: remove it from there",
                    one.mutant.gap,
                    one.mutant.name,
                    equivalent::FILE
                );
            }
        }
    }
    let counts = report::Counts::of(
        tables
            .iter()
            .flat_map(|(_, by_gap)| by_gap.iter().flat_map(|(_, tried)| tried)),
    );
    let score = counts
        .score()
        .map_or_else(|| "n/a".to_string(), |score| format!("{score:.0} %"));
    println!(
        "Mutation score {score}: {} caught, {} missed, {} equivalent, {} unviable, of {} mutants; {:.0} s in all.",
        counts.caught,
        counts.missed,
        counts.equivalent,
        counts.unviable,
        counts.mutants,
        started.elapsed().as_secs_f64()
    );
    for failure in &failures {
        println!("\nFAILED: {failure}");
    }
    if unlisted > 0 {
        println!(
            "\n{unlisted} missed mutant(s) above: make a check catch each, or list it in {} with a one-line reason why it is equivalent.",
            equivalent::FILE
        );
    }
    if failures.is_empty() && unlisted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A hand-written mutant that does not do what its entry says: one that
/// should compile and does not, or the other way round.
fn semantic_fault(one: &Tried) -> Option<String> {
    let builds = !matches!(one.outcome, Outcome::Unviable);
    if one.mutant.must_not_compile()
        && !matches!(one.outcome, Outcome::Caught(ref by) if by == &["the build"])
    {
        Some(format!(
            "the semantic mutant {} {:?} compiles, yet says `compiles = false`: fix it in {}",
            one.mutant.gap,
            one.mutant.name,
            mutants::SEMANTIC_FILE
        ))
    } else if one.mutant.semantic() && !builds {
        Some(format!(
            "the semantic mutant {} {:?} does not compile: fix it in {}:\n{}",
            one.mutant.gap,
            one.mutant.name,
            mutants::SEMANTIC_FILE,
            one.diff
        ))
    } else {
        None
    }
}
