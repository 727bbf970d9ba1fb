//! The retrying server against the bundled rates service in trouble,
//! judged by what the rates service saw arrive (`RatesService::arrivals`):
//! how many tries, how far apart, after which answers. The server runs in
//! this test's runtime, the rates service on its own thread. Times are
//! asserted with wide margins only: noise only ever adds time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use part4::fetch::Fetcher;
use part4::server::Converter;
use part4::stats::Stats;
use part5::limit::Limit;
use part5::options::MaxWait;
use part6_solution::options::{Ratio, Retries, RetryOptions};
use part6_solution::retry::{Policy, Retrying};
use part6_solution::server::router;
use rates::date::FIRST;
use rates::{
    Arrival, FailureKind, Failures, Outcome, RatesConfig, RatesService, RetryAfter, Share,
};

/// The server's defaults, retrying as `retries` says.
fn options(retries: Retries) -> RetryOptions {
    RetryOptions {
        retries,
        max_tries: 3,
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_secs(1),
        retry_ratio: Ratio(100),
        retry_floor: 5,
    }
}

/// How the server under test is started.
struct Setup {
    deadline: Duration,
    max_fetches: u16,
    max_wait: MaxWait,
    retry: RetryOptions,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(2),
            max_fetches: 8,
            max_wait: MaxWait(Some(Duration::from_millis(10))),
            retry: options(Retries::Full),
        }
    }
}

impl Setup {
    /// The server, against the rates service at `rates_url`: its base URL.
    async fn serve(self, rates_url: &str) -> String {
        let stats = Arc::new(Stats::default());
        let fetcher = Fetcher::new(rates_url, self.deadline, Arc::clone(&stats)).unwrap();
        let converter = Converter::new(fetcher, Duration::from_secs(3600), Arc::clone(&stats));
        let limit = Limit::new(self.max_fetches, self.max_wait);
        let policy = Policy::new(&self.retry);
        let retrying = Retrying::new(rates_url, self.deadline, stats, limit, policy).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(converter, retrying)).await });
        format!("http://{addr}")
    }
}

/// A rates service that fails `failures`, answering the others at once.
fn failing(failures: Failures) -> RatesService {
    RatesService::start(RatesConfig {
        failures: Some(failures.dated_only()),
        ..RatesConfig::default()
    })
    .unwrap()
}

/// An answer, read whole.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
    took: Duration,
}

async fn convert(server: &str, day: i64) -> Answer {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{server}/convert/GBP/100/{}", FIRST.plus_days(day));
    let sent = Instant::now();
    let response = client.get(url).send().await.expect("an answer");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    Answer {
        status,
        retry_after,
        body,
        took: sent.elapsed(),
    }
}

/// The time between each arrival and the next.
fn gaps(arrivals: &[Arrival]) -> Vec<Duration> {
    arrivals
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect()
}

#[tokio::test]
async fn a_flaky_rates_service_is_retried_into_answers() {
    for kind in [
        FailureKind::ServerError,
        FailureKind::Unavailable(None),
        FailureKind::TooManyRequests(RetryAfter::Seconds(0)),
        FailureKind::Reset,
    ] {
        // The 1st, 4th, 7th… request fails.
        let rates = failing(Failures::new(Share::one_in(3).unwrap(), kind));
        let server = Setup::default().serve(&rates.url()).await;
        // One after the other: conversions 1, 3, 5, 7 and 9 meet a failure
        // on their first try, and their retry goes through. Five retries:
        // the budget's floor.
        for day in 0..10 {
            let answer = convert(&server, day).await;
            assert_eq!(answer.status, 200, "{kind}, day {day}: {}", answer.body);
        }
        let arrivals = rates.arrivals();
        assert_eq!(arrivals.len(), 15, "{kind}: {arrivals:#?}");
        let failed = arrivals
            .iter()
            .filter(|arrival| arrival.outcome != Outcome::Status(200))
            .count();
        assert_eq!(failed, 5, "{kind}");
    }
}

#[tokio::test]
async fn a_4xx_is_asked_once() {
    let rates = RatesService::start(RatesConfig::default()).unwrap();
    // A rates URL whose query swallows the date the server appends: the
    // rates service is asked for a day it has no rates for (404), or for
    // something that is not a date (400).
    for (asked, status) in [("1998-12-31", 404), ("yesterday", 400)] {
        let server = Setup::default()
            .serve(&format!("{}/{asked}?", rates.url()))
            .await;
        let answer = convert(&server, 0).await;
        assert_eq!(answer.status, 502, "{}", answer.body);
        assert!(
            answer.body.contains(&format!("it answered {status}")),
            "{}",
            answer.body
        );
        let arrivals = rates.take_arrivals();
        assert_eq!(arrivals.len(), 1, "{arrivals:#?}");
        assert_eq!(arrivals[0].outcome, Outcome::Status(status));
    }
}

#[tokio::test]
async fn a_retry_after_is_waited_at_least() {
    for (kind, at_least) in [
        (
            FailureKind::TooManyRequests(RetryAfter::Seconds(1)),
            Duration::from_secs(1),
        ),
        (
            FailureKind::Unavailable(Some(RetryAfter::Seconds(1))),
            Duration::from_secs(1),
        ),
        // An HTTP-date 2 s on, rounded up to its whole second: 2 s at
        // least, but for the clocks' reading a few milliseconds apart.
        (
            FailureKind::TooManyRequests(RetryAfter::DateIn(Duration::from_secs(2))),
            Duration::from_millis(1900),
        ),
    ] {
        // The first fails, the second goes through.
        let rates = failing(Failures::new(Share::counted(1, 2).unwrap(), kind));
        let server = Setup {
            deadline: Duration::from_secs(10),
            ..Setup::default()
        }
        .serve(&rates.url())
        .await;
        let answer = convert(&server, 0).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        let arrivals = rates.arrivals();
        assert_eq!(arrivals.len(), 2, "{kind}: {arrivals:#?}");
        let gap = gaps(&arrivals)[0];
        assert!(gap >= at_least, "{kind}: the retry came after {gap:?}");
        // Not much later than asked: the backoff's 50 ms at most, and
        // noise.
        assert!(
            gap < at_least + Duration::from_secs(2),
            "{kind}: the retry came after {gap:?}"
        );
    }
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_is_passed_on_at_once() {
    for (kind, retry_after) in [
        (
            FailureKind::Unavailable(Some(RetryAfter::Seconds(5))),
            5..=5,
        ),
        (FailureKind::TooManyRequests(RetryAfter::Seconds(5)), 5..=5),
        // 30 s on, as a date: rounded up by the rates service, then by us.
        (
            FailureKind::TooManyRequests(RetryAfter::DateIn(Duration::from_secs(30))),
            30..=31,
        ),
    ] {
        let rates = failing(Failures::new(Share::ALL, kind));
        // The deadline is 2 s: waiting 5 could not end in time.
        let server = Setup::default().serve(&rates.url()).await;
        let answer = convert(&server, 0).await;
        assert_eq!(answer.status, 503, "{kind}: {}", answer.body);
        let ours: u64 = answer
            .retry_after
            .as_deref()
            .expect("a Retry-After")
            .parse()
            .expect("whole seconds");
        assert!(retry_after.contains(&ours), "{kind}: Retry-After {ours}");
        assert_eq!(answer.body.lines().count(), 1, "{}", answer.body);
        // At once: well before the 2 s deadline a server that waits for it
        // would answer at.
        assert!(
            answer.took < Duration::from_secs(1),
            "{kind}: {:?}",
            answer.took
        );
        assert_eq!(rates.arrivals().len(), 1, "{kind}: one try, no retry");
    }
}

#[tokio::test]
async fn three_tries_at_most_then_a_502() {
    for (retries, tries) in [
        (Retries::Full, 3),
        (Retries::Backoff, 3),
        (Retries::Naive, 3),
        (Retries::Off, 1),
    ] {
        let rates = failing(Failures::new(Share::ALL, FailureKind::Unavailable(None)));
        let server = Setup {
            retry: options(retries),
            ..Setup::default()
        }
        .serve(&rates.url())
        .await;
        let answer = convert(&server, 0).await;
        assert_eq!(answer.status, 502, "{retries:?}");
        assert_eq!(
            answer.body,
            "rates service unavailable: it answered 503 Service Unavailable"
        );
        assert_eq!(rates.arrivals().len(), tries, "{retries:?}");
    }
}

#[tokio::test]
async fn a_retry_after_is_passed_on_when_the_tries_run_out() {
    // Retry-After 0: each retry may go at once; the third try fails too,
    // and its Retry-After is passed on, at least 1 s.
    let rates = failing(Failures::new(
        Share::ALL,
        FailureKind::TooManyRequests(RetryAfter::Seconds(0)),
    ));
    let server = Setup::default().serve(&rates.url()).await;
    let answer = convert(&server, 0).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.retry_after.as_deref(), Some("1"));
    assert_eq!(rates.arrivals().len(), 3);
    // Naive retries ignore it, and answer part 1's 502.
    let rates = failing(Failures::new(
        Share::ALL,
        FailureKind::TooManyRequests(RetryAfter::Seconds(0)),
    ));
    let server = Setup {
        retry: options(Retries::Naive),
        ..Setup::default()
    }
    .serve(&rates.url())
    .await;
    assert_eq!(convert(&server, 0).await.status, 502);
}

#[tokio::test]
async fn the_budget_holds_retries_to_a_tenth_of_the_fetches() {
    // Down for good, and no floor: 20 conversions earn 2 retries.
    let no_floor = RetryOptions {
        retry_floor: 0,
        ..options(Retries::Full)
    };
    for (retry, arrivals) in [(no_floor, 22), (options(Retries::Naive), 60)] {
        let rates = failing(Failures::new(Share::ALL, FailureKind::ServerError));
        let retries = retry.retries;
        let server = Setup {
            retry,
            ..Setup::default()
        }
        .serve(&rates.url())
        .await;
        for day in 0..20 {
            assert_eq!(convert(&server, day).await.status, 502, "{retries:?}");
        }
        assert_eq!(rates.arrivals().len(), arrivals, "{retries:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_keep_to_the_quota() {
    // A quota of 4, a round trip of 100 ms, and one request in three
    // failing: 40 conversions at once, each try holding a permit, never
    // more than 4 of them at the rates service.
    let rates = RatesService::start(RatesConfig {
        quota: Some(4),
        failures: Some(
            Failures::new(Share::one_in(3).unwrap(), FailureKind::ServerError).dated_only(),
        ),
        ..RatesConfig::with_latency(Duration::from_millis(100))
    })
    .unwrap();
    let server = Setup {
        deadline: Duration::from_secs(20),
        max_fetches: 4,
        max_wait: MaxWait(None),
        retry: RetryOptions {
            // Every failure may be retried, and again: this test is about
            // the quota. (With 3 tries, a conversion whose tries all fall
            // on the failing third of the arrivals would get a 502.)
            max_tries: 10,
            retry_floor: 1000,
            ..options(Retries::Full)
        },
    }
    .serve(&rates.url())
    .await;
    let conversions: Vec<_> = (0..40)
        .map(|day| {
            let server = server.clone();
            tokio::spawn(async move { convert(&server, day).await.status })
        })
        .collect();
    for conversion in conversions {
        assert_eq!(conversion.await.unwrap(), 200);
    }
    assert!(rates.most_at_once() <= 4, "{}", rates.most_at_once());
    assert_eq!(rates.refused(), 0);
    assert!(rates.arrivals().len() > 40, "some were retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_between_tries_holds_no_permit() {
    // One permit. The first request is told to come back in a second; a
    // second conversion, meanwhile, has the permit at once.
    let rates = failing(Failures::new(
        Share::counted(1, 1000).unwrap(),
        FailureKind::TooManyRequests(RetryAfter::Seconds(1)),
    ));
    let server = Setup {
        deadline: Duration::from_secs(10),
        max_fetches: 1,
        max_wait: MaxWait(None),
        ..Setup::default()
    }
    .serve(&rates.url())
    .await;
    let waiting = tokio::spawn({
        let server = server.clone();
        async move { convert(&server, 0).await }
    });
    // Until the first try has had its 429.
    while rates.arrivals().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let meanwhile = convert(&server, 1).await;
    assert_eq!(meanwhile.status, 200);
    // A permit held through the wait would have kept it a second.
    assert!(
        meanwhile.took < Duration::from_millis(500),
        "{:?}",
        meanwhile.took
    );
    let waited = waiting.await.unwrap();
    assert_eq!(waited.status, 200);
    assert!(waited.took >= Duration::from_secs(1), "{:?}", waited.took);
}
