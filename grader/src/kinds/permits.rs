//! Part 6's permits check: a retry's wait holds no place of part 5's limit.
//! With `--max-fetches 8`, 8 conversions on a date at once, each first try
//! answered `429` with `Retry-After: 2` (every request after them goes
//! through). As soon as the rates service has seen those 8 tries, 8 other
//! conversions, other dates, at once: while the first 8 wait out their two
//! seconds, the 8 places are free, and the others are answered in a round
//! trip. A server that keeps a try's permit through the wait after it (part
//! 5's permit around the whole fetch, or a sleep before the permit is
//! dropped) answers them only when the waits end: two seconds late.
//!
//! Times, but a second apart: the right answer takes milliseconds, the
//! wrong one 1.9 s at the soonest. `--max-wait unbounded`, so that a wrong
//! server answers late rather than shedding, and the reason can say how
//! late. The first 8 conversions' own answers are the retry_after check's.

use std::path::Path;

use rates::date::FIRST;
use rates::{FailureKind, Failures, RatesConfig, RetryAfter, Share};

use super::{Machine, Subject};
use crate::engine::GRADER_BUG;
use crate::engine::launch::{Launch, Retries};
use crate::engine::numbers::part6::{
    HELD, HELD_ASKED_SECS, HELD_DEADLINE, HELD_LIMIT, HELD_SEEN,
};
use crate::engine::requests::{Volley, each_at_once_while, secs, wait_until};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// Requests for a date in a row of which the first `HELD` fail: more than
/// the check ever makes, so that only the first tries fail.
const ROW: u32 = 1000;

pub fn check(bin: &Path) -> Checked {
    let share = Share::counted(HELD as u32, ROW).map_err(|_| GRADER_BUG)?;
    let asked = FailureKind::TooManyRequests(RetryAfter::Seconds(HELD_ASKED_SECS));
    let config = RatesConfig {
        failures: Some(Failures::new(share, asked).dated_only()),
        ..RatesConfig::default()
    };
    let stage = Launch::new()
        .retries(Retries::Backoff)
        .max_fetches(HELD)
        .max_wait(None)
        .upstream_timeout(HELD_DEADLINE)
        .stage(bin, config)?;
    // Each conversion its own date, so each is its own fetch.
    let dated_from = |from: usize| -> Vec<String> {
        (from..from + HELD)
            .map(|n| {
                let date = FIRST.plus_days(n as i64);
                stage.server.at(&format!("/convert/GBP/100/{date}"))
            })
            .collect()
    };
    let (waiting, meanwhile) = (dated_from(0), dated_from(HELD));
    let answer_within = HELD_DEADLINE + HELD_LIMIT;
    let (_waited, others) = each_at_once_while(&stage.client, &waiting, answer_within, || {
        let seen = || stage.service.dated_requests() >= HELD as u64;
        wait_until(HELD_SEEN, || seen() || stage.server.gave_up());
        seen().then(|| each_at_once_while(&stage.client, &meanwhile, answer_within, || ()).0)
    });
    if let Some(gap) = stage.server.unfilled_gap() {
        return Err(gap.into());
    }
    let server = &stage.server;
    let scenario = format!(
        "with --max-fetches {HELD}, {HELD} conversions at once, each first try answered 429 \
         with Retry-After: {HELD_ASKED_SECS}; while they waited, {HELD} others"
    );
    let Some(others) = others else {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{HELD} conversions on a date at once: the rates service saw {} of their \
                     fetches within {}, where each fetches at once",
                    stage.service.dated_requests(),
                    secs(HELD_SEEN)
                )
            })
            .into());
    };
    judge(&scenario, &others).map_err(|why| server.trouble_or(|| why).into())
}

/// The others' answers: every one 200, within `HELD_LIMIT`.
fn judge(scenario: &str, others: &Volley) -> Result<String, String> {
    let slowest = others.elapsed;
    if let Some((reply, wrong)) = others.first_not(200) {
        return Err(format!(
            "{scenario}: {wrong} of the others were not answered 200, the first {}. Nothing \
             else was failing",
            reply.quoted()
        ));
    }
    if slowest > HELD_LIMIT {
        let late = others
            .replies
            .iter()
            .filter(|reply| reply.took > HELD_LIMIT)
            .count();
        return Err(format!(
            "{scenario}: {late} of the others were answered after more than {} (the slowest \
             {}), where a free place answers in a round trip: the first {HELD} held the \
             limit's places while they waited. A place is for a try, not for its wait: give \
             the permit back as soon as the try's answer is in, before any wait (take one a \
             try, as `try_once` does)",
            secs(HELD_LIMIT),
            secs(slowest)
        ));
    }
    Ok(format!(
        "{scenario}: all {HELD} answered 200 within {} ms, while the first waited",
        slowest.as_millis()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::engine::requests::Reply;

    fn volley(took_ms: &[u64], status: u16) -> Volley {
        let replies: Vec<Reply> = took_ms
            .iter()
            .map(|ms| Reply {
                answer: Ok((status, "{}".into())),
                took: Duration::from_millis(*ms),
                retry_after: None,
            })
            .collect();
        let elapsed = replies.iter().map(|reply| reply.took).max().unwrap();
        Volley { replies, elapsed }
    }

    #[test]
    fn the_others_pass_in_a_round_trip_and_fail_after_the_wait() {
        assert!(judge("s", &volley(&[5, 12, 30], 200)).is_ok());
        let held = judge("s", &volley(&[1950, 2010, 5], 200)).unwrap_err();
        assert!(held.contains("2 of the others"), "{held}");
        assert!(held.contains("held the limit's places"), "{held}");
        let shed = judge("s", &volley(&[5, 5], 503)).unwrap_err();
        assert!(shed.contains("2 of the others were not answered 200"), "{shed}");
    }
}
