//! Part 6's budget check: in an outage, the retries of the whole server stay
//! within one budget, and conversions succeed again as soon as it ends.
//!
//! Backoff spreads retries; only a budget makes them fewer. A server that
//! retries every failure twice sends the rates service three times the
//! load while it is down, just when it can least take it. With one budget
//! for the server (each first try earns a tenth of a retry, and a floor of
//! 5 retries a second is always allowed), it sends little more than the
//! load itself.
//!
//! An open loop of 50 conversions on a date a second (each a date of its
//! own, so each its own fetch: the first request for a date is a first try,
//! the others its retries), for 4 s: 1 s before an outage, 2 s of outage
//! (every request for a date a `503` at once), 1 s after. The rates
//! service logs every request; it must see:
//!
//! - during the outage, retries at most 1.5 times what the budget allows:
//!   a tenth of the first tries so far, and the floor in every second the
//!   outage touches (a right server: within it; one without a budget, or
//!   with one for each request: two retries for every first try), and at
//!   least the floor of its whole seconds and half of what the first tries
//!   earned (a budget that never earns, or never lets a retry through,
//!   makes fewer);
//! - of the conversions sent in the second after the outage, 90 % answered
//!   200 at least (a right server: all of them).
//!
//! Counts, not times: the budget is a count, and so is what the rates
//! service saw; it runs beside the part's other checks.

use std::path::Path;
use std::time::{Duration, Instant};

use rates::date::FIRST;
use rates::{Outage, RatesConfig};

use super::{Machine, Subject};
use crate::engine::arrivals::{by_path, share};
use crate::engine::launch::{Launch, Retries, Server, Stage};
use crate::engine::numbers::part6::{
    AFTER, BEFORE, BUDGET_DEADLINE, BUDGET_FETCHES, BUDGET_MARGIN, BUDGET_RATE,
    BUDGET_ROUND_TRIP, BUDGET_TIMEOUT, BUDGET_USED, FLOOR, FLOOR_ALONE, OUTAGE, RATIO_THOUSANDTHS,
    RECOVERED,
};
use crate::engine::open_loop::{Load, Sent, offer};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let stage = staged(bin, RATIO_THOUSANDTHS, FLOOR)?;
    let server = &stage.server;
    let dated = dated_on(server);
    let load = Load {
        rate: BUDGET_RATE,
        duration: BEFORE + OUTAGE + AFTER,
        timeout: BUDGET_TIMEOUT,
    };
    // The outage counts from now, and the load starts a moment later: a
    // conversion due at BEFORE + OUTAGE or later leaves once it is over.
    let outage = Outage::starting_in(BEFORE, OUTAGE).dated_only();
    stage.service.set_outage(Some(outage));
    let (sent, ()) = offer(load, dated, || ())?;
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap.into());
    }

    let tries = by_path(&stage.service.arrivals());
    let during = |at: &Instant| outage.covers(*at);
    // The first request for a date is its first try; the others, retries.
    let first_so_far = tries
        .values()
        .filter(|tries| tries.at.first().is_some_and(|at| *at < outage.until))
        .count();
    let first_during = tries
        .values()
        .filter(|tries| tries.at.first().is_some_and(during))
        .count();
    let retries_during = tries
        .values()
        .flat_map(|tries| tries.at.iter().skip(1))
        .filter(|at| during(at))
        .count();
    let ratio = f64::from(RATIO_THOUSANDTHS) / 1000.0;
    // A second of the floor may start at any moment: an outage of 2 s
    // touches 3 of them at most.
    let seconds = OUTAGE.as_secs_f64().ceil() as u32 + 1;
    let allowed = ratio * first_so_far as f64 + f64::from(FLOOR * seconds);
    let limit = (allowed * BUDGET_MARGIN).ceil() as usize;
    let offered = format!(
        "{BUDGET_RATE:.0} conversions on a date a second, and a {} s outage (every request for \
         a date a 503) after {} s",
        OUTAGE.as_secs(),
        BEFORE.as_secs()
    );
    if retries_during > limit {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: during the outage the rates service saw {} requests: {} first \
                     tries and {retries_during} retries ({:.1} times the load), where a budget \
                     of {:.0} % of the first tries so far ({first_so_far}) and {FLOOR} a second \
                     allows about {allowed:.0}. Retries must come out of one budget for the \
                     whole server: ask it before each retry, and give up without one. A budget \
                     made for each request holds a whole floor each: no limit at all",
                    first_during + retries_during,
                    first_during,
                    (first_during + retries_during) as f64 / first_during.max(1) as f64,
                    ratio * 100.0
                )
            })
            .into());
    }

    // And what the budget allows is made: a budget that refuses retries it
    // holds turns each failure of the moment into a failed conversion.
    let floor_whole = FLOOR * OUTAGE.as_secs() as u32;
    let used = (BUDGET_USED * ratio * first_so_far as f64).floor() as usize + floor_whole as usize;
    if retries_during < used {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: during the outage only {retries_during} retries reached the \
                     rates service, where the budget allows about {allowed:.0} ({:.0} % of \
                     the {first_so_far} first tries so far, and {FLOOR} a second): a retry \
                     the budget allows must be made. Is a 503 tried again at all (the \
                     retries check says)? Then the budget: each first try earns its share of a \
                     retry (settle what was earned before spending), a retry spends from the \
                     floor first, then one earned token, and is refused only when both are \
                     gone",
                    ratio * 100.0
                )
            })
            .into());
    }

    let ends = BEFORE + OUTAGE;
    let after: Vec<&Sent> = sent
        .iter()
        .filter(|one| one.intended >= ends && one.intended < ends + AFTER)
        .collect();
    let served = after.iter().filter(|one| one.status() == Some(200)).count();
    if share(served, after.len()) < RECOVERED || after.is_empty() {
        let first = after
            .iter()
            .find(|one| one.status() != Some(200))
            .map_or_else(String::new, |one| match &one.answer {
                Ok(got) => format!(" (the first: a {} {})", got.status, got.body.trim_end()),
                Err(why) => format!(" (the first: {why})"),
            });
        return Err(server
            .trouble_or(|| {
                format!(
                    "{offered}: of the {} conversions sent in the second after it, only \
                     {served} were answered 200{first}, where the rates service answered every \
                     request again: a conversion after an outage is a fetch like any other. Is \
                     something kept from the outage (a failure, a permit, a wait)?",
                    after.len()
                )
            })
            .into());
    }
    let floor_only = floor_alone(bin)?;
    Ok(format!(
        "{offered}: during it the rates service saw {first_during} first tries and \
         {retries_during} retries ({:.2} times the load; the budget allows about {allowed:.0}); \
         {served} of the {} conversions sent in the second after it answered 200; {floor_only}",
        (first_during + retries_during) as f64 / first_during.max(1) as f64,
        after.len()
    ))
}

/// The server with every retry asked of the budget (`--retries full`),
/// this one, against a rates service a round trip away.
fn staged(bin: &Path, ratio_thousandths: u32, floor: u32) -> Result<Stage, String> {
    Launch::new()
        .retries(Retries::Full)
        .retry_budget(ratio_thousandths, floor)
        .max_fetches(BUDGET_FETCHES)
        .max_wait(None)
        .upstream_timeout(BUDGET_DEADLINE)
        .stage(bin, RatesConfig::with_latency(BUDGET_ROUND_TRIP))
}

/// The URL of the `n`th conversion, each on a date of its own: each its
/// own fetch, its first request a first try and the others its retries.
fn dated_on(server: &Server) -> impl Fn(usize) -> String + Send + Sync + 'static {
    let base = server.url.clone();
    move |n: usize| format!("{base}/convert/GBP/100/{}", FIRST.plus_days(n as i64))
}

/// The floor alone (`--retry-ratio 0 --retry-floor 1`), through an outage
/// from the start: a second of the floor allows one retry, and a 2 s
/// outage sees two seconds of it start, three at most (a second starts
/// with the first retry after the last one ended). Off by one (two a
/// second: four or more), or a second that never starts again (the floor
/// spent once), or one that starts with every retry (no floor at all), is
/// counted here; the earned tokens of the first run would hide them.
fn floor_alone(bin: &Path) -> Result<String, Failed> {
    let stage = staged(bin, 0, FLOOR_ALONE)?;
    let server = &stage.server;
    let dated = dated_on(server);
    let outage = Outage::starting_in(Duration::ZERO, OUTAGE).dated_only();
    stage.service.set_outage(Some(outage));
    let load = Load {
        rate: BUDGET_RATE,
        duration: OUTAGE,
        timeout: BUDGET_TIMEOUT,
    };
    offer(load, dated, || ())?;
    if let Some(gap) = server.unfilled_gap() {
        return Err(gap.into());
    }
    let retries = by_path(&stage.service.arrivals())
        .values()
        .flat_map(|tries| tries.at.iter().skip(1))
        .filter(|at| outage.covers(**at))
        .count();
    let most = FLOOR_ALONE as usize * (OUTAGE.as_secs() as usize + 1);
    let said = format!(
        "with the floor alone ({FLOOR_ALONE} a second, --retry-ratio 0) through a {} s outage, \
         {retries} retries",
        OUTAGE.as_secs()
    );
    if retries > most {
        return Err(server
            .trouble_or(|| {
                format!(
                    "{said} reached the rates service, where {FLOOR_ALONE} a second allows \
                     {most} at most: the floor is {FLOOR_ALONE} retries in each second, counted \
                     afresh only once that second has passed (spent while fewer than the \
                     floor were spent; a new second when a whole one has gone by since the last \
                     began)"
                )
            })
            .into());
    }
    Ok(said)
}
