//! The rates service over real HTTP.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rates::{
    FailureKind, Failures, Fault, Outage, Outcome, RateLimit, RatesConfig, RatesService,
    RetryAfter, Share,
};

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

/// The status of each request, in turn, or `None` for an error.
fn statuses(client: &reqwest::blocking::Client, url: &str, times: usize) -> Vec<Option<u16>> {
    (0..times)
        .map(|_| {
            client
                .get(url)
                .send()
                .ok()
                .map(|response| response.status().as_u16())
        })
        .collect()
}

/// The outcomes of the arrivals so far, in order.
fn outcomes(service: &RatesService) -> Vec<Outcome> {
    service
        .arrivals()
        .iter()
        .map(|arrival| arrival.outcome)
        .collect()
}

#[test]
fn one_request_in_three_fails_exactly_counted_from_when_it_is_set() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let client = reqwest::blocking::Client::new();
    let url = format!("{}/2016-10-14", service.url());
    assert_eq!(statuses(&client, &url, 2), [Some(200), Some(200)]);
    let unavailable = FailureKind::Unavailable(None);
    service.set_failures(Some(Failures::new(Share::one_in(3).unwrap(), unavailable)));
    let seen = statuses(&client, &url, 7);
    let (ok, down) = (Some(200), Some(503));
    assert_eq!(seen, [down, ok, ok, down, ok, ok, down]);
    // What the log says is what the client got.
    let logged: Vec<Option<u16>> = outcomes(&service)
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Status(status) => Some(status),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(logged[2..], seen[..]);
    // Two of three this time, and then none.
    let failures = Failures::new(Share::counted(2, 3).unwrap(), FailureKind::ServerError);
    service.set_failures(Some(failures));
    assert_eq!(
        statuses(&client, &url, 4),
        [Some(500), Some(500), ok, Some(500)]
    );
    service.set_failures(None);
    assert_eq!(statuses(&client, &url, 3), [ok, ok, ok]);
}

#[test]
fn a_counted_share_is_exact_however_the_requests_interleave() {
    let config = RatesConfig {
        failures: Some(Failures::new(
            Share::one_in(3).unwrap(),
            FailureKind::ServerError,
        )),
        ..RatesConfig::with_latency(Duration::from_millis(100))
    };
    let service = RatesService::start(config).unwrap();
    let url = format!("{}/latest", service.url());
    let seen: Vec<u16> = std::thread::scope(|scope| {
        let asking: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| get(&url).status().as_u16()))
            .collect();
        asking.into_iter().map(|one| one.join().unwrap()).collect()
    });
    assert_eq!(seen.iter().filter(|status| **status == 500).count(), 10);
    assert_eq!(seen.iter().filter(|status| **status == 200).count(), 20);
    // In the log, in the order they arrived, the 1st of each three.
    let failed: Vec<bool> = outcomes(&service)
        .iter()
        .map(|outcome| *outcome == Outcome::Status(500))
        .collect();
    let expected: Vec<bool> = (0..30).map(|n| n % 3 == 0).collect();
    assert_eq!(failed, expected);
}

#[test]
fn a_429_says_when_to_retry_in_seconds_or_as_a_date() {
    let config = RatesConfig {
        failures: Some(Failures::new(
            Share::ALL,
            FailureKind::TooManyRequests(RetryAfter::Seconds(2)),
        )),
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    let url = format!("{}/2016-10-14", service.url());
    let retry_after = |response: &reqwest::blocking::Response| {
        response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap().to_string())
    };

    let seconds = get(&url);
    assert_eq!(seconds.status(), 429);
    assert_eq!(retry_after(&seconds).as_deref(), Some("2"));
    assert_eq!(seconds.text().unwrap().lines().count(), 1);

    let fail_as = |kind| service.set_failures(Some(Failures::new(Share::ALL, kind)));
    fail_as(FailureKind::TooManyRequests(RetryAfter::DateIn(
        Duration::from_secs(3),
    )));
    let sent = SystemTime::now();
    let dated = get(&url);
    let received = SystemTime::now();
    assert_eq!(dated.status(), 429);
    let text = retry_after(&dated).unwrap();
    let date = httpdate::parse_http_date(&text).expect("an HTTP-date");
    // Rounded up to the second: 3 s after the answer at least, 4 s at most.
    assert!(date >= sent + Duration::from_secs(3), "{text}");
    assert!(date <= received + Duration::from_secs(4), "{text}");

    // A fixed date, past or not, goes out as it is.
    let past = UNIX_EPOCH + Duration::from_secs(784_111_777);
    fail_as(FailureKind::TooManyRequests(RetryAfter::DateAt(past)));
    let fixed = get(&url);
    assert_eq!(
        retry_after(&fixed).as_deref(),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );

    // A 503 with one, and without.
    fail_as(FailureKind::Unavailable(Some(RetryAfter::Seconds(5))));
    let with = get(&url);
    assert_eq!(with.status(), 503);
    assert_eq!(retry_after(&with).as_deref(), Some("5"));
    fail_as(FailureKind::Unavailable(None));
    let without = get(&url);
    assert_eq!(without.status(), 503);
    assert_eq!(retry_after(&without), None);
}

#[test]
fn a_client_error_on_cue_is_a_4xx_for_a_date_that_has_rates() {
    // A date that has rates, refused anyway: what a converter cannot tell
    // from its own checks, so that only its retries decide what it sends.
    let refused = FailureKind::client_error(404).unwrap();
    let config = RatesConfig {
        failures: Some(Failures::new(Share::ALL, refused).dated_only()),
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    let not_found = get(&format!("{}/2016-10-14", service.url()));
    assert_eq!(not_found.status(), 404);
    assert!(not_found.headers().get("retry-after").is_none());
    assert_eq!(not_found.text().unwrap().lines().count(), 1);
    assert_eq!(get(&format!("{}/latest", service.url())).status(), 200);
    service.set_failures(Some(Failures::new(
        Share::ALL,
        FailureKind::client_error(400).unwrap(),
    )));
    assert_eq!(get(&format!("{}/2016-10-14", service.url())).status(), 400);
    // One made by hand with a status that is not a 4xx is a 400 still.
    service.set_failures(Some(Failures::new(
        Share::ALL,
        FailureKind::ClientError(200),
    )));
    assert_eq!(get(&format!("{}/2016-10-14", service.url())).status(), 400);
    assert_eq!(
        outcomes(&service),
        [
            Outcome::Status(404),
            Outcome::Status(200),
            Outcome::Status(400),
            Outcome::Status(400)
        ]
    );
}

#[test]
fn a_reset_is_a_connection_error_not_a_status() {
    let config = RatesConfig {
        failures: Some(Failures::new(Share::one_in(2).unwrap(), FailureKind::Reset)),
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    let url = format!("{}/latest", service.url());
    let client = reqwest::blocking::Client::new();
    let mut seen = Vec::new();
    for _ in 0..4 {
        match client.get(&url).send() {
            Ok(response) => seen.push(Ok(response.status().as_u16())),
            Err(err) => {
                assert_eq!(err.status(), None, "{err:?}");
                assert!(err.is_request() && !err.is_timeout(), "{err:?}");
                // hyper's words for it, somewhere down the chain.
                let mut chain = String::new();
                let mut source: Option<&dyn std::error::Error> = Some(&err);
                while let Some(cause) = source {
                    chain.push_str(&format!("{cause}; "));
                    source = cause.source();
                }
                assert!(chain.contains("connection closed"), "{chain}");
                seen.push(Err(()));
            }
        }
    }
    // The pooled connection a reset closed is not reused, and the client
    // does not quietly send it again: 4 requests, 4 arrivals.
    assert_eq!(seen, [Err(()), Ok(200), Err(()), Ok(200)]);
    let reset = Outcome::Reset;
    let ok = Outcome::Status(200);
    assert_eq!(outcomes(&service), [reset, ok, reset, ok]);

    // On the wire: the request goes out, and not one byte comes back.
    let mut stream = std::net::TcpStream::connect(service.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /latest HTTP/1.1\r\nHost: rates\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer)),
        // Windows may say it with a reset rather than an end.
        Err(err) => assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ),
            "{err:?}"
        ),
    }
    assert_eq!(outcomes(&service)[4], Outcome::Reset);
}

#[test]
fn an_outage_fails_what_arrives_inside_it_and_nothing_else() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    let url = format!("{}/latest", service.url());
    let client = reqwest::blocking::Client::new();
    let from = Instant::now() + Duration::from_millis(500);
    let until = from + Duration::from_millis(500);
    service.outage(from, until);
    let health = format!("{}/health", service.url());
    let mut healthy_inside = false;
    while Instant::now() < until + Duration::from_millis(100) {
        let status = client.get(&url).send().unwrap().status().as_u16();
        if status == 503 {
            healthy_inside |= client.get(&health).send().unwrap().status() == 200;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(healthy_inside, "/health answers in an outage");
    // Judged by the moment each arrived, as the service saw it: no timing
    // of this thread's can make a right service fail this.
    let arrivals = service.arrivals();
    for arrival in &arrivals {
        let inside = (from..until).contains(&arrival.at);
        let expected = Outcome::Status(if inside { 503 } else { 200 });
        assert_eq!(
            arrival.outcome, expected,
            "{arrival:?} for {from:?}..{until:?}"
        );
    }
    let before = arrivals.iter().filter(|arrival| arrival.at < from).count();
    let inside = arrivals
        .iter()
        .filter(|arrival| arrival.at >= from && arrival.at < until);
    let after = arrivals
        .iter()
        .filter(|arrival| arrival.at >= until)
        .count();
    assert!(
        before > 0 && inside.count() > 0 && after > 0,
        "{arrivals:?}"
    );
}

#[test]
fn an_outage_can_strike_dates_only_and_in_another_way() {
    let now = Instant::now();
    let outage = Outage::new(now, now + Duration::from_secs(60))
        .failing_as(FailureKind::TooManyRequests(RetryAfter::Seconds(1)))
        .dated_only();
    let config = RatesConfig {
        outage: Some(outage),
        ..RatesConfig::default()
    };
    let service = RatesService::start(config).unwrap();
    assert_eq!(get(&format!("{}/latest", service.url())).status(), 200);
    assert_eq!(get(&format!("{}/2016-10-14", service.url())).status(), 429);
    service.set_outage(None);
    assert_eq!(get(&format!("{}/2016-10-14", service.url())).status(), 200);
    assert_eq!(service.dated_requests(), 2, "failed ones count too");
}

#[test]
fn arrivals_are_logged_in_order_with_their_moments_and_outcomes() {
    let latency = Duration::from_millis(300);
    let service = RatesService::start(RatesConfig::with_latency(latency)).unwrap();
    let at = |path: &str| get(&format!("{}{path}", service.url())).status();
    let started = Instant::now();
    for path in ["/latest", "/2016-10-14", "/1998-12-31", "/yesterday"] {
        at(path);
    }
    // Not requests for rates: not logged.
    at("/health");
    at("/no/where");
    let ended = Instant::now();
    let arrivals = service.take_arrivals();
    let logged: Vec<(&str, Outcome)> = arrivals
        .iter()
        .map(|arrival| (arrival.path.as_str(), arrival.outcome))
        .collect();
    assert_eq!(
        logged,
        [
            ("/latest", Outcome::Status(200)),
            ("/2016-10-14", Outcome::Status(200)),
            ("/1998-12-31", Outcome::Status(404)),
            ("/yesterday", Outcome::Status(400)),
        ]
    );
    assert!(
        arrivals
            .iter()
            .all(|arrival| (started..ended).contains(&arrival.at))
    );
    // Each asked once the one before was answered: at least the latency
    // apart when it had one to wait.
    assert!(arrivals[1].at - arrivals[0].at >= latency, "{arrivals:?}");
    assert!(arrivals[2].at - arrivals[1].at >= latency, "{arrivals:?}");
    assert!(service.arrivals().is_empty(), "taken");

    // Pending while it is answered, abandoned when its client hangs up:
    // a connection of this test's own, closed once the service has the
    // request, however long that took.
    service.set_latency(Duration::from_secs(5));
    let mut stream = std::net::TcpStream::connect(service.addr()).unwrap();
    stream
        .write_all(b"GET /latest HTTP/1.1\r\nHost: rates\r\n\r\n")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while outcomes(&service) != [Outcome::Pending] {
        assert!(Instant::now() < deadline, "{:?}", service.arrivals());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(stream);
    while outcomes(&service) != [Outcome::Abandoned] {
        assert!(Instant::now() < deadline, "{:?}", service.arrivals());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A plan's rate meters the requests for a date, refused ones too, and
/// says when to come back; `/latest` is not metered.
#[test]
fn past_its_rate_a_date_is_refused_with_retry_after_and_still_counted() {
    let service = RatesService::start(RatesConfig {
        rate_limit: Some(RateLimit { per_second: 5 }),
        ..RatesConfig::default()
    })
    .unwrap();
    let client = reqwest::blocking::Client::new();
    let dated = format!("{}/2016-10-14", service.url());
    // Within well under a second: the burst of 5, then refusals. A slow
    // machine refills a token in 200 ms; 12 asked leave room for that.
    let started = Instant::now();
    let answers: Vec<reqwest::blocking::Response> = (0..12)
        .map(|_| client.get(&dated).send().unwrap())
        .collect();
    let took = started.elapsed();
    let served = answers
        .iter()
        .filter(|answer| answer.status() == 200)
        .count();
    let refused: Vec<&reqwest::blocking::Response> = answers
        .iter()
        .filter(|answer| answer.status() == 429)
        .collect();
    let refills = (took.as_secs_f64() * 5.0).ceil() as usize;
    assert!(
        (5..=5 + refills).contains(&served),
        "{served} served in {took:?}"
    );
    assert_eq!(served + refused.len(), 12);
    // When a token is back if nobody asks before: 0.4 s after the first
    // refusal, 1.2 s after the fifth (a second's worth below zero, the
    // most a plan remembers), in whole seconds rounded up.
    let waits: Vec<&str> = refused
        .iter()
        .map(|answer| answer.headers()["retry-after"].to_str().unwrap())
        .collect();
    assert!(
        waits.iter().all(|wait| ["1", "2"].contains(wait)),
        "{waits:?}"
    );
    // The refusals were counted (plan.rs's tests show how): asking again
    // at once is refused too.
    assert_eq!(client.get(&dated).send().unwrap().status(), 429);
    assert_eq!(
        client
            .get(format!("{}/latest", service.url()))
            .send()
            .unwrap()
            .status(),
        200,
        "/latest is not metered"
    );
}
