//! The part's clock and the learner's progress: a check starts the clock if
//! `cargo xtask start` did not, and records each check's verdict and the
//! time each exercise took to pass, in `.workshop/progress.toml` (see
//! `learner::progress`). The old `.workshop/clock/` files are ignored.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::gaps::GapLeft;
use super::verdict::Verdict;
use crate::learner::progress::{Outcome, Passed, Progress};
use crate::manifest::Part;

/// What the report shows of the clock.
pub struct Clock {
    /// Time on the part's clock (frozen once the part passes).
    pub elapsed: Duration,
    /// The exercises that passed for the first time in this check.
    pub passed: Vec<Passed>,
}

/// Records this check of `part`; `results` is `None` when it did not build.
/// Progress that cannot be read or written is no reason to fail a check.
pub fn record(
    root: &Path,
    part: &Part,
    results: Option<&[(String, Verdict, Duration)]>,
    gaps: &[GapLeft],
) -> Clock {
    let now = SystemTime::now();
    let verdicts: Vec<(String, bool)> = results
        .unwrap_or_default()
        .iter()
        .map(|(id, verdict, _)| (id.clone(), verdict.passed))
        .collect();
    let gaps_left: Vec<usize> = gaps.iter().map(|gap| gap.number).collect();
    let outcome = match results {
        None => Outcome::NotBuilt,
        Some(_) => Outcome::Checked {
            results: &verdicts,
            gaps_left: &gaps_left,
        },
    };
    Progress::update(root, |progress| {
        let passed = progress.record(part, &outcome, now);
        let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
        Clock { elapsed, passed }
    })
}
