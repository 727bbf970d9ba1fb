//! The rates service over real HTTP.

use std::time::{Duration, Instant};

use rates::{RatesConfig, RatesService};

fn get(url: &str) -> reqwest::blocking::Response {
    reqwest::blocking::get(url).expect("the rates service answers")
}

#[test]
fn latest_has_the_fixer_shape_and_exact_rates() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let response = get(&format!("{}/latest", service.url()));
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["base"], "EUR");
    assert!(body["date"].is_string());
    // Exact digits on the wire, not 0.88400000000000001.
    assert!(text.contains(r#""GBP":0.884"#), "{text}");
    assert!(text.contains(r#""USD":1.22"#), "{text}");
    assert!(body["rates"].as_object().unwrap().len() >= 30);
}

#[test]
fn latency_is_applied() {
    let service =
        RatesService::start(RatesConfig::with_latency(Duration::from_millis(300))).unwrap();
    let started = Instant::now();
    assert_eq!(get(&format!("{}/latest", service.url())).status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn a_failure_rate_of_one_always_fails() {
    let config = RatesConfig {
        failure_rate: 1.0,
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    let response = get(&format!("{}/latest", service.url()));
    assert_eq!(response.status(), 500);
    assert_eq!(response.text().unwrap().lines().count(), 1);
}

#[test]
fn dropping_the_handle_closes_the_port() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let addr = service.addr();
    drop(service);
    // The runtime is torn down on its own thread; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "port {addr} still open");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_busy_port_is_reported_at_start() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let err = RatesService::start_on(service.addr(), RatesConfig::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
