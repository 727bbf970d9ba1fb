//! What the grader returns: the whole outcome of one check of a part, as
//! data. The commands print it, record it and send it; the grader itself
//! knows nothing of them.

use std::time::Duration;

use super::gaps::GapLeft;
use super::verdict::Verdict;
use workshop_core::ids::{CheckId, PartId};
pub use workshop_core::manifest::Whose;

/// How the build went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    Built {
        took: Duration,
    },
    /// The compiler's errors, as rustc renders them.
    Failed {
        errors: Vec<String>,
    },
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub id: CheckId,
    pub verdict: Verdict,
    pub took: Duration,
}

/// The grader's report on one part.
#[derive(Debug, Clone)]
pub struct Report {
    pub part: PartId,
    pub whose: Whose,
    pub gaps: Vec<GapLeft>,
    pub build: Build,
    /// In the manifest's order; empty when the build failed.
    pub checks: Vec<CheckResult>,
}

impl Report {
    pub fn built(&self) -> bool {
        matches!(self.build, Build::Built { .. })
    }

    /// Everything passes: it builds, no gap is left, every check passes.
    pub fn passed(&self) -> bool {
        self.built() && self.gaps.is_empty() && self.checks.iter().all(|check| check.verdict.passed)
    }

    /// How many checks pass.
    pub fn passing(&self) -> usize {
        self.checks
            .iter()
            .filter(|check| check.verdict.passed)
            .count()
    }

    /// The outcome of the check `id`, if it ran.
    pub fn check(&self, id: &CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.id == *id)
    }

    pub fn first_failure(&self) -> Option<&CheckResult> {
        self.checks.iter().find(|check| !check.verdict.passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workshop_core::ids::{CheckKind, ExerciseId};

    fn report(gaps: usize, build: Build, verdicts: &[bool]) -> Report {
        let exercise = ExerciseId::new("part1.webserver");
        Report {
            part: PartId::new("part1"),
            whose: Whose::Learner,
            gaps: (1..=gaps)
                .map(|number| GapLeft {
                    number,
                    id: workshop_core::ids::GapId::new(format!("part1.webserver.g{number}")),
                    title: "a gap".into(),
                    file: "src/server.rs".into(),
                    line: number,
                })
                .collect(),
            build,
            checks: verdicts
                .iter()
                .zip(CheckKind::ALL)
                .map(|(passed, kind)| CheckResult {
                    id: CheckId::new(&exercise, *kind),
                    verdict: if *passed {
                        Verdict::pass("ok")
                    } else {
                        Verdict::fail("no")
                    },
                    took: Duration::ZERO,
                })
                .collect(),
        }
    }

    const BUILT: Build = Build::Built {
        took: Duration::ZERO,
    };

    #[test]
    fn a_part_passes_when_it_builds_with_no_gap_and_every_check_passing() {
        assert!(report(0, BUILT, &[true, true]).passed());
        assert!(!report(1, BUILT, &[true, true]).passed());
        assert!(!report(0, BUILT, &[true, false]).passed());
        let failed = Build::Failed {
            errors: vec!["error".into()],
        };
        assert!(!report(0, failed, &[]).passed());
    }

    #[test]
    fn checks_are_found_by_id_and_counted() {
        let report = report(0, BUILT, &[true, false, true]);
        assert_eq!(report.passing(), 2);
        let failing = report.first_failure().map(|check| check.id.to_string());
        assert_eq!(failing.as_deref(), Some("part1.webserver.client_test"));
        let id = CheckId::new(&ExerciseId::new("part1.webserver"), CheckKind::Tests);
        assert!(report.check(&id).is_some_and(|check| check.verdict.passed));
    }

    #[test]
    fn the_solution_names_its_packages_apart() {
        assert_eq!(Whose::Learner.name("part2"), "part2");
        assert_eq!(Whose::Solution.name("webserver"), "webserver-solution");
    }
}
