//! The async client: asks the rates service for today's rates and converts.
//!
//! In the original workshop this was `currency/client.py` on aiohttp; here it
//! is reqwest on tokio. Every method that waits on the network is `async`, so
//! while one conversion waits for the rates, the runtime runs other tasks.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::{ConvertError, quoted};
use crate::money::{Amount, Conversion, Currency};

/// The rates service's answer, `{"base":"EUR","date":"…","rates":{…}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Rates {
    pub base: String,
    pub date: String,
    pub rates: BTreeMap<String, Decimal>,
}

impl Rates {
    /// The rate of `currency` against the base; the base itself is 1.
    pub fn rate(&self, currency: &Currency) -> Option<Decimal> {
        if currency.code() == self.base {
            Some(Decimal::ONE)
        } else {
            self.rates.get(currency.code()).copied()
        }
    }
}

/// Converts euros with the rates of the service at `rates_url`.
#[derive(Debug, Clone)]
pub struct CurrencyClient {
    // One client for the whole program: it keeps a pool of connections, so
    // the next request skips the TCP handshake.
    http: reqwest::Client,
    latest_url: String,
    timeout: Duration,
}

impl CurrencyClient {
    /// A client for the rates service at `rates_url` (e.g. `http://127.0.0.1:8081`)
    /// that gives up on any answer slower than `timeout`.
    pub fn new(rates_url: &str, timeout: Duration) -> Result<Self, ConvertError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
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

    /// Converts `amount` euros into `currency`.
    pub async fn convert(
        &self,
        currency: &Currency,
        amount: Amount,
    ) -> Result<Conversion, ConvertError> {
        let response = self.request_rates().await?;
        let rates = self.parse_rates(response).await?;
        convert_with(&rates, currency, amount)
    }

    /// Sends `GET /latest` and checks that the answer is a success.
    async fn request_rates(&self) -> Result<reqwest::Response, ConvertError> {
        // Send the request with `self.http` to `self.latest_url`, and `.await`
        // the response. A status that is not a success (a 500, say) is an
        // error too: `error_for_status` turns it into one. Map every error with
        // `ConvertError::from_upstream(&err, self.timeout)`.
        todo!("gap 1: send GET /latest and check the status")
    }

    /// Reads the body of the answer as [`Rates`].
    async fn parse_rates(&self, response: reqwest::Response) -> Result<Rates, ConvertError> {
        // Deserialise the JSON body into `Rates` with `response.json()`. It is
        // async too: the body may still be arriving.
        todo!("gap 2: read the JSON body as Rates")
    }
}

/// Looks up the rate of `currency` and multiplies. Plain code, no waiting: the
/// synchronous client of part 2 uses it too.
pub fn convert_with(
    rates: &Rates,
    currency: &Currency,
    amount: Amount,
) -> Result<Conversion, ConvertError> {
    // Find the rate with `rates.rate(currency)`; no rate means
    // `ConvertError::UnknownCurrency`. Then `Conversion::new` does the exact
    // multiplication and the rounding.
    todo!("gap 3: look up the rate and multiply")
}
