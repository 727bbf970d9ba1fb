//! Part 5's no-leak check: clients that hang up free their place. A client
//! that leaves (a closed tab, a load balancer's timeout) resets its
//! connection; axum then drops its request wherever it waits, and whatever
//! the request held must be given back: its permit if it was fetching, its
//! place in the queue if it was waiting. A place lost on each hang-up is a
//! server that serves less and less, then nothing, with no error anywhere.
//!
//! Against a rates service with a quota of 8:
//!
//! 1. 200 clients hang up mid-fetch, 8 at a time: each wave must start its
//!    8 fetches (the rates service counts them), then resets them all;
//! 2. 800 clients hang up while they wait for a permit, 50 at a time, while
//!    8 others hold the permits with slow fetches; then those 8 hang up;
//! 3. 10 conversions at once: 8 fetches must run at once again, and all 10
//!    be answered (200, or a shed for the 2 past the quota).
//!
//! Counts, not times: a wave waits for the rates service to count its
//! fetches, up to a second, where a right server needs milliseconds.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use rates::date::FIRST;
use rates::{RatesConfig, RatesService};

use super::{Machine, Subject};
use crate::engine::hang_ups::reset;
use crate::engine::launch::{Launch, Server, Stage};
use crate::engine::numbers::PATIENT;
use crate::engine::numbers::part5::{
    HOLD, MID_FETCH, NO_LEAK_LIMIT, NOTICE, PATIENT_WAIT, QUOTA, QUOTA_TIMEOUT, ROUND_TRIP, SETTLE,
    START_WITHIN, WAITERS, WAITING,
};
use crate::engine::requests::{
    Deadline, REQUEST_TIMEOUT, each_at_once_while, send_unread_to, wait_until,
};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// Where the scenario is: the dates asked so far (each request its own),
/// and the hang-ups so far, for the reasons.
struct Run<'a> {
    /// The whole scenario's: every verdict within 10 s.
    deadline: Deadline,
    service: &'a RatesService,
    server: &'a Server,
    address: SocketAddr,
    dates: i64,
    mid_fetch: usize,
    waiting: usize,
}

pub fn check(bin: &Path) -> Checked {
    // The whole check's, its launch included: every verdict within 10 s.
    let deadline = Deadline::after(NO_LEAK_LIMIT);
    let config = RatesConfig {
        quota: Some(QUOTA),
        ..RatesConfig::with_latency(ROUND_TRIP)
    };
    let stage = Launch::new()
        .max_fetches(QUOTA)
        .max_wait(Some(PATIENT_WAIT))
        .upstream_timeout(PATIENT)
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let mut run = Run {
        deadline,
        service,
        server,
        address: server.address()?,
        dates: 0,
        mid_fetch: 0,
        waiting: 0,
    };
    while run.mid_fetch < MID_FETCH {
        run.idle(START_WITHIN)?;
        let asked = service.dated_requests();
        let wave = run.send(QUOTA)?;
        run.reached(asked, QUOTA)?;
        wave.into_iter().for_each(reset);
        run.mid_fetch += QUOTA;
        run.in_time()?;
    }

    // Eight slow fetches hold the permits; the waiters queue behind them.
    run.idle(START_WITHIN)?;
    service.set_latency(HOLD);
    let holders = run.send(QUOTA)?;
    run.started(QUOTA)?;
    service.set_latency(ROUND_TRIP);
    while run.waiting < WAITING {
        let wave = run.send(WAITERS)?;
        thread::sleep(SETTLE);
        wave.into_iter().for_each(reset);
        run.waiting += WAITERS;
        run.in_time()?;
    }
    // Let the server drop the waiters whose clients left before the
    // permits are free: only then is a fetch that starts a leak's.
    thread::sleep(run.within(NOTICE));
    run.in_time()?;
    holders.into_iter().for_each(reset);
    // A server that runs a fetch to its end after its client left (on a
    // task of its own) is right: its permit comes back when the fetch ends.
    run.idle(HOLD + START_WITHIN)?;

    service.reset_most_at_once();
    let urls: Vec<String> = (0..QUOTA + 2)
        .map(|_| server.at(&run.next_path()))
        .collect();
    let (volley, ()) = each_at_once_while(client, &urls, run.within(QUOTA_TIMEOUT), || ());
    run.no_refusal()?;
    let most = service.most_at_once();
    let hung_up = run.hung_up();
    if most < QUOTA as u64 {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{hung_up}; then {} conversions at once ran at most {most} fetches at \
                     once, where {QUOTA} ran before: places were lost to the clients that \
                     left. Whatever a request holds (its permit, its place in the queue) must \
                     be given back when axum drops it: a binding in its future is dropped \
                     then; a count decremented after an `.await` is not",
                    urls.len()
                )
            })
            .into());
    }
    // The two past the quota may wait for a permit, or be shed at once.
    let wrong: Vec<_> = volley
        .replies
        .iter()
        .filter(|reply| !matches!(reply.status(), Some(200 | 503)))
        .collect();
    if let Some(first) = wrong.first() {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{hung_up}; then {} of {} conversions at once got {}, neither 200 nor a shed",
                    wrong.len(),
                    urls.len(),
                    first.quoted()
                )
            })
            .into());
    }
    Ok(format!(
        "{hung_up}; then {} conversions at once ran {QUOTA} fetches at once again, and were \
         answered",
        urls.len()
    ))
}

impl Run<'_> {
    /// The next request's path: each its own date, so each its own fetch.
    fn next_path(&mut self) -> String {
        self.dates += 1;
        format!("/convert/GBP/100/{}", FIRST.plus_days(self.dates))
    }

    /// `n` conversions on connections of the check's own, never read.
    /// Each under what is left of the check's time: on a machine where a
    /// connection is slow to open (under Wine, a wave took seconds), the
    /// verdict still comes within its 10 s.
    fn send(&mut self, n: usize) -> Result<Vec<TcpStream>, String> {
        let mut sent = Vec::with_capacity(n);
        for _ in 0..n {
            self.in_time()?;
            let path = self.next_path();
            let stream = send_unread_to(self.address, &path, self.within(REQUEST_TIMEOUT))
                .map_err(|unsent| self.stopped(&unsent.reason("connect to the server")))?;
            sent.push(stream);
        }
        Ok(sent)
    }

    /// The check's time is not over yet.
    fn in_time(&self) -> Result<(), String> {
        if !self.deadline.passed() {
            return Ok(());
        }
        Err(self.server.trouble_or(|| {
            format!(
                "{}, and the check's {} s were over, where a right server takes 2: each wave \
                 of clients took far longer than its fetches. Does something make each \
                 conversion wait for the others (a lock held across the fetch)?",
                self.hung_up(),
                NO_LEAK_LIMIT.as_secs()
            )
        }))
    }

    /// `limit`, or what is left of the check's time if less.
    fn within(&self, limit: Duration) -> Duration {
        limit.min(self.deadline.left())
    }

    /// Waits until the rates service is answering `n` fetches at once.
    fn started(&self, n: usize) -> Result<(), String> {
        let fetching = || self.service.in_flight() >= n as u64 || self.server.gave_up();
        if wait_until(self.within(START_WITHIN), fetching) && !self.server.gave_up() {
            return self.no_refusal();
        }
        self.no_refusal()?;
        Err(self.lost(n, self.service.in_flight()))
    }

    /// Waits until `n` fetches more than `asked` have reached the rates
    /// service: each had a permit. Counted, not caught in flight together:
    /// on a busy machine the first may end before the last starts.
    fn reached(&self, asked: u64, n: usize) -> Result<(), String> {
        let arrived = || self.service.dated_requests().saturating_sub(asked);
        let fetching = || arrived() >= n as u64 || self.server.gave_up();
        if wait_until(self.within(START_WITHIN), fetching) && !self.server.gave_up() {
            return self.no_refusal();
        }
        self.no_refusal()?;
        Err(self.lost(n, arrived()))
    }

    /// The reason when `n` conversions could start only `started` fetches.
    fn lost(&self, n: usize, started: u64) -> String {
        // One or two at a time is a server that serialises its fetches
        // (the quota check says so too), not one that lost its places.
        // The rates service's most at once, over the whole run: a lock
        // never lets more than one through, hang-ups or not.
        let serialised = self.service.most_at_once() <= 2;
        let cause = if serialised || (started <= 2 && self.mid_fetch + self.waiting == 0) {
            "something makes them wait for each other (a lock held across the fetch?)"
        } else {
            "places were lost to the clients that left. A permit must be given back when \
             its request is dropped (a binding in the request's future is; \
             `std::mem::forget`, or a permit kept elsewhere, is lost for good)"
        };
        self.server.trouble_or(|| {
            format!(
                "{}; then {n} conversions started only {started} fetches within {} ms, where \
                 the quota allows {QUOTA}: {cause}",
                self.hung_up(),
                START_WITHIN.as_millis()
            )
        })
    }

    /// Waits until no fetch is running, at most `limit`.
    fn idle(&self, limit: Duration) -> Result<(), String> {
        let limit = self.within(limit);
        if wait_until(limit, || self.service.in_flight() == 0) {
            return Ok(());
        }
        Err(self.server.trouble_or(|| {
            format!(
                "{}, and {} ms later the rates service still had {} fetches of theirs in \
                 flight, each a round trip of {} ms: are fetches left running, or retried, \
                 after their client left?",
                self.hung_up(),
                limit.as_millis(),
                self.service.in_flight(),
                ROUND_TRIP.as_millis()
            )
        }))
    }

    /// No fetch refused with a 429: a permit given back before its fetch
    /// ended lets a ninth start.
    fn no_refusal(&self) -> Result<(), String> {
        match self.service.refused() {
            0 => Ok(()),
            refused => Err(format!(
                "{}: the rates service refused {refused} fetches with 429, so more than \
                 {QUOTA} ran at once. A permit must be held until its fetch ends",
                self.hung_up()
            )),
        }
    }

    /// The reason when the server could not be reached any more.
    fn stopped(&self, why: &str) -> String {
        self.server
            .trouble_or(|| format!("{}; then the check could not {why}", self.hung_up()))
    }

    /// `200 clients hung up mid-fetch and 800 while waiting for a permit`.
    fn hung_up(&self) -> String {
        match (self.mid_fetch, self.waiting) {
            (0, 0) => "before any client hung up".to_string(),
            (mid, 0) => format!("{mid} clients hung up mid-fetch ({QUOTA} at a time)"),
            (mid, waiting) => format!(
                "{mid} clients hung up mid-fetch and {waiting} while they waited for a permit"
            ),
        }
    }
}
