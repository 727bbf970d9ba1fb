//! `webserver_forceasync`: the synchronous converter made asynchronous
//! (part 2). Same curl, same answer as part 1's `webserver`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use part1::options::ServerOptions;
use part1::server::serve;
use part2::forceasync;
use part2::sync_client::SyncCurrencyClient;

/// Serves GET /convert/{currency}/{amount}, running a synchronous client on
/// tokio's blocking pool (spawn_blocking, 32 threads).
///
/// Example: webserver_forceasync --port 8080, then curl localhost:8080/convert/GBP/100
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rates = cli
        .server
        .rates()
        .context("cannot start the rates service")?;
    // Made here, before the runtime exists, and kept here until it is gone:
    // the blocking client must be neither built nor dropped on an async thread.
    let client = Arc::new(SyncCurrencyClient::new(
        &rates.url,
        cli.server.upstream_timeout,
    )?);
    let listener = cli.server.bind()?;
    let runtime = forceasync::runtime().context("cannot start the tokio runtime")?;
    let served = runtime.block_on(serve(listener, forceasync::router(Arc::clone(&client))));
    // The runtime goes first, taking its copies of the client with it.
    drop(runtime);
    drop(client);
    Ok(served?)
}
