//! Part 4's deadline check: a rates service that sends its headers at once
//! and then stalls its body, or trickles it one byte at a time, is a 504 at
//! the server's deadline, not whenever the body ends. On one worker thread,
//! with `/health` answering meanwhile.
//!
//! The margins: the deadline is 1 s; a right server answers at 1 s, a wrong
//! one never (stalled) or after 45 s (trickled). The limit, 3 s, is 3× the
//! first and 15× below the second; noise only ever adds time.

use std::path::Path;
use std::thread;
use std::time::Duration;

use rates::{Fault, RatesConfig};

use super::Subject;
use crate::check::engine::launch::Launch;
use crate::check::engine::requests::{CONVERT, at_once_while, get, secs};
use crate::check::engine::{HEALTH_LIMIT, side_by_side};
use crate::check::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// The server's `--upstream-timeout`: its deadline.
const DEADLINE: Duration = Duration::from_secs(1);
/// An answer later than this missed the deadline.
const LATE: Duration = Duration::from_secs(3);
/// Conversions at once against each broken rates service.
const AGAINST_EACH: usize = 5;

pub fn check(bin: &Path) -> Verdict {
    let (stalled, trickled) = side_by_side(
        || scenario(bin, Fault::StallBody),
        || scenario(bin, Fault::TrickleBody),
    );
    let (stalled, trickled) = match (stalled, trickled) {
        (Ok(stalled), Ok(trickled)) => (stalled, trickled),
        (Err(why), _) | (_, Err(why)) => return Verdict::fail(why),
    };
    let fastest = stalled.fastest.min(trickled.fastest);
    let slowest = stalled.slowest.max(trickled.slowest);
    let health = stalled.health.max(trickled.health);
    Verdict::pass(format!(
        "a stalled body and a trickled one: {} conversions answered 504 after {:.2} to {}, \
         at the {} s deadline; /health answered within {} ms meanwhile, on one worker thread",
        2 * AGAINST_EACH,
        fastest.as_secs_f64(),
        secs(slowest),
        DEADLINE.as_secs(),
        health.as_millis()
    ))
}

/// What a scenario measured, when it passed.
struct Measured {
    fastest: Duration,
    slowest: Duration,
    health: Duration,
}

/// What the rates service does, as a verdict says it.
fn described(fault: Fault) -> &'static str {
    match fault {
        Fault::TrickleBody => {
            "the rates service sent its headers, then its body one byte every 100 ms"
        }
        _ => "the rates service sent its headers and then stalled its body",
    }
}

/// The conversions against a rates service with `fault`, and `/health`
/// meanwhile; the error is the verdict's reason.
fn scenario(bin: &Path, fault: Fault) -> Result<Measured, String> {
    let config = RatesConfig {
        fault: Some(fault),
        ..RatesConfig::default()
    };
    // No cache: this check is the first exercise's, before the cache is
    // written, and each conversion then makes a fetch of its own.
    let stage = Launch::new()
        .one_worker()
        .upstream_timeout(DEADLINE)
        .rates_ttl(Duration::ZERO)
        .stage(bin, config)?;
    let (server, client) = (&stage.server, &stage.client);

    // `/health` is asked a tenth of the deadline after the conversions left.
    let (volley, health) = at_once_while(client, &server.at(CONVERT), AGAINST_EACH, || {
        thread::sleep(DEADLINE / 10);
        get(client, &server.at("/health"))
    });
    let replies = &volley.replies;

    let what = described(fault);
    let deadline = DEADLINE.as_secs();
    for reply in replies {
        match &reply.answer {
            Err(why) if why.starts_with("no answer") => {
                return Err(format!(
                    "{what}; the server gave {why}, not at its {deadline} s deadline: is the \
                     body read under the deadline too? A timeout around `send()` covers the \
                     headers only"
                ));
            }
            Err(why) => {
                return Err(server.trouble_or(|| format!("{what}; {why}")));
            }
            Ok((504, _)) if reply.took > LATE => {
                return Err(format!(
                    "{what}; the server answered 504 after {}, not at its {deadline} s \
                     deadline: is the body read under the deadline too?",
                    secs(reply.took)
                ));
            }
            Ok((504, _)) if reply.took < DEADLINE * 9 / 10 => {
                return Err(format!(
                    "{what}; the server answered 504 after {}, before its {deadline} s \
                     deadline: the deadline is --upstream-timeout",
                    secs(reply.took)
                ));
            }
            Ok((504, _)) => {}
            Ok(_) => {
                return Err(server.trouble_or(|| {
                    format!(
                        "{what}; the server answered with {} after {}, where a rates service \
                         too slow is a 504 at the deadline (ConvertError::RatesTimeout)",
                        reply.quoted(),
                        secs(reply.took)
                    )
                }));
            }
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
    let took = replies.iter().map(|reply| reply.took);
    Ok(Measured {
        fastest: took.clone().min().unwrap_or_default(),
        slowest: took.max().unwrap_or_default(),
        health: health.took,
    })
}
