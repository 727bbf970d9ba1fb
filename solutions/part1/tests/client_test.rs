//! TDD in an async world: the client's test, against a real rates service.
//!
//! `#[tokio::test]` gives each test its own runtime, so a test body can
//! `.await` like any async function.

use std::time::Duration;

use part1_solution::CurrencyClient;
use rates::{RatesConfig, RatesService};

#[tokio::test]
async fn converts_100_euros_into_dollars() {
    // Start a rates service on a free port, point a `CurrencyClient` at it,
    // convert 100 EUR into USD and assert on the whole answer; then check that
    // an unknown currency (XYZ) is an error. A test that cannot fail is no
    // test: the grader runs this one against clients that forget to multiply,
    // pick the wrong rate, or hide errors, and it must catch each of them.
    //
    // The whole answer is the conversion's `Display`: `USD 122`, currency
    // first, as the server answers `GBP 88.4`. Only the `client` binary of
    // the first exercise turns it round, `122 USD`, as the slides print it.
    // BEGIN GAP part1.client_test.test
    let rates = RatesService::start(RatesConfig::default()).expect("the rates service starts");
    let client = CurrencyClient::new(&rates.url(), Duration::from_secs(5)).expect("a client");
    let usd = client
        .convert(&"USD".parse().unwrap(), "100".parse().unwrap())
        .await;
    assert_eq!(usd.expect("100 EUR converts").to_string(), "USD 122");
    let unknown = client
        .convert(&"XYZ".parse().unwrap(), "100".parse().unwrap())
        .await;
    assert!(unknown.is_err(), "XYZ is no currency, yet: {unknown:?}");
    // END GAP
}
