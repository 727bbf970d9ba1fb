//! Part 4's cancellation check: the client whose conversion started the
//! fetch hangs up while the fetch is in flight. axum drops its handler, so
//! whatever that handler owned is cancelled. If it owned the fetch, the
//! other waiters lose it: they get an error, or wait for a second fetch.
//! Right, they get their 200 from the one fetch.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use rates::RatesConfig;

use super::Subject;
use crate::engine::launch::{Launch, Server, Stage};
use crate::engine::requests::{CONVERT, at_once_while, wait_until};
use crate::engine::{PATIENT, ROUND_TRIP};
use crate::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// The other conversions, waiting for the same fetch.
const OTHERS: usize = 5;
/// How long after the others set off the first client hangs up: the others
/// have joined the fetch by then, and it is far from done.
const HANG_UP_AFTER: Duration = Duration::from_millis(200);

pub fn check(bin: &Path) -> Verdict {
    match run(bin) {
        Ok(passed) => Verdict::pass(passed),
        Err(why) => Verdict::fail(why),
    }
}

fn run(bin: &Path) -> Result<String, String> {
    let Stage {
        service,
        server,
        client,
    } = Launch::new()
        .one_worker()
        .upstream_timeout(PATIENT)
        .rates_ttl(Duration::from_secs(3600))
        .stage(bin, RatesConfig::with_latency(ROUND_TRIP))?;
    let fetches = || service.count("/latest");

    // The first conversion, on a connection of our own, to hang up.
    let first = connect(&server)?;
    let started = wait_until(ROUND_TRIP * 3, || fetches() > 0 || server.gave_up());
    if !started || fetches() == 0 {
        let why = server.trouble_or(|| {
            format!(
                "it made no fetch of /latest within {} s",
                (ROUND_TRIP * 3).as_secs()
            )
        });
        return Err(format!("a conversion never got going: {why}"));
    }

    let (volley, ()) = at_once_while(&client, &server.at(CONVERT), OTHERS, || {
        thread::sleep(HANG_UP_AFTER);
        // Both ways: hyper sees the end of the stream and drops the handler.
        let _ = first.shutdown(Shutdown::Both);
    });

    let fix = "A waiter must not own the fetch: run it on a task of its own \
               (tokio::spawn), so that a cancelled waiter drops only its own wait";
    if let Some((wrong, count)) = volley.first_not(200) {
        return Err(server.trouble_or(|| {
            format!(
                "the client whose conversion started the fetch hung up, and {count} of the \
                 {OTHERS} conversions waiting for the same fetch got {}: the fetch was \
                 cancelled with that client's request. {fix}",
                wrong.quoted()
            )
        }));
    }
    match fetches() {
        1 => Ok(format!(
            "the client whose conversion started the fetch hung up; the {OTHERS} others \
             waiting for it got their 200 from that one fetch"
        )),
        more => Err(format!(
            "the client whose conversion started the fetch hung up, and the {OTHERS} others \
             waited for {} of /latest: the first fetch was cancelled with that client's \
             request. {fix}",
            match more - 1 {
                1 => "a second fetch".to_string(),
                n => format!("{n} more fetches"),
            }
        )),
    }
}

/// A connection with one conversion sent on it, never read.
fn connect(server: &Server) -> Result<TcpStream, String> {
    let addr = server.address()?;
    let mut stream =
        TcpStream::connect(addr).map_err(|err| format!("cannot connect to the server: {err}"))?;
    let request = format!("GET {CONVERT} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|err| format!("cannot send a conversion: {err}"))?;
    Ok(stream)
}
