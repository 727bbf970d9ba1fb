//! Part 5's quota check: 80 conversions on a date at once, ten times the
//! rates service's quota of 8, against a rates service a round trip away.
//! The rates service counts, where they arrive, how many it answered at
//! once and how many it refused (429): at most 8 at once, and 8 at once at
//! some point (it is kept busy: 8 fetches at once, not one), none refused,
//! and every conversion answered: 200, or shed at once (a 503) by a server
//! whose queue has an end whatever `--max-wait` says (tower's `LoadShed`).
//! Counts, not times: no noise can flip them.
//!
//! The queue has no end here (`--max-wait unbounded`): this is the first
//! exercise, before the shedding.

use std::path::Path;

use rates::date::FIRST;
use rates::RatesConfig;

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Stage};
use crate::engine::numbers::PATIENT;
use crate::engine::numbers::part5::{CLIENTS, QUOTA, QUOTA_TIMEOUT, ROUND_TRIP};
use crate::engine::requests::{each_at_once_while, http_client, secs};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let config = RatesConfig {
        quota: Some(QUOTA),
        ..RatesConfig::with_latency(ROUND_TRIP)
    };
    let Stage { service, server, .. } = Launch::new()
        .max_fetches(QUOTA)
        .max_wait(None)
        .upstream_timeout(PATIENT)
        .stage(bin, config)?;
    // Each its own date, so each is its own fetch.
    let urls: Vec<String> = (0..CLIENTS)
        .map(|n| server.at(&format!("/convert/GBP/100/{}", FIRST.plus_days(n as i64))))
        .collect();
    let client = http_client()?;
    let (volley, ()) = each_at_once_while(&client, &urls, QUOTA_TIMEOUT, || ());

    let most = service.most_at_once();
    let refused = service.refused();
    let status = |code: u16| {
        volley
            .replies
            .iter()
            .filter(|reply| reply.status() == Some(code))
            .count()
    };
    // A server whose queue has an end sheds what it cannot start: right
    // too (tower's LoadShed does, whatever --max-wait says).
    let (served, shed) = (status(200), status(503));
    let measured = format!(
        "{CLIENTS} conversions on a date at once: the rates service (quota {QUOTA}) had at \
         most {most} of their fetches at once"
    );
    if refused > 0 {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{measured}, and refused {refused} with 429 Too Many Requests: the server \
                     asked for more than {QUOTA} at once. A fetch must hold its permit from \
                     before it starts until it ends (`let _ = …` drops the permit at once; a \
                     semaphore made for each request limits nothing)"
                )
            })
            .into());
    }
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap.into());
    }
    // One at a time can count as two where they meet: the next fetch
    // arrives while the last one's answer is still on its way out.
    let serialised = if most <= 2 {
        format!(
            "one at a time: something serialises the fetches (a Mutex held across the fetch?), \
             where the quota allows {QUOTA}. A Semaphore of --max-fetches permits lets them \
             run together"
        )
    } else {
        format!("{most} at once where the quota allows {QUOTA}: a semaphore of --max-fetches permits?")
    };
    let unanswered = CLIENTS - served - shed;
    if unanswered > 0 {
        let first = volley
            .replies
            .iter()
            .find(|reply| !matches!(reply.status(), Some(200 | 503)))
            .map_or_else(String::new, |reply| reply.quoted());
        let cause = if most < QUOTA as u64 {
            serialised
        } else {
            "are permits given back when their fetch ends? A permit never dropped \
             (`std::mem::forget`, or kept in a struct) is a place in the quota lost for good"
                .to_string()
        };
        return Err(server
            .trouble_or(|| {
                format!(
                    "{measured}, and {unanswered} got neither a 200 nor a shed within {} (the \
                     first: {first}): {cause}",
                    secs(QUOTA_TIMEOUT)
                )
            })
            .into());
    }
    if most < QUOTA as u64 {
        return Err(format!(
            "{measured}: the rates service was not kept busy, {serialised}"
        )
        .into());
    }
    if served < QUOTA {
        return Err(format!(
            "{measured}, but only {served} were answered 200 and {shed} shed: the fetches that \
             ran were not answered"
        )
        .into());
    }
    let shed = if shed == 0 {
        String::new()
    } else {
        format!(" ({shed} shed at once, 503)")
    };
    Ok(format!(
        "{measured}, {QUOTA} at some point, and refused none; all {CLIENTS} answered{shed} in \
         {} ({:.0} round trips)",
        secs(volley.elapsed),
        volley.elapsed.as_secs_f64() / ROUND_TRIP.as_secs_f64()
    ))
}
