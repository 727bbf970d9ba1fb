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
use crate::progress::Progress;
use workshop_core::manifest::Part;
use workshop_grader::Report;

/// Connecting and sending, all told: a fraction of a second.
pub const DEADLINE: Duration = Duration::from_millis(300);

/// Sends the outcome of a check of `part` to the room joined, if any.
pub fn after_check(root: &Path, part: &Part, report: &Report) {
    let room = match Membership::load(root) {
        Ok(Some(room)) => room,
        Ok(None) => return,
        Err(why) => return quiet(&format!("not sent: {why}")),
    };
    let progress = Progress::load(root);
    let sent = build(
        &room,
        part,
        report,
        &progress,
        SystemTime::now(),
        &local_dirs(root),
    );
    if let Err(why) = post(&room, "/api/check", &sent, DEADLINE) {
        quiet(&format!("not sent to {}: {why}", room.url));
    }
}

/// What a check of `part` tells the room.
pub fn build(
    room: &Membership,
    part: &Part,
    report: &Report,
    progress: &Progress,
    now: SystemTime,
    local_dirs: &[String],
) -> CheckReport {
    let clock = on_the_clock(part, progress, now);
    let exercises = part
        .exercises
        .iter()
        .map(|exercise| {
            let left = report
                .gaps
                .iter()
                .filter(|gap| exercise.gaps.iter().any(|own| own.id == gap.id))
                .count();
            let checks = exercise
                .check_ids()
                .filter_map(|id| {
                    let verdict = &report.check(&id)?.verdict;
                    Some(CheckOutcome {
                        id: id.to_string(),
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
                id: exercise.id.to_string(),
                minutes: part.due(&exercise.id),
                spent_secs: clock.get(exercise.id.as_str()).copied().unwrap_or(0),
                gaps: exercise.gaps.len() as u32,
                gaps_left: left as u32,
                hint,
                checks,
            }
        })
        .collect();
    CheckReport {
        learner: room.learner.clone(),
        name: room.name.clone(),
        part: report.part.to_string(),
        built: report.built(),
        exercises,
    }
}

/// Each exercise of `part` on the part's one clock (see `Part::due`): the
/// clock when it passed, or the clock now while it does not pass. The board
/// sets it against when the exercise is due, as `list` and `check` do.
fn on_the_clock(part: &Part, progress: &Progress, now: SystemTime) -> BTreeMap<String, u64> {
    let elapsed = progress.elapsed(&part.id, now).unwrap_or_default();
    part.exercises
        .iter()
        .map(|exercise| {
            let at = progress.passed_after(&exercise.id).unwrap_or(elapsed);
            (exercise.id.to_string(), at.as_secs())
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
    use crate::progress::Outcome;
    use workshop_core::ids::{CheckId, CheckKind, ExerciseId, GapId};
    use workshop_core::manifest::Manifest;
    use workshop_grader::GapLeft;
    use workshop_grader::Verdict;
    use workshop_grader::{Build, CheckResult, Whose};

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
        let manifest =
            Manifest::load(&workshop_core::manifest::workspace_root()).expect("the manifest");
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
        let result = |exercise: &str, kind, verdict| CheckResult {
            id: CheckId::new(&ExerciseId::new(exercise), kind),
            verdict,
            took: Duration::ZERO,
        };
        let checks = vec![
            result("part1.client", CheckKind::Cli, Verdict::pass("ok")),
            result(
                "part1.client_test",
                CheckKind::ClientTest,
                Verdict::fail(
                    "gap 4 is not filled yet: write the client's test (tests/client_test.rs:18:5)",
                ),
            ),
            result("part1.webserver", CheckKind::Contract, Verdict::fail("no")),
        ];
        let gaps = Vec::from([4, 5].map(|number| {
            let (_, gap) = part.gaps().nth(number - 1).expect("the gap");
            GapLeft {
                number,
                id: GapId::clone(&gap.id),
                title: String::new(),
                file: String::new(),
                line: 1,
            }
        }));
        let checked = Report {
            part: part.id.clone(),
            whose: Whose::Learner,
            gaps,
            build: Build::Built {
                took: Duration::ZERO,
            },
            checks,
        };
        let report = build(&room(), part, &checked, &progress, at(1000), &[]);
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
        // The part's one clock against when each is due, as `list` says it.
        assert_eq!(client.minutes, 10);
        assert_eq!(
            (client_test.spent_secs, client_test.minutes),
            (1000, 20),
            "the clock now, against 20"
        );
        assert_eq!((webserver.spent_secs, webserver.minutes), (1000, 30));
        assert_eq!(client_test.hint, Some(Hint { level: 2, of: 4 }));
        assert_eq!(
            client_test.checks[0].reason,
            "gap 4 is not filled yet: write the client's test"
        );
        assert_eq!(webserver.checks.len(), 1, "only the checks that ran");
        assert_eq!(webserver.gaps_left, 1);
        let json = serde_json::to_string(&report).expect("JSON");
        assert!(!json.contains(".rs"), "{json}");

        let unbuilt = Report {
            build: Build::Failed { errors: Vec::new() },
            checks: Vec::new(),
            ..checked
        };
        let unbuilt = build(&room(), part, &unbuilt, &progress, at(1000), &[]);
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
