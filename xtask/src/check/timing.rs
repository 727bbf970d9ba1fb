//! The timing checks, the heart of the workshop: against a slow rates
//! service, do N requests in flight wait for one round trip, or for N?
//!
//! The margins are wide on purpose, 5× both ways, so a busy laptop never
//! flips a verdict: the point is one round trip versus N, not milliseconds.

use std::path::Path;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use rates::RatesConfig;

use super::contract::{REQUEST_TIMEOUT, without_url};
use super::server::{Launch, Stage, stage};
use super::verdict::Verdict;

/// The rates service's latency: one round trip.
const ROUND_TRIP: Duration = Duration::from_secs(1);
/// Requests in flight at once. With N = 25, √N = 5: the threshold of 5 round
/// trips sits 5× above the ideal (1) and 5× below the serial case (25).
const IN_FLIGHT: usize = 25;
const THRESHOLD: u32 = 5;
/// `/health` is asked a tenth of a round trip after the conversions. If
/// something blocks the worker, it waits for the rest of that round trip at
/// least (0.9 of it): a limit of half a round trip cannot pass a blocked
/// server however noisy the machine, and gives a free one 500 ms for a reply
/// that takes 2, even on a laptop busy with two checks and a build.
const HEALTH_LIMIT: Duration = Duration::from_millis(500);

/// Part 1 and 2: on one worker thread, N slow conversions finish in about one
/// round trip, and `/health` answers fast meanwhile.
pub fn concurrency(bin: &Path) -> Verdict {
    measure(bin, Some(1), None, "on one worker thread")
}

/// Part 3: with P threads, N slow conversions take about ⌈N/P⌉ round trips.
/// With P > N that is one round trip, with a thread to spare for `/health`;
/// a server that serves one request at a time takes N.
pub fn threads(bin: &Path) -> Verdict {
    let pool = IN_FLIGHT + 1;
    measure(bin, None, Some(pool), &format!("with {pool} threads"))
}

fn measure(
    bin: &Path,
    worker_threads: Option<usize>,
    threads: Option<usize>,
    setting: &str,
) -> Verdict {
    let launch = Launch {
        worker_threads,
        threads,
        upstream_timeout: Some(ROUND_TRIP * 20),
        ..Launch::default()
    };
    let Stage {
        service: _service,
        server,
        client,
    } = match stage(bin, RatesConfig::with_latency(ROUND_TRIP), launch) {
        Ok(stage) => stage,
        Err(why) => return Verdict::fail(why),
    };
    let convert = format!("{}/convert/GBP/100", server.url);

    // All requests leave together; /health is asked a tenth of a round trip
    // later, while they are all waiting for the rates.
    let start = Barrier::new(IN_FLIGHT + 2);
    let (elapsed, health, failures) = thread::scope(|scope| {
        let requests: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    get_ok(&client, &convert)
                })
            })
            .collect();
        let health = scope.spawn(|| {
            start.wait();
            thread::sleep(ROUND_TRIP / 10);
            let asked = Instant::now();
            get_ok(&client, &format!("{}/health", server.url)).map(|()| asked.elapsed())
        });
        start.wait();
        let began = Instant::now();
        let failures: Vec<String> = requests
            .into_iter()
            .filter_map(|request| request.join().ok().and_then(Result::err))
            .collect();
        let elapsed = began.elapsed();
        let health = health
            .join()
            .unwrap_or_else(|_| Err("the probe failed".into()));
        (elapsed, health, failures)
    });

    // Requests that got no answer in time are the serial case at its worst:
    // they count as slow, not as broken.
    let broken: Vec<&String> = failures
        .iter()
        .filter(|why| !why.starts_with("no answer"))
        .collect();
    if let Some(first) = broken.first() {
        // A server that cannot convert at all is told so, not timed.
        let reason = server.trouble().unwrap_or_else(|| (*first).clone());
        return Verdict::fail(format!(
            "{} of {IN_FLIGHT} simultaneous conversions failed: {reason}",
            broken.len()
        ));
    }
    let trips = elapsed.as_secs_f64() / ROUND_TRIP.as_secs_f64();
    let mut measured = format!(
        "{IN_FLIGHT} conversions {setting} took {:.2} s, {trips:.1} round trips of {} ms",
        elapsed.as_secs_f64(),
        ROUND_TRIP.as_millis()
    );
    if !failures.is_empty() {
        measured.push_str(&format!(
            " ({} got no answer within {} s)",
            failures.len(),
            REQUEST_TIMEOUT.as_secs()
        ));
    }
    // A conversion that got no answer within the request timeout (5 s, the
    // threshold itself) waited more than 5 round trips: the same verdict,
    // whatever the clock says for the batch.
    if elapsed > ROUND_TRIP * THRESHOLD || !failures.is_empty() {
        let why = if threads.is_some() {
            "they were served one after another: does every worker thread take requests?"
        } else {
            "they ran one after another. Something blocks the runtime's only worker \
             thread while it waits for the rates: a synchronous call (reqwest::blocking, \
             std::thread::sleep) inside async code. Run it with tokio::task::spawn_blocking"
        };
        return Verdict::fail(format!("{measured}: {why}"));
    }
    // A server that asks the rates service cannot answer before it does:
    // noise only ever adds time, so this bound is safe however busy the
    // machine is.
    if elapsed < ROUND_TRIP * 9 / 10 {
        return Verdict::fail(format!(
            "{measured}: faster than the rates service answers. Is every answer fetched, \
             not remembered?"
        ));
    }
    match health {
        Ok(latency) if latency <= HEALTH_LIMIT => Verdict::pass(format!(
            "{measured}; /health answered in {} ms meanwhile",
            latency.as_millis()
        )),
        Ok(latency) => Verdict::fail(format!(
            "{measured}, but /health took {} ms meanwhile: something blocks the server \
             while conversions wait",
            latency.as_millis()
        )),
        Err(why) => Verdict::fail(format!("/health failed while conversions waited: {why}")),
    }
}

/// GET `url`, expecting a 200.
fn get_ok(client: &reqwest::blocking::Client, url: &str) -> Result<(), String> {
    let response = client.get(url).send().map_err(|err| without_url(&err))?;
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {} {body}", status.as_u16()))
    }
}
