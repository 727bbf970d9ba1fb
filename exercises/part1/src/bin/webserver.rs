//! `webserver`: the converter as a web resource (part 1, exercise 3).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use part1::options::ServerOptions;
use part1::{CurrencyClient, server};

/// Serves GET /convert/{currency}/{amount} with axum on tokio.
///
/// Example: webserver --port 8080, then curl localhost:8080/convert/GBP/100
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
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
    let client = CurrencyClient::new(&rates.url, cli.server.upstream_timeout)?;
    let listener = cli.server.bind()?;
    server::serve(listener, server::router(client)).await?;
    Ok(())
}
