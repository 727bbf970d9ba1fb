//! The rates service over real HTTP.

use std::time::{Duration, Instant};

use rates::{Fault, RatesConfig, RatesService};

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

#[test]
fn requests_are_counted_by_path_as_they_arrive() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    assert_eq!(service.count("/latest"), 0);
    for _ in 0..3 {
        get(&format!("{}/latest", service.url()));
    }
    get(&format!("{}/health", service.url()));
    get(&format!("{}/nowhere", service.url()));
    assert_eq!(service.count("/latest"), 3);
    assert_eq!(service.count("/health"), 1);
    assert_eq!(service.count("/nowhere"), 1, "unknown paths count too");
    assert_eq!(service.counts().values().sum::<u64>(), 5);
}

#[test]
fn a_slow_request_is_counted_before_it_is_answered() {
    let service = RatesService::start(RatesConfig::with_latency(Duration::from_secs(5))).unwrap();
    let url = format!("{}/latest", service.url());
    std::thread::spawn(move || reqwest::blocking::get(url));
    let deadline = Instant::now() + Duration::from_secs(3);
    while service.count("/latest") == 0 {
        assert!(Instant::now() < deadline, "never counted");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_fault_can_be_switched_while_it_runs() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let latest = format!("{}/latest", service.url());
    assert_eq!(get(&latest).status(), 200);
    service.set_fault(Some(Fault::Unavailable));
    let down = get(&latest);
    assert_eq!(down.status(), 503);
    assert_eq!(down.text().unwrap().lines().count(), 1);
    service.set_fault(None);
    assert_eq!(get(&latest).status(), 200);
}

#[test]
fn the_most_requests_at_once_are_counted() {
    let service =
        RatesService::start(RatesConfig::with_latency(Duration::from_millis(300))).unwrap();
    let latest = format!("{}/latest", service.url());
    assert_eq!(service.most_at_once(), 0);
    // Five at once, then one alone: five were answered together, never six.
    std::thread::scope(|scope| {
        for _ in 0..5 {
            scope.spawn(|| assert_eq!(get(&latest).status(), 200));
        }
    });
    assert_eq!(get(&latest).status(), 200);
    assert_eq!(service.most_at_once(), 5);
}

#[test]
fn the_latency_can_be_changed_while_it_runs() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let latest = format!("{}/latest", service.url());
    let timed = || {
        let started = Instant::now();
        assert_eq!(get(&latest).status(), 200);
        started.elapsed()
    };
    // Only the order matters: 400 ms of latency cannot take less than 400 ms.
    service.set_latency(Duration::from_millis(400));
    assert!(timed() >= Duration::from_millis(400));
    service.set_latency(Duration::ZERO);
    assert!(timed() < Duration::from_millis(400));
}

/// The headers of a `/latest` with `fault`, and the body as it comes.
async fn headers_then_body(fault: Fault) -> (RatesService, reqwest::Response) {
    let config = RatesConfig {
        fault: Some(fault),
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    let response = tokio::time::timeout(
        Duration::from_secs(3),
        reqwest::get(format!("{}/latest", service.url())),
    )
    .await
    .expect("the headers come at once")
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let promised: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(promised > 400, "the whole body is promised: {promised}");
    (service, response)
}

#[tokio::test]
async fn a_stalled_body_sends_its_headers_and_nothing_more() {
    let (_service, mut response) = headers_then_body(Fault::StallBody).await;
    let next = tokio::time::timeout(Duration::from_millis(500), response.chunk()).await;
    assert!(next.is_err(), "a byte arrived: {next:?}");
}

#[tokio::test]
async fn a_trickled_body_comes_one_byte_at_a_time() {
    let (_service, mut response) = headers_then_body(Fault::TrickleBody).await;
    let started = Instant::now();
    let mut body = Vec::new();
    for _ in 0..4 {
        let chunk = tokio::time::timeout(Duration::from_secs(2), response.chunk())
            .await
            .expect("the next byte comes")
            .unwrap()
            .expect("more is due");
        assert_eq!(chunk.len(), 1, "{chunk:?}");
        body.extend_from_slice(&chunk);
    }
    assert_eq!(body, b"{\"ba");
    // Four bytes, each after the interval: noise only makes it longer.
    assert!(
        started.elapsed() >= rates::TRICKLE_INTERVAL * 3,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_date_has_its_own_rates_and_out_of_range_dates_have_none() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let at = |path: &str| get(&format!("{}{path}", service.url()));
    let fixture = at("/2016-10-14");
    assert_eq!(fixture.status(), 200);
    let text = fixture.text().unwrap();
    assert!(text.contains(r#""date":"2016-10-14""#), "{text}");
    assert!(text.contains(r#""GBP":0.884"#), "{text}");
    let next = at("/2016-10-15").text().unwrap();
    assert!(next.contains(r#""GBP":0.884884"#), "{next}");
    assert!(next.contains(r#""date":"2016-10-15""#), "{next}");
    for (path, status) in [
        ("/1998-12-31", 404),
        ("/2999-01-01", 404),
        ("/2016-02-30", 400),
        ("/yesterday", 400),
    ] {
        let response = at(path);
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.text().unwrap().lines().count(), 1, "{path}");
    }
    // `/latest` and `/health` are not dates.
    assert_eq!(at("/latest").status(), 200);
    assert_eq!(at("/health").text().unwrap(), "ok");
    assert_eq!(service.dated_requests(), 6);
}

#[test]
fn past_its_quota_a_date_is_refused_at_once_and_counted() {
    let latency = Duration::from_millis(500);
    let config = RatesConfig {
        quota: Some(3),
        ..RatesConfig::with_latency(latency)
    };
    let service = RatesService::start(config).unwrap();
    let url = format!("{}/2016-10-14", service.url());
    let started = Instant::now();
    let answers: Vec<(u16, Duration, Option<String>)> = std::thread::scope(|scope| {
        let asking: Vec<_> = (0..5)
            .map(|_| {
                scope.spawn(|| {
                    let response = get(&url);
                    let retry = response
                        .headers()
                        .get("retry-after")
                        .map(|value| value.to_str().unwrap().to_string());
                    (response.status().as_u16(), started.elapsed(), retry)
                })
            })
            .collect();
        asking.into_iter().map(|one| one.join().unwrap()).collect()
    });
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == 429)
        .collect();
    assert_eq!(refused.len(), 2, "{answers:?}");
    for (_, took, retry) in &refused {
        assert!(*took < latency, "a 429 comes at once: {took:?}");
        assert_eq!(retry.as_deref(), Some("1"));
    }
    assert_eq!(service.most_at_once(), 3);
    assert_eq!(service.refused(), 2);
    assert_eq!(service.in_flight(), 0, "every answer counted out");
    // `/latest` is not metered, and the quota is free again.
    assert_eq!(get(&format!("{}/latest", service.url())).status(), 200);
    service.reset_most_at_once();
    assert_eq!(service.most_at_once(), 0);
    assert_eq!(get(&url).status(), 200);
}

#[test]
fn a_client_that_gives_up_frees_its_place_in_the_quota() {
    let config = RatesConfig {
        quota: Some(1),
        ..RatesConfig::with_latency(Duration::from_secs(5))
    };
    let service = RatesService::start(config).unwrap();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let url = format!("{}/2016-10-14", service.url());
    assert!(client.get(&url).send().is_err(), "it gives up");
    let deadline = Instant::now() + Duration::from_secs(2);
    while service.in_flight() > 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned request is still counted"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let refused = client.get(&url).send();
    assert!(refused.is_err(), "not a 429: {refused:?}");
    assert_eq!(service.refused(), 0);
}

#[test]
fn a_request_a_moment_before_a_place_frees_waits_for_it_rather_than_a_429() {
    // A place frees 30 ms after the second request arrives, within the
    // grace: the moment a hung-up client's place takes to be seen free.
    let latency = Duration::from_millis(150);
    let config = RatesConfig {
        quota: Some(1),
        ..RatesConfig::with_latency(latency)
    };
    let service = RatesService::start(config).unwrap();
    let url = format!("{}/2016-10-14", service.url());
    let second = std::thread::scope(|scope| {
        let first = scope.spawn(|| get(&url).status());
        let deadline = Instant::now() + Duration::from_secs(2);
        while service.in_flight() == 0 {
            assert!(Instant::now() < deadline, "the first never arrived");
            std::thread::sleep(Duration::from_millis(1));
        }
        let early = Duration::from_millis(30);
        assert!(early < rates::QUOTA_GRACE);
        std::thread::sleep(latency - early);
        let second = get(&url).status();
        assert_eq!(first.join().unwrap(), 200);
        second
    });
    assert_eq!(second, 200, "refused {} times", service.refused());
    assert_eq!(service.refused(), 0);
    assert_eq!(service.most_at_once(), 1, "never two at once");
}
