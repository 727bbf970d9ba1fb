//! Fetching the rates, headers and body, under one deadline.
//!
//! A remote service can fail slowly in more ways than one: it takes long to
//! answer; or it sends its headers at once and then stalls its body; or it
//! trickles the body a byte at a time. A timeout on each read catches the
//! first two, never the third: every byte restarts it. Only a deadline on
//! the whole fetch catches them all, and `tokio::time::timeout` puts one on
//! any future: if the deadline comes first, it *drops* the future, wherever
//! it is waiting, and a dropped future is a cancelled one.

use std::sync::Arc;
use std::time::Duration;

use part1::ConvertError;
use part1::client::Rates;

use crate::stats::Stats;

/// The HTTP client for the rates service. No `timeout` on it, unlike part
/// 1's: the deadline put on each fetch is this server's only one, so it is
/// the one to get right.
pub fn client() -> Result<reqwest::Client, ConvertError> {
    reqwest::Client::builder()
        .build()
        .map_err(|err| ConvertError::Internal(format!("cannot build the HTTP client: {err}")))
}

/// Fetches `/latest` from the rates service.
#[derive(Debug, Clone)]
pub struct Fetcher {
    // One client for the whole program: it keeps a pool of connections.
    http: reqwest::Client,
    latest_url: Arc<str>,
    deadline: Duration,
    stats: Arc<Stats>,
}

impl Fetcher {
    /// A fetcher for the rates service at `rates_url` that gives up on any
    /// fetch, body included, after `deadline`.
    pub fn new(
        rates_url: &str,
        deadline: Duration,
        stats: Arc<Stats>,
    ) -> Result<Self, ConvertError> {
        Ok(Self {
            http: client()?,
            latest_url: format!("{}/latest", rates_url.trim_end_matches('/')).into(),
            deadline,
            stats,
        })
    }

    /// `GET /latest` and its body, as [`Rates`], within the deadline; a
    /// fetch that takes longer is a `RatesTimeout` (a 504) at the deadline.
    pub async fn fetch(&self) -> Result<Rates, ConvertError> {
        self.stats.fetched();
        // Make one future of the whole fetch: send the request, check the
        // status, read the JSON body (`response.json::<Rates>()` is a wait
        // too: the body may still be on its way). Then run it under
        // `tokio::time::timeout(self.deadline, …)`. Map errors as part 1
        // did, with `ConvertError::from_upstream(&err, self.deadline)`, and
        // a deadline that passed to `ConvertError::RatesTimeout`.
        // BEGIN GAP part4.deadline.timeout
        let fetch = async {
            let response = self
                .http
                .get(&*self.latest_url)
                .send()
                .await?
                .error_for_status()?;
            // Inside the deadline too: the headers may come at once and the
            // body never.
            response.json::<Rates>().await
        };
        match tokio::time::timeout(self.deadline, fetch).await {
            Ok(fetched) => fetched.map_err(|err| ConvertError::from_upstream(&err, self.deadline)),
            // `timeout` dropped the fetch where it waited, headers or body,
            // and dropping it closed its connection.
            Err(_elapsed) => Err(ConvertError::RatesTimeout(self.deadline)),
        }
        // END GAP
    }
}
