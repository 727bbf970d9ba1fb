//! The board: each learner's latest outcome of each exercise, and who may
//! post what (`view` is what the instructor reads from it). Plain data, no
//! HTTP: the server holds it behind a lock, the unit tests drive it directly.
//!
//! Memory is bounded whatever is posted: at most `MAX_LEARNERS` learners,
//! each with one cell per exercise of the manifest (a report names only
//! known exercises and checks), each cell holding a few bounded strings.
//! Nothing accumulates: a new report replaces the old.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::wire::{self, CheckReport, ExerciseReport, Join, MAX_REASON};
use workshop_core::manifest::Manifest;

mod view;

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
    /// When it is due on its part's clock (`Part::due`), as learners send.
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
                id: part.id.to_string(),
                exercises: part
                    .exercises
                    .iter()
                    .map(|exercise| ExerciseEntry {
                        id: exercise.id.to_string(),
                        title: exercise.title.clone(),
                        minutes: part.due(&exercise.id),
                        checks: exercise.check_ids().map(|id| id.to_string()).collect(),
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
}

/// Now, in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Reports to post in the tests of the board and of its view.
#[cfg(test)]
mod fixtures {
    use super::*;
    use workshop_core::room_wire::{CheckOutcome, Hint};

    pub fn board() -> Board {
        let manifest =
            Manifest::load(&workshop_core::manifest::workspace_root()).expect("the manifest");
        Board::new(Catalogue::new(&manifest), Vec::new())
    }

    pub fn id(n: u8) -> String {
        format!("{n:032x}")
    }

    pub fn check(id: &str, passed: bool, reason: &str) -> CheckOutcome {
        CheckOutcome {
            id: id.into(),
            passed,
            reason: reason.into(),
        }
    }

    pub fn futures(passed: bool, reason: &str, spent_secs: u64) -> ExerciseReport {
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

    pub fn report(learner: u8, name: &str, exercises: Vec<ExerciseReport>) -> CheckReport {
        CheckReport {
            learner: id(learner),
            name: name.into(),
            part: "part2".into(),
            built: true,
            exercises,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

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
}
