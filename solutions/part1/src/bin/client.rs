//! `client`: converts euros from the command line (part 1, exercise 1).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use part1_solution::CurrencyClient;
use part1_solution::money::parse_request;
use part1_solution::options::RatesSource;

/// Converts an amount of euros into another currency.
///
/// Example: client USD 100   prints   122 USD
#[derive(Parser)]
struct Cli {
    /// Three-letter code of the currency to convert into, e.g. USD.
    currency: String,
    /// Amount of euros, e.g. 100 or 12.50.
    amount: String,
    /// The rates service; unset, one is started inside this process.
    #[arg(long, env = "RATES_URL")]
    rates_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match convert(&cli).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn convert(cli: &Cli) -> anyhow::Result<String> {
    let (currency, amount) = parse_request(&cli.currency, &cli.amount)?;
    let rates = RatesSource::new(cli.rates_url.clone())?;
    let client = CurrencyClient::new(&rates.url, Duration::from_secs(5))?;
    let conversion = client.convert(&currency, amount).await?;
    // The slides print the amount first: `122 USD`. The conversion's own
    // `Display`, which the server answers and the client's test asserts, is
    // currency first: `USD 122`.
    Ok(format!("{} {}", conversion.value, conversion.currency))
}
