//! The part's clock and the learner's progress: a check starts the clock if
//! `cargo xtask start` did not, and records each check's verdict and the
//! time each exercise took to pass, in `.workshop/progress.toml` (see
//! `crate::progress`).

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::progress::{Outcome, Passed, Progress};
use workshop_core::manifest::Part;
use workshop_grader::Report;

/// What the summary shows of the clock.
pub struct Clock {
    /// Time on the part's clock (frozen once the part passes).
    pub elapsed: Duration,
    /// The exercises that passed for the first time in this check.
    pub passed: Vec<Passed>,
}

/// Records the check `report` tells of. Progress that cannot be read or
/// written is no reason to fail a check.
pub fn record(root: &Path, part: &Part, report: &Report) -> Clock {
    let now = SystemTime::now();
    let verdicts: Vec<(String, bool)> = report
        .checks
        .iter()
        .map(|check| (check.id.to_string(), check.verdict.passed))
        .collect();
    let gaps_left: Vec<usize> = report.gaps.iter().map(|gap| gap.number).collect();
    let outcome = if report.built() {
        Outcome::Checked {
            results: &verdicts,
            gaps_left: &gaps_left,
        }
    } else {
        Outcome::NotBuilt
    };
    Progress::update(root, |progress| {
        let passed = progress.record(part, &outcome, now);
        let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
        Clock { elapsed, passed }
    })
}
