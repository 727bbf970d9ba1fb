//! Sustained service: a server must go on serving, not just answer its
//! first few requests. Eight clients side by side, four keeping their
//! connection alive and four opening a new one for every request, each
//! sending a run of conversions whose answers are checked: several times
//! more requests than any pool in this workshop has threads.

use std::collections::BTreeMap;
use std::thread;

use part1::{Amount, Conversion, Currency};
use rust_decimal::Decimal;

use super::mismatch;
use super::requests::{http_client, kept_alive_client, without_url};

/// Clients of each kind.
const CLIENTS: usize = 4;

/// Where a server stopped serving.
#[derive(Debug)]
pub struct Stopped {
    /// Conversions answered right before the first that was not.
    pub served: usize,
    pub why: String,
    /// The request, and what came back.
    pub example: Option<String>,
}

/// Sends each client's run of `amounts` (currencies in turn) to `url`; how
/// many were answered, all right, or where it stopped.
pub fn serve(
    url: &str,
    rates: &BTreeMap<String, Decimal>,
    amounts: &[Decimal],
) -> Result<usize, Stopped> {
    let results: Vec<Result<usize, Stopped>> = thread::scope(|scope| {
        let clients: Vec<_> = (0..2 * CLIENTS)
            .map(|index| {
                let kept_alive = index % 2 == 0;
                scope.spawn(move || run(url, rates, amounts, kept_alive, index))
            })
            .collect();
        clients
            .into_iter()
            .map(|client| {
                client
                    .join()
                    .unwrap_or_else(|_| Err(Stopped::at(0, "the client panicked", None)))
            })
            .collect()
    });
    let served: usize = results
        .iter()
        .map(|result| match result {
            Ok(count) => *count,
            Err(stopped) => stopped.served,
        })
        .sum();
    match results.into_iter().find_map(Result::err) {
        None => Ok(served),
        Some(stopped) => Err(Stopped { served, ..stopped }),
    }
}

impl Stopped {
    fn at(served: usize, why: impl Into<String>, example: Option<String>) -> Self {
        Self {
            served,
            why: why.into(),
            example,
        }
    }
}

/// One client's run: stops at its first wrong or missing answer.
fn run(
    url: &str,
    rates: &BTreeMap<String, Decimal>,
    amounts: &[Decimal],
    kept_alive: bool,
    offset: usize,
) -> Result<usize, Stopped> {
    let connection = if kept_alive { "kept-alive" } else { "new" };
    let client = if kept_alive {
        kept_alive_client()
    } else {
        http_client()
    }
    .map_err(|why| Stopped::at(0, why, None))?;
    let codes: Vec<&String> = rates.keys().collect();
    for (served, amount) in amounts.iter().enumerate() {
        let code = codes[(served + offset) % codes.len()];
        let want = format!("200 {}", expected(code, *amount, rates[code]));
        let path = format!("/convert/{code}/{amount}");
        let got = match client.get(format!("{url}{path}")).send() {
            Ok(response) => {
                let status = response.status().as_u16();
                format!("{status} {}", response.text().unwrap_or_default())
            }
            Err(err) => {
                let why = format!(
                    "a request on a {connection} connection failed: {}",
                    without_url(&err)
                );
                return Err(Stopped::at(
                    served,
                    why,
                    Some(format!("GET {path}: no answer")),
                ));
            }
        };
        if got != want {
            let example = mismatch(&format!("GET {path}"), &want, &got);
            let why = format!("a request on a {connection} connection was answered wrong");
            return Err(Stopped::at(served, why, Some(example)));
        }
    }
    Ok(amounts.len())
}

/// The answer, by the solution's own arithmetic.
pub fn expected(code: &str, amount: Decimal, rate: Decimal) -> String {
    let parsed: (Result<Currency, _>, Result<Amount, _>) =
        (code.parse(), amount.to_string().parse());
    match parsed {
        (Ok(currency), Ok(amount)) => Conversion::new(currency, amount, rate)
            .map(|conversion| conversion.to_string())
            .unwrap_or_else(|err| err.to_string()),
        _ => format!("(cannot compute {code} {amount})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_answers_round_half_even_to_minor_units() {
        let rate = Decimal::new(884, 3);
        assert_eq!(expected("GBP", Decimal::new(100, 0), rate), "GBP 88.4");
        assert_eq!(
            expected("GBP", Decimal::new(125, 2), Decimal::ONE),
            "GBP 1.25"
        );
        assert_eq!(expected("JPY", Decimal::new(25, 1), Decimal::ONE), "JPY 2");
        assert_eq!(expected("JPY", Decimal::new(35, 1), Decimal::ONE), "JPY 4");
        assert!(expected("G1P", Decimal::ONE, rate).starts_with("(cannot compute"));
    }
}
