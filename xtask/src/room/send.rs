//! The learner's side: after a check's verdict is printed, its outcome goes
//! to the room joined, if any.
//!
//! The room never slows or breaks a check: one request with a short total
//! deadline, sent after everything is printed; whatever goes wrong (no
//! room, a slow one, a 500, garbage) costs one quiet line on stderr, never
//! the verdict or the exit code.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anstyle::Style;

use super::membership::Membership;
use super::scrub;
use super::wire::{CheckOutcome, CheckReport, ExerciseReport, Hint};
use crate::check::gaps::GapLeft;
use crate::check::kind_name;
use crate::check::verdict::Verdict;
use crate::learner::gap_numbers;
use crate::learner::progress::Progress;
use crate::manifest::Part;

/// Connecting and sending, all told: a fraction of a second.
pub const DEADLINE: Duration = Duration::from_millis(300);

/// Sends the outcome of a check of `part` to the room joined, if any.
/// `results` is `None` when the part did not build.
pub fn after_check(
    root: &Path,
    part: &Part,
    results: Option<&[(String, Verdict, Duration)]>,
    gaps: &[GapLeft],
) {
    let room = match Membership::load(root) {
        Ok(Some(room)) => room,
        Ok(None) => return,
        Err(why) => return quiet(&format!("not sent: {why}")),
    };
    let progress = Progress::load(root);
    let report = build(
        &room,
        part,
        results,
        gaps,
        &progress,
        SystemTime::now(),
        &local_dirs(root),
    );
    if let Err(why) = post(&room, "/api/check", &report, DEADLINE) {
        quiet(&format!("not sent to {}: {why}", room.url));
    }
}

/// What a check of `part` tells the room.
pub fn build(
    room: &Membership,
    part: &Part,
    results: Option<&[(String, Verdict, Duration)]>,
    gaps: &[GapLeft],
    progress: &Progress,
    now: SystemTime,
    local_dirs: &[String],
) -> CheckReport {
    let spent = spent(part, progress, now);
    let exercises = part
        .exercises
        .iter()
        .map(|exercise| {
            let numbers: Vec<usize> = gap_numbers(part, exercise).collect();
            let left = gaps
                .iter()
                .filter(|gap| numbers.contains(&gap.number))
                .count();
            let checks = exercise
                .checks
                .iter()
                .filter_map(|kind| {
                    let id = format!("{}.{}", exercise.id, kind_name(*kind));
                    let (_, verdict, _) = results?.iter().find(|(result, _, _)| *result == id)?;
                    Some(CheckOutcome {
                        id,
                        passed: verdict.passed,
                        reason: scrub::reason(&verdict.reason, local_dirs),
                    })
                })
                .collect();
            // The deepest hint among the exercise's gaps.
            let hint = exercise
                .gaps
                .iter()
                .map(|gap| Hint {
                    level: progress.hint_level(&gap.id).min(gap.hints.len() as u32),
                    of: gap.hints.len() as u32,
                })
                .filter(|hint| hint.level > 0)
                .max_by_key(|hint| hint.level);
            ExerciseReport {
                id: exercise.id.clone(),
                minutes: exercise.minutes,
                spent_secs: spent.get(&exercise.id).copied().unwrap_or(0),
                gaps: numbers.len() as u32,
                gaps_left: left as u32,
                hint,
                checks,
            }
        })
        .collect();
    CheckReport {
        learner: room.learner.clone(),
        name: room.name.clone(),
        part: part.id.clone(),
        built: results.is_some(),
        exercises,
    }
}

/// Seconds spent on each exercise of `part`. The part has one clock; an
/// exercise's time runs from the previous pass in the part (or the start)
/// to its own pass, or to now while it does not pass.
fn spent(part: &Part, progress: &Progress, now: SystemTime) -> BTreeMap<String, u64> {
    let elapsed = progress
        .elapsed(&part.id, now)
        .unwrap_or_default()
        .as_secs();
    let passes: Vec<u64> = part
        .exercises
        .iter()
        .filter_map(|exercise| progress.passed_after(&exercise.id))
        .map(|took| took.as_secs())
        .collect();
    let before = |end: u64| {
        passes
            .iter()
            .copied()
            .filter(|&pass| pass < end)
            .max()
            .unwrap_or(0)
    };
    part.exercises
        .iter()
        .map(|exercise| {
            let secs = match progress.passed_after(&exercise.id) {
                Some(took) => took.as_secs() - before(took.as_secs()),
                None => {
                    let last = passes.iter().copied().max().unwrap_or(0);
                    elapsed.saturating_sub(last)
                }
            };
            (exercise.id.clone(), secs)
        })
        .collect()
}

/// Directories whose names must not leave the laptop: they hold the user's
/// name, or say where the workspace is.
fn local_dirs(root: &Path) -> Vec<String> {
    let mut dirs = vec![root.to_path_buf(), std::env::temp_dir()];
    dirs.extend(root.canonicalize().ok());
    dirs.extend(std::env::current_dir().ok());
    for var in [
        "HOME",
        "USERPROFILE",
        "CARGO_HOME",
        "WORKSHOP_GRADER_TARGET_DIR",
    ] {
        dirs.extend(std::env::var_os(var).map(Into::into));
    }
    dirs.iter()
        .map(|dir| dir.to_string_lossy().into_owned())
        .collect()
}

/// POSTs `body` to the room with the join token, within `deadline`; the
/// board's one-line refusal when it refuses.
pub fn post(
    room: &Membership,
    path: &str,
    body: &impl serde::Serialize,
    deadline: Duration,
) -> Result<(), String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(deadline)
        .connect_timeout(deadline)
        // The room is on the local network: no proxy has any business here.
        .no_proxy()
        .build()
        .map_err(|err| format!("no HTTP client: {err}"))?;
    let url = format!("{}{path}", room.url.trim_end_matches('/'));
    let response = client
        .post(&url)
        .bearer_auth(&room.token)
        .json(body)
        .send()
        .map_err(|err| {
            if err.is_timeout() {
                format!("no answer within {} s", deadline.as_secs_f64())
            } else if err.is_connect() {
                "cannot connect: is the board running?".to_string()
            } else {
                format!("the room answered no HTTP ({err})")
            }
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().unwrap_or_default();
    Err(format!("{}: {}", status.as_u16(), one_line(&text)))
}

/// The first line of what a server said, printable and short.
fn one_line(text: &str) -> String {
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if line.is_empty() {
        "no reason given".into()
    } else {
        line
    }
}

/// One dimmed line on stderr: stdout stays the check's.
fn quiet(message: &str) {
    let style = Style::new().dimmed();
    let mut err = anstream::stderr();
    let _ = std::io::Write::write_fmt(
        &mut err,
        format_args!("{style}room: {message} (your check is not affected){style:#}\n"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learner::progress::Outcome;
    use crate::manifest::Manifest;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn room() -> Membership {
        Membership {
            url: "http://127.0.0.1:1".into(),
            token: "t".into(),
            name: "Ada".into(),
            learner: "0".repeat(32),
        }
    }

    #[test]
    fn a_report_carries_verdicts_gaps_time_and_hints_and_no_paths() {
        let manifest = Manifest::load(&crate::manifest::workspace_root()).expect("the manifest");
        let part = manifest.part("part1").expect("part1");
        let mut progress = Progress::default();
        progress.start("part1", at(0));
        // part1.client passed after 7 min; the rest fails.
        let passed = [("part1.client.cli".to_string(), true)];
        progress.record(
            part,
            &Outcome::Checked {
                results: &passed,
                gaps_left: &[4, 5],
            },
            at(420),
        );
        progress.hints.insert("part1.client_test.test".into(), 2);
        let fail = |reason: &str| Verdict::fail(reason);
        let results = vec![
            (
                "part1.client.cli".to_string(),
                Verdict::pass("ok"),
                Duration::ZERO,
            ),
            (
                "part1.client_test.client_test".to_string(),
                fail(
                    "gap 4 is not filled yet: write the client's test (tests/client_test.rs:18:5)",
                ),
                Duration::ZERO,
            ),
            (
                "part1.webserver.contract".to_string(),
                fail("no"),
                Duration::ZERO,
            ),
        ];
        let gaps = [4, 5].map(|number| GapLeft {
            number,
            title: String::new(),
            file: String::new(),
            line: 1,
        });
        let report = build(
            &room(),
            part,
            Some(&results),
            &gaps,
            &progress,
            at(1000),
            &[],
        );
        assert!(report.built);
        assert_eq!(report.part, "part1");
        let [client, client_test, webserver] = &report.exercises[..] else {
            panic!("three exercises: {report:?}");
        };
        assert_eq!(
            (client.spent_secs, client.gaps_left, client.gaps),
            (420, 0, 3)
        );
        assert!(client.checks[0].passed);
        assert_eq!(client_test.spent_secs, 580, "from the last pass to now");
        assert_eq!(client_test.hint, Some(Hint { level: 2, of: 4 }));
        assert_eq!(
            client_test.checks[0].reason,
            "gap 4 is not filled yet: write the client's test"
        );
        assert_eq!(webserver.checks.len(), 1, "only the checks that ran");
        assert_eq!(webserver.gaps_left, 1);
        let json = serde_json::to_string(&report).expect("JSON");
        assert!(!json.contains(".rs"), "{json}");

        let unbuilt = build(&room(), part, None, &gaps, &progress, at(1000), &[]);
        assert!(!unbuilt.built);
        assert!(unbuilt.exercises.iter().all(|e| e.checks.is_empty()));
    }

    #[test]
    fn a_refusal_is_one_short_printable_line() {
        assert_eq!(
            one_line("409 the name is taken\nmore"),
            "409 the name is taken"
        );
        assert_eq!(one_line("\u{0}\u{1b}"), "no reason given");
        assert_eq!(one_line(&"x".repeat(500)).len(), 120);
    }
}
