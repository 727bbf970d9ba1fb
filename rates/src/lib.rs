//! The rates service: a local stand-in for the `api.fixer.io/latest` endpoint
//! that the original workshop called over the Internet.
//!
//! `GET /latest` answers `{"base":"EUR","date":"…","rates":{"GBP":0.884,…}}`,
//! and `GET /2016-10-14` the rates of that day, each day its own (from
//! 1999-01-04, the euro's first reference rates, to today), as fixer.io did.
//! A quota can hold the dated requests to N at once, `429 Too Many
//! Requests` beyond, as a paid plan does; the service counts how many it
//! answered at once, and how many it refused.
//! It can be told to be slow (latency, jitter), flaky (a failure rate) or
//! broken in one of the ways of [`Fault`], so the servers built in the
//! workshop meet the same troubles a remote API gives, without anyone needing
//! the network. A running service counts the requests it receives, by path,
//! and its fault can be switched while it runs: the grader takes it down and
//! brings it back in the middle of a check.
//!
//! For checking a client's retries it makes trouble on cue: a share of the
//! requests (by chance, or exactly 1 in N) fails as a `500`, a `503` or a
//! `429` with `Retry-After`, a connection closed with no answer, or a `4xx`
//! that no retry will change ([`Failures`]); it goes down between two moments ([`Outage`]); it
//! meters the requests for a date at a plan's rate, refused ones counted
//! too ([`RateLimit`]); and it logs every request for rates with the
//! moment it arrived ([`Arrival`]).
//!
//! ```no_run
//! let rates = rates::RatesService::start(rates::RatesConfig::default())?;
//! println!("RATES_URL={}", rates.url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
pub mod date;
pub mod fixture;
mod plan;
mod service;
mod trouble;

pub use config::{Fault, RatesConfig, TRICKLE_INTERVAL};
pub use date::Date;
pub use plan::RateLimit;
pub use service::{QUOTA_GRACE, RatesService, router};
pub use trouble::{
    ARRIVALS_KEPT, Arrival, FailureKind, FailureKindError, Failures, Outage, Outcome, RetryAfter,
    Share, ShareError, Target,
};
