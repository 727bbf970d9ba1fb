//! The learner's progress: `.workshop/progress.toml`, plain TOML keyed by the
//! manifest's stable ids.
//!
//! Progress is a convenience, never a gate, so nothing about it can stop a
//! command: an id the manifest no longer has is kept but ignored, an entry
//! that does not read is skipped, a file that is not TOML is moved aside
//! with a one-line warning, and a file that cannot be written is a warning.
//! Writes go to a temporary file renamed over the old one, so a crash or a
//! Ctrl-C mid-write never leaves half a file; and there is no lock file, so
//! nothing can get stuck.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use workshop_core::manifest::Part;

/// Where the progress file lives, relative to the workspace root.
pub const FILE: &str = ".workshop/progress.toml";

/// The only format this xtask writes; a newer one is moved aside, not
/// misread.
const FORMAT_VERSION: i64 = 1;

const HEADER: &str = "\
# Your progress through the workshop, kept by `cargo xtask` (start, check,
# hint). Plain TOML: read it, or delete it to start afresh. Keys are the ids in
# workshop.toml; ids it does not know are ignored.
";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// By part id: the part's clock.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, PartProgress>,
    /// By exercise id: how long it took to pass.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub exercises: BTreeMap<String, ExerciseProgress>,
    /// By check id (`part2.forceasync.concurrency`): the last verdict.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, CheckProgress>,
    /// By gap id: how many of its hints were shown.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub hints: BTreeMap<String, u32>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartProgress {
    /// RFC 3339, UTC: when `start` or the first check started the clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Set once, when every exercise of the part has passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_after_secs: Option<u64>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    /// Seconds from the part's start to the first check where all of this
    /// exercise's checks passed and its gaps were filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_after_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckProgress {
    pub last: Last,
    /// RFC 3339, UTC.
    pub checked_at: String,
}

/// A check's last verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Last {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    /// The crate did not build, so the check could not run.
    #[serde(rename = "not built")]
    NotBuilt,
}

/// What a check of a part found, as the clock needs it.
pub enum Outcome<'a> {
    NotBuilt,
    Checked {
        /// Check id and whether it passed.
        results: &'a [(String, bool)],
        /// The numbers of the gaps still left.
        gaps_left: &'a [usize],
    },
}

/// An exercise that passed for the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    pub exercise: String,
    /// The part's clock when it passed.
    pub took: Duration,
    /// When it was due on that clock, in minutes (`Part::due`).
    pub due: u32,
}

impl Progress {
    /// Reads the progress file under `root`. Never fails: a missing file is
    /// a fresh start, a broken one is moved aside (and said so on stderr).
    pub fn load(root: &Path) -> Self {
        let path = root.join(FILE);
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Self::default(),
            Err(err) => {
                warn(&format!(
                    "cannot read {FILE} ({err}): progress is not shown"
                ));
                return Self::default();
            }
        };
        match Self::parse(&text) {
            Ok(progress) => progress,
            Err(why) => {
                let aside = set_aside(&path);
                match aside {
                    Ok(aside) => warn(&format!(
                        "{FILE} could not be read ({why}): moved to {}, starting afresh",
                        workshop_core::paths::slash(aside.strip_prefix(root).unwrap_or(&aside))
                    )),
                    Err(err) => warn(&format!(
                        "{FILE} could not be read ({why}) nor moved aside ({err}): delete it to start afresh"
                    )),
                }
                Self::default()
            }
        }
    }

    /// Parses the file's text. Only a file that is not TOML, or of another
    /// format version, is an error: bad entries are skipped one by one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|err| {
            let message = err.message().trim().replace('\n', "; ");
            match err.span() {
                Some(span) => {
                    let line = text.get(..span.start).unwrap_or("").matches('\n').count() + 1;
                    format!("line {line}: {message}")
                }
                None => message,
            }
        })?;
        match table.get("format_version") {
            // A hand-edited file that lost its version is still read.
            None => {}
            Some(toml::Value::Integer(FORMAT_VERSION)) => {}
            Some(toml::Value::Integer(other)) => {
                return Err(format!(
                    "format_version {other}: this xtask reads {FORMAT_VERSION}"
                ));
            }
            Some(_) => return Err("format_version is not a number".into()),
        }
        Ok(Self {
            parts: entries(&table, "parts"),
            exercises: entries(&table, "exercises"),
            checks: entries(&table, "checks"),
            hints: entries(&table, "hints"),
        })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        #[derive(Serialize)]
        struct File<'a> {
            format_version: i64,
            #[serde(flatten)]
            progress: &'a Progress,
        }
        let body = toml::to_string(&File {
            format_version: FORMAT_VERSION,
            progress: self,
        })
        // Maps of strings, numbers and strings: nothing that cannot serialise.
        .unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// Writes the file atomically: a temporary file renamed over it.
    pub fn save(&self, root: &Path) -> io::Result<()> {
        let path = root.join(FILE);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let temp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
        fs::write(&temp, self.render())?;
        fs::rename(&temp, &path).inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })
    }

    /// Loads, changes and saves; a failed save is a warning, not an error.
    pub fn update<R>(root: &Path, change: impl FnOnce(&mut Self) -> R) -> R {
        let mut progress = Self::load(root);
        let result = change(&mut progress);
        if let Err(err) = progress.save(root) {
            warn(&format!("cannot save your progress in {FILE}: {err}"));
        }
        result
    }

    /// When the part's clock started, if it has.
    pub fn started_at(&self, part: &str) -> Option<SystemTime> {
        let text = self.parts.get(part)?.started_at.as_deref()?;
        humantime::parse_rfc3339(text).ok()
    }

    /// Starts the part's clock unless it runs already; true if it starts now.
    pub fn start(&mut self, part: &str, now: SystemTime) -> bool {
        if self.started_at(part).is_some() {
            return false;
        }
        let entry = self.parts.entry(part.to_string()).or_default();
        entry.started_at = Some(stamp(now));
        entry.passed_after_secs = None;
        true
    }

    /// Starts the part's clock afresh, forgetting its pass times.
    pub fn restart(&mut self, part: &Part, now: SystemTime) {
        self.parts.remove(part.id.as_str());
        for exercise in &part.exercises {
            self.exercises.remove(exercise.id.as_str());
        }
        self.start(&part.id, now);
    }

    /// Time on the part's clock: since its start, or, once the part passed,
    /// the time that took. `None` before the clock starts.
    pub fn elapsed(&self, part: &str, now: SystemTime) -> Option<Duration> {
        if let Some(secs) = self.parts.get(part).and_then(|p| p.passed_after_secs) {
            return Some(Duration::from_secs(secs));
        }
        let started = self.started_at(part)?;
        Some(now.duration_since(started).unwrap_or_default())
    }

    /// Whether every exercise of the part has passed once.
    pub fn part_passed(&self, part: &str) -> bool {
        self.parts
            .get(part)
            .is_some_and(|p| p.passed_after_secs.is_some())
    }

    /// How long the exercise took to pass, if it has.
    pub fn passed_after(&self, exercise: &str) -> Option<Duration> {
        let secs = self.exercises.get(exercise)?.passed_after_secs?;
        Some(Duration::from_secs(secs))
    }

    /// The last verdict of a check, if it ran.
    pub fn last(&self, check: &str) -> Option<Last> {
        self.checks.get(check).map(|check| check.last)
    }

    /// Records a check of `part`: starts its clock if needed, keeps each
    /// check's verdict, and the time of each exercise that passes for the
    /// first time. Returns those exercises.
    pub fn record(&mut self, part: &Part, outcome: &Outcome, now: SystemTime) -> Vec<Passed> {
        self.start(&part.id, now);
        let elapsed = self.elapsed(&part.id, now).unwrap_or_default();
        let checked_at = stamp(now);
        let mut passed = Vec::new();
        for exercise in &part.exercises {
            let mut all_pass = true;
            for id in exercise.check_ids() {
                let id = id.to_string();
                let last = match outcome {
                    Outcome::NotBuilt => Last::NotBuilt,
                    Outcome::Checked { results, .. } => {
                        match results.iter().find(|(result, _)| *result == id) {
                            Some((_, true)) => Last::Pass,
                            Some((_, false)) => Last::Fail,
                            // Not run this time: its last verdict stands.
                            None => {
                                all_pass &= self.last(&id) == Some(Last::Pass);
                                continue;
                            }
                        }
                    }
                };
                all_pass &= last == Last::Pass;
                let checked_at = checked_at.clone();
                self.checks.insert(id, CheckProgress { last, checked_at });
            }
            let Outcome::Checked { gaps_left, .. } = outcome else {
                continue;
            };
            let filled = part.gap_numbers(exercise).all(|n| !gaps_left.contains(&n));
            let entry = self.exercises.entry(exercise.id.to_string()).or_default();
            if all_pass && filled && entry.passed_after_secs.is_none() {
                entry.passed_after_secs = Some(elapsed.as_secs());
                passed.push(Passed {
                    exercise: exercise.id.to_string(),
                    took: elapsed,
                    due: part.due(&exercise.id),
                });
            }
        }
        // Entries with nothing in them are noise in a file people read.
        self.exercises.retain(|_, e| e.passed_after_secs.is_some());
        let all_passed = part
            .exercises
            .iter()
            .all(|e| self.passed_after(&e.id).is_some());
        if let Some(entry) = self.parts.get_mut(part.id.as_str()) {
            if all_passed && entry.passed_after_secs.is_none() {
                entry.passed_after_secs = Some(elapsed.as_secs());
            }
        }
        passed
    }

    /// How many hints of the gap were shown.
    pub fn hint_level(&self, gap: &str) -> u32 {
        self.hints.get(gap).copied().unwrap_or(0)
    }
}

/// The entries of one table that read as `T`; the others are skipped.
fn entries<T: serde::de::DeserializeOwned>(table: &toml::Table, key: &str) -> BTreeMap<String, T> {
    let Some(toml::Value::Table(section)) = table.get(key) else {
        return BTreeMap::new();
    };
    section
        .iter()
        .filter_map(|(id, value)| Some((id.clone(), value.clone().try_into().ok()?)))
        .collect()
}

/// Renames a broken file to `progress.toml.corrupt-<time>`, beside it.
fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = stamp(SystemTime::now()).replace(':', "-");
    let mut aside = path.with_extension(format!("toml.corrupt-{stamp}"));
    let mut n = 2;
    while aside.exists() {
        aside = path.with_extension(format!("toml.corrupt-{stamp}-{n}"));
        n += 1;
    }
    fs::rename(path, &aside)?;
    Ok(aside)
}

pub fn stamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// One line on stderr, so that stdout stays what the command says.
fn warn(message: &str) {
    let mut err = anstream::stderr();
    // The learner's commands' warning colour; this file sits below them.
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    let _ = std::io::Write::write_fmt(
        &mut err,
        format_args!("{style}warning{style:#}: {message}\n"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use workshop_core::manifest::Manifest;

    fn manifest() -> Manifest {
        Manifest::load(&workshop_core::manifest::workspace_root()).unwrap()
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn round_trips_as_readable_toml() {
        let manifest = manifest();
        let part = manifest.part("part2").unwrap();
        let mut progress = Progress::default();
        progress.start("part2", at(0));
        progress.hints.insert("part2.futures.poll".into(), 2);
        let results = [("part2.futures.tests".to_string(), true)];
        let outcome = Outcome::Checked {
            results: &results,
            gaps_left: &[3, 4, 5],
        };
        progress.record(part, &outcome, at(125));
        let text = progress.render();
        assert!(text.contains("[parts.part2]"), "{text}");
        assert!(text.contains("[checks.\"part2.futures.tests\"]"), "{text}");
        assert!(text.contains("last = \"pass\""), "{text}");
        assert_eq!(Progress::parse(&text).unwrap(), progress);
    }

    #[test]
    fn an_exercise_passes_once_with_its_time_and_the_part_after_all() {
        let manifest = manifest();
        let part = manifest.part("part2").unwrap();
        let mut progress = Progress::default();
        let futures = [("part2.futures.tests".to_string(), true)];
        let first = progress.record(
            part,
            &Outcome::Checked {
                results: &futures,
                gaps_left: &[3],
            },
            at(0),
        );
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0].exercise, "part2.futures");
        assert_eq!(first[0].due, 10);
        assert_eq!(
            progress.elapsed("part2", at(60)),
            Some(Duration::from_secs(60))
        );

        // Every check of the part, as the manifest lists them.
        let all: Vec<_> = part
            .exercises
            .iter()
            .flat_map(|exercise| exercise.check_ids().map(|id| (id.to_string(), true)))
            .collect();
        let outcome = Outcome::Checked {
            results: &all,
            gaps_left: &[],
        };
        let second = progress.record(part, &outcome, at(600));
        assert_eq!(second.len(), 1, "part2.futures passed before: {second:?}");
        assert_eq!(second[0].took, Duration::from_secs(600));
        // On the part's one clock: forceasync, second, is due at 20 min.
        assert_eq!(second[0].due, 20);
        // The part passed: its clock stops.
        assert_eq!(
            progress.elapsed("part2", at(9000)),
            Some(Duration::from_secs(600))
        );
        assert!(progress.record(part, &outcome, at(700)).is_empty());
    }

    #[test]
    fn a_failed_build_marks_every_check_not_built() {
        let manifest = manifest();
        let part = manifest.part("part3").unwrap();
        let mut progress = Progress::default();
        assert!(progress.record(part, &Outcome::NotBuilt, at(0)).is_empty());
        assert_eq!(
            progress.last("part3.sync_server.contract"),
            Some(Last::NotBuilt)
        );
    }

    #[test]
    fn unknown_ids_and_bad_entries_are_ignored_not_fatal() {
        let text = r#"
format_version = 1
[parts.part9]
started_at = "2026-01-01T00:00:00Z"
[checks."part2.futures.tests"]
last = "maybe"
checked_at = "now"
[checks."part2.forceasync.contract"]
last = "fail"
checked_at = "2026-01-01T00:00:00Z"
future_field = true
[hints]
"part2.futures.poll" = "two"
"part2.futures.some_operation" = 1
[something_new]
x = 1
"#;
        let progress = Progress::parse(text).unwrap();
        assert!(progress.parts.contains_key("part9"), "kept, though unknown");
        assert_eq!(progress.last("part2.futures.tests"), None);
        assert_eq!(progress.last("part2.forceasync.contract"), Some(Last::Fail));
        assert_eq!(progress.hint_level("part2.futures.poll"), 0);
        assert_eq!(progress.hint_level("part2.futures.some_operation"), 1);
    }

    #[test]
    fn a_newer_format_or_a_broken_file_is_an_error_with_its_line() {
        let err = Progress::parse("format_version = 2\n").unwrap_err();
        assert_eq!(err, "format_version 2: this xtask reads 1");
        let err = Progress::parse("format_version = 1\n[parts\n").unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_progress_starts_afresh() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join(FILE);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "\u{0}garbage [[").unwrap();
        assert_eq!(Progress::load(root.path()), Progress::default());
        assert!(!path.exists());
        let aside: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(aside[0].starts_with("progress.toml.corrupt-"), "{aside:?}");
        Progress::update(root.path(), |p| p.start("part1", at(0)));
        assert!(Progress::load(root.path()).started_at("part1").is_some());
    }
}
