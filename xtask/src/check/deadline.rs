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

use super::requests::{Reply, at_once, get, secs};
use super::server::{Launch, Stage, stage};
use super::verdict::Verdict;

/// The server's `--upstream-timeout`: its deadline.
const DEADLINE: Duration = Duration::from_secs(1);
/// An answer later than this missed the deadline.
const LATE: Duration = Duration::from_secs(3);
/// Conversions at once against each broken rates service.
const IN_FLIGHT: usize = 5;
/// `/health` is asked a tenth of the deadline after the conversions, and
/// must answer within half of it (see `timing.rs`: a blocked worker makes it
/// wait for the rest of the deadline at least).
const HEALTH_LIMIT: Duration = Duration::from_millis(500);

pub fn check(bin: &Path) -> Verdict {
    let (stalled, trickled) = thread::scope(|scope| {
        let stalled = scope.spawn(|| scenario(bin, Fault::StallBody));
        let trickled = scope.spawn(|| scenario(bin, Fault::TrickleBody));
        (join(stalled), join(trickled))
    });
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
        2 * IN_FLIGHT,
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

fn join(
    handle: thread::ScopedJoinHandle<'_, Result<Measured, String>>,
) -> Result<Measured, String> {
    handle
        .join()
        .unwrap_or_else(|_| Err("the check itself panicked (a grader bug)".into()))
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
    let args = ["--rates-ttl".to_string(), "0".to_string()];
    let launch = Launch {
        worker_threads: Some(1),
        upstream_timeout: Some(DEADLINE),
        args: &args,
        ..Launch::default()
    };
    let Stage {
        service: _service,
        server,
        client,
    } = stage(bin, config, launch)?;
    let convert = format!("{}/convert/GBP/100", server.url);
    let health = format!("{}/health", server.url);

    let (replies, health) = thread::scope(|scope| {
        let probe = scope.spawn(|| {
            thread::sleep(DEADLINE / 10);
            get(&client, &health)
        });
        let (replies, _) = at_once(&client, &convert, IN_FLIGHT);
        let health = probe.join().unwrap_or_else(|_| Reply {
            answer: Err("the probe's thread panicked (a grader bug)".into()),
            took: Duration::ZERO,
        });
        (replies, health)
    });

    let what = described(fault);
    let deadline = DEADLINE.as_secs();
    for reply in &replies {
        match &reply.answer {
            Err(why) if why.starts_with("no answer") => {
                return Err(format!(
                    "{what}; the server gave {why}, not at its {deadline} s deadline: is the \
                     body read under the deadline too? A timeout around `send()` covers the \
                     headers only"
                ));
            }
            Err(why) => {
                return Err(server.trouble().unwrap_or_else(|| format!("{what}; {why}")));
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
                return Err(server.trouble().unwrap_or_else(|| {
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
