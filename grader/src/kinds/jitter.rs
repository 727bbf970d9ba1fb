//! Part 6's jitter check: the retries of conversions that failed together
//! are spread out, each later than the last, and capped.
//!
//! 80 conversions at once, each a date of its own, against a rates service
//! whose every request for a date fails at once (a `503` without
//! `Retry-After`): they all fail at the same moment, as an outage makes
//! them, and each makes its 4 tries (`--max-tries 4`) before its `502`. The
//! server waits before retry `n` a random time in `[0, min(cap, base·2ⁿ)]`:
//! with `--backoff-base 600ms --backoff-cap 1200ms`, up to 600, 1200 and
//! 1200 ms. The rates service logs when each try arrives; the time from a try to
//! the next one for the same date is the wait (the failures are answered
//! at once). It must see:
//!
//! - **a wait**: the first retries wait 75 ms on average at least (300
//!   with full jitter; a retry at once, a few milliseconds);
//! - **spread**: no 60 ms window holds more than half of the first
//!   retries' waits, nor of the second's, nor of the third's: waits of no
//!   time, or all the same (no jitter), put them all in one;
//! - **exponential**: the second and third retries wait 1.4 times as long
//!   as the first on average at least (2 with full jitter, 1 with a ceiling
//!   that does not double);
//! - **capped**: at most a tenth of the third retries wait past the cap by
//!   more than 100 ms (46 % of them do without the cap).
//!
//! The server runs with `--retries backoff` (no budget: the next
//! exercises' gaps never run), 100 permits and no wait for them, so that
//! only the backoff decides when a retry goes. The margins are in
//! `engine::numbers::part6`.

use std::path::Path;
use std::time::Duration;

use rates::date::FIRST;
use rates::{Date, FailureKind, Failures, RatesConfig, Share};

use super::{Machine, Subject};
use crate::engine::arrivals::{Tries, by_path, densest, mean, path_of, share, since_first};
use crate::engine::launch::{Launch, Retries, Stage};
use crate::engine::numbers::part5::QUIET_WITHIN;
use crate::engine::numbers::part6::{
    GROWTH, MOST, NEXT_TO_NO_WAIT, PAST_CAP, PAST_CAP_SHARE, STORM, STORM_BASE, STORM_CAP, STORM_DEADLINE,
    STORM_TRIES, WINDOW,
};
use crate::engine::requests::{REQUEST_TIMEOUT, Reply, each_at_once_while, within};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
/// Its 80 conversions fail at the same moment, and the server handles
/// their 80 answers at once: beside the part's other checks (the quota's
/// own 80 at once), a loaded machine made that burst take a third of a
/// second, all of it counted in the first retries' waits (660 ms on
/// average, where full jitter makes 300), and the waits seemed not to
/// grow. It starts once the others are done, 3 s after they started at
/// the latest, as the shedding check does.
pub const MACHINE: Machine = Machine::Quiet {
    within: QUIET_WITHIN,
};

/// How the retries are named, the first to the third.
const ORDINALS: [&str; 3] = ["first", "second", "third"];

pub fn check(bin: &Path) -> Checked {
    let config = RatesConfig {
        failures: Some(Failures::new(Share::ALL, FailureKind::Unavailable(None)).dated_only()),
        ..RatesConfig::default()
    };
    let stage = Launch::new()
        .retries(Retries::Backoff)
        .max_tries(STORM_TRIES)
        .backoff(STORM_BASE, STORM_CAP)
        .max_fetches(STORM + STORM / 4)
        .max_wait(None)
        .upstream_timeout(STORM_DEADLINE)
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let dates: Vec<Date> = (0..STORM).map(|n| FIRST.plus_days(n as i64)).collect();
    let urls: Vec<String> = dates
        .iter()
        .map(|date| server.at(&format!("/convert/GBP/100/{date}")))
        .collect();
    let (volley, ()) = each_at_once_while(client, &urls, REQUEST_TIMEOUT, || ());
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap.into());
    }
    let seen = by_path(&service.arrivals());
    let tries: Vec<Option<&Tries>> = dates.iter().map(|date| seen.get(&path_of(date))).collect();
    let storm = format!(
        "{STORM} conversions at once whose every try failed at once (a 503 without \
         Retry-After), with --max-tries {STORM_TRIES} --backoff-base {}ms --backoff-cap {}ms",
        STORM_BASE.as_millis(),
        STORM_CAP.as_millis()
    );

    let made = |tries: &Option<&Tries>| tries.map_or(0, |tries| tries.count());
    let expected = STORM_TRIES as usize;
    if let Some(odd) = tries.iter().find(|one| made(one) != expected) {
        let fewer = tries.iter().filter(|one| made(one) < expected).count();
        let more = tries.iter().filter(|one| made(one) > expected).count();
        let once = tries.iter().filter(|one| made(one) == 1).count();
        let unanswered = volley
            .replies
            .iter()
            .filter(|reply| reply.status().is_none())
            .count();
        let cause = if more > 0 {
            format!(
                "{more} made more than {STORM_TRIES}: --max-tries counts every try, the first \
                 included"
            )
        } else if once == STORM {
            "none was tried again: a 503 is a failure of the moment (the retries check says \
             more)"
                .to_string()
        } else if unanswered > 0 {
            format!(
                "{unanswered} got no answer within {}: does a wait never end?",
                within(REQUEST_TIMEOUT)
            )
        } else {
            format!(
                "{fewer} made fewer: the waits (at most {} ms in all) fit in the {} s \
                 deadline, so every try should be made",
                (STORM_BASE + STORM_CAP * 2).as_millis(),
                STORM_DEADLINE.as_secs()
            )
        };
        return Err(server
            .trouble_or(|| {
                format!(
                    "{storm}: each should reach the rates service {STORM_TRIES} times; one \
                     reached it {}, and {cause}",
                    times(made(odd))
                )
            })
            .into());
    }
    let tries: Vec<&Tries> = tries.into_iter().flatten().collect();
    let waits: Vec<Vec<Duration>> = (0..expected - 1)
        .map(|n| tries.iter().filter_map(|one| one.gap(n)).collect())
        .collect();

    // No wait at all, however the machine spread the retries.
    let first = mean(&waits[0]).unwrap_or_default();
    if first < NEXT_TO_NO_WAIT {
        return Err(format!(
            "{storm}: the {} first retries reached the rates service {} ms after their \
             failures on average, where a wait drawn from [0, {} ms] averages {} ms: they wait \
             no time (or next to none), and come back together, a wave as large as the \
             failure. Wait a random time in [0, min(cap, base·2^n)] (full jitter)",
            waits[0].len(),
            first.as_millis(),
            STORM_BASE.as_millis(),
            (STORM_BASE / 2).as_millis()
        )
        .into());
    }

    // Spread: no retry's waits crowd into one short window.
    for (n, waits) in waits.iter().enumerate() {
        let (most, from) = densest(waits, WINDOW);
        if share(most, waits.len()) > MOST {
            let how = if from < WINDOW {
                "they wait no time".to_string()
            } else {
                format!(
                    "they all wait the same time, about {} ms",
                    (from + WINDOW / 2).as_millis()
                )
            };
            return Err(format!(
                "{storm}: {most} of the {} {} retries reached the rates service within {} ms of \
                 each other after their failures ({} to {} ms after): {how}, and come back \
                 together, a wave as large as the failure. Wait a random time in [0, min(cap, \
                 base·2^n)] (full jitter)",
                waits.len(),
                ORDINALS[n],
                WINDOW.as_millis(),
                from.as_millis(),
                (from + WINDOW).as_millis()
            )
            .into());
        }
    }

    // Exponential: the later retries wait longer than the first.
    let later_waits: Vec<Duration> = waits[1..].iter().flatten().copied().collect();
    let later = mean(&later_waits).unwrap_or_default();
    let growth = later.as_secs_f64() / first.as_secs_f64().max(1e-3);
    if growth < GROWTH {
        return Err(format!(
            "{storm}: the second and third retries waited {} ms on average, the first {} ms: \
             {growth:.1} times as long, where each retry's ceiling doubles (base·2^n: {}, then \
             {} ms) and the waits with it, about twice as long. Is the ceiling the same for \
             every retry?",
            later.as_millis(),
            first.as_millis(),
            STORM_BASE.as_millis(),
            (STORM_BASE * 2).as_millis()
        )
        .into());
    }

    // Capped: the third retry's ceiling is the cap, not base·2².
    let third = &waits[2];
    let limit = STORM_CAP + PAST_CAP;
    let past: Vec<&Duration> = third.iter().filter(|wait| **wait > limit).collect();
    let longest = third.iter().max().copied().unwrap_or_default();
    if share(past.len(), third.len()) > PAST_CAP_SHARE {
        return Err(format!(
            "{storm}: {} of the {} third retries waited longer than the {} ms cap (up to {} \
             ms): the ceiling is min(cap, base·2^n), never more than --backoff-cap, or a few \
             failures push the next try past any deadline",
            past.len(),
            third.len(),
            STORM_CAP.as_millis(),
            longest.as_millis()
        )
        .into());
    }

    let unanswered: Vec<&Reply> = volley
        .replies
        .iter()
        .filter(|reply| reply.status().is_none())
        .collect();
    if let Some(first) = unanswered.first() {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{storm}: each made its {STORM_TRIES} tries, but {} got {} once they \
                     failed: the last failure is answered (a 502)",
                    unanswered.len(),
                    first.quoted()
                )
            })
            .into());
    }

    // What the rates service saw, as times of arrival: the first retries,
    // spread.
    let first_retries: Vec<_> = tries.iter().filter_map(|one| one.at.get(1).copied()).collect();
    let arrived = since_first(&first_retries);
    let (bunched, _) = densest(&arrived, WINDOW);
    let range = |waits: &[Duration]| {
        let low = waits.iter().min().copied().unwrap_or_default();
        let high = waits.iter().max().copied().unwrap_or_default();
        format!("{} to {} ms", low.as_millis(), high.as_millis())
    };
    let most = waits
        .iter()
        .map(|waits| share(densest(waits, WINDOW).0, waits.len()))
        .fold(0.0, f64::max);
    Ok(format!(
        "{storm}: the waits before the first, second and third retries ranged {}, {} and {}, \
         at most {:.0} % of one retry's in any {} ms (the first retries arrived over {} ms, {} \
         of {STORM} at most in {} ms); later retries waited {growth:.1} times as long as the \
         first on average ({} ms, then {} ms); {} of the third past the cap by {} ms",
        range(&waits[0]),
        range(&waits[1]),
        range(&waits[2]),
        most * 100.0,
        WINDOW.as_millis(),
        arrived.iter().max().copied().unwrap_or_default().as_millis(),
        bunched,
        WINDOW.as_millis(),
        first.as_millis(),
        later.as_millis(),
        past.len(),
        PAST_CAP.as_millis()
    ))
}

/// `once`, `twice`, `3 times`: how often, as a reason says it.
fn times(count: usize) -> String {
    match count {
        0 => "not once".to_string(),
        1 => "once".to_string(),
        2 => "twice".to_string(),
        more => format!("{more} times"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_often_is_said_in_words() {
        assert_eq!(times(0), "not once");
        assert_eq!(times(1), "once");
        assert_eq!(times(2), "twice");
        assert_eq!(times(4), "4 times");
    }
}
