//! Parts 1 and 2: on one worker thread, N slow conversions finish in about
//! one round trip, and `/health` answers fast meanwhile.
//!
//! Threshold: 5 round trips, 5× above the ideal (1) and 5× below the serial
//! case (25 conversions: see `engine::IN_FLIGHT`).

use std::path::Path;

use super::Subject;
use crate::engine::launch::Launch;
use crate::engine::timing::Run;
use crate::engine::{HEALTH_LIMIT, IN_FLIGHT, ROUND_TRIP};
use crate::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// At most this many round trips for all of them.
const THRESHOLD: u32 = 5;

pub fn check(bin: &Path) -> Verdict {
    let run = match Run::go(bin, Launch::new().one_worker(), IN_FLIGHT) {
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
    match run.health() {
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
