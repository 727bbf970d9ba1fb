//! The rates service: a local stand-in for the `api.fixer.io/latest` endpoint
//! that the original workshop called over the Internet.
//!
//! `GET /latest` answers `{"base":"EUR","date":"…","rates":{"GBP":0.884,…}}`.
//! It can be told to be slow (latency, jitter), flaky (a failure rate) or
//! broken in one of the ways of [`Fault`], so the servers built in the
//! workshop meet the same troubles a remote API gives, without anyone needing
//! the network. A running service counts the requests it receives, by path,
//! and its fault can be switched while it runs: the grader takes it down and
//! brings it back in the middle of a check.
//!
//! ```no_run
//! let rates = rates::RatesService::start(rates::RatesConfig::default())?;
//! println!("RATES_URL={}", rates.url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
pub mod fixture;
mod service;

pub use config::{Fault, RatesConfig, TRICKLE_INTERVAL};
pub use service::{RatesService, router};
