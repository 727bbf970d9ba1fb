//! Part 5's dated check: the conversion on a date,
//! `GET /convert/{currency}/{amount}/{date}`, answers with that day's rates,
//! computed exactly, each date fetched from the rates service; its bad input
//! (not a date, a date with no rates, a date in the future, a path far too
//! long) is a 400 or a 404 with one plain line, and costs no fetch. The
//! contract check asks everything else.

use std::path::Path;

use rand::RngExt;
use rates::date::FIRST;
use rates::{Date, RatesConfig, fixture};
use rust_decimal::Decimal;

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Server};
use crate::engine::numbers::CONTRACT_LIMIT;
use crate::engine::numbers::part5::QUOTA;
use crate::engine::requests::{Deadline, get_within, within};
use crate::engine::sustained::expected;
use crate::engine::{mismatch, wrong_answers};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// Currencies with every number of minor units: two, none (JPY), three (KWD
/// is not in the fixture: GBP, USD and CHF carry the two).
const CURRENCIES: &[&str] = &["GBP", "USD", "JPY", "CHF", "ZAR"];

/// How many random dates are converted, each its own fetch.
const RANDOM: usize = 4;

/// Bad input: the path, the status it must get. Each is refused before any
/// fetch, but for the unknown currency, which only the rates can tell.
const BAD: &[(&str, u16)] = &[
    ("/convert/GBP/100/yesterday", 400),
    ("/convert/GBP/100/2016-1-4", 400),
    ("/convert/GBP/100/2016-02-30", 400),
    ("/convert/GBP/100/1998-12-31", 404),
    ("/convert/GBP/100/2999-01-01", 400),
    ("/convert/XYZ/100/2016-10-14", 404),
    ("/convert/GBP/abc/2016-10-14", 400),
    ("/convert/GBP/100/2016-10-14/", 404),
];

pub fn check(bin: &Path) -> Checked {
    // No latency, no quota: this check is about answers. The queue has no
    // end here (`--max-wait unbounded`), so the next exercise's gaps never run.
    let stage = Launch::new()
        .max_fetches(QUOTA)
        .max_wait(None)
        .stage(bin, RatesConfig::default())?;
    let (server, client) = (&stage.server, &stage.client);
    let deadline = Deadline::after(CONTRACT_LIMIT);

    let mut good = vec![good_case("GBP", Decimal::from(100), fixture_day())];
    let mut rng = rand::rng();
    let span = Date::today().days() - FIRST.days();
    for _ in 0..RANDOM {
        let date = FIRST.plus_days(rng.random_range(0..span));
        let code = CURRENCIES[rng.random_range(0..CURRENCIES.len())];
        let amount = Decimal::new(rng.random_range(0..10_000_000), rng.random_range(0..=3));
        good.push(good_case(code, amount, date));
    }
    let too_long = format!("/convert/GBP/100/{}", "2016-10-14".repeat(1000));

    let mut wrong = Vec::new();
    let mut unanswered = 0;
    for (path, expected) in &good {
        let reply = get_within(client, &server.at(path), deadline.left());
        unanswered += usize::from(reply.timed_out());
        if reply.shown() != *expected {
            wrong.push(mismatch(&format!("GET {path}"), expected, &reply.shown()));
        }
    }
    let fetched = stage.service.dated_requests();
    let bad = BAD
        .iter()
        .map(|(path, status)| ((*path).to_string(), *status))
        .chain([(too_long, 400)]);
    for (path, status) in bad {
        let reply = get_within(client, &server.at(&path), deadline.left());
        unanswered += usize::from(reply.timed_out());
        let shown_path = if path.len() > 60 {
            format!("{}… ({} characters)", &path[..40], path.len())
        } else {
            path.clone()
        };
        match &reply.answer {
            Ok((got, body)) if *got == status && one_line(body) => {}
            Ok((got, body)) if *got == status => wrong.push(format!(
                "GET {shown_path}\n  expected: {status} and one line\n  actual:   {status} and {} lines",
                body.lines().count()
            )),
            _ => wrong.push(mismatch(
                &format!("GET {shown_path}"),
                &format!("{status} and one line saying what is wrong"),
                &reply.shown(),
            )),
        }
    }
    if !wrong.is_empty() {
        let total = good.len() + BAD.len() + 1;
        return Err(wrong_answers([server], wrong, |count| {
            if unanswered == count {
                format!(
                    "{count} of {total} conversions on a date got no answer within {} in all: \
                     is every request waiting for a permit that never comes?",
                    within(CONTRACT_LIMIT)
                )
            } else {
                format!("{count} of {total} conversions on a date got a wrong answer")
            }
        }));
    }
    // The unknown currency is known only from the rates: one fetch.
    let asked = stage.service.dated_requests().saturating_sub(1);
    if fetched < good.len() as u64 {
        return Err(format!(
            "{} conversions on as many dates made only {fetched} fetches of a date's rates: \
             each date has its own rates, at GET /{{date}} of the rates service",
            good.len()
        )
        .into());
    }
    if asked > fetched {
        return Err(format!(
            "bad dates were sent to the rates service ({} fetches for {} bad requests): a \
             date is checked before its fetch, which would cost a place in the quota",
            asked - fetched,
            BAD.len() + 1
        )
        .into());
    }
    no_trouble(server)?;
    Ok(format!(
        "{} conversions on a date answered from that day's rates, each its own fetch; {} bad \
         dates and paths (one of {} characters) answered 400 or 404 with one line, before \
         any fetch",
        good.len(),
        BAD.len() + 1,
        "2016-10-14".len() * 1000 + 17
    ))
}

/// The fixture's own day: the slides' `GBP 88.4`.
fn fixture_day() -> Date {
    fixture::DATE.parse().unwrap_or(FIRST)
}

/// A conversion on `date`, and its exact answer from that day's rates.
fn good_case(code: &str, amount: Decimal, date: Date) -> (String, String) {
    let rate = fixture::rates_on(date)
        .get(code)
        .copied()
        .unwrap_or(Decimal::ONE);
    (
        format!("/convert/{code}/{amount}/{date}"),
        format!("200 {}", expected(code, amount, rate)),
    )
}

fn one_line(body: &str) -> bool {
    !body.trim().is_empty() && body.trim_end_matches('\n').lines().count() == 1
}

/// A server that panicked on some request fails, even if its answers were right.
fn no_trouble(server: &Server) -> Result<(), String> {
    match server.trouble() {
        Some(why) => Err(why),
        None => Ok(()),
    }
}
