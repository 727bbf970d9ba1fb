//! `webserver_limited`: the converter under load (part 5). Part 4's server,
//! with a conversion on a date, at most `--max-fetches` fetches of a date's
//! rates at once, a request shed at once (503, Retry-After) past
//! `--max-wait`, and a span per request (`--log json`).

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
use part5_solution::dated::Dated;
use part5_solution::limit::Limit;
use part5_solution::observe;
use part5_solution::options::LimitOptions;
use part5_solution::server::router;
use tokio_util::sync::CancellationToken;

/// Serves GET /convert/{currency}/{amount} as part 4 does, and
/// GET /convert/{currency}/{amount}/{date} with that day's rates, at most
/// --max-fetches of them at once; a conversion that cannot start its fetch
/// within --max-wait is answered at once, 503 with Retry-After.
///
/// Example: webserver_limited --max-fetches 8, then
/// curl localhost:8080/convert/GBP/100/2016-10-14
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
    #[command(flatten)]
    cache: CacheOptions,
    #[command(flatten)]
    limit: LimitOptions,
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
    let dated = Dated::new(&rates.url, deadline, Arc::clone(&stats))?;
    let limit = Limit::new(cli.limit.max_fetches, cli.limit.max_wait);
    println!(
        "at most {} fetches of a date's rates at once; a conversion waits {} at most for one",
        cli.limit.max_fetches, cli.limit.max_wait
    );
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

    shutdown::serve(listener, router(converter, dated, limit), stop, grace).await?;
    if !background.stop(grace).await {
        eprintln!("the background tasks did not stop within the grace: leaving them");
    }
    Ok(())
}
