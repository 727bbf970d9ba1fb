//! Faults of the rates service: every server answers 502 or 504 with one
//! clear line, never hangs, never panics, and recovers as soon as the rates
//! service does.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rates::{Fault, RatesConfig, RatesService};
mod support;

use support::solutions::Implementation;

/// Fast on loopback, far above the 300 ms upstream timeout: an answer that
/// takes longer than this is a hang.
const PATIENCE: Duration = Duration::from_secs(3);

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

fn get(base_url: &str, path: &str) -> (u16, String) {
    let started = Instant::now();
    let response = client()
        .get(format!("{base_url}{path}"))
        .send()
        .unwrap_or_else(|err| panic!("GET {path}: no answer: {err}"));
    let status = response.status().as_u16();
    let body = response.text().unwrap();
    assert!(
        started.elapsed() < PATIENCE,
        "GET {path} took {:?}",
        started.elapsed()
    );
    assert_eq!(
        body.lines().count(),
        1,
        "GET {path}: {body:?} is not one line"
    );
    (status, body)
}

fn with_rates(config: RatesConfig, check: impl Fn(&str)) {
    for implementation in Implementation::ALL {
        let rates = RatesService::start(config.clone()).unwrap();
        let server = implementation.start(&rates.url()).unwrap();
        check(&server);
        assert_eq!(
            get(&server, "/health"),
            (200, "ok".into()),
            "{implementation:?} stays up"
        );
    }
}

#[test]
fn garbage_json_is_a_502() {
    let config = RatesConfig {
        fault: Some(Fault::GarbageJson),
        ..RatesConfig::default()
    };
    with_rates(config, |server| {
        assert_eq!(
            get(server, "/convert/GBP/100"),
            (
                502,
                "rates service unavailable: its answer is not the expected JSON".into()
            )
        );
    });
}

#[test]
fn a_connection_closed_mid_response_is_a_502() {
    let config = RatesConfig {
        fault: Some(Fault::CloseMidResponse),
        ..RatesConfig::default()
    };
    with_rates(config, |server| {
        let (status, body) = get(server, "/convert/GBP/100");
        assert_eq!(status, 502, "{body}");
        assert!(body.starts_with("rates service unavailable: "), "{body}");
    });
}

#[test]
fn a_currency_missing_from_the_rates_is_a_404() {
    let mut config = RatesConfig::default();
    config.rates.remove("GBP");
    with_rates(config, |server| {
        assert_eq!(
            get(server, "/convert/GBP/100"),
            (
                404,
                r#"unknown currency "GBP": the rates service has no rate for it"#.into()
            )
        );
        assert_eq!(get(server, "/convert/USD/100"), (200, "USD 122".into()));
    });
}

#[test]
fn a_500_or_a_timeout_is_reported_not_hung_on() {
    let failing = RatesConfig {
        failure_rate: 1.0,
        ..RatesConfig::default()
    };
    with_rates(failing, |server| {
        assert_eq!(get(server, "/convert/GBP/100").0, 502);
    });
    with_rates(
        RatesConfig::with_latency(Duration::from_secs(10)),
        |server| {
            assert_eq!(
                get(server, "/convert/GBP/100"),
                (504, "rates service did not answer within 300ms".into())
            );
        },
    );
}

#[test]
fn every_server_recovers_as_soon_as_the_rates_service_does() {
    for implementation in Implementation::ALL {
        // A port nobody listens on yet.
        let addr: SocketAddr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let server = implementation.start(&format!("http://{addr}")).unwrap();
        assert_eq!(
            get(&server, "/convert/GBP/100").0,
            502,
            "{implementation:?} while down"
        );

        let rates = RatesService::start_on(addr, RatesConfig::default()).unwrap();
        assert_eq!(
            get(&server, "/convert/GBP/100"),
            (200, "GBP 88.4".into()),
            "{implementation:?} once up"
        );

        drop(rates);
        // The port closes on the service's own thread: wait for it.
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(addr).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Parts 4 and 5 keep the rates they fetched for their TTL (an
        // hour): a rates service that goes down after a fetch costs them
        // nothing.
        let down_again = if implementation.caches() { 200 } else { 502 };
        assert_eq!(
            get(&server, "/convert/GBP/100").0,
            down_again,
            "{implementation:?} down again"
        );
        let _rates = RatesService::start_on(addr, RatesConfig::default()).unwrap();
        assert_eq!(
            get(&server, "/convert/GBP/100"),
            (200, "GBP 88.4".into()),
            "{implementation:?} up again"
        );
    }
}
