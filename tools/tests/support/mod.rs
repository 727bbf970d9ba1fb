//! What the room's tests share: the board as a real process, posts over
//! real HTTP, reports built from workshop.toml, checks timed to the line;
//! rooms that misbehave (`fake`).

#![allow(dead_code, reason = "each room test uses part of these")]

pub mod fake;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::ChildWrapper;
use reqwest::blocking::{Body, Client};
use serde_json::{Value, json};

use workshop_testkit as common;

/// The room's tests run one at a time: several time things (a check's
/// tail, the page's update), and a check building beside them would blur
/// those times.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn client() -> Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::builder()
                .timeout(Duration::from_secs(10))
                .no_proxy()
                .build()
                .expect("an HTTP client")
        })
        .clone()
}

/// `room serve` on a free port of loopback, killed when dropped.
pub struct Board {
    child: Box<dyn ChildWrapper>,
    pub base: String,
    pub join_token: String,
    pub view_token: String,
    /// With `--offline`: what its lines for the slide say.
    #[allow(dead_code, reason = "read by room_offline.rs alone")]
    pub offline: Option<Offline>,
    /// Its lines for the slide, as printed: `join:`, `view:`, and with
    /// `--offline` `offline:`, `unpack:` and `archive:`.
    #[allow(dead_code, reason = "read by room_offline.rs alone")]
    pub printed: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

/// The `offline:`, `unpack:` and `archive:` lines of `room serve --offline`.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "read by room_offline.rs alone")]
pub struct Offline {
    /// The URL in the curl command, token included.
    pub url: String,
    pub unpack: String,
    /// `36.4 MB`, as printed.
    pub size: String,
    pub sha256: String,
}

/// How long a board may take to print its lines: with `--offline`, the
/// first time, it vendors every crate and packs the workshop.
fn start_within(extra: &[&str]) -> Duration {
    if extra.contains(&"--offline") {
        Duration::from_secs(15 * 60)
    } else {
        Duration::from_secs(60)
    }
}

impl Board {
    pub fn start(extra: &[&str]) -> Self {
        let mut command = Command::new(common::tools());
        command
            .args(["room", "serve", "--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // In a group of its own, which Ctrl-Break can reach on Windows.
        let mut child = workshop_core::child::grouped(command)
            .spawn()
            .expect("room serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr().take().expect("stderr");
        let into = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = err.read(&mut chunk) {
                let mut text = into.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        // Read on a thread, so that waiting for a line has a deadline;
        // every line is read to the end, so the board never writes into a
        // full pipe.
        let (lines, printed) = mpsc::channel();
        let out = child.stdout().take().expect("stdout");
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + start_within(extra);
        let next = || {
            let left = deadline.saturating_duration_since(Instant::now());
            printed.recv_timeout(left).unwrap_or_else(|err| {
                panic!(
                    "room serve printed no more lines ({err}): {}",
                    stderr.lock().unwrap_or_else(PoisonError::into_inner)
                )
            })
        };
        let (join, view) = (next(), next());
        let mut slide = vec![join.clone(), view.clone()];
        let offline = extra.contains(&"--offline").then(|| {
            let (curl, unpack, archive) = (next(), next(), next());
            slide.extend([curl.clone(), unpack.clone(), archive.clone()]);
            let url = curl
                .strip_prefix("offline: curl -fo workshop.tar.gz \"")
                .and_then(|rest| rest.strip_suffix('"'))
                .unwrap_or_else(|| panic!("not an offline line: {curl}"))
                .to_string();
            let unpack = unpack
                .strip_prefix("unpack: ")
                .unwrap_or_else(|| panic!("not an unpack line: {unpack}"))
                .to_string();
            let words: Vec<&str> = archive.split_whitespace().collect();
            let ["archive:", number, "MB,", "sha256", sha256, ..] = words[..] else {
                panic!("not an archive line: {archive}");
            };
            Offline {
                url,
                unpack,
                size: format!("{number} MB"),
                sha256: sha256.to_string(),
            }
        });
        thread::spawn(move || printed.into_iter().for_each(drop));
        let words: Vec<&str> = join.split_whitespace().collect();
        let [
            "join:",
            "cargo",
            "xtask",
            "room",
            "join",
            base,
            "--token",
            token,
        ] = words[..]
        else {
            panic!("not a join line: {join}");
        };
        let view_url = view.strip_prefix("view: ").expect("a view line");
        let (view_base, view_token) = view_url.split_once("/?view=").expect("a view token");
        assert_eq!(view_base, base, "both lines name the same board");
        Self {
            base: base.to_string(),
            join_token: token.to_string(),
            view_token: view_token.to_string(),
            offline,
            printed: slide,
            child,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `GET path` (with `?view=` added when `view` is given): status,
    /// headers and body.
    pub fn get(&self, path: &str, view: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
        let mut url = format!("{}{path}", self.base);
        if let Some(token) = view {
            url.push_str(&format!("?view={token}"));
        }
        let response = client().get(url).send().expect("the board answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().expect("a body"))
    }

    /// The board as `/state.json` has it.
    pub fn state(&self) -> Value {
        let (status, _, body) = self.get("/state.json", Some(&self.view_token));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// `POST path` with a bearer token: status and body.
    pub fn post(&self, path: &str, token: Option<&str>, body: impl Into<Body>) -> (u16, String) {
        let mut request = client()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().expect("the board answers");
        (response.status().as_u16(), response.text().expect("a body"))
    }

    pub fn join(&self, learner: &str, name: &str) -> (u16, String) {
        let body = json!({ "learner": learner, "name": name }).to_string();
        self.post("/api/join", Some(&self.join_token), body)
    }

    /// `room join <base> --token <join token> --name <name>`, as the join
    /// line a learner types.
    pub fn join_line<'a>(&'a self, name: &'a str) -> [&'a str; 7] {
        [
            "room",
            "join",
            &self.base,
            "--token",
            &self.join_token,
            "--name",
            name,
        ]
    }

    pub fn report(&self, report: &Value) -> (u16, String) {
        self.post("/api/check", Some(&self.join_token), report.to_string())
    }

    /// Ctrl-C, as a terminal sends it (Ctrl-Break on Windows); the exit
    /// status.
    pub fn interrupt(mut self) -> ExitStatus {
        use workshop_core::child::{Ask, ask_group};
        ask_group(self.child.id(), Ask::Interrupt).expect("Ctrl-C sent");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("the board's status") {
                return status;
            }
            assert!(Instant::now() < deadline, "the board ignored Ctrl-C");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A learner id: 32 hex digits.
pub fn learner(n: usize) -> String {
    format!("{n:032x}")
}

/// One exercise as workshop.toml declares it.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: String,
    pub part: String,
    pub minutes: u64,
    pub gaps: u64,
    pub checks: Vec<String>,
    pub gap_files: Vec<String>,
}

pub fn exercises() -> Vec<Exercise> {
    let text = std::fs::read_to_string(common::root().join("workshop.toml")).expect("the manifest");
    let manifest: toml::Table = toml::from_str(&text).expect("TOML");
    let mut found = Vec::new();
    for part in manifest["parts"].as_array().expect("parts") {
        // What a learner's runner sends: when each exercise is due on the
        // part's clock, its minutes and those before it.
        let mut due = 0;
        for exercise in part["exercises"].as_array().expect("exercises") {
            let id = exercise["id"].as_str().expect("an id").to_string();
            let gaps = exercise["gaps"].as_array().expect("gaps");
            due += exercise
                .get("minutes")
                .and_then(toml::Value::as_integer)
                .unwrap_or(10) as u64;
            found.push(Exercise {
                part: part["id"].as_str().expect("a part id").to_string(),
                minutes: due,
                gaps: gaps.len() as u64,
                checks: exercise["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .map(|kind| format!("{id}.{}", kind.as_str().expect("a kind")))
                    .collect(),
                gap_files: gaps
                    .iter()
                    .map(|gap| gap["file"].as_str().expect("a file").to_string())
                    .collect(),
                id,
            });
        }
    }
    found
}

pub fn part(part: &str) -> Vec<Exercise> {
    exercises().into_iter().filter(|e| e.part == part).collect()
}

/// An exercise's report: every check passing or failing with `reason`.
pub fn exercise(exercise: &Exercise, passed: bool, reason: &str, spent_secs: u64) -> Value {
    json!({
        "id": exercise.id,
        "minutes": exercise.minutes,
        "spent_secs": spent_secs,
        "gaps": exercise.gaps,
        "gaps_left": if passed { 0 } else { exercise.gaps },
        "checks": exercise.checks.iter().map(|id| json!({
            "id": id, "passed": passed, "reason": reason,
        })).collect::<Vec<_>>(),
    })
}

pub fn report(learner: &str, name: &str, part: &str, exercises: Vec<Value>) -> Value {
    json!({
        "learner": learner,
        "name": name,
        "part": part,
        "built": true,
        "exercises": exercises,
    })
}

/// The learner named `name` on the board.
pub fn find<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["learners"]
        .as_array()?
        .iter()
        .find(|learner| learner["name"] == name)
}

/// Fills every gap of `part` in the copy as the solution does.
pub fn fill(copy: &Path, part: &str) {
    let files: std::collections::BTreeSet<String> = self::part(part)
        .into_iter()
        .flat_map(|e| e.gap_files)
        .collect();
    for file in files {
        let solution =
            std::fs::read_to_string(common::root().join("solutions").join(part).join(&file))
                .expect("the solution's file");
        let filled: String = solution
            .split_inclusive('\n')
            .filter(|line| {
                let line = line.trim();
                !line.starts_with("// BEGIN GAP ") && line != "// END GAP"
            })
            .collect();
        let filled = filled.replace(&format!("{part}_solution"), part);
        std::fs::write(copy.join("exercises").join(part).join(&file), filled).expect("filled");
    }
}

/// A check run to the end, with when its last line came and when it exited.
pub struct Timed {
    pub passed: bool,
    pub stdout: String,
    pub stderr: String,
    /// From the last line on stdout (the verdict's) to the exit.
    pub tail: Duration,
}

pub fn timed_check(root: &Path, part: &str) -> Timed {
    let mut child = common::check_command(root, &[part])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("check starts");
    let out = child.stdout.take().expect("stdout");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let mut last = Instant::now();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            last = Instant::now();
            text.push_str(&line);
            text.push('\n');
        }
        (text, last)
    });
    let mut err = child.stderr().take().expect("stderr");
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let status = child.wait().expect("check ends");
    let exited = Instant::now();
    let (stdout, last) = reader.join().expect("stdout read");
    Timed {
        passed: status.success(),
        stdout,
        stderr: errors.join().expect("stderr read"),
        tail: exited.saturating_duration_since(last),
    }
}

/// The verdict of a check, without its times: each check's mark and id,
/// and the summary up to its clock.
pub fn verdict(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            // `✓ part3.sync_server.threads   1.1 s  …`, not `✓ part3.sync_server passes, after …`
            let words: Vec<&str> = line.split_whitespace().take(4).collect();
            if let [mark @ ("✓" | "✗"), id, time, "s"] = words[..] {
                if time.parse::<f64>().is_ok() {
                    return Some(format!("{mark} {id}"));
                }
            }
            let summary = line.contains(" passes: ") || line.contains(" does not pass yet: ");
            summary.then(|| line.split(". Clock").next().unwrap_or(line).to_string())
        })
        .collect()
}

/// cargo's target directory, where the screenshot goes.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            common::root().join(dir)
        };
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| common::root().join("target"))
}
