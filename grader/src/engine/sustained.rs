//! Sustained service: a server must go on serving, not just answer its
//! first few requests. Eight clients side by side, four keeping their
//! connection alive and four opening a new one for every request, each
//! sending a run of conversions whose answers are checked: several times
//! more requests than any pool in this workshop has threads.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use part1::{Amount, Conversion, Currency};
use rust_decimal::Decimal;

use super::requests::{Deadline, get_within, http_client, kept_alive_client, within};
use super::{GRADER_BUG, mismatch};

/// Clients of each kind.
const CLIENTS: usize = 4;

/// The whole phase's time. A right server answers its 360 conversions in a
/// few tenths of a second, even a debug build on a busy laptop: ten times
/// that is no verdict noise can flip, and a server that crawls (a blocking
/// sleep in its handler) is told so in seconds, not minutes.
pub const LIMIT: Duration = Duration::from_secs(4);

/// Where a server stopped serving.
#[derive(Debug)]
pub struct Stopped {
    /// Conversions answered right, by every client, when it stopped.
    pub served: usize,
    pub why: String,
    /// The request, and what came back.
    pub example: Option<String>,
}

/// Sends each client's run of `amounts` (currencies in turn) to `url`; how
/// many were answered, all right, or where it stopped. The first client that
/// stops, stops the others, and no client asks after `deadline`.
pub fn serve(
    url: &str,
    rates: &BTreeMap<String, Decimal>,
    amounts: &[Decimal],
    deadline: Deadline,
) -> Result<usize, Stopped> {
    let stop = AtomicBool::new(false);
    let results: Vec<Result<usize, Stopped>> = thread::scope(|scope| {
        let clients: Vec<_> = (0..2 * CLIENTS)
            .map(|index| {
                let client = Client {
                    url,
                    rates,
                    kept_alive: index % 2 == 0,
                    offset: index,
                    deadline,
                    stop: &stop,
                };
                scope.spawn(move || client.run(amounts))
            })
            .collect();
        clients
            .into_iter()
            .map(|client| {
                client
                    .join()
                    .unwrap_or_else(|_| Err(Stopped::at(0, GRADER_BUG, None)))
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
    // A client that found a fault says why; one that was stopped by another,
    // or by the deadline, has nothing to add.
    let mut stopped: Vec<Stopped> = results.into_iter().filter_map(Result::err).collect();
    stopped.sort_by_key(|stopped| stopped.why.is_empty());
    match stopped.into_iter().next() {
        None => Ok(served),
        Some(stopped) if stopped.why.is_empty() => Err(Stopped {
            served,
            why: format!(
                "only {served} of {} conversions were answered within {}, where a right \
                 server answers them all in well under a second. Something makes every \
                 request wait: a sleep or a blocking call in the handler, a lock held too \
                 long, too few threads?",
                2 * CLIENTS * amounts.len(),
                within(deadline.limit)
            ),
            example: None,
        }),
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

/// One client of the phase.
struct Client<'a> {
    url: &'a str,
    rates: &'a BTreeMap<String, Decimal>,
    kept_alive: bool,
    /// Where in the currencies this client starts.
    offset: usize,
    deadline: Deadline,
    /// Set by the first client that stops.
    stop: &'a AtomicBool,
}

impl Client<'_> {
    /// Sends the run, and stops at its first wrong or missing answer, when
    /// another client has stopped, or at the deadline (with an empty `why`:
    /// whoever reads it says how far they all got).
    fn run(&self, amounts: &[Decimal]) -> Result<usize, Stopped> {
        let result = self.send_all(amounts);
        if matches!(&result, Err(stopped) if !stopped.why.is_empty()) {
            self.stop.store(true, Ordering::SeqCst);
        }
        result
    }

    fn send_all(&self, amounts: &[Decimal]) -> Result<usize, Stopped> {
        let connection = if self.kept_alive { "kept-alive" } else { "new" };
        let client = if self.kept_alive {
            kept_alive_client()
        } else {
            http_client()
        }
        .map_err(|why| Stopped::at(0, why, None))?;
        let codes: Vec<&String> = self.rates.keys().collect();
        for (served, amount) in amounts.iter().enumerate() {
            if self.stop.load(Ordering::SeqCst) || self.deadline.passed() {
                return Err(Stopped::at(served, "", None));
            }
            let code = codes[(served + self.offset) % codes.len()];
            let want = format!("200 {}", expected(code, *amount, self.rates[code]));
            let path = format!("/convert/{code}/{amount}");
            let reply = get_within(
                &client,
                &format!("{}{path}", self.url),
                self.deadline.left(),
            );
            if reply.timed_out() && self.deadline.passed() {
                return Err(Stopped::at(served, "", None));
            }
            if let Err(why) = &reply.answer {
                let why = format!("a request on a {connection} connection failed: {why}");
                let example = format!("GET {path}: no answer");
                return Err(Stopped::at(served, why, Some(example)));
            }
            let got = reply.shown();
            if got != want {
                let example = mismatch(&format!("GET {path}"), &want, &got);
                let why = format!("a request on a {connection} connection was answered wrong");
                return Err(Stopped::at(served, why, Some(example)));
            }
        }
        Ok(amounts.len())
    }
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
