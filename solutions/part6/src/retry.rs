//! The fetch of a date's rates, tried again when it fails for a moment.
//!
//! Part 5's fetch made one try. A rates service in trouble fails some of
//! them: a `503` while it restarts, a `429` past its quota, a connection
//! reset by a proxy. Most such failures last a moment, and a second try
//! soon after goes through. But a retry is one more request to a service
//! that is failing, perhaps *because* it has too many: a client that
//! retries at once, three times, turns a short outage into three times the
//! load, and can keep it down after its cause is gone. So every retry here
//! is made with care:
//!
//! - only after a failure that can pass ([`Failure::retryable`]): a `5xx`,
//!   a `429`, no answer, the try out of time; never a `400` or a `404`,
//!   which a second try gets again;
//! - after a wait, capped exponential backoff with full jitter
//!   ([`crate::backoff`]), and at least as long as the rates service asked
//!   with `Retry-After` ([`crate::retry_after`]);
//! - within part 4's deadline, which is now the whole fetch's, every try
//!   and every wait: a try starts only while time is left, its own timeout
//!   is the time left, and a wait that would end past the deadline is not
//!   waited;
//! - at most `--max-tries` tries in all, and each retry within the
//!   server's one budget ([`crate::budget`]).
//!
//! ## The permit, a try at a time
//!
//! Part 5's limit held a permit around the whole handler. With retries the
//! handler also *waits*, up to a second between tries, and a permit held
//! through a wait is a place in the rates service's quota that serves
//! nobody: under load, goodput falls by as much. So the limit moved inside
//! the retry loop: each try takes a permit (`Limit::admit`, part 5's, with
//! its `--max-wait` and its shed) before its request and gives it back as
//! soon as its answer is in, before any wait. Part 5's promise still holds,
//! since a request to the rates service is only ever made holding a
//! permit: never more than `--max-fetches` at once. A try that finds no
//! permit within `--max-wait` is shed as in part 5, `503` at once: this
//! server is too busy to ask again.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{StatusCode, header};
use part1::ConvertError;
use part1::client::Rates;
use part4::stats::Stats;
use part5::limit::{Limit, Shed};
use rates::Date;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::budget::RetryBudget;
use crate::observe;
use crate::options::{Retries, RetryOptions};
use crate::refused::Refused;
use crate::retry_after::{self, PassedOn};

/// How a failed fetch is tried again.
#[derive(Debug, Clone)]
pub struct Policy {
    pub retries: Retries,
    /// Tries in all, the first included.
    pub max_tries: u32,
    pub backoff: Backoff,
    /// The server's one budget: every clone of it is the same.
    pub budget: RetryBudget,
}

impl Policy {
    pub fn new(options: &RetryOptions) -> Self {
        Self {
            retries: options.retries,
            max_tries: options.max_tries,
            backoff: Backoff {
                base: options.backoff_base,
                cap: options.backoff_cap,
            },
            budget: RetryBudget::new(options.retry_ratio, options.retry_floor),
        }
    }
}

/// What one try came to, when it came to no rates.
#[derive(Debug)]
pub enum Failure {
    /// The rates service answered with this status (not a success). A `429`
    /// or a `503` may say when to ask again: `retry_after`.
    Status {
        status: StatusCode,
        retry_after: Option<Instant>,
    },
    /// No answer, or half of one: the connection refused, reset, or closed
    /// in the middle of the answer.
    NoAnswer(ConvertError),
    /// An answer that is not rates: the service's bug, not its moment of
    /// trouble; a second try gets the same.
    Unreadable(ConvertError),
    /// The try ran out of the time left: the deadline has passed.
    TimedOut,
    /// No permit of the limit within `--max-wait`: this server is too busy.
    Shed(Shed),
}

impl Failure {
    /// Whether another try may go through: a failure of the moment.
    pub fn retryable(&self) -> bool {
        // A `5xx` (`status.is_server_error()`) and a `429 Too Many Requests`
        // may pass; any other status (a `400`, a `404`) is the same on every
        // try. No answer and a try out of time may pass. An unreadable
        // answer will not, and a shed must not: asking again is more load
        // on a server that is full already.
        // BEGIN GAP part6.backoff.retryable
        match self {
            Self::Status { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            Self::NoAnswer(_) | Self::TimedOut => true,
            Self::Unreadable(_) | Self::Shed(_) => false,
        }
        // END GAP
    }

    /// When the rates service asked to be asked again, if it did.
    pub fn retry_after(&self) -> Option<Instant> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The client's answer when this failure is the last: part 1's (a
    /// `502`, or a `504` past the deadline `deadline`), part 5's shed, or,
    /// when `pass_on` and the rates service gave a `Retry-After`, a `503`
    /// with what is left of it.
    pub fn answer(self, deadline: Duration, pass_on: bool) -> Refused {
        match self {
            Self::Status {
                retry_after: Some(until),
                ..
            } if pass_on => PassedOn {
                delay: until.saturating_duration_since(Instant::now()),
            }
            .into(),
            // As part 1 words it: `it answered 503 Service Unavailable`.
            Self::Status { status, .. } => {
                ConvertError::RatesUnavailable(format!("it answered {status}")).into()
            }
            Self::NoAnswer(err) | Self::Unreadable(err) => err.into(),
            Self::TimedOut => ConvertError::RatesTimeout(deadline).into(),
            Self::Shed(shed) => shed.into(),
        }
    }
}

/// Fetches a date's rates: each try holding a permit of the limit, tried
/// again as [`Policy`] says, all within the deadline.
#[derive(Debug)]
pub struct Retrying {
    // One client for the whole program: it keeps a pool of connections.
    http: reqwest::Client,
    rates_url: Arc<str>,
    /// The whole fetch's: every try, every wait.
    deadline: Duration,
    pub(crate) stats: Arc<Stats>,
    limit: Limit,
    policy: Policy,
}

impl Retrying {
    pub fn new(
        rates_url: &str,
        deadline: Duration,
        stats: Arc<Stats>,
        limit: Limit,
        policy: Policy,
    ) -> Result<Self, ConvertError> {
        Ok(Self {
            // Part 4's client: no timeout of its own; each try has one.
            http: part4::fetch::client()?,
            rates_url: rates_url.trim_end_matches('/').into(),
            deadline,
            stats,
            limit,
            policy,
        })
    }

    /// `GET /{date}` and its body, as [`Rates`], tried again as the policy
    /// says, within the deadline. The request's span gets the tries, the
    /// wait for permits, and the rest of the time as its time upstream.
    pub async fn rates_on(&self, date: Date) -> Result<Rates, Refused> {
        let url = format!("{}/{date}", self.rates_url);
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let fetched = self.fetch(&url, started + self.deadline, &mut waited).await;
        observe::upstream(started.elapsed().saturating_sub(waited));
        fetched
    }

    /// The retry loop: a try, and if it failed, a wait and another, or the
    /// answer.
    async fn fetch(
        &self,
        url: &str,
        deadline: Instant,
        waited: &mut Duration,
    ) -> Result<Rates, Refused> {
        let mut tries = 0;
        loop {
            tries += 1;
            observe::tried(tries);
            if tries == 1 {
                self.policy.budget.deposit();
            }
            let tried = self.try_in_time(url, deadline, waited).await;
            let failure = match tried {
                Ok(rates) => return Ok(rates),
                Err(failure) => failure,
            };
            let wait = self.next_try(failure, tries, deadline)?;
            tokio::time::sleep(wait).await;
        }
    }

    /// After `failure`, the `tries`-th: how long to wait before the next
    /// try, or, when there is none, the client's answer.
    fn next_try(
        &self,
        failure: Failure,
        tries: u32,
        deadline: Instant,
    ) -> Result<Duration, Refused> {
        let Policy {
            retries,
            max_tries,
            backoff,
            budget,
        } = &self.policy;
        let give_up = |failure: Failure| Err(failure.answer(self.deadline, retries.waits()));
        if *retries == Retries::Off || tries >= *max_tries || !failure.retryable() {
            return give_up(failure);
        }
        if *retries == Retries::Naive {
            // At once, whatever the service said: what not to do.
            return Ok(Duration::ZERO);
        }
        let now = Instant::now();
        let backoff = backoff.delay(tries - 1);
        let wait = match failure.retry_after() {
            None => backoff,
            Some(until) => {
                // The rates service asked to wait until `until`: wait at
                // least that (`until.saturating_duration_since(now)`), and
                // at least the backoff: the longer of the two. A wait that
                // ends past the deadline is refused just below, and the
                // failure answered at once with a `Retry-After` of ours.
                // BEGIN GAP part6.honour.wait
                until.saturating_duration_since(now).max(backoff)
                // END GAP
            }
        };
        // After a wait that ends at the deadline or past it, no try could
        // start: answer now rather than at the deadline.
        if now + wait >= deadline {
            return give_up(failure);
        }
        if *retries == Retries::Full {
            // Last, once the retry is sure to be made: ask the server's one
            // budget for it (`budget.withdraw()`), and give up if it has
            // none. A budget made here, for this request, would limit
            // nothing.
            // BEGIN GAP part6.budget.ask
            if !budget.withdraw() {
                return give_up(failure);
            }
            // END GAP
        }
        Ok(wait)
    }

    /// One try, if time is left before `deadline`, with the time left as
    /// its timeout: then the whole fetch ends by the deadline, however many
    /// tries and waits it makes.
    async fn try_in_time(
        &self,
        url: &str,
        deadline: Instant,
        waited: &mut Duration,
    ) -> Result<Rates, Failure> {
        // What is left: `deadline.saturating_duration_since(Instant::now())`
        // (zero once past). None left: no try, `Err(Failure::TimedOut)`,
        // part 4's 504. Otherwise the try, `self.try_once(url, waited)`,
        // under `tokio::time::timeout(left, …)`: out of time is
        // `Failure::TimedOut` too.
        // BEGIN GAP part6.backoff.deadline
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut);
        }
        tokio::time::timeout(left, self.try_once(url, waited))
            .await
            .unwrap_or(Err(Failure::TimedOut))
        // END GAP
    }

    /// One try: a permit of the limit, the request, and its answer read;
    /// the permit is given back as soon as the answer is in. Its wait for
    /// the permit is added to `waited`.
    async fn try_once(&self, url: &str, waited: &mut Duration) -> Result<Rates, Failure> {
        let asked = Instant::now();
        let permit = self.limit.admit().await.map_err(Failure::Shed)?;
        *waited += asked.elapsed();
        // `admit` records its own wait: the span gets the fetch's in all.
        observe::waited(*waited);

        let no_answer = |err: reqwest::Error| {
            Failure::NoAnswer(ConvertError::from_upstream(&err, self.deadline))
        };
        let response = self.http.get(url).send().await.map_err(no_answer)?;
        let status = response.status();
        if !status.is_success() {
            let asks_to_wait = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            );
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .filter(|_| asks_to_wait)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| retry_after::parse(value, SystemTime::now()))
                .map(|delay| Instant::now() + delay.min(retry_after::LONGEST));
            return Err(Failure::Status {
                status,
                retry_after,
            });
        }
        let body = response.bytes().await.map_err(no_answer)?;
        drop(permit);
        serde_json::from_slice(&body).map_err(|_garbage| {
            Failure::Unreadable(ConvertError::RatesUnavailable(
                "its answer is not the expected JSON".into(),
            ))
        })
    }
}
