//! Parts 1 and 2: on one worker thread, N slow conversions finish in about
//! one round trip, and `/health` answers fast meanwhile.
//!
//! Threshold: 5 round trips, 5× above the ideal (1) and 5× below the serial
//! case (25 conversions: see `engine::numbers::IN_FLIGHT`).

use std::path::Path;

use super::{Machine, Subject};
use crate::engine::numbers::{HEALTH_LIMIT, IN_FLIGHT, ROUND_TRIP, THRESHOLD};
use crate::engine::timing::{Run, Setting};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let run = Run::go(bin, Setting::OneWorker, IN_FLIGHT)?;
    let measured = run.measured();
    if run.elapsed > ROUND_TRIP * THRESHOLD || run.unanswered > 0 {
        return Err(format!("{measured}: {}", run.why_queued()).into());
    }
    run.not_too_fast(&measured)?;
    match run.health() {
        Ok(latency) if *latency <= HEALTH_LIMIT => Ok(format!(
            "{measured}; /health answered in {} ms meanwhile",
            latency.as_millis()
        )),
        Ok(latency) => Err(format!(
            "{measured}, but /health took {} ms meanwhile: something blocks the server \
             while conversions wait",
            latency.as_millis()
        )
        .into()),
        Err(why) => Err(format!("/health failed while conversions waited: {why}").into()),
    }
}
