//! Part 5's shedding check: offered 10× its capacity in an open loop, does
//! the server keep serving its capacity, and answer the excess at once?
//!
//! The rates service answers 8 requests for a date at once (its quota), in
//! a round trip of 400 ms ± 80: a capacity of 20 conversions a second. The
//! grader offers 200 a second for 4 s, at a constant rate whatever the
//! server does (`engine::open_loop`), each a date of its own, and asks
//! `/health` every 100 ms meanwhile. It must see:
//!
//! - goodput (200s within two round trips and the wait, a second) at 90 %
//!   of the capacity at least;
//! - every shed answer a 503 with a `Retry-After` a client can read
//!   (seconds or an HTTP-date) and one line, within 50 ms
//!   (beyond what the machine adds to `/health` meanwhile);
//! - the admitted answered within two round trips and the wait bound (the
//!   same);
//! - `/health` a 200 throughout, within 50 ms half the time at least;
//! - no 429 from the rates service.
//!
//! Noise only ever adds time; a busy machine may stall a process now and
//! then, so one late answer in ten is allowed (`LATE_SHARE`), where a shed
//! that waits first or a queue without end makes nearly all of them late. The margins are in `engine::numbers::part5`.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use rates::RatesConfig;
use rates::date::FIRST;

use super::{Machine, Subject};
use crate::engine::launch::Launch;
use crate::engine::numbers::PATIENT;
use crate::engine::numbers::part5::{
    ADMITTED_LIMIT, GOODPUT_SHARE, HEALTH_EVERY, JITTER, LATE_SHARE, LOAD_TIMEOUT, MAX_WAIT,
    OFFERED, OFFERED_FOR, QUIET_WITHIN, QUOTA, SHED_CAPACITY as CAPACITY, SHED_LIMIT,
    SHED_ROUND_TRIP as ROUND_TRIP,
};
use crate::engine::open_loop::{Load, Sent, offer, over, quantile};
use crate::engine::requests::{Reply, get_within, http_client, readable_retry_after};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
/// Milliseconds are timed here, under load: it starts once the part's other
/// checks are done (see `engine::quiet`), 3 s after they started at the
/// latest, and its verdict comes within `SHEDDING_LIMIT` of their start.
pub const MACHINE: Machine = Machine::Quiet {
    within: QUIET_WITHIN,
};

pub fn check(bin: &Path) -> Checked {
    let config = RatesConfig {
        quota: Some(QUOTA),
        jitter: JITTER,
        ..RatesConfig::with_latency(ROUND_TRIP)
    };
    let stage = Launch::new()
        .max_fetches(QUOTA)
        .max_wait(Some(MAX_WAIT))
        .upstream_timeout(PATIENT)
        .stage(bin, config)?;
    let server = &stage.server;
    let load = Load {
        rate: OFFERED,
        duration: OFFERED_FOR,
        timeout: LOAD_TIMEOUT,
    };
    let base = server.url.clone();
    // Each its own date: a cache of dates would serve repeats without a
    // fetch, and this is about fetches.
    let dated = move |n: usize| format!("{base}/convert/GBP/100/{}", FIRST.plus_days(n as i64));
    let health_url = server.at("/health");
    let client = http_client()?;
    let (sent, health) = offer(load, dated, || probe(&client, &health_url, OFFERED_FOR))?;

    let offered = format!(
        "offered {OFFERED:.0} conversions on a date a second (10× the capacity of {CAPACITY:.0}/s: \
         {QUOTA} fetches at once ÷ {} ms) for {} s",
        ROUND_TRIP.as_millis(),
        OFFERED_FOR.as_secs()
    );
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap.into());
    }
    let allowed = |of: usize| ((of as f64 * LATE_SHARE).ceil() as usize).max(1);
    let status = |code: u16| move |one: &&Sent| one.status() == Some(code);
    let served: Vec<&Sent> = sent.iter().filter(status(200)).collect();
    let shed: Vec<&Sent> = sent.iter().filter(status(503)).collect();

    let timed_out = sent.iter().filter(|one| one.answer.is_err()).count();
    if timed_out > allowed(sent.len()) {
        let (first, _) = sent
            .iter()
            .find(|one| one.answer.is_err())
            .map(|one| (shown(one), ()))
            .unwrap_or_default();
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: {timed_out} of {} got no answer within {} ms (the first: \
                     {first}); {} were shed. {}",
                    sent.len(),
                    LOAD_TIMEOUT.as_millis(),
                    shed.len(),
                    if shed.is_empty() {
                        "Nothing was shed: the queue has no end. Requests that cannot have a \
                         permit within --max-wait must be answered at once, 503 (tower's \
                         ConcurrencyLimit alone queues: LoadShed over it rejects)"
                    } else {
                        "The queue's end comes too late: a request must be shed within \
                         --max-wait of its arrival. Does it wait for a permit first, and then \
                         look at the clock? Bound the wait itself (tokio::time::timeout), or \
                         never wait (try_acquire_owned)"
                    }
                )
            })
            .into());
    }
    // After the timeouts: a client that gives up frees its permit the
    // moment axum drops its request, a moment before the rates service sees
    // the fetch's connection close, and a fetch can start in that moment.
    // Requests timing out by the hundred make that a 429 now and then; the
    // queue without end is the fault then, said above.
    let refused = stage.service.refused();
    if refused > 0 {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: the rates service refused {refused} fetches with 429 Too Many \
                     Requests, so the server had more than {QUOTA} at once. The limit must hold \
                     under any load: a permit for every fetch, held until it ends"
                )
            })
            .into());
    }
    if let Some(other) = sent
        .iter()
        .find(|one| matches!(one.status(), Some(code) if code != 200 && code != 503))
    {
        let count = sent
            .iter()
            .filter(|one| matches!(one.status(), Some(code) if code != 200 && code != 503))
            .count();
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: {count} got neither 200 nor 503, the first {}",
                    shown(other)
                )
            })
            .into());
    }
    if let Some(odd) = served
        .iter()
        .find(|one| !body(one).unwrap_or_default().starts_with("GBP "))
    {
        return Err(format!(
            "{offered}: a 200 is not a conversion: {:?}. A request that is shed is told so \
             with a 503, which a client and a load balancer understand",
            body(odd).unwrap_or_default()
        )
        .into());
    }
    let without_retry = shed.iter().filter(|one| retry_after(one).is_none()).count();
    if without_retry > 0 {
        return Err(format!(
            "{offered}: {without_retry} of {} shed answers (503) had no Retry-After header: \
             without it a client cannot tell when to try again, and tries at once, adding \
             load. Add `(header::RETRY_AFTER, …)` to the answer",
            shed.len()
        )
        .into());
    }
    let unreadable: Vec<&str> = shed
        .iter()
        .filter_map(|one| retry_after(one))
        .filter(|value| !readable_retry_after(value))
        .collect();
    if let Some(first) = unreadable.first() {
        return Err(format!(
            "{offered}: {} of {} shed answers (503) had `Retry-After: {first}`, which no client \
             can read: it is a number of seconds (`1`) or an HTTP-date, nothing else (RFC \
             9110, 10.2.3), and a client that cannot read it tries again at once. Send whole \
             seconds: `RETRY_AFTER.as_secs().to_string()`",
            unreadable.len(),
            shed.len()
        )
        .into());
    }
    if let Some(long) = shed
        .iter()
        .find(|one| !one_line(body(one).unwrap_or_default()))
    {
        return Err(format!(
            "{offered}: a shed answer (503) is not one line: {:?}",
            body(long).unwrap_or_default()
        )
        .into());
    }
    health_throughout(&offered, &health)?;

    // What the machine added to any answer meanwhile: a queue slows a shed,
    // noise slows `/health` as much.
    let noise = quantile(health.iter().map(|reply| reply.took), 0.90).unwrap_or_default();
    let shed_limit = SHED_LIMIT + noise;
    let (shed_late, shed_most) = over(shed.iter().map(|one| one.took), shed_limit);
    if shed_late > allowed(shed.len()) {
        return Err(format!(
            "{offered}: {shed_late} of {} shed answers came later than {} ms ({} ms, and {} \
             ms that /health took meanwhile), up to {} ms (90 % within {} ms): a shed must \
             come at once, or after --max-wait ({} ms) at most. Does it wait for a permit \
             first, and then look at the clock? Bound the wait itself (tokio::time::timeout), \
             or never wait (try_acquire_owned)",
            shed.len(),
            shed_limit.as_millis(),
            SHED_LIMIT.as_millis(),
            noise.as_millis(),
            shed_most.as_millis(),
            quantile(shed.iter().map(|one| one.took), 0.90)
                .unwrap_or_default()
                .as_millis(),
            MAX_WAIT.as_millis()
        )
        .into());
    }
    let admitted_limit = ADMITTED_LIMIT + noise;
    let (admitted_late, admitted_most) = over(served.iter().map(|one| one.took), admitted_limit);
    if admitted_late > allowed(served.len()) {
        return Err(format!(
            "{offered}: {admitted_late} of {} admitted answers came later than {} ms (two round \
             trips and the wait, and what /health took meanwhile), up to {} ms: they waited \
             too long for a permit. {}",
            served.len(),
            admitted_limit.as_millis(),
            admitted_most.as_millis(),
            if shed.is_empty() {
                "Nothing was shed: the queue has no end"
            } else {
                "The queue's end is too far: a request may wait --max-wait at most"
            }
        )
        .into());
    }
    let good = served
        .iter()
        .filter(|one| one.took <= admitted_limit)
        .count();
    let goodput = good as f64 / OFFERED_FOR.as_secs_f64();
    let share = goodput / CAPACITY;
    if share < GOODPUT_SHARE {
        let most = stage.service.most_at_once();
        let cause = if most < QUOTA as u64 {
            format!(
                "the rates service had at most {most} fetches at once, where {QUOTA} could \
                 run: {}",
                if most <= 2 {
                    "something serialises them (a lock held across the fetch?)"
                } else {
                    "is the semaphore made with --max-fetches permits?"
                }
            )
        } else {
            "the permits were not kept busy: each must be given back the moment its fetch \
             ends (held past it, it serves nobody), and a request that waits must have it then"
                .to_string()
        };
        return Err(format!(
            "{offered}: goodput {goodput:.0} conversions a second, {:.0} % of the capacity, \
             where 90 % is expected ({} served, {} shed): {cause}",
            share * 100.0,
            served.len(),
            shed.len()
        )
        .into());
    }
    let health_most = health
        .iter()
        .map(|reply| reply.took)
        .max()
        .unwrap_or_default();
    let last = sent
        .iter()
        .map(|one| one.intended)
        .max()
        .unwrap_or_default();
    Ok(format!(
        "{offered} ({} sent over {:.2} s, 99 % within {} ms of their time): goodput \
         {goodput:.0}/s ({:.0} % of the capacity); {} shed, 503 with Retry-After, 99 % within \
         {} ms; {} admitted, 99 % answered within {} ms; /health within {} ms throughout",
        sent.len(),
        last.as_secs_f64(),
        quantile(sent.iter().map(|one| one.late), 0.99)
            .unwrap_or_default()
            .as_millis(),
        share * 100.0,
        shed.len(),
        quantile(shed.iter().map(|one| one.took), 0.99)
            .unwrap_or_default()
            .as_millis(),
        served.len(),
        quantile(served.iter().map(|one| one.took), 0.99)
            .unwrap_or_default()
            .as_millis(),
        health_most.as_millis()
    ))
}

/// `/health`, every `HEALTH_EVERY` for `during`.
fn probe(client: &reqwest::blocking::Client, url: &str, during: Duration) -> Vec<Reply> {
    let started = Instant::now();
    let mut replies = Vec::new();
    while started.elapsed() < during {
        let asked = Instant::now();
        replies.push(get_within(client, url, SHED_LIMIT * 20));
        thread::sleep(HEALTH_EVERY.saturating_sub(asked.elapsed()));
    }
    replies
}

/// Every `/health` a 200, and half of them within `SHED_LIMIT` at least.
fn health_throughout(offered: &str, health: &[Reply]) -> Result<(), String> {
    let fix = "/health waits in the queue: the limit must be on the dated route alone, not a \
               layer on the whole router";
    if let Some(wrong) = health.iter().find(|reply| reply.status() != Some(200)) {
        return Err(format!(
            "{offered}: /health, asked every {} ms meanwhile, got {}: {fix}",
            HEALTH_EVERY.as_millis(),
            wrong.quoted()
        ));
    }
    let (late, most) = over(health.iter().map(|reply| reply.took), SHED_LIMIT);
    if 2 * late > health.len() {
        return Err(format!(
            "{offered}: /health, asked {} times meanwhile, took longer than {} ms {late} times, \
             up to {} ms: {fix}",
            health.len(),
            SHED_LIMIT.as_millis(),
            most.as_millis()
        ));
    }
    Ok(())
}

fn retry_after(sent: &Sent) -> Option<&str> {
    sent.answer.as_ref().ok()?.retry_after.as_deref()
}

fn body(sent: &Sent) -> Option<&str> {
    sent.answer.as_ref().ok().map(|got| got.body.as_str())
}

fn one_line(body: &str) -> bool {
    !body.trim().is_empty() && body.trim_end_matches('\n').lines().count() == 1
}

/// `a 502 (rates service unavailable: …)`, or `no answer within 0.5 s`.
fn shown(sent: &Sent) -> String {
    match &sent.answer {
        Ok(got) => format!("a {} ({})", got.status, got.body.trim_end()),
        Err(why) => why.to_string(),
    }
}
