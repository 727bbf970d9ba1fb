//! What the instructor reads from the board: the page's and
//! `/state.json`'s view (learners × exercises, each learner's first failure
//! and clock, each exercise's tally and most common failure) and the CSV.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use super::{Board, Cell, ExerciseEntry, Learner, PartEntry};
use workshop_core::room_wire::{CheckOutcome, ExerciseReport};

impl Board {
    /// What the page and `/state.json` show, at `now` (unix seconds).
    pub fn view(&self, now: u64) -> View {
        let mut learners: Vec<LearnerView> = self
            .learners
            .iter()
            .map(|learner| self.learner_view(learner, now))
            .collect();
        learners.sort_by_key(|learner| (learner.name.to_lowercase(), learner.name.clone()));
        let exercises = self
            .catalogue
            .exercises()
            .map(|(part, exercise)| self.exercise_view(part, exercise))
            .collect();
        View {
            generated_at: stamp(now),
            exercises,
            learners,
        }
    }

    fn exercise_view(&self, part: &PartEntry, exercise: &ExerciseEntry) -> ExerciseView {
        let (mut passed, mut failing, mut not_started) = (0, 0, 0);
        let mut failures: BTreeMap<(usize, String, String), usize> = BTreeMap::new();
        for learner in &self.learners {
            let cell = learner.cells.get(&exercise.id);
            match status(cell, exercise) {
                Status::Passed => passed += 1,
                Status::NotStarted => not_started += 1,
                Status::Failing => {
                    failing += 1;
                    if let Some(failure) = cell.and_then(|cell| first_failure(cell, exercise)) {
                        let order = exercise
                            .checks
                            .iter()
                            .position(|check| *check == failure.check)
                            .unwrap_or(usize::MAX);
                        *failures
                            .entry((order, failure.check, failure.reason))
                            .or_default() += 1;
                    }
                }
            }
        }
        // The most learners; among equals, the earlier check.
        let common = failures.into_iter().fold(
            None::<CommonFailure>,
            |best, ((_, check, reason), learners)| match best {
                Some(best) if best.learners >= learners => Some(best),
                _ => Some(CommonFailure {
                    check,
                    reason,
                    learners,
                }),
            },
        );
        ExerciseView {
            id: exercise.id.clone(),
            part: part.id.clone(),
            title: exercise.title.clone(),
            minutes: exercise.minutes,
            checks: exercise.checks.clone(),
            passed,
            failing,
            not_started,
            common_failure: common,
        }
    }

    fn learner_view(&self, learner: &Learner, now: u64) -> LearnerView {
        let cells = self
            .catalogue
            .exercises()
            .map(|(_, exercise)| {
                let cell = learner.cells.get(&exercise.id);
                let view = CellView {
                    status: status(cell, exercise),
                    built: cell.map(|cell| cell.built),
                    report: cell.map(|cell| cell.report.clone()),
                    failure: cell.and_then(|cell| first_failure(cell, exercise)),
                };
                (exercise.id.clone(), view)
            })
            .collect();
        let part = learner
            .part
            .as_deref()
            .and_then(|id| self.catalogue.part(id));
        let mut current = None;
        let mut failing = None;
        if let Some(part) = part {
            let stuck = part.exercises.iter().find(|exercise| {
                status(learner.cells.get(&exercise.id), exercise) != Status::Passed
            });
            if let Some(exercise) = stuck {
                current = learner.cells.get(&exercise.id).map(|cell| {
                    // The clock runs on between checks.
                    let spent = cell.report.spent_secs + now.saturating_sub(cell.at);
                    Current {
                        exercise: exercise.id.clone(),
                        spent_secs: spent,
                        minutes: cell.report.minutes,
                        over: spent > u64::from(cell.report.minutes) * 60,
                    }
                });
            }
            failing = part.exercises.iter().find_map(|exercise| {
                let cell = learner.cells.get(&exercise.id)?;
                (status(Some(cell), exercise) == Status::Failing)
                    .then(|| first_failure(cell, exercise))
                    .flatten()
            });
        }
        let passing = part.is_some_and(|part| {
            part.exercises
                .iter()
                .all(|exercise| status(learner.cells.get(&exercise.id), exercise) == Status::Passed)
        });
        LearnerView {
            name: learner.name.clone(),
            part: learner.part.clone(),
            passing,
            failing,
            current,
            reports: learner.reports,
            last_seen: stamp(learner.last_seen),
            cells,
        }
    }

    /// Learners × exercises, for a spreadsheet.
    pub fn csv(&self, now: u64) -> String {
        let view = self.view(now);
        let mut header = vec![
            "learner".to_string(),
            "part".into(),
            "current exercise".into(),
            // The part's one clock, against when the exercise is due.
            "clock (min)".into(),
            "due at (min)".into(),
        ];
        header.extend(view.exercises.iter().map(|exercise| exercise.id.clone()));
        let mut out = csv_row(&header);
        for learner in &view.learners {
            let mut row = vec![
                learner.name.clone(),
                learner.part.clone().unwrap_or_default(),
                learner
                    .current
                    .as_ref()
                    .map(|c| c.exercise.clone())
                    .unwrap_or_default(),
                learner
                    .current
                    .as_ref()
                    .map(|c| (c.spent_secs / 60).to_string())
                    .unwrap_or_default(),
                learner
                    .current
                    .as_ref()
                    .map(|c| c.minutes.to_string())
                    .unwrap_or_default(),
            ];
            row.extend(view.exercises.iter().map(|exercise| {
                let status = learner
                    .cells
                    .get(&exercise.id)
                    .map_or(Status::NotStarted, |c| c.status);
                status.words().to_string()
            }));
            out.push_str(&csv_row(&row));
        }
        out
    }
}

fn status(cell: Option<&Cell>, exercise: &ExerciseEntry) -> Status {
    let Some(cell) = cell else {
        return Status::NotStarted;
    };
    let every_check_passes = exercise.checks.iter().all(|id| {
        cell.report
            .checks
            .iter()
            .any(|check| check.id == *id && check.passed)
    });
    if cell.built && cell.report.gaps_left == 0 && every_check_passes {
        Status::Passed
    } else {
        Status::Failing
    }
}

/// What to tell a learner first: the build, the first failing check, the
/// gaps.
fn first_failure(cell: &Cell, exercise: &ExerciseEntry) -> Option<Failure> {
    if !cell.built {
        return Some(Failure {
            check: "build".into(),
            reason: "it does not build".into(),
        });
    }
    let failing = exercise.checks.iter().find_map(|id| {
        let check: &CheckOutcome = cell.report.checks.iter().find(|check| check.id == *id)?;
        (!check.passed).then(|| Failure {
            check: check.id.clone(),
            reason: check.reason.clone(),
        })
    });
    failing.or_else(|| {
        (cell.report.gaps_left > 0).then(|| Failure {
            check: "gaps".into(),
            reason: format!(
                "{} of {} gaps left",
                cell.report.gaps_left, cell.report.gaps
            ),
        })
    })
}

fn csv_row(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.clone()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

fn stamp(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failing,
    NotStarted,
}

impl Status {
    fn words(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failing => "failing",
            Status::NotStarted => "not started",
        }
    }
}

/// The board, as `/state.json` and the page's live updates carry it.
#[derive(Debug, Serialize)]
pub struct View {
    pub generated_at: String,
    /// In the manifest's order.
    pub exercises: Vec<ExerciseView>,
    /// By name.
    pub learners: Vec<LearnerView>,
}

#[derive(Debug, Serialize)]
pub struct ExerciseView {
    pub id: String,
    pub part: String,
    pub title: String,
    /// When it is due on its part's clock.
    pub minutes: u32,
    pub checks: Vec<String>,
    pub passed: usize,
    pub failing: usize,
    pub not_started: usize,
    /// The first failing check most learners share, and its reason.
    pub common_failure: Option<CommonFailure>,
}

#[derive(Debug, Serialize)]
pub struct CommonFailure {
    pub check: String,
    pub reason: String,
    pub learners: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// A check id, or `build` or `gaps`.
    pub check: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct LearnerView {
    pub name: String,
    pub part: Option<String>,
    /// Every exercise of `part` passes.
    pub passing: bool,
    /// The first failure in `part`.
    pub failing: Option<Failure>,
    /// The first exercise of `part` that does not pass, and its clock.
    pub current: Option<Current>,
    pub reports: u64,
    pub last_seen: String,
    /// By exercise id, every exercise of the manifest.
    pub cells: BTreeMap<String, CellView>,
}

#[derive(Debug, Serialize)]
pub struct Current {
    pub exercise: String,
    /// The part's clock, run on since the last check.
    pub spent_secs: u64,
    /// When the exercise is due on that clock.
    pub minutes: u32,
    /// Past when it is due, and still not passing.
    pub over: bool,
}

#[derive(Debug, Serialize)]
pub struct CellView {
    pub status: Status,
    pub built: Option<bool>,
    /// The latest report, as sent.
    pub report: Option<ExerciseReport>,
    pub failure: Option<Failure>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use std::time::Instant;
    use workshop_core::room_wire::Join;

    #[test]
    fn the_board_shows_who_passes_who_is_stuck_and_on_what() {
        let mut board = board();
        let clock = Instant::now();
        let stuck = "ping_pong failed: the reply never came";
        board
            .record(
                report(1, "Ada", vec![futures(false, stuck, 700)]),
                1000,
                clock,
            )
            .unwrap();
        board
            .record(
                report(2, "Bo", vec![futures(false, stuck, 100)]),
                1000,
                clock,
            )
            .unwrap();
        board
            .record(
                report(3, "Cy", vec![futures(false, "other", 100)]),
                1000,
                clock,
            )
            .unwrap();
        board
            .record(
                report(4, "Di", vec![futures(true, "all 5 tests pass", 300)]),
                1000,
                clock,
            )
            .unwrap();
        board
            .join(
                &Join {
                    learner: id(5),
                    name: "Ed".into(),
                },
                1000,
                clock,
            )
            .unwrap();

        let view = board.view(1000 + 60);
        let futures = view
            .exercises
            .iter()
            .find(|e| e.id == "part2.futures")
            .unwrap();
        assert_eq!(
            (futures.passed, futures.failing, futures.not_started),
            (1, 3, 1)
        );
        let common = futures.common_failure.as_ref().unwrap();
        assert_eq!(
            (
                common.check.as_str(),
                common.reason.as_str(),
                common.learners
            ),
            ("part2.futures.tests", stuck, 2)
        );

        let names: Vec<&str> = view.learners.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Ada", "Bo", "Cy", "Di", "Ed"]);
        let ada = &view.learners[0];
        let current = ada.current.as_ref().unwrap();
        assert_eq!(
            (current.spent_secs, current.over),
            (760, true),
            "the clock ran on for a minute"
        );
        assert_eq!(ada.failing.as_ref().unwrap().reason, stuck);
        assert!(!ada.passing);
        assert!(!view.learners[1].current.as_ref().unwrap().over);
        // Di passed futures; forceasync was never reported.
        let di = &view.learners[3];
        assert_eq!(di.cells["part2.futures"].status, Status::Passed);
        assert_eq!(di.cells["part2.forceasync"].status, Status::NotStarted);
        assert!(di.current.is_none() && di.failing.is_none() && !di.passing);
        assert_eq!(view.learners[4].reports, 0);
    }

    #[test]
    fn a_pass_needs_every_check_the_build_and_no_gap() {
        let mut board = board();
        let clock = Instant::now();
        let mut missing_a_check = report(1, "Ada", vec![futures(true, "ok", 1)]);
        missing_a_check.exercises[0].checks.clear();
        board.record(missing_a_check, 1, clock).unwrap();
        let mut unbuilt = report(2, "Bo", vec![futures(true, "ok", 1)]);
        unbuilt.built = false;
        board.record(unbuilt, 1, clock).unwrap();
        let view = board.view(1);
        assert_eq!(
            view.learners[0].cells["part2.futures"].status,
            Status::Failing
        );
        let bo = &view.learners[1];
        assert_eq!(bo.failing.as_ref().unwrap().check, "build");
    }

    #[test]
    fn the_csv_is_learners_by_exercises() {
        let mut board = board();
        let clock = Instant::now();
        board
            .record(
                report(1, "Ada, \"the first\"", vec![futures(false, "x", 90)]),
                1,
                clock,
            )
            .unwrap();
        let csv = board.csv(1);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with(
                "learner,part,current exercise,clock (min),due at (min),part1.client,"
            ),
            "{csv}"
        );
        assert!(
            lines[1]
                .starts_with("\"Ada, \"\"the first\"\"\",part2,part2.futures,1,10,not started,"),
            "{csv}"
        );
        assert!(lines[1].contains(",failing,"), "{csv}");
    }
}
