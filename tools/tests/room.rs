//! The room, over real HTTP between real processes: the board (`room
//! serve`), learners' checks (`room join`, `check`), simulated learners,
//! rooms that misbehave, and the page in chromium (`room_page.rs`).

mod support;

use workshop_testkit as common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use rand::RngExt;
use serde_json::{Value, json};

use support::{Board, exercises, fake, find, learner, report, serial};

// --- a simulated room ---

/// 100 learners at once, each checking 20 times (any part, any outcome):
/// the board holds exactly each learner's latest outcome of each exercise.
#[test]
fn a_room_of_100_learners_checking_20_times_each_is_shown_exactly() {
    let _serial = serial();
    let board = Board::start(&[]);
    let catalogue = exercises();
    let parts: Vec<String> = {
        let mut parts: Vec<String> = catalogue.iter().map(|e| e.part.clone()).collect();
        parts.dedup();
        parts
    };
    let sent: Vec<(String, Value, BTreeMap<String, Value>)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..100)
            .map(|n| {
                let (board, catalogue, parts) = (&board, &catalogue, &parts);
                scope.spawn(move || {
                    let mut rng = rand::rng();
                    let (id, name) = (learner(n + 1), format!("learner {n:03}"));
                    assert_eq!(board.join(&id, &name).0, 200);
                    let mut latest = BTreeMap::new();
                    let mut last = Value::Null;
                    for round in 0..20 {
                        let part = &parts[rng.random_range(0..parts.len())];
                        let exercises: Vec<Value> = catalogue
                            .iter()
                            .filter(|e| e.part == *part)
                            .map(|e| {
                                let left = rng.random_range(0..=e.gaps);
                                let mut exercise = json!({
                                    "id": e.id,
                                    "minutes": e.minutes,
                                    "spent_secs": rng.random_range(0..3600),
                                    "gaps": e.gaps,
                                    "gaps_left": left,
                                    "checks": e.checks.iter().map(|check| json!({
                                        "id": check,
                                        "passed": left == 0 && rng.random_bool(0.7),
                                        "reason": format!("{name}, round {round}: <i>{check}</i> & \"more\""),
                                    })).collect::<Vec<_>>(),
                                });
                                if rng.random_bool(0.5) {
                                    let of = rng.random_range(1..5);
                                    exercise["hint"] = json!({ "level": rng.random_range(1..=of), "of": of });
                                }
                                latest.insert(e.id.clone(), exercise.clone());
                                exercise
                            })
                            .collect();
                        let (status, body) = board.report(&report(&id, &name, part, exercises));
                        assert_eq!(status, 200, "{name}, round {round}: {body}");
                        last = json!(part);
                        // A fast laptop checks no faster than this.
                        thread::sleep(Duration::from_millis(300));
                    }
                    (name, last, latest)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a learner"))
            .collect()
    });

    let state = board.state();
    let state_read = Instant::now();
    assert_eq!(state["learners"].as_array().map(Vec::len), Some(100));
    let mut tally: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for (name, part, latest) in &sent {
        let shown = find(&state, name).unwrap_or_else(|| panic!("{name} is not on the board"));
        assert_eq!(shown["reports"], 20, "{name}");
        assert_eq!(shown["part"], *part, "{name}");
        for exercise in &catalogue {
            let cell = &shown["cells"][&exercise.id];
            let counts = tally.entry(exercise.id.clone()).or_default();
            let Some(report) = latest.get(&exercise.id) else {
                assert_eq!(cell["status"], "not_started", "{name} {}", exercise.id);
                assert_eq!(cell["report"], Value::Null);
                counts[2] += 1;
                continue;
            };
            assert_eq!(
                cell["report"], *report,
                "{name} {}: not what was sent",
                exercise.id
            );
            let passed = report["gaps_left"] == 0
                && report["checks"]
                    .as_array()
                    .is_some_and(|c| c.iter().all(|c| c["passed"] == true));
            assert_eq!(
                cell["status"],
                if passed { "passed" } else { "failing" },
                "{name} {}",
                exercise.id
            );
            counts[usize::from(!passed)] += 1;
        }
    }
    for exercise in state["exercises"].as_array().expect("exercises") {
        let id = exercise["id"].as_str().expect("an id");
        let [passed, failing, not_started] = tally[id];
        assert_eq!(
            (
                &exercise["passed"],
                &exercise["failing"],
                &exercise["not_started"]
            ),
            (&json!(passed), &json!(failing), &json!(not_started)),
            "{id}"
        );
    }

    // The exports: the same board as JSON, and learners × exercises as CSV.
    let (status, headers, json) = board.get("/export.json", Some(&board.view_token));
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .starts_with("attachment")
    );
    let exported: Value = serde_json::from_str(&json).expect("JSON");
    // Read later than `state`: a learner's clock runs on between the reads
    // (a second may turn), so what moves is compared apart, and bounded.
    let (exported_clocks, exported_rest) = clocks_apart(&exported["learners"]);
    let (state_clocks, state_rest) = clocks_apart(&state["learners"]);
    assert_eq!(exported_rest, state_rest);
    let waited = state_read.elapsed().as_secs() + 1;
    for (later, earlier) in exported_clocks.iter().zip(&state_clocks) {
        assert!(
            (*earlier..=earlier + waited).contains(later),
            "a clock at {earlier} s, then {later} s within {waited} s"
        );
    }
    let (status, _, csv) = board.get("/export.csv", Some(&board.view_token));
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 101, "a header and a row a learner");
    assert!(
        rows[0].ends_with(
            &catalogue
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        )
    );
    for (name, _, latest) in &sent {
        let row = rows
            .iter()
            .find(|row| row.starts_with(&format!("{name},")))
            .expect("a row");
        let cells: Vec<&str> = row.split(',').rev().take(catalogue.len()).collect();
        let shown_started = cells.iter().filter(|cell| **cell != "not started").count();
        assert_eq!(shown_started, latest.len(), "{row}");
    }
}

/// The learners' running clocks (`current.spent_secs`, and `over`, which
/// follows it) taken out: the clocks in order, and the rest, which does not
/// move between two reads.
fn clocks_apart(learners: &Value) -> (Vec<u64>, Value) {
    let mut rest = learners.clone();
    let mut clocks = Vec::new();
    for learner in rest.as_array_mut().into_iter().flatten() {
        if let Some(current) = learner.get_mut("current").and_then(Value::as_object_mut) {
            clocks.extend(current.remove("spent_secs").and_then(|s| s.as_u64()));
            current.remove("over");
        }
    }
    (clocks, rest)
}

// --- a learner's check, end to end ---

#[test]
fn a_check_shows_on_the_board_within_a_second_and_passes_once_filled() {
    let _serial = serial();
    let copy = common::workspace("room");
    let board = Board::start(&[]);
    let joined = Command::new(common::runner())
        .arg("--root")
        .arg(&*copy)
        .args(board.join_line("Ada"))
        .output()
        .expect("room join runs");
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );

    let (passed, output) = common::check(&copy, &["part1"]);
    let checked = Instant::now();
    assert!(!passed, "{output}");
    let first = output
        .lines()
        .find(|line| line.starts_with("✗ part"))
        .expect("a failing check");
    let words: Vec<&str> = first.split_whitespace().collect();
    let (id, printed) = (words[1], words[4..].join(" "));
    let ada = wait_for(&board, checked, |ada| ada["part"] == "part1").unwrap_or_else(|| {
        panic!(
            "the check is not on the board within a second: {}",
            board.state()
        )
    });
    assert!(!ada["passing"].as_bool().expect("passing"));
    let failing = &ada["failing"];
    assert_eq!(failing["check"], id, "{ada}");
    let reason = failing["reason"].as_str().expect("a reason");
    assert!(reason.contains("is not filled yet"), "{reason}");
    assert!(
        printed.starts_with(reason),
        "the board says {reason:?}, the check {printed:?}"
    );
    assert!(
        !reason.contains(".rs"),
        "a file path left the laptop: {reason}"
    );
    assert!(
        !board.state().to_string().contains(".rs:"),
        "no file location anywhere"
    );

    support::fill(&copy, "part1");
    let (passed, output) = common::check(&copy, &["part1"]);
    let checked = Instant::now();
    assert!(passed, "{output}");
    let ada = wait_for(&board, checked, |ada| ada["passing"] == true).unwrap_or_else(|| {
        panic!(
            "the pass is not on the board within a second: {}",
            board.state()
        )
    });
    assert_eq!(ada["failing"], Value::Null);
    assert_eq!(ada["reports"], 2);
    for exercise in support::part("part1") {
        assert_eq!(
            ada["cells"][&exercise.id]["status"], "passed",
            "{}",
            exercise.id
        );
    }
}

/// Ada on the board once `done` holds, within a second of `since`.
fn wait_for(board: &Board, since: Instant, done: impl Fn(&Value) -> bool) -> Option<Value> {
    loop {
        let state = board.state();
        if let Some(ada) = find(&state, "Ada").filter(|ada| done(ada)) {
            return Some(ada.clone());
        }
        if since.elapsed() > Duration::from_secs(1) {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// --- a room that misbehaves ---

#[test]
fn a_room_down_slow_or_broken_changes_no_verdict_and_costs_under_half_a_second() {
    let _serial = serial();
    let copy = common::workspace("room");
    // A passing part: a room that broke the check would turn it into a failure.
    support::fill(&copy, "part3");
    let alone = support::timed_check(&copy, "part3");
    assert!(alone.passed, "{}", alone.stdout);
    assert!(!alone.stderr.contains("room:"), "{}", alone.stderr);
    for fault in [
        fake::Fault::Down,
        fake::Fault::Slow,
        fake::Fault::ServerError,
        fake::Fault::Garbage,
    ] {
        let url = fake::room(fault);
        fs::create_dir_all(copy.join(".workshop")).expect(".workshop");
        fs::write(
            copy.join(".workshop/room.toml"),
            format!(
                "url = \"{url}\"\ntoken = \"abcd-efgh-jkmn\"\nname = \"Ada\"\nlearner = \"{}\"\n",
                learner(1)
            ),
        )
        .expect("room.toml");
        let checked = support::timed_check(&copy, "part3");
        assert_eq!(
            (checked.passed, support::verdict(&checked.stdout)),
            (alone.passed, support::verdict(&alone.stdout)),
            "{fault:?}: the verdict changed:\n{}",
            checked.stdout
        );
        let _ = writeln!(
            std::io::stderr(),
            "{fault:?}: {:?} from the verdict to the exit (without a room: {:?})",
            checked.tail,
            alone.tail
        );
        let said: Vec<&str> = checked
            .stderr
            .lines()
            .filter(|line| line.contains("room:"))
            .collect();
        assert_eq!(
            said.len(),
            1,
            "{fault:?}: one quiet line: {}",
            checked.stderr
        );
        assert!(
            said[0].contains("your check is not affected"),
            "{}",
            said[0]
        );
        assert!(
            !checked.stdout.contains("room:"),
            "{fault:?}: stdout is the check's"
        );
        assert!(
            checked.tail <= alone.tail + Duration::from_millis(500),
            "{fault:?}: the room cost {:?} after the verdict (alone: {:?})",
            checked.tail,
            alone.tail
        );
    }
}

// --- the rules ---

#[test]
fn tokens_are_checked_and_the_view_token_is_not_the_join_token() {
    let _serial = serial();
    let board = Board::start(&[]);
    assert_ne!(board.join_token, board.view_token);
    let join = json!({ "learner": learner(1), "name": "Ada" }).to_string();
    for token in [None, Some("wrong"), Some(board.view_token.as_str())] {
        let (status, body) = board.post("/api/join", token, join.clone());
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_one_line(&body);
    }
    for path in ["/", "/state.json", "/events", "/export.json", "/export.csv"] {
        for token in [None, Some("wrong"), Some(board.join_token.as_str())] {
            let (status, _, body) = board.get(path, token);
            assert_eq!(status, 401, "{path} with {token:?}: {body}");
            assert_one_line(&body);
        }
    }
    assert_eq!(board.state()["learners"], json!([]), "nothing was stored");
    // No archive without --offline, whatever the token.
    assert_eq!(board.state().get("downloads"), None);
    let archive = format!("/workshop.tar.gz?token={}", board.join_token);
    let (status, _, body) = board.get(&archive, None);
    assert_eq!(status, 404, "{body}");
    assert_one_line(&body);
    assert_eq!(board.join(&learner(1), "Ada").0, 200);
    assert_eq!(board.state()["learners"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_bodies_names_and_ids_are_refused_in_one_line_and_store_nothing() {
    let _serial = serial();
    let board = Board::start(&[]);
    let part1 = support::part("part1");
    let good = report(
        &learner(1),
        "Ada",
        "part1",
        vec![support::exercise(&part1[0], false, "no", 60)],
    );
    let token = Some(board.join_token.as_str());
    let with = |change: &dyn Fn(&mut Value)| {
        let mut bad = good.clone();
        change(&mut bad);
        bad.to_string()
    };
    let long_reason = "x".repeat(17 * 1024);
    let cases: Vec<(&str, u16, String)> = vec![
        (
            "over 16 KiB",
            413,
            with(&|r| r["exercises"][0]["checks"][0]["reason"] = json!(long_reason)),
        ),
        (
            "a 41-character name",
            422,
            with(&|r| r["name"] = json!("x".repeat(41))),
        ),
        (
            "an unknown part",
            422,
            with(&|r| r["part"] = json!("part9")),
        ),
        (
            "an unknown exercise",
            422,
            with(&|r| r["exercises"][0]["id"] = json!("part1.nope")),
        ),
        (
            "another part's exercise",
            422,
            with(&|r| r["exercises"][0]["id"] = json!("part2.futures")),
        ),
        (
            "an unknown check",
            422,
            with(&|r| r["exercises"][0]["checks"][0]["id"] = json!("part1.client.nope")),
        ),
        (
            "a field the wire has not",
            400,
            with(&|r| r["code"] = json!("fn main() {}")),
        ),
        ("malformed JSON", 400, "{\"learner\": ".to_string()),
        ("not JSON", 400, "<html>".to_string()),
        (
            "a bad learner id",
            422,
            with(&|r| r["learner"] = json!("me")),
        ),
    ];
    for (what, status, body) in cases {
        let (got, said) = board.post("/api/check", token, body);
        assert_eq!(got, status, "{what}: {said}");
        assert_one_line(&said);
    }
    // A body over the limit with no length announced: cut off as it comes.
    let chunks = std::io::Cursor::new(vec![b' '; 20 * 1024]);
    let (got, said) = board.post("/api/check", token, reqwest::blocking::Body::new(chunks));
    assert_eq!(got, 413, "{said}");
    assert_eq!(board.state()["learners"], json!([]), "nothing was stored");

    // At the limits, accepted; names are text.
    let forty = "é".repeat(40);
    assert_eq!(
        board
            .report(
                &with(&|r| r["name"] = json!(forty))
                    .parse::<Value>()
                    .expect("JSON")
            )
            .0,
        200
    );
    assert_eq!(board.join(&learner(2), "<script>alert(1)</script>").0, 200);
    let (status, said) = board.join(&learner(3), "<SCRIPT>alert(1)</script>");
    assert_eq!(status, 409, "a name is taken whatever its case: {said}");
    let names: Vec<Value> = board.state()["learners"]
        .as_array()
        .expect("learners")
        .iter()
        .map(|learner| learner["name"].clone())
        .collect();
    assert_eq!(names, [json!("<script>alert(1)</script>"), json!(forty)]);
}

#[test]
fn a_learner_posting_faster_than_a_check_can_run_is_limited() {
    let _serial = serial();
    let board = Board::start(&[]);
    let part1 = support::part("part1");
    let post = report(
        &learner(1),
        "Ada",
        "part1",
        vec![support::exercise(&part1[0], false, "no", 60)],
    );
    let started = Instant::now();
    let mut accepted = 0;
    let mut limited = 0;
    for _ in 0..40 {
        let response = support::client()
            .post(format!("{}/api/check", board.base))
            .bearer_auth(&board.join_token)
            .body(post.to_string())
            .send()
            .expect("an answer");
        match response.status().as_u16() {
            200 => accepted += 1,
            429 => {
                assert!(response.headers().contains_key("retry-after"));
                assert_one_line(&response.text().expect("a body"));
                limited += 1;
            }
            other => panic!("{other}"),
        }
    }
    let took = started.elapsed();
    assert!(limited > 0, "40 posts in {took:?}, none limited");
    // A burst of 5, then one each quarter of a second.
    let allowed = 5 + (took.as_secs_f64() / 0.25).ceil() as usize;
    assert!(accepted <= allowed, "{accepted} accepted in {took:?}");
    let shown = find(&board.state(), "Ada").expect("Ada").clone();
    assert_eq!(shown["reports"], accepted, "a limited post stores nothing");
    // A limit, not a ban.
    thread::sleep(Duration::from_millis(600));
    assert_eq!(board.report(&post).0, 200);
}

#[test]
fn the_room_holds_500_learners_and_its_memory_stays_bounded_under_a_flood() {
    let _serial = serial();
    let board = Board::start(&[]);
    let joins: Vec<(usize, u16)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..12)
            .map(|worker| {
                let board = &board;
                scope.spawn(move || {
                    (0..50)
                        .map(|n| {
                            let id = worker * 50 + n + 1;
                            (id, board.join(&learner(id), &format!("learner {id}")).0)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("joins"))
            .collect()
    });
    let admitted: Vec<usize> = joins
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(admitted.len(), 500);
    assert_eq!(joins.iter().filter(|(_, s)| *s == 403).count(), 100);
    let before = rss(board.pid());

    // Every learner's largest report, then a flood of refused ones.
    let part1 = support::part("part1");
    let reason = "r".repeat(300);
    thread::scope(|scope| {
        for worker in 0..12 {
            let (board, part1, reason, admitted) = (&board, &part1, &reason, &admitted);
            scope.spawn(move || {
                for n in 0..400 {
                    let id = admitted[(worker * 400 + n) % admitted.len()];
                    let exercises = part1
                        .iter()
                        .map(|e| support::exercise(e, false, reason, 1))
                        .collect();
                    let mut post =
                        report(&learner(id), &format!("learner {id}"), "part1", exercises);
                    if n % 2 == 1 {
                        post["exercises"][0]["checks"][0]["reason"] = json!("x".repeat(15 * 1024));
                    }
                    let status = board.report(&post).0;
                    assert!([200, 413, 422, 429].contains(&status), "{status}");
                }
            });
        }
    });
    let state = board.state();
    assert_eq!(state["learners"].as_array().map(Vec::len), Some(500));
    if let (Some(before), Some(after)) = (before, rss(board.pid())) {
        let _ = writeln!(
            std::io::stderr(),
            "the board's resident memory: {before} KiB with 500 learners, {after} KiB after the flood"
        );
        // 500 learners × 3 exercises of 300-character reasons is under
        // 1 MiB; 4 800 posts of up to 15 KiB would be 70 MiB if kept.
        assert!(
            after < before + 24 * 1024,
            "resident memory grew from {before} KiB to {after} KiB"
        );
    }
}

/// The process's resident memory in KiB, where the system says.
fn rss(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn ctrl_c_saves_the_board_and_a_restart_keeps_it_and_its_tokens() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("room.json");
    let path = state.to_str().expect("a UTF-8 path");
    let board = Board::start(&["--state", path]);
    let part2 = support::part("part2");
    let post = report(
        &learner(1),
        "Ada",
        "part2",
        vec![support::exercise(&part2[0], true, "passes", 300)],
    );
    assert_eq!(board.report(&post).0, 200);
    let before = board.state();
    let tokens = (board.join_token.clone(), board.view_token.clone());
    let status = board.interrupt();
    assert!(status.success(), "{status:?}");

    let again = Board::start(&["--state", path]);
    assert_eq!((again.join_token.clone(), again.view_token.clone()), tokens);
    assert_eq!(again.state()["learners"], before["learners"]);
}

#[test]
fn joining_listing_and_leaving() {
    let _serial = serial();
    let board = Board::start(&[]);
    let root = tempfile::tempdir().expect("a temporary directory");
    fs::copy(
        common::root().join("workshop.toml"),
        root.path().join("workshop.toml"),
    )
    .expect("the manifest");
    let xtask = |args: &[&str]| {
        common::run(
            Command::new(common::runner())
                .arg("--root")
                .arg(root.path())
                .args(args)
                .env("NO_COLOR", "1"),
        )
    };
    let join = |token: &str, name: &str| {
        xtask(&[
            "room",
            "join",
            &board.base,
            "--token",
            token,
            "--name",
            name,
        ])
    };

    let (ok, said) = join("wrong-token", "Ada");
    assert!(
        !ok && said.contains("401") && said.contains("Nothing was saved"),
        "{said}"
    );
    assert!(!root.path().join(".workshop/room.toml").exists());
    let (ok, said) = join(&board.join_token, &"x".repeat(41));
    assert!(!ok && said.contains("at most 40"), "{said}");

    let (ok, said) = join(&board.join_token, "Ada");
    assert!(ok, "{said}");
    let (_, listed) = xtask(&["list"]);
    let expected = format!("Room: every check is sent to {} as Ada", board.base);
    assert!(
        listed
            .lines()
            .last()
            .is_some_and(|line| line.starts_with(&expected)),
        "{listed}"
    );
    // Joining again under another name renames the same learner.
    assert!(join(&board.join_token, "Ada L.").0);
    let names: Vec<Value> = board.state()["learners"]
        .as_array()
        .expect("learners")
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, [json!("Ada L.")]);

    let (ok, said) = xtask(&["room", "leave"]);
    assert!(ok && said.contains("Left the room"), "{said}");
    let (_, listed) = xtask(&["list"]);
    assert!(!listed.contains("Room:"), "{listed}");
    let (ok, said) = xtask(&["room", "leave"]);
    assert!(ok && said.contains("No room joined"), "{said}");
}

#[test]
fn only_a_board_open_to_the_network_warns_and_it_warns_once() {
    let _serial = serial();
    let open = Board::start(&["--host", "0.0.0.0"]);
    let closed = Board::start(&[]);
    assert_eq!(open.state()["learners"], json!([]));
    thread::sleep(Duration::from_millis(200));
    let warned = open.stderr();
    assert_eq!(
        warned
            .matches("warning: the board listens on 0.0.0.0")
            .count(),
        1,
        "{warned}"
    );
    assert!(
        warned.contains("check results and the names they chose, nothing else"),
        "{warned}"
    );
    assert!(
        warned.contains("anyone with the join token can post"),
        "{warned}"
    );
    assert!(!closed.stderr().contains("warning"), "{}", closed.stderr());
}

fn assert_one_line(body: &str) {
    assert!(
        body.ends_with('\n') && body.trim_end().lines().count() == 1,
        "not one line: {body:?}"
    );
}
