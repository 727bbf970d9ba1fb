//! The commands' edges: one-line errors, exit codes, and the rates service
//! actually answering.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use workshop_core::child::Ask;

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

#[test]
fn an_unknown_part_is_one_line_naming_the_known_ones() {
    let output = xtask(&["serve", "part9"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: unknown part \"part9\": the parts are part1, "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn check_names_the_known_parts_when_one_is_mistyped() {
    let output = xtask(&["check", "part9"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown part \"part9\""), "{stderr}");
    assert!(stderr.contains("part1"), "{stderr}");
}

#[test]
fn help_lists_the_learners_commands_then_the_instructors_then_the_authors() {
    let output = xtask(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    let line = |start: &str| {
        help.lines()
            .position(|line| line.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?} in\n{help}"))
    };
    let order = [
        "During the workshop:",
        "  start ",
        "  check ",
        "  hint ",
        "  watch ",
        "  solution ",
        "  reset ",
        "  list ",
        "For instructors:",
        "  setup ",
        "  doctor ",
        "  room ",
        "  slides ",
        "  serve ",
        "  rates ",
        "  bench ",
        "For authors:",
        "  gen ",
        "  selftest ",
        "Options:",
    ];
    for pair in order.windows(2) {
        assert!(
            line(pair[0]) < line(pair[1]),
            "{:?} is not before {:?} in\n{help}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn a_failure_rate_is_between_0_and_1() {
    let output = xtask(&["rates", "--failure-rate", "1.5"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("from 0.0 (never fail) to 1.0 (always fail)"),
        "{stderr}"
    );
}

/// Part 6's trouble on cue, asked for wrongly: refused with what would do.
#[test]
fn the_rates_service_refuses_trouble_it_cannot_make() {
    for (args, says) in [
        (&["--fail", "4/3"][..], "N at most M, like 1/3"),
        (&["--fail", "1/3", "--fail-with", "teapot"][..], "429:SECS"),
        (&["--outage", "10s"][..], "like 10s..30s"),
        (&["--outage", "30s..10s"][..], "must end after it starts"),
        (&["--rate-limit", "0"][..], "0 is not in 1.."),
    ] {
        let output = xtask(&[&["rates"][..], args].concat());
        assert!(!output.status.success(), "{args:?} was taken");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn the_rates_service_answers_where_it_says() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["rates", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("xtask runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let hint = lines.next().unwrap().unwrap();

    let url = first
        .strip_prefix("rates service on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let addr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/latest"))
        .unwrap_or_else(|| panic!("unexpected url: {url}"));
    if cfg!(unix) {
        assert_eq!(hint, format!("export RATES_URL=http://{addr}"));
    }

    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET /latest HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let status = response.lines().next().unwrap_or("");
    assert!(status.contains(" 200 "), "{response}");
    assert!(response.contains("\"rates\""), "{response}");
}

/// `cargo xtask <args>` with `env`, until its server says where it listens;
/// then Ctrl-C. The address it listened on.
fn serve_until_listening(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(args)
        .envs(env.iter().copied())
        .env(
            "WORKSHOP_GRADER_TARGET_DIR",
            workshop_testkit::grader_target(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // In a group of its own, so that on Windows, where nothing sends it
    // Ctrl-C, the kill below ends the cargo and the server it started too
    // (they hold its output open: a kill of xtask alone left the wait below
    // waiting for ever, under Wine).
    let mut child = workshop_core::child::grouped(command)
        .spawn()
        .expect("xtask runs");
    let lines = BufReader::new(child.stdout().take().expect("piped"));
    let mut seen = Vec::new();
    let mut listening = None;
    for line in lines.lines() {
        let line = line.expect("a line");
        if let Some(addr) = line.strip_prefix("listening on http://") {
            listening = Some(addr.to_string());
            break;
        }
        seen.push(line);
    }
    // Ctrl-C as a terminal sends it, then, after its grace, the whole group.
    workshop_core::child::stop(child.as_mut(), Ask::Interrupt, Duration::from_secs(10));
    let status = child.wait().expect("xtask is reaped");
    // Interrupted, not done: 130, as the shell and the grader say it
    // (Unix; on Windows nothing sends it Ctrl-C, and it is killed).
    #[cfg(unix)]
    assert_eq!(status.code(), Some(130), "{args:?} after Ctrl-C");
    #[cfg(windows)]
    let _ = status;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr().take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    listening.unwrap_or_else(|| panic!("{args:?} never listened:\n{}\n{}", seen.join("\n"), stderr))
}

/// Issue 26: learners.md said every server takes --port (or PORT) and
/// --host, but `cargo xtask serve part1 --host 127.0.0.1` was refused, and
/// `PORT=9191 cargo xtask serve part1 --solution` listened on 8080.
#[test]
fn serve_takes_the_servers_options_and_variables() {
    let addr = serve_until_listening(
        &[
            "serve",
            "part1",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--solution",
        ],
        &[],
    );
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_ne!(addr, "127.0.0.1:0");
    // PORT=0: any free port, so anything but the default 8080 is PORT's.
    let addr = serve_until_listening(&["serve", "part1", "--solution"], &[("PORT", "0")]);
    assert_ne!(addr, "127.0.0.1:8080", "PORT was not passed on");
}
