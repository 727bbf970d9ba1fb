//! The currency converter, synchronous: it blocks its thread while it waits.
//!
//! This is the original's `requests` version. It is given, not an exercise:
//! the exercise is to serve it from an async server without stalling it.

use std::time::Duration;

use part1::client::{Rates, convert_with};
use part1::{Amount, Conversion, ConvertError, Currency};

/// Converts euros with the rates of the service at `rates_url`, blocking.
#[derive(Debug, Clone)]
pub struct SyncCurrencyClient {
    // `reqwest::blocking` runs a small tokio runtime on a thread of its own.
    // Build it and drop it outside any async context: tokio refuses to drop
    // a runtime from inside another ("Cannot drop a runtime in a context
    // where blocking is not allowed").
    http: reqwest::blocking::Client,
    latest_url: String,
    timeout: Duration,
}

impl SyncCurrencyClient {
    /// A client for the rates service at `rates_url` that gives up on any
    /// answer slower than `timeout`.
    pub fn new(rates_url: &str, timeout: Duration) -> Result<Self, ConvertError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            // The default pool keeps 1 idle connection per host; the servers
            // of parts 2 and 3 run up to 32 conversions at once.
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|err| {
                ConvertError::Internal(format!("cannot build the HTTP client: {err}"))
            })?;
        Ok(Self {
            http,
            latest_url: format!("{}/latest", rates_url.trim_end_matches('/')),
            timeout,
        })
    }

    /// Converts `amount` euros into `currency`. Blocks until the rates arrive.
    pub fn convert(&self, currency: &Currency, amount: Amount) -> Result<Conversion, ConvertError> {
        let rates: Rates = self
            .http
            .get(&self.latest_url)
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .and_then(reqwest::blocking::Response::json)
            .map_err(|err| ConvertError::from_upstream(&err, self.timeout))?;
        convert_with(&rates, currency, amount)
    }
}
