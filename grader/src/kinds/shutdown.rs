//! Part 4's shutdown check: SIGTERM (Ctrl-Break on Windows) while 10 slow
//! conversions are in flight. All 10 must get their 200, a new connection
//! must be refused, the background reporter must say its last line, and the
//! server must exit 0 within one round trip and a margin. Meanwhile, another
//! server with a conversion stuck in flight must exit within its `--grace`,
//! and a third, whose background task ignores the stop, too: that is the
//! only way to see `Background::stop` keep its promise to wait at most the
//! grace, since every task the server runs of its own does stop when told.

use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use rates::{Fault, RatesConfig};

use super::{Machine, Subject};
use crate::engine::each_side_by_side;
use crate::engine::launch::{Launch, Server, Stage, last_line};
use crate::engine::numbers::{NEVER_EXPIRES, PATIENT};
use crate::engine::numbers::part4::{
    CONNECT_WITHIN, CONVERSIONS, DRAIN_DEADLINE, EXIT_WITHIN, GRACE, GRACE_MARGIN, SETTLE,
    SHORT_GRACE, SLOW_ROUND_TRIP, STUCK_DEADLINE, THEN_CONNECT,
};
use crate::engine::procs::{killed_by_signal, signal_name};
use crate::engine::requests::{
    CONVERT, NoAnswer, REQUEST_TIMEOUT, at_once_while, secs, send_unread,
};
use crate::explain;
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// How the solution's background reporter starts its last line.
const LAST_LINE: &str = "stopped after ";

/// One of the check's scenarios: what it measured, or why it failed.
type Scenario = fn(&Path) -> Result<String, String>;

pub fn check(bin: &Path) -> Checked {
    let scenarios: [Scenario; 3] = [in_flight, stuck, stubborn];
    // Side by side; all passed says what each measured, else the first
    // reason in this order.
    let results = each_side_by_side(&scenarios, |scenario| scenario(bin));
    let passed: Vec<String> = results.into_iter().collect::<Result<_, _>>()?;
    Ok(passed.join("; "))
}

fn start(
    bin: &Path,
    config: RatesConfig,
    grace: Duration,
    deadline: Duration,
) -> Result<Stage, String> {
    Launch::new()
        .upstream_timeout(deadline)
        .rates_ttl(NEVER_EXPIRES)
        .grace(grace)
        .stage(bin, config)
}

/// 10 conversions in flight, then the signal.
fn in_flight(bin: &Path) -> Result<String, String> {
    let stage = start(
        bin,
        RatesConfig::with_latency(SLOW_ROUND_TRIP),
        GRACE,
        DRAIN_DEADLINE,
    )?;
    let Stage { server, client, .. } = &stage;
    let addr = server.address()?;

    let (volley, (signalled, accepted, status)) =
        at_once_while(client, &server.at(CONVERT), CONVERSIONS, || {
            // A server that gave up instead is told below, by its exit.
            stage.fetch_started(SLOW_ROUND_TRIP);
            thread::sleep(SETTLE);
            let signalled = Instant::now();
            let sent = server.proc().ask_to_stop();
            thread::sleep(THEN_CONNECT);
            let accepted = TcpStream::connect_timeout(&addr, CONNECT_WITHIN)
                .inspect(|stream| {
                    let _ = stream.shutdown(Shutdown::Both);
                })
                .is_ok();
            let status = sent.and_then(|()| wait_for_exit(server, EXIT_WITHIN, signalled));
            (signalled, accepted, status)
        });
    let status = status?;
    let exited_after = signalled.elapsed();
    let signal = signal_name();

    if let Some(status) = status {
        failure(server, status)?;
    }
    if let Some((wrong, count)) = volley.first_not(200) {
        let got = match &wrong.answer {
            Err(NoAnswer::Late(_)) | Ok(_) => wrong.quoted(),
            Err(_) => "no answer, only a closed connection".to_string(),
        };
        return Err(format!(
            "{count} of {CONVERSIONS} conversions in flight when {signal} came got {got}: \
             the server dropped them. After the signal, wait for the server's future: it \
             finishes the requests in flight (within --grace)"
        ));
    }
    let answered = volley.elapsed;
    if status.is_none() {
        return Err(if accepted {
            format!(
                "{signal} did not stop the server: {} later it still accepted a new \
                 connection, and {} later it was still running",
                secs(THEN_CONNECT),
                secs(EXIT_WITHIN)
            )
        } else {
            format!(
                "the {CONVERSIONS} conversions in flight were answered within {} of {signal}, \
                 but the server was still running {} after it: does it wait out its whole \
                 grace? (TaskTracker::wait ends only once the tracker is closed)",
                secs(answered.saturating_sub(SETTLE)),
                secs(EXIT_WITHIN)
            )
        });
    }
    if accepted {
        return Err(format!(
            "a new connection was accepted {} after {signal}: the server must stop \
             accepting at once (axum::serve(…).with_graceful_shutdown(…))",
            secs(THEN_CONNECT)
        ));
    }
    server.proc().drain(Duration::from_secs(1));
    let stdout = server.proc().stdout();
    match last_report(&stdout) {
        None => Err(format!(
            "the server exited 0, but its background reporter never printed its last line \
             (`{LAST_LINE}…`): tell the background tasks to stop, and wait for them, before \
             main returns"
        )),
        Some(counted) if counted < CONVERSIONS as u64 => Err(format!(
            "the background reporter stopped before the requests in flight were answered: \
             its last line counts {counted} conversions of {CONVERSIONS}. Stop the background \
             tasks once the server has finished"
        )),
        Some(_) => Ok(format!(
            "{signal} with {CONVERSIONS} conversions in flight: all answered 200, a new \
             connection refused, the reporter's last line printed, exit 0 after {}",
            secs(exited_after)
        )),
    }
}

/// A conversion stuck in flight (its rates service stalls, its deadline is
/// far), then the signal: the server must exit within its short grace.
fn stuck(bin: &Path) -> Result<String, String> {
    let config = RatesConfig {
        fault: Some(Fault::StallBody),
        ..RatesConfig::default()
    };
    let stage = start(bin, config, SHORT_GRACE, STUCK_DEADLINE)?;
    let server = &stage.server;
    // On a connection of our own: nothing here waits for its answer.
    let _stream = send_unread(server.address()?, REQUEST_TIMEOUT)
        .map_err(|unsent| unsent.reason("connect"))?;
    // Once it has reached the rates service, it is stuck there; a server
    // that panicked instead says so.
    stage.fetch_started(SLOW_ROUND_TRIP);
    if let Some(why) = explain::first(&server.proc().stderr()) {
        return Err(why);
    }
    thread::sleep(THEN_CONNECT);
    let signal = signal_name();
    match stop_within_short_grace(server)? {
        Some(took) => Ok(format!(
            "with a conversion stuck in flight, exit 0 after {}, within its grace of {}",
            secs(took),
            secs(SHORT_GRACE)
        )),
        None => Err(format!(
            "with a conversion stuck in flight (its rates service stalls), the server was \
             still running {} after {signal}, though its --grace is {}: bound the wait for \
             the requests in flight with tokio::time::timeout",
            secs(SHORT_GRACE + GRACE_MARGIN),
            secs(SHORT_GRACE)
        )),
    }
}

/// A background task that ignores the stop (the server starts one when
/// asked), nothing in flight, then the signal: the server must give up on
/// the task at its short grace, and exit 0. The drain ends at once, so the
/// grace is the background's alone.
fn stubborn(bin: &Path) -> Result<String, String> {
    let stage = Launch::new()
        .upstream_timeout(PATIENT)
        .rates_ttl(NEVER_EXPIRES)
        .grace(SHORT_GRACE)
        .stubborn_task()
        .stage(bin, RatesConfig::default())?;
    let server = &stage.server;
    let signal = signal_name();
    match stop_within_short_grace(server)? {
        Some(took) => Ok(format!(
            "with a background task that ignores the stop, exit 0 after {}: it was left \
             behind at the grace of {}",
            secs(took),
            secs(SHORT_GRACE)
        )),
        None => {
            // The reporter's last line says the stop was under way: it was
            // told, and ended; only the task that ignores it was left.
            let told = last_report(&server.proc().stdout()).is_some();
            let waiting = if told {
                "its reporter stopped when told, and Background::stop went on waiting for \
                 the task that ignores it"
            } else {
                "Background::stop was still waiting"
            };
            Err(format!(
                "with a background task that ignores the stop (started for this check; \
                 nothing in flight), the server was still running {} after {signal}, though \
                 its --grace is {}: {waiting}. stop() must wait at most the grace, then leave \
                 such a task behind: bound the wait (tokio::time::timeout(grace, …))",
                secs(SHORT_GRACE + GRACE_MARGIN),
                secs(SHORT_GRACE)
            ))
        }
    }
}

/// Asks the server to stop, and waits out its short grace and a margin: how
/// long it took to exit 0, or `None` if it is still running (an exit that
/// is not 0 is the verdict).
fn stop_within_short_grace(server: &Server) -> Result<Option<Duration>, String> {
    let signalled = Instant::now();
    server.proc().ask_to_stop()?;
    match wait_for_exit(server, SHORT_GRACE + GRACE_MARGIN, signalled)? {
        Some(status) => {
            failure(server, status)?;
            Ok(Some(signalled.elapsed()))
        }
        None => Ok(None),
    }
}

/// Waits for the server to exit, at most until `limit` after `since`.
fn wait_for_exit(
    server: &Server,
    limit: Duration,
    since: Instant,
) -> Result<Option<ExitStatus>, String> {
    server
        .proc()
        .wait_timeout(limit.saturating_sub(since.elapsed()))
        .map_err(|err| format!("cannot wait for the server: {err}"))
}

/// Why an exit is no clean stop, if it is not.
fn failure(server: &Server, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        return Ok(());
    }
    server.proc().drain(Duration::from_secs(1));
    if let Some(why) = explain::first(&server.proc().stderr()) {
        return Err(why);
    }
    if killed_by_signal(status) {
        return Err(format!(
            "the server died of {}: it does not catch it, and a process that does not \
             dies on the spot, with every request in flight (tokio::signal)",
            signal_name()
        ));
    }
    let stderr = server.proc().stderr();
    let said = if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", last_line(&stderr))
    };
    Err(format!(
        "after {}, the server exited with {status}{said}: a clean stop exits 0",
        signal_name()
    ))
}

/// The conversions counted in the reporter's last line, if it printed it:
/// `stopped after 10 conversions, 1 fetch of /latest`.
fn last_report(stdout: &str) -> Option<u64> {
    stdout.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix(LAST_LINE)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_report_is_found_and_read() {
        let stdout = "listening on http://127.0.0.1:1\nserved: 3 conversions, 1 fetch of /latest\n\
                      SIGTERM: stopping\nstopped after 10 conversions, 1 fetch of /latest\n";
        assert_eq!(last_report(stdout), Some(10));
        assert_eq!(last_report("served: 3 conversions\n"), None);
    }
}
