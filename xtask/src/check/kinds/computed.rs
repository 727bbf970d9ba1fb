//! The "not hard-coded" check: with random rates and random amounts, every
//! answer must be the computed one. A server that always says `GBP 88.4`,
//! or that rounds its own way, fails.
//!
//! Then sustained service (`engine::sustained`): hundreds more conversions,
//! on kept-alive and on new connections, many more than any pool has
//! threads. A server that serves its first requests and then stops (a
//! worker that ends after one request, a slot that is never given back)
//! fails here, saying when.

use std::path::Path;

use rand::RngExt;
use rates::RatesConfig;
use rust_decimal::Decimal;

use super::Subject;
use crate::check::engine::launch::Launch;
use crate::check::engine::requests::get;
use crate::check::engine::sustained::{self, expected};
use crate::check::engine::{mismatch, wrong_answers};
use crate::check::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// Currencies with every number of minor units: two, none (JPY) and three (KWD).
const CURRENCIES: &[&str] = &["GBP", "USD", "JPY", "CHF", "KWD"];

/// Conversions each connection sends in the sustained phase.
const SUSTAINED_EACH: usize = 45;

pub fn check(bin: &Path) -> Verdict {
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
    let stage = match Launch::new().stage(bin, config) {
        Ok(stage) => stage,
        Err(why) => return Verdict::fail(why),
    };
    let (server, client) = (&stage.server, &stage.client);

    let mut wrong = Vec::new();
    for code in CURRENCIES {
        let amount = amount();
        let expected = format!("200 {}", expected(code, amount, rates[*code]));
        let path = format!("/convert/{code}/{amount}");
        let actual = get(client, &server.at(&path)).shown();
        if actual != expected {
            let request = format!("GET {path} with a rate of {}", rates[*code]);
            wrong.push(mismatch(&request, &expected, &actual));
        }
    }
    if !wrong.is_empty() {
        return wrong_answers([server], wrong, |count| {
            format!(
                "{count} of {} answers are not computed from the rates service's rates",
                CURRENCIES.len()
            )
        });
    }

    let amounts: Vec<Decimal> = (0..SUSTAINED_EACH).map(|_| amount()).collect();
    match sustained::serve(&server.url, &rates, &amounts) {
        Ok(count) => Verdict::pass(format!(
            "{} conversions with random rates computed exactly, then {count} more on \
             kept-alive and new connections",
            CURRENCIES.len()
        )),
        Err(stopped) => {
            let reason = server.trouble_or(|| stopped.why);
            Verdict::fail(format!(
                "the server stopped serving after {} conversions: {reason}",
                CURRENCIES.len() + stopped.served
            ))
            .with_details(stopped.example.into_iter().collect())
        }
    }
}
