//! The solution servers, each started in this process on a free port of
//! 127.0.0.1, and left running until the process ends.

use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use part1::CurrencyClient;
use part1::server;
use part2::forceasync;
use part2::sync_client::SyncCurrencyClient;
use part3::sync_server;
use part4::fetch::Fetcher;
use part4::server::Converter;
use part4::stats::Stats;
use part5::dated::Dated;
use part5::limit::Limit;
use part5::options::MaxWait;
use part6::options::RetryOptions;
use part6::retry::{Policy, Retrying};

use workshop_contract::upstream::UPSTREAM_TIMEOUT;

/// The ways the workshop builds the same service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// Part 1: axum and an async client.
    Async,
    /// Part 2: axum, and a synchronous client through `spawn_blocking`.
    ForceAsync,
    /// Part 3: tiny_http, a thread per request, a synchronous client.
    Sync,
    /// Part 4: axum, and the rates of one fetch shared by many requests.
    Cached,
    /// Part 5: part 4, and the conversion on a date, at most 8 fetches of
    /// a date's rates at once, shed past 10 ms of waiting.
    Limited,
    /// Part 6: part 5, whose fetch of a date's rates is tried again, with
    /// backoff and jitter, within a retry budget.
    Retrying,
}

impl Implementation {
    pub const ALL: [Implementation; 6] = [
        Self::Async,
        Self::ForceAsync,
        Self::Sync,
        Self::Cached,
        Self::Limited,
        Self::Retrying,
    ];

    /// Whether it keeps the rates it fetched for an hour (parts 4 to 6).
    pub fn caches(self) -> bool {
        matches!(self, Self::Cached | Self::Limited | Self::Retrying)
    }

    /// Whether it converts on a date (parts 5 and 6).
    pub fn dated(self) -> bool {
        matches!(self, Self::Limited | Self::Retrying)
    }

    /// Starts this implementation's solution against the rates service at
    /// `rates_url`, and returns its base URL.
    pub fn start(self, rates_url: &str) -> io::Result<String> {
        self.start_with(rates_url, UPSTREAM_TIMEOUT)
    }

    /// The same, giving up on the rates service after `upstream_timeout`.
    pub fn start_with(self, rates_url: &str, upstream_timeout: Duration) -> io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let rates_url = rates_url.to_string();
        let name = format!("{self:?} server");
        // Each server runs on its own thread, as it would in its own process.
        let run: Box<dyn FnOnce() -> io::Result<()> + Send> = match self {
            Self::Async => Box::new(move || {
                let client =
                    CurrencyClient::new(&rates_url, upstream_timeout).map_err(io::Error::other)?;
                tokio::runtime::Runtime::new()?
                    .block_on(server::serve(listener, server::router(client)))
            }),
            Self::ForceAsync => Box::new(move || {
                let client = SyncCurrencyClient::new(&rates_url, upstream_timeout)
                    .map_err(io::Error::other)?;
                forceasync::runtime()?.block_on(server::serve(
                    listener,
                    forceasync::router(Arc::new(client)),
                ))
            }),
            Self::Sync => Box::new(move || {
                let client = SyncCurrencyClient::new(&rates_url, upstream_timeout)
                    .map_err(io::Error::other)?;
                let server =
                    tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?;
                sync_server::serve(server, 8, client)
            }),
            Self::Cached => Box::new(move || {
                let (converter, _) = converter(&rates_url, upstream_timeout)?;
                tokio::runtime::Runtime::new()?
                    .block_on(server::serve(listener, part4::server::router(converter)))
            }),
            Self::Limited => Box::new(move || {
                let (converter, stats) = converter(&rates_url, upstream_timeout)?;
                let dated =
                    Dated::new(&rates_url, upstream_timeout, stats).map_err(io::Error::other)?;
                let router = part5::server::router(converter, dated, limit());
                tokio::runtime::Runtime::new()?.block_on(server::serve(listener, router))
            }),
            Self::Retrying => Box::new(move || {
                let (converter, stats) = converter(&rates_url, upstream_timeout)?;
                let policy = Policy::new(&binary_defaults()?);
                let retrying = Retrying::new(&rates_url, upstream_timeout, stats, limit(), policy)
                    .map_err(io::Error::other)?;
                let router = part6::server::router(converter, retrying);
                tokio::runtime::Runtime::new()?.block_on(server::serve(listener, router))
            }),
        };
        thread::Builder::new().name(name.clone()).spawn(move || {
            if let Err(err) = run() {
                eprintln!("{name} stopped: {err}");
            }
        })?;
        Ok(base_url)
    }
}

/// Part 6's retry options as its binary has them with no flags: full
/// retries, 3 tries, the budget. Read from its command line's own
/// defaults, so they are never copied here.
fn binary_defaults() -> io::Result<RetryOptions> {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        retry: RetryOptions,
    }
    let defaults = <Defaults as clap::Parser>::try_parse_from(["webserver_retrying"])
        .map_err(io::Error::other)?;
    Ok(defaults.retry)
}

/// Part 4's converter of the latest rates, keeping them for the hour its
/// binary defaults to, and the stats it counts in (parts 5 and 6 count
/// their dated fetches there too).
fn converter(rates_url: &str, upstream_timeout: Duration) -> io::Result<(Converter, Arc<Stats>)> {
    let stats = Arc::new(Stats::default());
    let fetcher =
        Fetcher::new(rates_url, upstream_timeout, Arc::clone(&stats)).map_err(io::Error::other)?;
    let converter = Converter::new(fetcher, Duration::from_secs(3600), Arc::clone(&stats));
    Ok((converter, stats))
}

/// Part 5's limit as its binary defaults to: 8 fetches of a date's rates
/// at once, shed past 10 ms of waiting.
fn limit() -> Limit {
    Limit::new(8, MaxWait(Some(Duration::from_millis(10))))
}
