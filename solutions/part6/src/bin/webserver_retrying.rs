//! `webserver_retrying`: retries that do not make it worse (part 6). Part
//! 5's server, whose fetch of a date's rates is tried again after a failure
//! of the moment: with backoff and full jitter, Retry-After honoured, within
//! one retry budget for the server, and within the deadline.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use part1::options::ServerOptions;
use part4::fetch::Fetcher;
use part4::options::CacheOptions;
use part4::server::Converter;
use part4::shutdown::{self, Background, StopSignals};
use part4::stats::{Stats, report};
use part5::limit::Limit;
use part5::options::LimitOptions;
use part6_solution::observe;
use part6_solution::options::{Retries, RetryOptions};
use part6_solution::retry::{Policy, Retrying};
use part6_solution::server::router;
use tokio_util::sync::CancellationToken;

/// Serves what part 5's server does, and tries a failed fetch of a date's
/// rates again: after a 5xx, a 429, no answer or a try out of time, at most
/// --max-tries in all, waiting a random while up to --backoff-base doubled
/// at each retry (--backoff-cap at most), and at least the rates service's
/// Retry-After; retries are at most --retry-ratio of the fetches, plus
/// --retry-floor a second. --upstream-timeout is the whole fetch's deadline.
///
/// Example: webserver_retrying, then
/// curl localhost:8080/convert/GBP/100/2016-10-14
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
    #[command(flatten)]
    cache: CacheOptions,
    #[command(flatten)]
    limit: LimitOptions,
    #[command(flatten)]
    retry: RetryOptions,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    observe::init(cli.limit.log).map_err(|err| anyhow::anyhow!("cannot write the spans: {err}"))?;
    let rates = cli
        .server
        .rates()
        .context("cannot start the rates service")?;
    let stats = Arc::new(Stats::default());
    let deadline = cli.server.upstream_timeout;
    let fetcher = Fetcher::new(&rates.url, deadline, Arc::clone(&stats))?;
    let converter = Converter::new(fetcher, cli.cache.rates_ttl, Arc::clone(&stats));
    let limit = Limit::new(cli.limit.max_fetches, cli.limit.max_wait);
    let retrying = Retrying::new(
        &rates.url,
        deadline,
        Arc::clone(&stats),
        limit,
        Policy::new(&cli.retry),
    )?;
    println!(
        "at most {} fetches of a date's rates at once; a conversion waits {} at most for one",
        cli.limit.max_fetches, cli.limit.max_wait
    );
    println!("{}", retries_line(&cli.retry));
    let mut signals = StopSignals::listen().context("cannot listen for Ctrl-C and SIGTERM")?;
    let listener = cli.server.bind()?;

    let background = Background::new();
    let every = cli.cache.report_every;
    background.spawn(|stop| report(Arc::clone(&stats), every, stop));

    let grace = cli.cache.grace;
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let signal = signals.recv().await;
        println!(
            "{signal}: stopping: no new connections, and {} for the requests in flight",
            humantime::format_duration(grace)
        );
        on_signal.cancel();
    });

    shutdown::serve(listener, router(converter, retrying), stop, grace).await?;
    if !background.stop(grace).await {
        eprintln!("the background tasks did not stop within the grace: leaving them");
    }
    Ok(())
}

/// What the server says of its retries as it starts.
fn retries_line(options: &RetryOptions) -> String {
    let tries = options.max_tries;
    let backoff = format!(
        "backoff {} doubling to {}, full jitter, Retry-After honoured",
        humantime::format_duration(options.backoff_base),
        humantime::format_duration(options.backoff_cap)
    );
    match options.retries {
        Retries::Off => "retries: off, one try a fetch".to_string(),
        Retries::Naive => {
            format!("retries: naive, up to {tries} tries at once, no wait, no budget")
        }
        Retries::Backoff => format!("retries: up to {tries} tries, {backoff}, no budget"),
        Retries::Full => format!(
            "retries: up to {tries} tries, {backoff}, a budget of {} of the fetches and {} a second",
            options.retry_ratio, options.retry_floor
        ),
    }
}
