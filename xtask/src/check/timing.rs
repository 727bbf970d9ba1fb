//! The timing checks, the heart of the workshop: against a slow rates
//! service, do N requests in flight wait for one round trip, or for N?
//!
//! The margins are wide on purpose, so a busy laptop never flips a verdict:
//! the point is one round trip versus N, not milliseconds. Noise only ever
//! adds time, and every limit below sits where added time cannot turn a
//! wrong answer right or a right one wrong.
//!
//! Every verdict says what was measured and the fix that fits *that*: a
//! worker blocked by a synchronous call (`/health` waits too) is one fault;
//! conversions that queue while the worker is free (a pool too small, a lock
//! held across an `.await`) are another.

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

/// Part 2's blocking pool, as the exercise asks: `max_blocking_threads(32)`.
const POOL: usize = 32;
/// Twice the pool: a pool of exactly 32 answers in two waves of 32, one a
/// round trip; a larger pool answers more than 32 in the first wave, a
/// smaller one needs three waves or more.
const POOL_REQUESTS: usize = 2 * POOL;

/// Part 1 and 2: on one worker thread, N slow conversions finish in about one
/// round trip, and `/health` answers fast meanwhile.
pub fn concurrency(bin: &Path) -> Verdict {
    let run = match Run::go(bin, Some(1), None, IN_FLIGHT) {
        Ok(run) => run,
        Err(verdict) => return verdict,
    };
    let measured = run.measured("on one worker thread");
    if run.elapsed > ROUND_TRIP * THRESHOLD || run.unanswered > 0 {
        return Verdict::fail(format!("{measured}: {}", run.why_queued()));
    }
    if let Some(verdict) = run.too_fast(&measured) {
        return verdict;
    }
    run.health_verdict(measured)
}

/// Part 2: the blocking pool has 32 threads. On one worker thread, 64 slow
/// conversions take two round trips, 32 answered in each.
pub fn pool(bin: &Path) -> Verdict {
    let run = match Run::go(bin, Some(1), None, POOL_REQUESTS) {
        Ok(run) => run,
        Err(verdict) => return verdict,
    };
    let measured = format!(
        "{}; answered per round trip: {}",
        run.measured("on one worker thread"),
        run.waves_text()
    );
    if !run.health_fast() {
        return Verdict::fail(format!("{measured}: {}", run.why_queued()));
    }
    let first = run.first_wave();
    // Noise can only delay an answer into a later wave, never advance one:
    // a first wave above 32 is more than 32 threads, whatever the machine
    // did. One more is allowed: `block_in_place` lends the worker thread
    // itself to a conversion, beside the 32 of the pool.
    if first > POOL + 1 {
        return Verdict::fail(format!(
            "{measured}: {first} conversions ran at once, more than the {POOL} threads \
             the exercise allows. Either the blocking pool is larger (tokio's default is \
             512: set .max_blocking_threads({POOL}) on the runtime's Builder), or the \
             conversions do not run on it (a std::thread each? use \
             tokio::task::spawn_blocking)"
        ));
    }
    // A pool of 32 answers in two waves; a smaller one needs a third.
    if run.waves().len() > 2 || run.unanswered > 0 {
        return Verdict::fail(format!(
            "{measured}: with {POOL} blocking threads they take two round trips. At most \
             {first} ran at once while the worker thread was free (/health answered in \
             {} ms): the blocking pool has {first} threads, not {POOL}. Set \
             .max_blocking_threads({POOL}) on the runtime's Builder",
            run.health_ms()
        ));
    }
    if let Some(verdict) = run.too_fast(&measured) {
        return verdict;
    }
    Verdict::pass(format!(
        "{measured}: a pool of {POOL} blocking threads, and /health answered in {} ms",
        run.health_ms()
    ))
}

/// Part 3's pool in the check: `THREADS=12`.
const THREADS: usize = 12;

/// Part 3: with P threads, 2P slow conversions take two round trips, P
/// answered in each. A server that serves one request at a time takes 2P;
/// one that starts a thread per request (or one thread too many) answers
/// more than P in the first. `/health` is not judged here: with every
/// thread busy it waits its turn, as a thread-per-request server should.
pub fn threads(bin: &Path) -> Verdict {
    let run = match Run::go(bin, None, Some(THREADS), 2 * THREADS) {
        Ok(run) => run,
        Err(verdict) => return verdict,
    };
    let measured = format!(
        "{}; answered per round trip: {}",
        run.measured(&format!("with {THREADS} threads")),
        run.waves_text()
    );
    let first = run.first_wave();
    if run.waves().len() > 2 || run.unanswered > 0 {
        return Verdict::fail(format!(
            "{measured}: with {THREADS} threads they take two round trips, {THREADS} in \
             each. At most {first} ran at once: does every worker thread take requests, \
             and does each one go on to the next request after answering?"
        ));
    }
    // Noise only delays answers into later waves: more than P in the first
    // is more than P threads, whatever the machine did.
    if first > THREADS {
        return Verdict::fail(format!(
            "{measured}: {first} ran at once with {THREADS} threads. The server does not \
             hold to its pool: a thread for each request, or more workers than `threads`?"
        ));
    }
    if let Some(verdict) = run.too_fast(&measured) {
        return verdict;
    }
    Verdict::pass(format!("{measured}: a pool of {THREADS} threads"))
}

/// One timing run: N conversions leave together against a rates service
/// that takes a round trip, `/health` is asked meanwhile.
struct Run {
    /// When each answered conversion got its answer, from the start.
    answered: Vec<Duration>,
    /// Conversions that got no answer within the request timeout.
    unanswered: usize,
    /// Until the last conversion ended, answered or not.
    elapsed: Duration,
    requests: usize,
    /// How long `/health` took, or why it failed.
    health: Result<Duration, String>,
}

impl Run {
    fn go(
        bin: &Path,
        worker_threads: Option<usize>,
        threads: Option<usize>,
        requests: usize,
    ) -> Result<Run, Verdict> {
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
        } = stage(bin, RatesConfig::with_latency(ROUND_TRIP), launch).map_err(Verdict::fail)?;
        let convert = format!("{}/convert/GBP/100", server.url);

        // All requests leave together; /health is asked a tenth of a round
        // trip later, while they are all waiting for the rates.
        let start = Barrier::new(requests + 2);
        let (results, elapsed, health) = thread::scope(|scope| {
            let conversions: Vec<_> = (0..requests)
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
                get_ok(&client, &format!("{}/health", server.url)).map(|_| asked.elapsed())
            });
            start.wait();
            let began = Instant::now();
            let results: Vec<Result<Instant, String>> = conversions
                .into_iter()
                .map(|request| {
                    request
                        .join()
                        .unwrap_or_else(|_| Err("the request panicked".into()))
                })
                .collect();
            let elapsed = began.elapsed();
            let health = health
                .join()
                .unwrap_or_else(|_| Err("the probe failed".into()));
            let results: Vec<Result<Duration, String>> = results
                .into_iter()
                .map(|result| result.map(|at| at.saturating_duration_since(began)))
                .collect();
            (results, elapsed, health)
        });

        // Requests that got no answer in time are the serial case at its
        // worst: they count as slow, not as broken.
        let mut answered = Vec::new();
        let mut unanswered = 0;
        let mut broken = Vec::new();
        for result in results {
            match result {
                Ok(at) => answered.push(at),
                Err(why) if why.starts_with("no answer") => unanswered += 1,
                Err(why) => broken.push(why),
            }
        }
        if let Some(first) = broken.first() {
            // A server that cannot convert at all is told so, not timed.
            let reason = server.trouble().unwrap_or_else(|| first.clone());
            return Err(Verdict::fail(format!(
                "{} of {requests} simultaneous conversions failed: {reason}",
                broken.len()
            )));
        }
        answered.sort();
        Ok(Run {
            answered,
            unanswered,
            elapsed,
            requests,
            health,
        })
    }

    /// `25 conversions on one worker thread took 1.01 s, 1.0 round trips …`
    fn measured(&self, setting: &str) -> String {
        let trips = self.elapsed.as_secs_f64() / ROUND_TRIP.as_secs_f64();
        let mut measured = format!(
            "{} conversions {setting} took {:.2} s, {trips:.1} round trips of {} ms",
            self.requests,
            self.elapsed.as_secs_f64(),
            ROUND_TRIP.as_millis()
        );
        if self.unanswered > 0 {
            measured.push_str(&format!(
                " ({} got no answer within {} s)",
                self.unanswered,
                REQUEST_TIMEOUT.as_secs()
            ));
        }
        measured
    }

    /// How many answers came in each round trip. Waves are counted from
    /// the first answer, not from the start: the time the requests take to
    /// reach the rates service (a loaded laptop starting 64 connections)
    /// delays every wave alike. An answer a round trip after the first is in
    /// wave 2, two after in wave 3: it takes half a round trip of noise
    /// between answers of one wave to move one.
    fn waves(&self) -> Vec<usize> {
        let Some(first) = self.answered.first() else {
            return Vec::new();
        };
        let mut waves: Vec<usize> = Vec::new();
        for at in &self.answered {
            let after = at.saturating_sub(*first).as_secs_f64() / ROUND_TRIP.as_secs_f64();
            let wave = after.round() as usize + 1;
            if waves.len() < wave {
                waves.resize(wave, 0);
            }
            waves[wave - 1] += 1;
        }
        waves
    }

    fn waves_text(&self) -> String {
        let waves = self.waves();
        let shown: Vec<String> = waves.iter().take(6).map(usize::to_string).collect();
        let mut text = shown.join(", ");
        if waves.len() > 6 {
            text.push_str(", …");
        }
        if self.unanswered > 0 {
            text.push_str(&format!(" and {} unanswered", self.unanswered));
        }
        text
    }

    /// How many ran at once: the answers of the first round trip.
    fn first_wave(&self) -> usize {
        self.waves().first().copied().unwrap_or(0)
    }

    fn health_fast(&self) -> bool {
        matches!(self.health, Ok(latency) if latency <= HEALTH_LIMIT)
    }

    fn health_ms(&self) -> u128 {
        self.health
            .as_ref()
            .map_or(0, |latency| latency.as_millis())
    }

    /// Why conversions queued, from what `/health` said meanwhile.
    fn why_queued(&self) -> String {
        match &self.health {
            Ok(latency) if *latency <= HEALTH_LIMIT => format!(
                "at most {} ran at once, yet the worker thread was free: /health answered \
                 in {} ms meanwhile. Nothing blocks the runtime; the conversions wait for \
                 something there is too little of: a pool with too few threads \
                 (max_blocking_threads?), a lock held across an .await, a semaphore?",
                self.first_wave(),
                latency.as_millis()
            ),
            Ok(latency) if self.first_wave() <= 1 => format!(
                "they ran one after another, and /health waited {} ms behind them. \
                 Something blocks the runtime's only worker thread while it waits for the \
                 rates: a synchronous call (reqwest::blocking, std::thread::sleep) inside \
                 async code. Run it with tokio::task::spawn_blocking",
                latency.as_millis()
            ),
            Ok(latency) => format!(
                "{} ran at once, but /health waited {} ms behind them: the runtime's worker \
                 thread itself was taken while they waited. A blocking call on the worker \
                 (block_in_place lends it to the conversion, and once the blocking pool is \
                 full nothing takes its place)? With tokio::task::spawn_blocking the \
                 conversions queue for the pool and the worker stays free",
                self.first_wave(),
                latency.as_millis()
            ),
            Err(why) => format!(
                "they ran one after another, and /health got no answer meanwhile ({why}). \
                 Something blocks the runtime's only worker thread: a synchronous call \
                 inside async code? Run it with tokio::task::spawn_blocking"
            ),
        }
    }

    /// A server that asks the rates service cannot answer before it does:
    /// noise only ever adds time, so this bound is safe however busy the
    /// machine is.
    fn too_fast(&self, measured: &str) -> Option<Verdict> {
        (self.elapsed < ROUND_TRIP * 9 / 10).then(|| {
            Verdict::fail(format!(
                "{measured}: faster than the rates service answers. Is every answer \
                 fetched, not remembered?"
            ))
        })
    }

    fn health_verdict(&self, measured: String) -> Verdict {
        match &self.health {
            Ok(latency) if *latency <= HEALTH_LIMIT => Verdict::pass(format!(
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
}

/// GET `url`, expecting a 200; when the answer came.
fn get_ok(client: &reqwest::blocking::Client, url: &str) -> Result<Instant, String> {
    let response = client.get(url).send().map_err(|err| without_url(&err))?;
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if status.is_success() {
        Ok(Instant::now())
    } else {
        Err(format!("answered {} {body}", status.as_u16()))
    }
}
