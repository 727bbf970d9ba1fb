//! `sync_server`: the converter as pure synchronous code (part 3).
//! Same curl, same answer as the async servers.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use part1::options::ServerOptions;
use part2::sync_client::SyncCurrencyClient;
use part3::sync_server;

/// Serves GET /convert/{currency}/{amount} from a pool of threads, one
/// request per thread at a time, blocking while it waits for the rates.
///
/// Example: sync_server --threads 32 --port 8080, then curl localhost:8080/convert/GBP/100
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
    /// How many requests are served at once: one thread each.
    #[arg(long, env = "THREADS", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    threads: u16,
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
    let client = SyncCurrencyClient::new(&rates.url, cli.server.upstream_timeout)?;
    let listener = cli.server.bind()?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|err| anyhow::anyhow!("cannot start the HTTP server: {err}"))?;
    sync_server::serve(server, cli.threads.into(), client)?;
    Ok(())
}
