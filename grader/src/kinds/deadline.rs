//! Part 4's deadline check: the whole fetch, headers and body, under one
//! deadline that counts from the request. Three rates services, each
//! against its own server on one worker thread, with `/health` answering
//! meanwhile:
//!
//! - headers at once, then a body that stalls: a 504 at the deadline, not
//!   never (a timeout around `send()` covers the headers only);
//! - headers at once, then the body a byte every 100 ms: a 504 at the
//!   deadline, not after 45 s (a timeout on each read never fires);
//! - headers after most of the deadline, then a body that stalls: a 504 at
//!   the deadline, not at twice it (a deadline per step, one on `send()`
//!   and a new one on the body, restarts the clock).
//!
//! The margins (`engine::numbers::part4`): a right server answers at its
//! deadline, a wrong one never, after 45 s, or after 3.6 s; `LATE` sits
//! above every right answer and below every wrong one.

use std::path::Path;
use std::time::Duration;

use rates::{Fault, RatesConfig};

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Server};
use crate::engine::numbers::HEALTH_LIMIT;
use crate::engine::numbers::part4::{
    AGAINST_EACH, DEADLINE, HEADERS_LATE, LATE, LATE_HEADERS_DEADLINE,
};
use crate::engine::requests::{NoAnswer, Reply, secs};
use crate::engine::each_side_by_side;
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// One broken rates service, and the server's deadline against it.
struct Case {
    fault: Fault,
    /// When the rates service sends its headers.
    headers_after: Duration,
    /// The server's `--upstream-timeout`: its deadline.
    deadline: Duration,
    /// What the rates service does, as a verdict says it.
    described: &'static str,
    /// The likeliest cause of a late answer here.
    late_because: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        fault: Fault::StallBody,
        headers_after: Duration::ZERO,
        deadline: DEADLINE,
        described: "the rates service sent its headers and then stalled its body",
        late_because: "is the body read under the deadline too? A timeout around `send()` \
                       covers the headers only",
    },
    Case {
        fault: Fault::TrickleBody,
        headers_after: Duration::ZERO,
        deadline: DEADLINE,
        described: "the rates service sent its headers, then its body one byte every 100 ms",
        late_because: "is the body read under the deadline too? A timeout on each read \
                       never fires while bytes keep coming",
    },
    Case {
        fault: Fault::StallBody,
        headers_after: HEADERS_LATE,
        deadline: LATE_HEADERS_DEADLINE,
        described: "the rates service sent its headers after 1.6 s and then stalled its body",
        late_because: "the deadline counts from the request, for the whole fetch. A timeout \
                       on `send()` and another on the body give it twice over: put one \
                       timeout around both (or `timeout_at` one Instant)",
    },
];

pub fn check(bin: &Path) -> Checked {
    // The first case that failed, in the order of `CASES`, is the reason.
    let measured: Vec<Measured> = each_side_by_side(&CASES, |case| scenario(bin, case))
        .into_iter()
        .collect::<Result<_, _>>()?;
    let fastest = measured.iter().map(|one| one.fastest).min();
    let slowest = measured.iter().map(|one| one.slowest).max();
    let health = measured.iter().map(|one| one.health).max();
    Ok(format!(
        "a stalled body, a trickled one, and headers after 1.6 s then a stalled body: {} \
         conversions answered 504 after {:.2} to {}, each at its deadline (1 s; 2 s for the \
         late headers); /health answered within {} ms meanwhile, on one worker thread",
        CASES.len() * AGAINST_EACH,
        fastest.unwrap_or_default().as_secs_f64(),
        secs(slowest.unwrap_or_default()),
        health.unwrap_or_default().as_millis()
    ))
}

/// What a scenario measured, when it passed.
struct Measured {
    fastest: Duration,
    slowest: Duration,
    health: Duration,
}

/// The conversions against the rates service of `case`, and `/health`
/// meanwhile; the error is the verdict's reason.
fn scenario(bin: &Path, case: &Case) -> Result<Measured, String> {
    let config = RatesConfig {
        fault: Some(case.fault),
        ..RatesConfig::with_latency(case.headers_after)
    };
    // No cache: this check is the first exercise's, before the cache is
    // written, and each conversion then makes a fetch of its own.
    let stage = Launch::new()
        .one_worker()
        .upstream_timeout(case.deadline)
        .rates_ttl(Duration::ZERO)
        .stage(bin, config)?;
    let server = &stage.server;
    // `/health` is asked while the conversions wait for their deadline.
    let (volley, health) = stage.at_once_and_health(AGAINST_EACH);

    let what = case.described;
    let deadline = case.deadline.as_secs();
    for reply in &volley.replies {
        match &reply.answer {
            Err(why @ NoAnswer::Late(_)) => {
                return Err(format!(
                    "{what}; the server gave {why}, not at its {deadline} s deadline: {}",
                    case.late_because
                ));
            }
            Err(why) => {
                return Err(server.trouble_or(|| format!("{what}; {why}")));
            }
            Ok((504, _)) if reply.took > LATE => {
                return Err(format!(
                    "{what}; the server answered 504 after {}, not at its {deadline} s \
                     deadline: {}",
                    secs(reply.took),
                    case.late_because
                ));
            }
            Ok((504, _)) if reply.took < case.deadline * 9 / 10 => {
                return Err(format!(
                    "{what}; the server answered 504 after {}, before its {deadline} s \
                     deadline: the deadline is --upstream-timeout",
                    secs(reply.took)
                ));
            }
            Ok((504, _)) => {}
            Ok(_) => return Err(not_a_timeout(what, reply, server)),
        }
    }
    match health.answer {
        Ok((200, _)) if health.took <= HEALTH_LIMIT => {}
        Ok((200, _)) => {
            return Err(format!(
                "{what}; the conversions were a 504 at the deadline, but /health took {} \
                 meanwhile: something blocks the server's only worker thread while it waits",
                secs(health.took)
            ));
        }
        _ => {
            return Err(format!(
                "{what}; /health, asked meanwhile, got {}",
                health.shown()
            ));
        }
    }
    let took = volley.replies.iter().map(|reply| reply.took);
    Ok(Measured {
        fastest: took.clone().min().unwrap_or_default(),
        slowest: took.max().unwrap_or_default(),
        health: health.took,
    })
}

/// A conversion that was answered, but not as a timeout.
fn not_a_timeout(what: &str, reply: &Reply, server: &Server) -> String {
    server.trouble_or(|| {
        format!(
            "{what}; the server answered with {} after {}, where a rates service too slow \
             is a 504 at the deadline (ConvertError::RatesTimeout)",
            reply.quoted(),
            secs(reply.took)
        )
    })
}
