//! Part 6's retries check: a failed fetch of a date's rates is tried again
//! when the failure may pass, never when it will not, and never past the
//! deadline. Judged by what the rates service saw arrive, a conversion at a
//! time (each conversion asks for a date of its own). Four scenarios, side
//! by side, each against its own rates service and server:
//!
//! - **flaky, 503**: the rates service fails exactly the first of every 3
//!   requests for a date (a `503` without `Retry-After`); 100 conversions,
//!   one after the other, so each failed try's retry is the next request
//!   the service counts, and it goes through: at least 99 must be answered
//!   200 within the deadline (a right server: all 100);
//! - **flaky, reset**: the same, the failed ones a connection closed with
//!   no answer;
//! - **refused**: the rates service answers `404`, then `400`, for dates it
//!   has: 5 conversions at once each, and each date asked once, only once;
//! - **late**: every answer a `500` after 1.5 s, against a deadline of 2 s:
//!   the second try has half a second left, and the conversion is a `504`
//!   at the deadline, not a `502` when a second try of 1.5 s comes back.
//!
//! The server runs with `--retries backoff` (backoff and `Retry-After`, no
//! budget), and no answer here carries a `Retry-After`: the part's next
//! exercises' gaps never run. Counts, but the late scenario's answer, which
//! has a second of margin on either side (`engine::numbers::part6`).

use std::path::Path;
use std::time::Instant;

use rates::date::FIRST;
use rates::{Date, FailureKind, Failures, Outcome, RatesConfig, Share};

use super::{Machine, Subject};
use crate::engine::arrivals::{Tries, by_path, path_of};
use crate::engine::each_side_by_side;
use crate::engine::launch::{Launch, Retries, Stage};
use crate::engine::numbers::part6::{
    ANSWER_MARGIN, FAIL_AFTER, FLAKY_CONVERSIONS, FLAKY_DEADLINE, FLAKY_LIMIT, FLAKY_SHARE,
    LATE_CONVERSIONS, LATE_LIMIT, REFUSED, WHOLE_DEADLINE,
};
use crate::engine::requests::{Deadline, Reply, each_at_once_while, get_within, secs, within};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// What the rates service does in each scenario.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// The first of every 3 requests for a date fails this way.
    Flaky(FailureKind),
    /// Every request for a date refused, with a 404 then a 400.
    Refused,
    /// Every answer a 500, after most of the deadline.
    Late,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario::Flaky(FailureKind::Unavailable(None)),
    Scenario::Flaky(FailureKind::Reset),
    Scenario::Refused,
    Scenario::Late,
];

pub fn check(bin: &Path) -> Checked {
    // The first scenario that failed, in the order above, is the reason.
    let measured: Vec<String> = each_side_by_side(&SCENARIOS, |scenario| match *scenario {
        Scenario::Flaky(kind) => flaky(bin, kind),
        Scenario::Refused => refused(bin),
        Scenario::Late => late(bin),
    })
    .into_iter()
    .collect::<Result<_, _>>()?;
    Ok(measured.join("; "))
}

/// The server as every scenario here runs it: backoff, no budget.
fn launch() -> Launch {
    Launch::new().retries(Retries::Backoff)
}

/// `/convert/GBP/100/{date}`.
fn conversion_on(date: Date) -> String {
    format!("/convert/GBP/100/{date}")
}

/// A failure as the reasons name it.
fn described(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Reset => "the connection closed with no answer",
        FailureKind::ServerError => "a 500",
        _ => "a 503 without Retry-After",
    }
}

/// 100 conversions one after the other against a rates service that fails
/// the first of every 3 requests for a date as `kind`.
fn flaky(bin: &Path, kind: FailureKind) -> Result<String, String> {
    let share = Share::one_in(3).map_err(|err| err.to_string())?;
    let config = RatesConfig {
        failures: Some(Failures::new(share, kind).dated_only()),
        ..RatesConfig::default()
    };
    let stage = launch()
        .upstream_timeout(FLAKY_DEADLINE)
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let deadline = Deadline::after(FLAKY_LIMIT);
    let mut asked: Vec<(Date, Reply)> = Vec::new();
    for n in 0..FLAKY_CONVERSIONS {
        if deadline.passed() || server.gave_up() {
            break;
        }
        let date = FIRST.plus_days(n as i64);
        let limit = (FLAKY_DEADLINE + ANSWER_MARGIN).min(deadline.left());
        asked.push((date, get_within(client, &server.at(&conversion_on(date)), limit)));
    }
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap);
    }
    let tries = by_path(&service.arrivals());
    let tries_of = |date: &Date| tries.get(&path_of(date));
    let served = asked
        .iter()
        .filter(|(_, reply)| reply.status() == Some(200))
        .count();
    let failing = format!(
        "{FLAKY_CONVERSIONS} conversions on a date, one after the other, against a rates \
         service that fails exactly the first of every 3 requests ({})",
        described(kind)
    );
    if (served as f64) < FLAKY_SHARE * FLAKY_CONVERSIONS as f64 {
        let wrong: Vec<&(Date, Reply)> = asked
            .iter()
            .filter(|(_, reply)| reply.status() != Some(200))
            .collect();
        let once = wrong
            .iter()
            .filter(|(date, _)| tries_of(date).is_some_and(|tries| tries.count() == 1))
            .count();
        let first = wrong
            .first()
            .map_or_else(String::new, |(_, reply)| reply.quoted());
        let so_far = if asked.len() < FLAKY_CONVERSIONS {
            format!(
                " (only {} were asked within {}: each waits for the one before)",
                asked.len(),
                within(FLAKY_LIMIT)
            )
        } else {
            String::new()
        };
        let cause = if once > 0 {
            format!(
                "{once} of them reached the rates service once only: the failed try was not \
                 tried again. {} is a failure of the moment, and a second try goes through: \
                 retry a 5xx, a 429 and no answer at all (`Failure::retryable`), after a wait",
                capitalised(described(kind))
            )
        } else {
            "their failed tries were tried again, and still the conversion was not answered \
             with the rates the retry got: the answer is the last try's"
                .to_string()
        };
        return Err(server.trouble_or(|| {
            format!(
                "{failing}: {served} answered 200{so_far}, where a second try always goes \
                 through; {} did not (the first: {first}): {cause}",
                wrong.len()
            )
        }));
    }
    let failed_tries = tries
        .values()
        .flat_map(|tries| tries.outcomes.iter())
        .filter(|outcome| **outcome != Outcome::Status(200))
        .count();
    let requests: usize = tries.values().map(Tries::count).sum();
    Ok(format!(
        "{failing}: {served} answered 200 within {} s, each of the {failed_tries} failed tries \
         tried again ({requests} requests)",
        FLAKY_DEADLINE.as_secs()
    ))
}

/// Conversions on dates the rates service refuses, with a 404 and then a
/// 400: each date asked once.
fn refused(bin: &Path) -> Result<String, String> {
    let refusing = |status| {
        FailureKind::client_error(status)
            .map(|kind| Failures::new(Share::ALL, kind).dated_only())
            .ok_or_else(|| format!("{status} is not a 4xx (a grader bug)"))
    };
    let config = RatesConfig {
        failures: Some(refusing(404)?),
        ..RatesConfig::default()
    };
    let stage = launch()
        .upstream_timeout(FLAKY_DEADLINE)
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let limit = FLAKY_DEADLINE + ANSWER_MARGIN;
    let mut asked: Vec<(u16, Date, Reply)> = Vec::new();
    for (round, status) in [404, 400].into_iter().enumerate() {
        service.set_failures(Some(refusing(status)?));
        let dates: Vec<Date> = (0..REFUSED)
            .map(|n| FIRST.plus_days((round * REFUSED + n) as i64))
            .collect();
        let urls: Vec<String> = dates
            .iter()
            .map(|date| server.at(&conversion_on(*date)))
            .collect();
        let (volley, ()) = each_at_once_while(client, &urls, limit, || ());
        asked.extend(
            dates
                .into_iter()
                .zip(volley.replies)
                .map(|(date, reply)| (status, date, reply)),
        );
    }
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap);
    }
    let tries = by_path(&service.arrivals());
    let count = |date: &Date| tries.get(&path_of(date)).map_or(0, Tries::count);
    if let Some((status, date, reply)) = asked.iter().find(|(_, date, _)| count(date) > 1) {
        let retried = asked.iter().filter(|(_, date, _)| count(date) > 1).count();
        return Err(format!(
            "the rates service refused a date's rates with a {status} (a 4xx, for dates it \
             has), and saw {} requests for {date} from one conversion ({retried} of {} \
             conversions were retried; this one was answered {}): a 4xx other than 429 is \
             the same however often it is asked, and a retry is load for nothing. Retry a \
             5xx, a 429 and no answer only (`Failure::retryable`)",
            count(date),
            asked.len(),
            reply.quoted()
        ));
    }
    if let Some((status, _, reply)) = asked.iter().find(|(_, _, reply)| reply.status().is_none())
    {
        return Err(server.trouble_or(|| {
            format!(
                "the rates service refused a date's rates with a {status}, and a conversion \
                 got {}: a refusal is answered at once (part 1's 502)",
                reply.quoted()
            )
        }));
    }
    Ok(format!(
        "{} conversions whose dates the rates service refused (404, then 400) each asked it \
         once, not again",
        asked.len()
    ))
}

/// Conversions against a rates service whose every answer is a 500 after
/// 1.5 s, with a deadline of 2 s: a 504 at the deadline.
fn late(bin: &Path) -> Result<String, String> {
    let config = RatesConfig {
        failure_rate: 1.0,
        ..RatesConfig::with_latency(FAIL_AFTER)
    };
    let stage = launch()
        .upstream_timeout(WHOLE_DEADLINE)
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let dates: Vec<Date> = (0..LATE_CONVERSIONS)
        .map(|n| FIRST.plus_days(n as i64))
        .collect();
    let urls: Vec<String> = dates
        .iter()
        .map(|date| server.at(&conversion_on(*date)))
        .collect();
    let sent = Instant::now();
    let (volley, ()) = each_at_once_while(client, &urls, LATE_LIMIT, || ());
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap);
    }
    let tries = by_path(&service.arrivals());
    let failing = format!(
        "a rates service whose every answer is a 500 after {}, and a deadline (--upstream-timeout) \
         of {} s",
        secs(FAIL_AFTER),
        WHOLE_DEADLINE.as_secs()
    );
    for (date, reply) in dates.iter().zip(&volley.replies) {
        let seen = tries.get(&path_of(date));
        let count = seen.map_or(0, Tries::count);
        let second = seen
            .and_then(|tries| tries.at.get(1))
            .map(|at| at.saturating_duration_since(sent));
        let fix = "the deadline is the whole fetch's, every try and every wait: a try's \
                   timeout is the time left until it (deadline - now), not --upstream-timeout \
                   anew, and no try starts once it has passed";
        match reply.status() {
            Some(504) => {}
            None if reply.timed_out() => {
                let tried = match second {
                    Some(at) => format!(
                        "the rates service saw {count} tries, the second {} after the \
                         conversion left, which was still waited for at the deadline",
                        secs(at)
                    ),
                    None => format!("the rates service saw {count} tries"),
                };
                return Err(server.trouble_or(|| {
                    format!(
                        "{failing}: a conversion got no answer within {}, where a 504 comes at \
                         the deadline; {tried}: {fix}",
                        within(LATE_LIMIT)
                    )
                }));
            }
            None => return Err(server.trouble_or(|| format!("{failing}: {}", reply.quoted()))),
            Some(_) if count < 2 => {
                return Err(server.trouble_or(|| {
                    format!(
                        "{failing}: a conversion was answered {} after {}, with {} left before \
                         its deadline, and the rates service saw one try: a 500 is a failure \
                         of the moment, and there was time for a second try, cut short at the \
                         deadline: a 504",
                        reply.quoted(),
                        secs(reply.took),
                        secs(WHOLE_DEADLINE.saturating_sub(reply.took))
                    )
                }));
            }
            Some(_) => {
                return Err(server.trouble_or(|| {
                    format!(
                        "{failing}: a conversion was answered {} after {}, where a try out of \
                         time is a 504 at the deadline; the rates service saw {count} tries: \
                         {fix}",
                        reply.quoted(),
                        secs(reply.took)
                    )
                }));
            }
        }
    }
    let took = volley.replies.iter().map(|reply| reply.took);
    let fastest = took.clone().min().unwrap_or_default();
    let cut = tries
        .values()
        .filter(|tries| tries.outcomes.get(1) == Some(&Outcome::Abandoned))
        .count();
    Ok(format!(
        "{failing}: {} conversions answered 504 after {:.2} to {} (the second try cut short at \
         the deadline{})",
        LATE_CONVERSIONS,
        fastest.as_secs_f64(),
        secs(volley.elapsed),
        if cut > 0 {
            format!(", {cut} of them seen abandoned")
        } else {
            String::new()
        }
    ))
}

/// `The connection …`: a reason's phrase at the start of a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_starts_a_sentence() {
        assert_eq!(capitalised("a 503"), "A 503");
        assert_eq!(capitalised(""), "");
    }
}
