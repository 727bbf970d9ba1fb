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

use super::explain;
use super::requests::{at_once, first_not, wait_until};
use super::server::{Launch, Server, Stage, stage};
use super::verdict::Verdict;

/// The rates service's latency: the fetch the first client leaves.
const ROUND_TRIP: Duration = Duration::from_secs(1);
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
    let args = ["--rates-ttl".to_string(), "1h".to_string()];
    let launch = Launch {
        worker_threads: Some(1),
        upstream_timeout: Some(ROUND_TRIP * 20),
        args: &args,
        ..Launch::default()
    };
    let Stage {
        service,
        server,
        client,
    } = stage(bin, RatesConfig::with_latency(ROUND_TRIP), launch)?;
    let fetches = || service.count("/latest");

    // The first conversion, on a connection of our own, to hang up.
    let first = connect(&server)?;
    let started = wait_until(ROUND_TRIP * 3, || {
        fetches() > 0 || server.proc().exited() || explain::first(&server.proc().stderr()).is_some()
    });
    if !started || fetches() == 0 {
        let why = server.trouble().unwrap_or_else(|| {
            format!(
                "it made no fetch of /latest within {} s",
                (ROUND_TRIP * 3).as_secs()
            )
        });
        return Err(format!("a conversion never got going: {why}"));
    }

    let convert = format!("{}/convert/GBP/100", server.url);
    let (replies, _) = thread::scope(|scope| {
        let others = scope.spawn(|| at_once(&client, &convert, OTHERS));
        thread::sleep(HANG_UP_AFTER);
        // Both ways: hyper sees the end of the stream and drops the handler.
        let _ = first.shutdown(Shutdown::Both);
        others
            .join()
            .map_err(|_| "the check itself panicked (a grader bug)".to_string())
    })?;

    let fix = "A waiter must not own the fetch: run it on a task of its own \
               (tokio::spawn), so that a cancelled waiter drops only its own wait";
    if let Some((wrong, count)) = first_not(&replies, 200) {
        if let Some(why) = server.trouble() {
            return Err(why);
        }
        return Err(format!(
            "the client whose conversion started the fetch hung up, and {count} of the \
             {OTHERS} conversions waiting for the same fetch got {}: the fetch was \
             cancelled with that client's request. {fix}",
            wrong.quoted()
        ));
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
    let addr = server.url.trim_start_matches("http://");
    let mut stream =
        TcpStream::connect(addr).map_err(|err| format!("cannot connect to the server: {err}"))?;
    let request = format!("GET /convert/GBP/100 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|err| format!("cannot send a conversion: {err}"))?;
    Ok(stream)
}
