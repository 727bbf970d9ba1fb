//! The board: each learner's latest outcome of each exercise, and what the
//! instructor reads from it. Plain data, no HTTP: the server holds it
//! behind a lock, the unit tests drive it directly.
//!
//! Memory is bounded whatever is posted: at most `MAX_LEARNERS` learners,
//! each with one cell per exercise of the manifest (a report names only
//! known exercises and checks), each cell holding a few bounded strings.
//! Nothing accumulates: a new report replaces the old.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::wire::{self, CheckOutcome, CheckReport, ExerciseReport, Join, MAX_REASON};
use crate::manifest::Manifest;

/// Learners in one room, at most.
pub const MAX_LEARNERS: usize = 500;
/// Reports a learner may send at once…
const BURST: f64 = 5.0;
/// …and then one per this long: faster than any check can run (a check
/// builds, then starts servers), so a laptop checking as fast as it can is
/// never refused, and a script posting in a loop is.
const REFILL: Duration = Duration::from_millis(250);

/// Why the board refused a post; it stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// An id it does not know, a value out of range, a bad name.
    Invalid(String),
    /// Another learner has that name.
    NameTaken(String),
    /// `MAX_LEARNERS` are in already.
    Full,
    /// Too many reports too fast; try again after this long.
    TooFast(Duration),
}

/// What the manifest says the room may hear about.
#[derive(Debug, Clone)]
pub struct Catalogue {
    parts: Vec<PartEntry>,
}

#[derive(Debug, Clone)]
struct PartEntry {
    id: String,
    exercises: Vec<ExerciseEntry>,
}

#[derive(Debug, Clone)]
struct ExerciseEntry {
    id: String,
    title: String,
    minutes: u32,
    /// Its check ids, in order.
    checks: Vec<String>,
}

impl Catalogue {
    pub fn new(manifest: &Manifest) -> Self {
        let parts = manifest
            .parts
            .iter()
            .map(|part| PartEntry {
                id: part.id.clone(),
                exercises: part
                    .exercises
                    .iter()
                    .map(|exercise| ExerciseEntry {
                        id: exercise.id.clone(),
                        title: exercise.title.clone(),
                        minutes: exercise.minutes,
                        checks: exercise
                            .checks
                            .iter()
                            .map(|kind| {
                                format!("{}.{}", exercise.id, crate::check::kind_name(*kind))
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Self { parts }
    }

    fn part(&self, id: &str) -> Option<&PartEntry> {
        self.parts.iter().find(|part| part.id == id)
    }

    fn exercises(&self) -> impl Iterator<Item = (&PartEntry, &ExerciseEntry)> {
        self.parts
            .iter()
            .flat_map(|part| part.exercises.iter().map(move |exercise| (part, exercise)))
    }
}

/// A learner and their latest outcomes; what `--state` saves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Learner {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub last_seen: u64,
    /// Reports received.
    pub reports: u64,
    /// The part of the latest report.
    pub part: Option<String>,
    /// By exercise id.
    pub cells: BTreeMap<String, Cell>,
    #[serde(skip)]
    bucket: Bucket,
}

/// An exercise's latest report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub built: bool,
    /// When it arrived, unix seconds: the clock runs on from there.
    pub at: u64,
    pub report: ExerciseReport,
}

/// A token bucket: `BURST` reports, then one per `REFILL`.
#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Default for Bucket {
    fn default() -> Self {
        Self {
            tokens: BURST,
            at: Instant::now(),
        }
    }
}

impl Bucket {
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let refilled = now.saturating_duration_since(self.at).as_secs_f64() / REFILL.as_secs_f64();
        self.tokens = (self.tokens + refilled).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(REFILL.mul_f64(1.0 - self.tokens))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Board {
    catalogue: Catalogue,
    learners: Vec<Learner>,
}

impl Board {
    pub fn new(catalogue: Catalogue, learners: Vec<Learner>) -> Self {
        Self {
            catalogue,
            learners,
        }
    }

    pub fn learners(&self) -> &[Learner] {
        &self.learners
    }

    pub fn join(&mut self, join: &Join, now: u64, clock: Instant) -> Result<(), Refused> {
        self.admit(&join.learner, &join.name, now, clock)?;
        Ok(())
    }

    /// Records a check's outcome, or refuses it whole.
    pub fn record(&mut self, report: CheckReport, now: u64, clock: Instant) -> Result<(), Refused> {
        self.validate(&report)?;
        let learner = self.admit(&report.learner, &report.name, now, clock)?;
        for exercise in report.exercises {
            let cell = Cell {
                built: report.built,
                at: now,
                report: exercise,
            };
            learner.cells.insert(cell.report.id.clone(), cell);
        }
        learner.part = Some(report.part);
        learner.reports += 1;
        Ok(())
    }

    /// The learner posting, found or added, once the post is allowed.
    fn admit(
        &mut self,
        id: &str,
        name: &str,
        now: u64,
        clock: Instant,
    ) -> Result<&mut Learner, Refused> {
        if !wire::is_learner_id(id) {
            return Err(Refused::Invalid(
                "the learner id is not 32 hex digits".into(),
            ));
        }
        wire::check_name(name).map_err(Refused::Invalid)?;
        let taken = self
            .learners
            .iter()
            .any(|other| other.id != id && other.name.to_lowercase() == name.to_lowercase());
        if taken {
            return Err(Refused::NameTaken(format!(
                "the name {name:?} is taken in this room: choose another with --name"
            )));
        }
        let index = match self.learners.iter().position(|learner| learner.id == id) {
            Some(index) => index,
            None if self.learners.len() >= MAX_LEARNERS => return Err(Refused::Full),
            None => {
                self.learners.push(Learner {
                    id: id.to_string(),
                    name: name.to_string(),
                    last_seen: now,
                    reports: 0,
                    part: None,
                    cells: BTreeMap::new(),
                    bucket: Bucket::default(),
                });
                self.learners.len() - 1
            }
        };
        let learner = &mut self.learners[index];
        learner.bucket.take(clock).map_err(Refused::TooFast)?;
        learner.name = name.to_string();
        learner.last_seen = now;
        Ok(learner)
    }

    /// Every id known to the manifest, every value in range.
    fn validate(&self, report: &CheckReport) -> Result<(), Refused> {
        let invalid = |message: String| Err(Refused::Invalid(message));
        let Some(part) = self.catalogue.part(&report.part) else {
            return invalid(format!("unknown part {:?}", report.part));
        };
        if report.exercises.is_empty() {
            return invalid("the report names no exercise".into());
        }
        let mut seen = Vec::new();
        for exercise in &report.exercises {
            let Some(known) = part.exercises.iter().find(|known| known.id == exercise.id) else {
                return invalid(format!("unknown exercise {:?} in {}", exercise.id, part.id));
            };
            if seen.contains(&&exercise.id) {
                return invalid(format!("exercise {:?} is named twice", exercise.id));
            }
            seen.push(&exercise.id);
            let in_range = exercise.minutes <= 24 * 60
                && exercise.spent_secs <= 30 * 24 * 3600
                && exercise.gaps <= 100
                && exercise.gaps_left <= exercise.gaps
                && exercise
                    .hint
                    .is_none_or(|hint| hint.level <= hint.of && hint.of <= 100);
            if !in_range {
                return invalid(format!("{}: a number is out of range", exercise.id));
            }
            let mut checks_seen = Vec::new();
            for check in &exercise.checks {
                if !known.checks.contains(&check.id) {
                    return invalid(format!("unknown check {:?} in {}", check.id, exercise.id));
                }
                if checks_seen.contains(&&check.id) {
                    return invalid(format!("check {:?} is named twice", check.id));
                }
                checks_seen.push(&check.id);
                if check.reason.chars().count() > MAX_REASON
                    || check.reason.chars().any(char::is_control)
                {
                    return invalid(format!(
                        "{}: a reason is one line of at most {MAX_REASON} characters",
                        check.id
                    ));
                }
            }
        }
        Ok(())
    }

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
            "minutes on it".into(),
            "its minutes".into(),
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

/// Now, in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
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
    pub spent_secs: u64,
    pub minutes: u32,
    /// Past its minutes, and still not passing.
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
    use super::*;
    use crate::room::wire::Hint;

    fn board() -> Board {
        let manifest = Manifest::load(&crate::manifest::workspace_root()).expect("the manifest");
        Board::new(Catalogue::new(&manifest), Vec::new())
    }

    fn id(n: u8) -> String {
        format!("{n:032x}")
    }

    fn check(id: &str, passed: bool, reason: &str) -> CheckOutcome {
        CheckOutcome {
            id: id.into(),
            passed,
            reason: reason.into(),
        }
    }

    fn futures(passed: bool, reason: &str, spent_secs: u64) -> ExerciseReport {
        ExerciseReport {
            id: "part2.futures".into(),
            minutes: 10,
            spent_secs,
            gaps: 2,
            gaps_left: u32::from(!passed),
            hint: Some(Hint { level: 1, of: 3 }),
            checks: vec![check("part2.futures.tests", passed, reason)],
        }
    }

    fn report(learner: u8, name: &str, exercises: Vec<ExerciseReport>) -> CheckReport {
        CheckReport {
            learner: id(learner),
            name: name.into(),
            part: "part2".into(),
            built: true,
            exercises,
        }
    }

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
    fn refusals_store_nothing() {
        let mut board = board();
        let clock = Instant::now();
        let mut unknown = report(1, "Ada", vec![futures(false, "x", 1)]);
        unknown.exercises[0].id = "part2.nope".into();
        assert!(matches!(
            board.record(unknown, 1, clock),
            Err(Refused::Invalid(_))
        ));
        let mut wrong_check = report(1, "Ada", vec![futures(false, "x", 1)]);
        wrong_check.exercises[0].checks[0].id = "part1.client.cli".into();
        assert!(matches!(
            board.record(wrong_check, 1, clock),
            Err(Refused::Invalid(_))
        ));
        let mut part = report(1, "Ada", vec![futures(false, "x", 1)]);
        part.part = "part9".into();
        assert!(matches!(
            board.record(part, 1, clock),
            Err(Refused::Invalid(_))
        ));
        let long = report(1, &"x".repeat(41), vec![futures(false, "x", 1)]);
        assert!(matches!(
            board.record(long, 1, clock),
            Err(Refused::Invalid(_))
        ));
        let two_lines = report(1, "Ada", vec![futures(false, "a\nb", 1)]);
        assert!(matches!(
            board.record(two_lines, 1, clock),
            Err(Refused::Invalid(_))
        ));
        assert!(board.learners().is_empty());

        board
            .record(report(1, "Ada", vec![futures(false, "x", 1)]), 1, clock)
            .unwrap();
        let taken = board.record(report(2, "ada", vec![futures(false, "x", 1)]), 1, clock);
        assert!(matches!(taken, Err(Refused::NameTaken(_))), "{taken:?}");
        assert_eq!(board.learners().len(), 1);
    }

    #[test]
    fn a_learner_posting_in_a_loop_is_slowed_down() {
        let mut board = board();
        let start = Instant::now();
        let post = |board: &mut Board, at: Duration| {
            board.record(
                report(1, "Ada", vec![futures(false, "x", 1)]),
                1,
                start + at,
            )
        };
        for _ in 0..5 {
            post(&mut board, Duration::ZERO).unwrap();
        }
        assert!(matches!(
            post(&mut board, Duration::ZERO),
            Err(Refused::TooFast(_))
        ));
        post(&mut board, Duration::from_millis(260)).unwrap();
        assert!(matches!(
            post(&mut board, Duration::from_millis(270)),
            Err(Refused::TooFast(_))
        ));
        assert_eq!(
            board.learners()[0].reports,
            6,
            "refused posts count for nothing"
        );
    }

    #[test]
    fn the_room_holds_so_many_learners() {
        let mut board = board();
        let clock = Instant::now();
        for n in 0..MAX_LEARNERS {
            let join = Join {
                learner: format!("{n:032x}"),
                name: format!("learner {n}"),
            };
            board.join(&join, 1, clock).unwrap();
        }
        let one_more = Join {
            learner: format!("{:032x}", MAX_LEARNERS),
            name: "late".into(),
        };
        assert_eq!(board.join(&one_more, 1, clock), Err(Refused::Full));
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
                "learner,part,current exercise,minutes on it,its minutes,part1.client,"
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
