//! Part 6's retry_after check: a `Retry-After` on a `429` or a `503` is a
//! wait the rates service asks for: no retry comes sooner; and one past the
//! deadline is not waited for at all: the conversion is answered at once,
//! `503` with a `Retry-After` of the server's own. Three scenarios, side by
//! side, each against its own rates service (every request for a date
//! failing the same way) and server, 4 conversions at once each:
//!
//! - **seconds**: `429` with `Retry-After: 1`, a deadline of 1.5 s: each
//!   conversion's second try comes a second after its first at least (the
//!   server read the header after the rates service logged the request, so
//!   a right one is never sooner; 20 ms are allowed for the timer's grain);
//! - **date**: `503` with `Retry-After` the HTTP-date a second on (rounded
//!   up to the whole second, so a wait of 1 to 2 s), a deadline of 2.5 s:
//!   the same, 100 ms allowed for a date read to the second;
//! - **past the deadline**: `429` with `Retry-After: 5`, a deadline of 2 s:
//!   each conversion reaches the rates service once, and is answered `503`
//!   within half the deadline, with a `Retry-After` that asks for what is
//!   left of the 5 s, rounded up (an HTTP-date: to the second), and one line.
//!
//! A retry that ignores the header waits its backoff (50 ms, then 100 at
//! most): ten times sooner than asked. The server runs with `--retries
//! backoff` (no budget: the next exercise's gaps never run).

use std::path::Path;
use std::time::{Duration, SystemTime};

use rates::date::FIRST;
use rates::{Date, FailureKind, Failures, RatesConfig, RetryAfter, Share};

use super::{Machine, Subject};
use crate::engine::arrivals::{Tries, by_path, path_of};
use crate::engine::each_side_by_side;
use crate::engine::launch::{Launch, Retries, Stage};
use crate::engine::numbers::part6::{
    ANSWER_MARGIN, ASKED_SECS, AT_ONCE, DATE_DEADLINE, DATE_GRAIN, FAR_SECS, NEAR_DEADLINE,
    POLITE, SECONDS_DEADLINE, SECONDS_GRAIN,
};
use crate::engine::requests::{Reply, each_at_once_while, retry_after_wait, secs, within};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// One scenario: how the rates service fails, and the server's deadline.
struct Scenario {
    kind: FailureKind,
    deadline: Duration,
    /// How much sooner than asked a retry may come.
    grain: Duration,
    /// The header as a reason says it.
    said: &'static str,
}

const ASKED: Duration = Duration::from_secs(ASKED_SECS as u64);

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        kind: FailureKind::TooManyRequests(RetryAfter::Seconds(ASKED_SECS)),
        deadline: SECONDS_DEADLINE,
        grain: SECONDS_GRAIN,
        said: "a 429 with Retry-After: 1",
    },
    Scenario {
        kind: FailureKind::Unavailable(Some(RetryAfter::DateIn(ASKED))),
        deadline: DATE_DEADLINE,
        grain: DATE_GRAIN,
        said: "a 503 with Retry-After the HTTP-date 1 s on (rounded up to the second)",
    },
    Scenario {
        kind: FailureKind::TooManyRequests(RetryAfter::Seconds(FAR_SECS)),
        deadline: NEAR_DEADLINE,
        grain: Duration::ZERO,
        said: "a 429 with Retry-After: 5",
    },
];

pub fn check(bin: &Path) -> Checked {
    let measured: Vec<String> = each_side_by_side(&SCENARIOS, |scenario| scenario.run(bin))
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(measured.join("; "))
}

impl Scenario {
    fn run(&self, bin: &Path) -> Result<String, String> {
        let config = RatesConfig {
            failures: Some(Failures::new(Share::ALL, self.kind).dated_only()),
            ..RatesConfig::default()
        };
        let stage = Launch::new()
            .retries(Retries::Backoff)
            .upstream_timeout(self.deadline)
            .stage(bin, config)?;
        let dates: Vec<Date> = (0..POLITE).map(|n| FIRST.plus_days(n as i64)).collect();
        let urls: Vec<String> = dates
            .iter()
            .map(|date| stage.server.at(&format!("/convert/GBP/100/{date}")))
            .collect();
        // The conversions leave together, now: each answer came this long
        // after, which its `Retry-After` (an HTTP-date) is read against.
        let sent = SystemTime::now();
        let limit = self.deadline + ANSWER_MARGIN;
        let answers = each_at_once_while(&stage.client, &urls, limit, || ()).0.replies;
        if let Some(gap) = stage.server.unfilled_gap() {
            return Err(gap);
        }
        let seen = by_path(&stage.service.arrivals());
        let tries: Vec<Option<&Tries>> =
            dates.iter().map(|date| seen.get(&path_of(date))).collect();
        let failing = format!(
            "{} conversions at once, each try answered {}, with a deadline (--upstream-timeout) \
             of {}",
            POLITE,
            self.said,
            within(self.deadline)
        );
        match self.kind {
            FailureKind::TooManyRequests(RetryAfter::Seconds(FAR_SECS)) => {
                past_the_deadline(&stage, &failing, &answers, sent, &tries)
            }
            _ => self.waited(&stage, &failing, &answers, &tries),
        }
    }

    /// Each conversion tried again, no sooner than asked.
    fn waited(
        &self,
        stage: &Stage,
        failing: &str,
        answers: &[Reply],
        tries: &[Option<&Tries>],
    ) -> Result<String, String> {
        let server = &stage.server;
        let made = |tries: &Option<&Tries>| tries.map_or(0, |tries| tries.count());
        let gaps: Vec<Duration> = tries.iter().flatten().flat_map(|one| one.gaps()).collect();
        let least = ASKED.saturating_sub(self.grain);
        if let Some(soonest) = gaps.iter().filter(|gap| **gap < least).min() {
            let sooner = gaps.iter().filter(|gap| **gap < least).count();
            return Err(server.trouble_or(|| {
                format!(
                    "{failing}: {sooner} of {} retries reached the rates service sooner than \
                     the {} s it asked for, the soonest {} ms after the try before: a retry that \
                     comes sooner meets a service that said it cannot answer yet. Wait at least \
                     the Retry-After (the longer of it and the backoff){}",
                    gaps.len(),
                    ASKED.as_secs(),
                    soonest.as_millis(),
                    match self.kind {
                        FailureKind::Unavailable(Some(RetryAfter::DateIn(_))) =>
                            "; an HTTP-date is a moment: the wait is the time from now until \
                             then (httpdate::parse_http_date)",
                        _ => "",
                    }
                )
            }));
        }
        if let Some((answer, once)) = answers
            .iter()
            .zip(tries)
            .find(|(_, tries)| made(tries) < 2)
        {
            return Err(server.trouble_or(|| {
                format!(
                    "{failing}: a conversion {}, and was answered {} after {}, though the \
                     deadline had room for the wait asked: wait as long as the rates service \
                     asks, then try again",
                    if made(once) == 0 {
                        "never reached the rates service"
                    } else {
                        "reached the rates service once only"
                    },
                    answer.quoted(),
                    secs(answer.took)
                )
            }));
        }
        if let Some(answer) = answers.iter().find(|answer| answer.status().is_none()) {
            return Err(server.trouble_or(|| {
                format!(
                    "{failing}: each was tried again in time, but one got {}: the last failure \
                     is answered, within the deadline",
                    answer.quoted()
                )
            }));
        }
        let soonest = gaps.iter().min().copied().unwrap_or_default();
        Ok(format!(
            "{failing}: {} retries, none sooner than asked (the soonest {} ms after the try \
             before)",
            gaps.len(),
            soonest.as_millis()
        ))
    }
}

/// Each conversion asked once, and answered at once: 503, a `Retry-After`
/// for what is left of the rates service's, one line.
fn past_the_deadline(
    stage: &Stage,
    failing: &str,
    answers: &[Reply],
    sent: SystemTime,
    tries: &[Option<&Tries>],
) -> Result<String, String> {
    let server = &stage.server;
    let far = Duration::from_secs(FAR_SECS.into());
    let made = |tries: &Option<&Tries>| tries.map_or(0, |tries| tries.count());
    if let Some((one, answer)) = tries.iter().zip(answers).find(|(one, _)| made(one) > 1) {
        let second = one
            .and_then(|tries| tries.gap(0))
            .unwrap_or_default()
            .as_millis();
        return Err(server.trouble_or(|| {
            format!(
                "{failing}: the rates service saw {} tries for one conversion, the second {second} \
                 ms after the first, and it was answered {}: a wait of 5 s does not fit in a \
                 deadline of 2 s, so no retry can honour it. Answer at once, 503 with a \
                 Retry-After of our own: waiting, or retrying sooner, is load for nothing",
                made(one),
                answer.quoted()
            )
        }));
    }
    for reply in answers {
        let Ok((status, body)) = &reply.answer else {
            return Err(server.trouble_or(|| {
                format!(
                    "{failing}: a conversion got {}, where it is answered at once, 503 with a \
                     Retry-After",
                    reply.quoted()
                )
            }));
        };
        if *status != 503 {
            return Err(server.trouble_or(|| {
                format!(
                    "{failing}: a conversion was answered {}, where a 503 with a Retry-After \
                     passes the rates service's wait on to its client, which should wait too (a \
                     502 says nothing of when to come back)",
                    reply.quoted()
                )
            }));
        }
        if reply.took > AT_ONCE {
            return Err(format!(
                "{failing}: a conversion was answered 503 after {}, where a wait the deadline \
                 cannot hold is not waited at all: answer at once, within {} ms (a right server: \
                 a few)",
                secs(reply.took),
                AT_ONCE.as_millis()
            ));
        }
        let Some(value) = &reply.retry_after else {
            return Err(format!(
                "{failing}: a conversion was answered 503 without Retry-After: the client \
                 cannot tell when to come back, and comes back at once. Pass on what is left \
                 of the rates service's, in whole seconds"
            ));
        };
        let Some(wait) = retry_after_wait(value, sent + reply.took) else {
            return Err(format!(
                "{failing}: a conversion was answered 503 with `Retry-After: {value}`, which no \
                 client can read: whole seconds (`5`) or an HTTP-date, nothing else"
            ));
        };
        // What was left of the rates service's 5 s when the answer came:
        // more than 5 s less the conversion's whole time. A number of
        // seconds rounded up is at least that; an HTTP-date is read to the
        // second.
        let left = far.saturating_sub(reply.took);
        let grain = if value.bytes().all(|byte| byte.is_ascii_digit()) {
            Duration::ZERO
        } else {
            Duration::from_secs(1)
        };
        if wait + grain < left {
            return Err(format!(
                "{failing}: a conversion was answered 503 with `Retry-After: {value}`, when \
                 {} of the rates service's 5 s were left: its client comes back before the \
                 rates service can answer. Round what is left up to the whole second",
                secs(left)
            ));
        }
        if wait > far + Duration::from_secs(1) + grain {
            return Err(format!(
                "{failing}: a conversion was answered 503 with `Retry-After: {value}`, when the \
                 rates service asked for 5 s: pass on what is left of its wait, rounded up to \
                 the second, not more"
            ));
        }
        if body.trim().is_empty() || body.trim_end_matches('\n').lines().count() != 1 {
            return Err(format!(
                "{failing}: a conversion was answered 503 with a body that is not one line: \
                 {body:?}"
            ));
        }
    }
    let slowest = answers
        .iter()
        .map(|answer| answer.took)
        .max()
        .unwrap_or_default();
    let said: Vec<&str> = answers
        .iter()
        .filter_map(|answer| answer.retry_after.as_deref())
        .collect();
    Ok(format!(
        "{failing}: each asked it once, and was answered 503 within {} ms, with Retry-After: {}",
        slowest.as_millis(),
        said.first().copied().unwrap_or_default()
    ))
}
