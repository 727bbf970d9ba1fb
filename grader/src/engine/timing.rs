//! One timing run, the heart of the workshop: N conversions leave together
//! against a rates service that takes a round trip, and `/health` is asked
//! meanwhile. Do they wait for one round trip, or for N?
//!
//! The margins are wide on purpose, so a busy laptop never flips a verdict:
//! the point is one round trip versus N, not milliseconds. Noise only ever
//! adds time, and every limit sits where added time cannot turn a wrong
//! answer right or a right one wrong.
//!
//! What a queue says about its cause is here too, since two checks read it
//! alike: a worker blocked by a synchronous call (`/health` waits too) is one
//! fault; conversions that queue while the worker is free (a pool too small,
//! a lock held across an `.await`) are another.

use std::path::Path;
use std::time::Duration;

use rates::RatesConfig;

use super::launch::Launch;
use super::numbers::{HEALTH_LIMIT, PATIENT, ROUND_TRIP};
use super::requests::{NoAnswer, REQUEST_TIMEOUT, Reply};

/// How a timing run's server is started, which its measurement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// On one worker thread: a worker blocked by a synchronous call then
    /// blocks everything, and `/health` shows it.
    OneWorker,
    /// A synchronous server with a pool of this many threads (`THREADS`).
    Threads(usize),
}

impl Setting {
    fn launch(self) -> Launch {
        match self {
            Setting::OneWorker => Launch::new().one_worker(),
            Setting::Threads(threads) => Launch::new().threads(threads),
        }
    }

    /// `on one worker thread`, `with 12 threads`.
    fn said(self) -> String {
        match self {
            Setting::OneWorker => "on one worker thread".to_string(),
            Setting::Threads(threads) => format!("with {threads} threads"),
        }
    }
}

/// One timing run's measurements.
#[derive(Debug)]
pub struct Run {
    /// When each answered conversion got its answer, from the start, sorted.
    answered: Vec<Duration>,
    /// Conversions that got no answer within the request timeout.
    pub unanswered: usize,
    /// Until the last conversion ended, answered or not.
    pub elapsed: Duration,
    requests: usize,
    setting: Setting,
    /// How long `/health` took, or why it failed.
    health: Result<Duration, String>,
    /// The most conversions the rates service was answering at once: how
    /// many ran at once, counted where no delay can inflate it, and which
    /// only a delay of a whole round trip could shrink.
    at_once: usize,
}

impl Run {
    /// Starts `bin` in `setting` against a rates service a round trip
    /// away, sends `requests` conversions at once, and asks `/health` while
    /// they wait. A server that cannot convert at all is told so, not
    /// timed: that is the `Err`, the check's reason.
    pub fn go(bin: &Path, setting: Setting, requests: usize) -> Result<Run, String> {
        let stage = setting
            .launch()
            .upstream_timeout(PATIENT)
            .stage(bin, RatesConfig::with_latency(ROUND_TRIP))?;
        let (volley, health) = stage.at_once_and_health(requests);
        let replies = &volley.replies;

        // Requests that got no answer in time are the serial case at its
        // worst: they count as slow, not as broken.
        let mut answered: Vec<Duration> = replies
            .iter()
            .filter(|reply| reply.status() == Some(200))
            .map(|reply| reply.took)
            .collect();
        let unanswered = replies.iter().filter(|reply| reply.timed_out()).count();
        let broken: Vec<String> = replies.iter().filter_map(broken).collect();
        if let Some(first) = broken.first() {
            let reason = stage.server.trouble_or(|| first.clone());
            return Err(format!(
                "{} of {requests} simultaneous conversions failed: {reason}",
                broken.len()
            ));
        }
        answered.sort();
        let at_once = usize::try_from(stage.service.most_at_once()).unwrap_or(usize::MAX);
        Ok(Run {
            answered,
            unanswered,
            elapsed: volley.elapsed,
            requests,
            setting,
            health: health_took(&health),
            at_once,
        })
    }

    /// `25 conversions on one worker thread took 1.01 s, 1.0 round trips …`
    pub fn measured(&self) -> String {
        let trips = self.elapsed.as_secs_f64() / ROUND_TRIP.as_secs_f64();
        let mut measured = format!(
            "{} conversions {} took {:.2} s, {trips:.1} round trips of {} ms",
            self.requests,
            self.setting.said(),
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

    /// What was measured, and how many answers came in each round trip:
    /// `…; answered per round trip: 32, 32`.
    pub fn measured_in_waves(&self) -> String {
        format!(
            "{}; answered per round trip: {}",
            self.measured(),
            self.waves_text()
        )
    }

    /// How many answers came in each round trip. Waves are counted from
    /// the first answer, not from the start: the time the requests take to
    /// reach the rates service (a loaded laptop starting 64 connections)
    /// delays every wave alike. An answer a round trip after the first is in
    /// wave 2, two after in wave 3: it takes half a round trip of noise
    /// between answers of one wave to move one.
    pub fn waves(&self) -> Vec<usize> {
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

    /// `32, 32`, or `12, 5, … and 3 unanswered`.
    pub fn waves_text(&self) -> String {
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

    /// How many ran at once: the most conversions the rates service was
    /// answering together. (The first wave of answers says the same on a
    /// quiet machine; a starved one can push answers half a round trip
    /// late, into the next wave, but no conversion out of the rates
    /// service's count.)
    pub fn at_once(&self) -> usize {
        self.at_once
    }

    /// How long `/health` took, or why it failed.
    pub fn health(&self) -> &Result<Duration, String> {
        &self.health
    }

    pub fn health_fast(&self) -> bool {
        matches!(self.health, Ok(latency) if latency <= HEALTH_LIMIT)
    }

    pub fn health_ms(&self) -> u128 {
        self.health
            .as_ref()
            .map_or(0, |latency| latency.as_millis())
    }

    /// Why conversions queued, from what `/health` said meanwhile.
    pub fn why_queued(&self) -> String {
        match &self.health {
            Ok(latency) if *latency <= HEALTH_LIMIT => format!(
                "at most {} ran at once, yet the worker thread was free: /health answered \
                 in {} ms meanwhile. Nothing blocks the runtime; the conversions wait for \
                 something there is too little of: a pool with too few threads \
                 (max_blocking_threads?), a lock held across an .await, a semaphore?",
                self.at_once(),
                latency.as_millis()
            ),
            Ok(latency) if self.at_once() <= 1 => format!(
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
                self.at_once(),
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
    /// machine is. The error, when it answered sooner, is the reason.
    pub fn not_too_fast(&self, measured: &str) -> Result<(), String> {
        if self.elapsed < ROUND_TRIP * 9 / 10 {
            return Err(format!(
                "{measured}: faster than the rates service answers. Is every answer \
                 fetched, not remembered?"
            ));
        }
        Ok(())
    }
}

/// Why a conversion that got an answer, or lost its connection, is no
/// conversion at all; `None` for a 200 or a timeout.
fn broken(reply: &Reply) -> Option<String> {
    match &reply.answer {
        Ok((200, _)) => None,
        Ok((status, body)) => Some(format!("answered {status} {body}")),
        Err(NoAnswer::Late(_)) => None,
        Err(why) => Some(why.to_string()),
    }
}

/// `/health`'s time, or why it failed (a status but 200 is a failure).
fn health_took(reply: &Reply) -> Result<Duration, String> {
    match &reply.answer {
        Ok((200, _)) => Ok(reply.took),
        Ok((status, body)) => Err(format!("answered {status} {body}")),
        Err(why) => Err(why.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(answered_ms: &[u64], unanswered: usize, health_ms: Option<u64>, at_once: usize) -> Run {
        Run {
            answered: answered_ms
                .iter()
                .copied()
                .map(Duration::from_millis)
                .collect(),
            unanswered,
            elapsed: Duration::from_millis(answered_ms.iter().copied().max().unwrap_or(0)),
            requests: answered_ms.len() + unanswered,
            setting: Setting::OneWorker,
            health: health_ms
                .map(Duration::from_millis)
                .ok_or_else(|| "no answer within 5 s".to_string()),
            at_once,
        }
    }

    #[test]
    fn waves_count_from_the_first_answer_a_round_trip_apart() {
        // The first wave late by 300 ms: the second is still the second.
        let run = run(&[1300, 1310, 1320, 2310, 2350, 3600], 2, Some(20), 3);
        assert_eq!(run.waves(), [3, 2, 1]);
        assert_eq!(run.waves_text(), "3, 2, 1 and 2 unanswered");
    }

    #[test]
    fn a_measurement_says_its_setting_and_its_waves() {
        let mut run = run(&[1000, 2000], 0, Some(20), 1);
        assert_eq!(
            run.measured(),
            "2 conversions on one worker thread took 2.00 s, 2.0 round trips of 1000 ms"
        );
        run.setting = Setting::Threads(12);
        assert_eq!(
            run.measured_in_waves(),
            "2 conversions with 12 threads took 2.00 s, 2.0 round trips of 1000 ms; \
             answered per round trip: 1, 1"
        );
    }

    #[test]
    fn a_queue_is_read_from_health() {
        let free = run(&[1000, 2000], 0, Some(20), 1);
        assert!(free.health_fast());
        assert!(free.why_queued().contains("the worker thread was free"));
        let serial = run(&[1000, 2000], 0, Some(900), 1);
        assert!(!serial.health_fast());
        assert!(serial.why_queued().contains("one after another"));
        let lent = run(&[1000, 1000, 2000], 0, Some(900), 2);
        assert!(lent.why_queued().contains("block_in_place"));
        let silent = run(&[1000], 0, None, 1);
        assert!(silent.why_queued().contains("/health got no answer"));
        assert_eq!(silent.health_ms(), 0);
    }

    #[test]
    fn an_answer_before_the_round_trip_is_too_fast() {
        assert!(run(&[100], 0, Some(5), 1).not_too_fast("m").is_err());
        assert!(run(&[1000], 0, Some(5), 1).not_too_fast("m").is_ok());
    }

    #[test]
    fn only_wrong_statuses_and_lost_connections_are_broken() {
        let reply = |answer: Result<(u16, &str), NoAnswer>| Reply {
            answer: answer.map(|(status, body)| (status, body.to_string())),
            took: Duration::ZERO,
            retry_after: None,
        };
        assert_eq!(broken(&reply(Ok((200, "GBP 88.4")))), None);
        assert_eq!(broken(&reply(Err(NoAnswer::Late(REQUEST_TIMEOUT)))), None);
        assert_eq!(
            broken(&reply(Ok((502, "down")))).as_deref(),
            Some("answered 502 down")
        );
        assert_eq!(
            broken(&reply(Err(NoAnswer::Closed))).as_deref(),
            Some("the connection closed without an answer: did the handler panic?")
        );
    }
}
