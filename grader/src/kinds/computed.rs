//! The "not hard-coded" check: with random rates and random amounts, every
//! answer must be the computed one. A server that always says `GBP 88.4`,
//! or that rounds its own way, fails.
//!
//! Then sustained service: clients that hang up mid-request
//! (`engine::hang_ups`), more of them than the server has workers, and then
//! hundreds more conversions (`engine::sustained`), on kept-alive and on new
//! connections, many more than any pool has threads. A server that serves
//! its first requests and then stops (a worker that panics writing to a
//! client that left, a worker that ends after one request, a slot that is
//! never given back) fails here, saying when.

use std::path::Path;

use rand::RngExt;
use rates::RatesConfig;
use rust_decimal::Decimal;

use super::{Machine, Subject};
use crate::engine::hang_ups::{self, LATENCY, Stopped, WAVE};
use crate::engine::launch::{Launch, Server};
use crate::engine::numbers::part3::THREADS;
use crate::engine::numbers::{COMPUTED_LIMIT, SUSTAINED_EACH};
use crate::engine::requests::{Deadline, get_within, within};
use crate::engine::sustained::{self, expected};
use crate::engine::{mismatch, wrong_answers};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// Currencies with every number of minor units: two, none (JPY) and three (KWD).
const CURRENCIES: &[&str] = &["GBP", "USD", "JPY", "CHF", "KWD"];

/// Clients that hang up: a wave more than the synchronous server's pool
/// (`THREADS`; the async servers ignore it), so a pool whose workers end
/// on a hang-up has none left.
const HANG_UPS: usize = THREADS + WAVE;

pub fn check(bin: &Path) -> Checked {
    let mut rng = rand::rng();
    // Rates with 1 to 4 decimals, and amounts with 0 to 3: enough digits to
    // make rounding matter in every currency.
    let mut config = RatesConfig::default();
    for code in CURRENCIES {
        let rate = Decimal::new(rng.random_range(1..2_000_000), rng.random_range(1..=4));
        config.rates.insert((*code).to_string(), rate);
    }
    let mut amount = || Decimal::new(rng.random_range(0..10_000_000), rng.random_range(0..=3));
    let rates = config.rates.clone();
    let stage = Launch::new().threads(THREADS).stage(bin, config)?;
    let (server, client) = (&stage.server, &stage.client);

    let deadline = Deadline::after(COMPUTED_LIMIT);
    let mut wrong = Vec::new();
    let mut unanswered = 0;
    for code in CURRENCIES {
        let amount = amount();
        let expected = format!("200 {}", expected(code, amount, rates[*code]));
        let path = format!("/convert/{code}/{amount}");
        let reply = get_within(client, &server.at(&path), deadline.left());
        unanswered += usize::from(reply.timed_out());
        let actual = reply.shown();
        if actual != expected {
            let request = format!("GET {path} with a rate of {}", rates[*code]);
            wrong.push(mismatch(&request, &expected, &actual));
        }
        if deadline.passed() {
            break;
        }
    }
    if !wrong.is_empty() {
        return Err(wrong_answers([server], wrong, |count| {
            if unanswered == count {
                format!(
                    "{count} of {} conversions got no answer within {} in all: a right \
                     server answers them in milliseconds. Does the handler wait for \
                     something that never comes, or sleep?",
                    CURRENCIES.len(),
                    within(COMPUTED_LIMIT)
                )
            } else {
                format!(
                    "{count} of {} answers are not computed from the rates service's rates",
                    CURRENCIES.len()
                )
            }
        }));
    }

    hang_ups::hang_up(server, &stage.service, client, HANG_UPS)
        .map_err(|stopped| stopped_by_hang_ups(server, &stopped))?;

    let amounts: Vec<Decimal> = (0..SUSTAINED_EACH).map(|_| amount()).collect();
    let count = sustained::serve(&server.url, &rates, &amounts, Deadline::after(sustained::LIMIT))
        .map_err(|stopped| {
            let reason = server.trouble_or(|| stopped.why);
            Failed::new(format!(
                "the server stopped serving after {} conversions: {reason}",
                CURRENCIES.len() + stopped.served
            ))
            .with_details(stopped.example.into_iter().collect())
        })?;
    Ok(format!(
        "{} conversions with random rates computed exactly; {HANG_UPS} clients hung up \
         mid-request and the server went on; then {count} more conversions on kept-alive \
         and new connections",
        CURRENCIES.len()
    ))
}

/// Why the server stopped serving when clients hung up: a gap left, which
/// explains everything after it, or what `/health` got then.
fn stopped_by_hang_ups(server: &Server, stopped: &Stopped) -> String {
    if let Some(gap) = server.unfilled_gap() {
        return gap;
    }
    format!(
        "the server stopped serving after {} clients hung up mid-request ({WAVE} at a \
         time, while the rates service took {} ms): /health got {}{}. A client that \
         hangs up makes the write of its answer fail: that is no reason to panic, \
         nor to end a worker. Ignore the error (or log it) and go on to the next \
         request",
        stopped.hung_up,
        LATENCY.as_millis(),
        stopped.probe,
        server
            .trouble()
            .map(|why| format!(", and {why}"))
            .unwrap_or_default()
    )
}
