//! `webserver_cached`: the converter fit to ship (part 4). Same curl, same
//! answer as part 1's `webserver`, one fetch of the rates for many
//! conversions, a deadline on every fetch, and a clean stop.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use part1::options::ServerOptions;
use part4_solution::fetch::Fetcher;
use part4_solution::options::CacheOptions;
use part4_solution::server::{Converter, router};
use part4_solution::shutdown::{self, Background, StopSignals};
use part4_solution::stats::{Stats, report};
use tokio_util::sync::CancellationToken;

/// Serves GET /convert/{currency}/{amount} with one fetch of the rates for
/// many requests, reused for --rates-ttl; each fetch, body included, within
/// --upstream-timeout; on Ctrl-C or SIGTERM, a clean stop within --grace.
///
/// Example: webserver_cached --port 8080, then curl localhost:8080/convert/GBP/100
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
    #[command(flatten)]
    cache: CacheOptions,
    /// For the grader (hidden from --help): also run a background task that
    /// ignores the stop, which `Background::stop` must give up on at the
    /// grace rather than wait for forever.
    #[arg(long, hide = true)]
    stubborn_task: bool,
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
    let rates = cli
        .server
        .rates()
        .context("cannot start the rates service")?;
    let stats = Arc::new(Stats::default());
    let fetcher = Fetcher::new(&rates.url, cli.server.upstream_timeout, Arc::clone(&stats))?;
    let converter = Converter::new(fetcher, cli.cache.rates_ttl, Arc::clone(&stats));
    // Listened for before the port opens: from the first request on, a
    // signal means a clean stop, never the default sudden death.
    let mut signals = StopSignals::listen().context("cannot listen for Ctrl-C and SIGTERM")?;
    let listener = cli.server.bind()?;

    let background = Background::new();
    let every = cli.cache.report_every;
    background.spawn(|stop| report(Arc::clone(&stats), every, stop));
    if cli.stubborn_task {
        // Never looks at its token: a task stuck in a call that never ends.
        background.spawn(|_ignored| std::future::pending());
    }

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

    shutdown::serve(listener, router(converter), stop, grace).await?;
    if !background.stop(grace).await {
        eprintln!("the background tasks did not stop within the grace: leaving them");
    }
    Ok(())
}
