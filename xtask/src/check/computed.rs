//! The "not hard-coded" check: with random rates and random amounts, every
//! answer must be the computed one. A server that always says `GBP 88.4`,
//! or that rounds its own way, fails.
//!
//! Then sustained service: hundreds more conversions, on kept-alive and on
//! new connections, many more than any pool has threads. A server that
//! serves its first requests and then stops (a worker that ends after one
//! request, a slot that is never given back) fails here, saying when.

use std::path::Path;

use part1::{Amount, Conversion, Currency};
use rand::RngExt;
use rates::RatesConfig;
use rust_decimal::Decimal;

use super::contract::{SHOWN, without_url};
use super::server::{Launch, Stage, stage};
use super::sustained;
use super::verdict::Verdict;

/// Currencies with every number of minor units: two, none (JPY) and three (KWD).
const CURRENCIES: &[&str] = &["GBP", "USD", "JPY", "CHF", "KWD"];

pub fn check(bin: &Path) -> Verdict {
    let mut rng = rand::rng();
    // Rates with 1 to 4 decimals, and amounts with 0 to 3: enough digits to
    // make rounding matter in every currency.
    let mut config = RatesConfig::default();
    for code in CURRENCIES {
        let rate = Decimal::new(rng.random_range(1..2_000_000), rng.random_range(1..=4));
        config.rates.insert((*code).to_string(), rate);
    }
    let rates = config.rates.clone();
    let Stage {
        service: _service,
        server,
        client,
    } = match stage(bin, config, Launch::default()) {
        Ok(stage) => stage,
        Err(why) => return Verdict::fail(why),
    };

    let mut wrong = Vec::new();
    for code in CURRENCIES {
        let amount = Decimal::new(rng.random_range(0..10_000_000), rng.random_range(0..=3));
        let expected = expected(code, amount, rates[*code]);
        let path = format!("/convert/{code}/{amount}");
        let actual = match client.get(format!("{}{path}", server.url)).send() {
            Ok(response) => {
                let status = response.status().as_u16();
                format!("{status} {}", response.text().unwrap_or_default())
            }
            Err(err) => format!("no answer ({})", without_url(&err)),
        };
        if actual != format!("200 {expected}") {
            wrong.push(format!(
                "GET {path} with a rate of {}\n  expected: 200 {expected}\n  actual:   {actual}",
                rates[*code]
            ));
        }
    }
    if wrong.is_empty() {
        let amounts: Vec<Decimal> = (0..SUSTAINED_EACH)
            .map(|_| Decimal::new(rng.random_range(0..10_000_000), rng.random_range(0..=3)))
            .collect();
        return match sustained::serve(&server.url, &rates, &amounts) {
            Ok(count) => Verdict::pass(format!(
                "{} conversions with random rates computed exactly, then {count} more on \
                 kept-alive and new connections",
                CURRENCIES.len()
            )),
            Err(stopped) => {
                let reason = server.trouble().unwrap_or(stopped.why);
                Verdict::fail(format!(
                    "the server stopped serving after {} conversions: {reason}",
                    CURRENCIES.len() + stopped.served
                ))
                .with_details(stopped.example.into_iter().collect())
            }
        };
    }
    let trouble = server.trouble();
    if trouble.is_some() {
        wrong.truncate(1);
    }
    let reason = trouble.unwrap_or_else(|| {
        format!(
            "{} of {} answers are not computed from the rates service's rates",
            wrong.len(),
            CURRENCIES.len()
        )
    });
    Verdict::fail(reason).with_details(wrong.into_iter().take(SHOWN).collect())
}

/// Conversions each connection sends in the sustained phase.
const SUSTAINED_EACH: usize = 45;

/// The answer, by the solution's own arithmetic.
pub(super) fn expected(code: &str, amount: Decimal, rate: Decimal) -> String {
    let parsed: (Result<Currency, _>, Result<Amount, _>) =
        (code.parse(), amount.to_string().parse());
    match parsed {
        (Ok(currency), Ok(amount)) => Conversion::new(currency, amount, rate)
            .map(|conversion| conversion.to_string())
            .unwrap_or_else(|err| err.to_string()),
        _ => format!("(cannot compute {code} {amount})"),
    }
}
