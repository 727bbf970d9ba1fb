//! Part 4's singleflight check: conversions that arrive together share one
//! fetch of the rates, whose rates serve everyone for the TTL; after the
//! TTL, one new fetch; and a failed fetch is shared by its waiters but never
//! kept. What is counted is the rates service's own count of `/latest`, not
//! a time, so no noise can flip it.
//!
//! Two scenarios run side by side, each against its own rates service and
//! server: sharing and the TTL (about 3.3 s), and a rates service that is
//! down and comes back (about 2 s).

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use rates::{Fault, RatesConfig};

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Server, Stage};
use crate::engine::numbers::part4::{PAST_TTL, REUSED, TTL};
use crate::engine::numbers::{IN_FLIGHT, NEVER_EXPIRES, PATIENT, ROUND_TRIP, THRESHOLD};
use crate::engine::requests::{CONVERT, Volley, at_once, get, secs};
use crate::engine::{both, side_by_side};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let (shared, down) = side_by_side(|| sharing(bin), || down_and_back(bin));
    both(shared, down)
}

/// The server for a scenario, with `--rates-ttl ttl`, on one worker thread.
fn start(bin: &Path, config: RatesConfig, ttl: Duration) -> Result<Stage, String> {
    Launch::new()
        .one_worker()
        .upstream_timeout(PATIENT)
        .rates_ttl(ttl)
        .stage(bin, config)
}

/// All `replies` are `status`, or the reason they are not: a panic if the
/// server had one, else the first wrong answer.
fn all(volley: &Volley, status: u16, server: &Server, when: &str) -> Result<(), String> {
    let Some((first, wrong)) = volley.first_not(status) else {
        return Ok(());
    };
    let why = server.trouble_or(|| first.shown());
    Err(format!(
        "{wrong} of {} conversions {when} got no {status}: {why}",
        volley.replies.len()
    ))
}

/// 25 conversions at once: one fetch. Right after: no fetch. After the TTL:
/// one more.
fn sharing(bin: &Path) -> Result<String, String> {
    let Stage {
        service,
        server,
        client,
    } = start(bin, RatesConfig::with_latency(ROUND_TRIP), TTL)?;
    let convert = server.at(CONVERT);
    let fetches = || service.count("/latest");

    let volley = at_once(&client, &convert, IN_FLIGHT);
    let first_done = Instant::now();
    all(&volley, 200, &server, "at once")?;
    let elapsed = volley.elapsed;
    match fetches() {
        1 => {}
        0 => {
            return Err(format!(
                "{IN_FLIGHT} conversions at once were answered without a fetch of /latest: \
                 are the rates fetched from RATES_URL?"
            ));
        }
        many => {
            return Err(format!(
                "{IN_FLIGHT} conversions at once made {many} fetches of /latest: they did \
                 not share one fetch. A conversion that arrives while a fetch is in flight \
                 must wait for that fetch, not start its own"
            ));
        }
    }
    if elapsed > ROUND_TRIP * THRESHOLD {
        return Err(format!(
            "{IN_FLIGHT} conversions at once made one fetch, but took {}, {:.1} round trips: \
             did they wait for it one after another?",
            secs(elapsed),
            elapsed.as_secs_f64() / ROUND_TRIP.as_secs_f64()
        ));
    }

    for _ in 0..REUSED {
        let reply = get(&client, &convert);
        if reply.status() != Some(200) {
            let why = server.trouble_or(|| reply.shown());
            return Err(format!("a conversion right after the first ones got {why}"));
        }
    }
    // Noise that delays these past the TTL makes a new fetch right: only
    // a fetch within the TTL is held against the server.
    let reused_within = first_done.elapsed();
    if fetches() > 1 && reused_within < TTL {
        return Err(format!(
            "{REUSED} conversions within {} of the first fetch made {} more fetches of \
             /latest: the rates were not reused. Keep them for --rates-ttl ({} s here)",
            secs(reused_within),
            fetches() - 1,
            TTL.as_secs()
        ));
    }

    thread::sleep((TTL + PAST_TTL).saturating_sub(first_done.elapsed()));
    let volley = at_once(&client, &convert, IN_FLIGHT);
    all(&volley, 200, &server, "after the TTL")?;
    let ttl = TTL.as_secs();
    match fetches() {
        2 => {}
        1 => {
            return Err(format!(
                "{IN_FLIGHT} conversions {} after the first fetch, past its TTL of {ttl} s, \
                 made no new fetch: the rates never expire, and a cache that never expires \
                 serves old rates forever. Compare `until` with `Instant::now()`",
                secs(first_done.elapsed())
            ));
        }
        more => {
            return Err(format!(
                "{IN_FLIGHT} conversions past the TTL of {ttl} s made {} new fetches of \
                 /latest: the new fetch was not shared",
                more - 1
            ));
        }
    }
    Ok(format!(
        "{IN_FLIGHT} conversions at once made 1 fetch of /latest and took {}; {REUSED} \
         more reused its rates; past the TTL of {ttl} s, {IN_FLIGHT} more made 1 new fetch",
        secs(elapsed)
    ))
}

/// The rates service down (a 503 after a round trip): 25 conversions at once
/// share one failed fetch, all 502. Back up: the next conversion is a 200.
fn down_and_back(bin: &Path) -> Result<String, String> {
    let config = RatesConfig {
        fault: Some(Fault::Unavailable),
        ..RatesConfig::with_latency(ROUND_TRIP)
    };
    let Stage {
        service,
        server,
        client,
    } = start(bin, config, NEVER_EXPIRES)?;
    let convert = server.at(CONVERT);

    let volley = at_once(&client, &convert, IN_FLIGHT);
    // The count first: waiters that each start over after a failure also
    // run out of time, and the count says why.
    let fetches = service.count("/latest");
    if fetches > 1 {
        return Err(format!(
            "{IN_FLIGHT} conversions at once while the rates service was down made \
             {fetches} fetches of /latest: the waiters of a failed fetch must share its \
             error, not each start over"
        ));
    }
    all(&volley, 502, &server, "while the rates service was down")?;

    service.set_fault(None);
    let reply = get(&client, &convert);
    match reply.status() {
        Some(200) => Ok(format!(
            "with the rates service down, {IN_FLIGHT} conversions at once got 502 from 1 \
             fetch, and the first after it came back got 200"
        )),
        Some(502) => Err(format!(
            "the rates service is back, but the server still answered {}: a failed \
             fetch was kept like rates. Keep rates for the TTL, never an error: the next \
             request must try again",
            reply.quoted()
        )),
        _ => Err(server.trouble_or(|| {
            format!(
                "the rates service is back, and the first conversion got {}",
                reply.quoted()
            )
        })),
    }
}
