//! The rates service: a local stand-in for the `api.fixer.io/latest` endpoint
//! that the original workshop called over the Internet.
//!
//! `GET /latest` answers `{"base":"EUR","date":"…","rates":{"GBP":0.884,…}}`.
//! It can be told to be slow (latency, jitter) and flaky (a failure rate), so
//! the servers built in the workshop meet the same troubles a remote API gives,
//! without anyone needing the network.
//!
//! ```no_run
//! let rates = rates::RatesService::start(rates::RatesConfig::default())?;
//! println!("RATES_URL={}", rates.url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
pub mod fixture;
mod service;

pub use config::{Fault, RatesConfig};
pub use service::{RatesService, router};
