//! Trouble on cue, for checking a client's retries: a share of the requests
//! for rates failed in a chosen way, an outage between two moments, and a
//! log of every request for rates with the moment it arrived.
//!
//! A retrying client is judged by what the service saw: how many attempts,
//! how far apart, after which answers. So failures are decided where a
//! request arrives, in the order requests arrive, and logged there, under
//! one lock: the log, the outage's clock and a counted share agree.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::RngExt;
use thiserror::Error;

use crate::plan::{Bucket, RateLimit};

/// How many arrivals [`RatesService::arrivals`](crate::RatesService::arrivals)
/// keeps: the latest, so that a service left running all day holds a few
/// megabytes at most.
pub const ARRIVALS_KEPT: usize = 100_000;

/// The most of a path an [`Arrival`] keeps: a date is 11 bytes, and a
/// client sending long junk paths cannot make each entry large.
const PATH_KEPT: usize = 64;

/// Which requests a failure share or an outage strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Every request for rates: `/latest` and each date.
    #[default]
    Rates,
    /// Only the requests for a date (`GET /2016-10-14`), the metered ones:
    /// `/latest` answers as usual and does not move a counted share on,
    /// so a check's "1 in 3" stays exact whatever else a server asks.
    Dated,
}

/// How many of the requests fail: by chance, or counted exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share(ShareKind);

#[derive(Debug, Clone, Copy, PartialEq)]
enum ShareKind {
    Random(f64),
    Counted { fail: u32, of: u32 },
}

/// Why a text or a number is not a [`Share`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShareError {
    #[error("a chance must be from 0.0 (never fail) to 1.0 (always fail)")]
    NotAChance,
    #[error("in N/M, M must be at least 1 and N at most M, like 1/3")]
    NotACount,
    #[error("expected a chance like 0.2, or a count like 1/3 (the first of every 3 fails)")]
    Shape,
}

impl Share {
    /// Every request.
    pub const ALL: Share = Share(ShareKind::Counted { fail: 1, of: 1 });

    /// Each request fails by chance, with probability `chance`: what a real
    /// service does, but a test can only count on 0.0 and 1.0.
    pub fn random(chance: f64) -> Result<Self, ShareError> {
        // `contains` is false for NaN too.
        if (0.0..=1.0).contains(&chance) {
            Ok(Self(ShareKind::Random(chance)))
        } else {
            Err(ShareError::NotAChance)
        }
    }

    /// The first `fail` of every `of` requests in a row, in the order they
    /// arrive: `counted(1, 3)` fails the 1st, 4th, 7th… and no other, and
    /// `counted(2, 3)` the 1st, 2nd, 4th, 5th…: exact, for a check to
    /// count on.
    pub fn counted(fail: u32, of: u32) -> Result<Self, ShareError> {
        if of == 0 || fail > of {
            return Err(ShareError::NotACount);
        }
        Ok(Self(ShareKind::Counted { fail, of }))
    }

    /// One request in `n`, the first of each `n`: `counted(1, n)`.
    pub fn one_in(n: u32) -> Result<Self, ShareError> {
        Self::counted(1, n)
    }

    /// Whether the request after `seen` others fails.
    fn strikes(self, seen: u64) -> bool {
        match self.0 {
            ShareKind::Random(chance) => chance > 0.0 && rand::rng().random_bool(chance),
            ShareKind::Counted { fail, of } => seen % u64::from(of) < u64::from(fail),
        }
    }
}

/// `0.2` (by chance) or `1/3` (counted): how `cargo xtask rates --fail`
/// takes it.
impl FromStr for Share {
    type Err = ShareError;

    fn from_str(text: &str) -> Result<Self, ShareError> {
        match text.split_once('/') {
            Some((fail, of)) => {
                let fail = fail.trim().parse().map_err(|_| ShareError::Shape)?;
                let of = of.trim().parse().map_err(|_| ShareError::Shape)?;
                Self::counted(fail, of)
            }
            None => Self::random(text.trim().parse().map_err(|_| ShareError::Shape)?),
        }
    }
}

/// `0.2` or `1/3`, as it is parsed.
impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ShareKind::Random(chance) => write!(f, "{chance}"),
            ShareKind::Counted { fail, of } => write!(f, "{fail}/{of}"),
        }
    }
}

/// A `Retry-After` header: how long a client is asked to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 2`: delay-seconds, the usual form.
    Seconds(u32),
    /// An HTTP-date this long after the answer, e.g. `Retry-After: Fri, 16
    /// Oct 2026 09:12:05 GMT`: the other form a client must read. It is
    /// rounded up to the whole second, as an HTTP-date has nothing finer,
    /// so a client reading it waits this long at least.
    DateIn(Duration),
    /// That moment as an HTTP-date, whenever the answer goes: a date
    /// already past asks for no wait at all.
    DateAt(SystemTime),
}

impl RetryAfter {
    /// The header's value for an answer sent at `now`.
    pub fn value_at(self, now: SystemTime) -> String {
        match self {
            Self::Seconds(seconds) => seconds.to_string(),
            Self::DateIn(delay) => {
                let at = unix(now + delay);
                let whole = at.as_secs() + u64::from(at.subsec_nanos() > 0);
                http_date(whole)
            }
            Self::DateAt(at) => http_date(unix(at).as_secs()),
        }
    }
}

/// `2`, `the date 2s on`, or the date itself.
impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seconds(seconds) => write!(f, "{seconds}"),
            Self::DateIn(delay) => write!(f, "the date {}s on", delay.as_secs_f64()),
            Self::DateAt(at) => f.write_str(&http_date(unix(*at).as_secs())),
        }
    }
}

/// Time since the epoch; a moment before it is the epoch.
fn unix(at: SystemTime) -> Duration {
    at.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// `secs` after the epoch as an HTTP-date (RFC 9110's IMF-fixdate):
/// `Sun, 06 Nov 1994 08:49:37 GMT`. The httpdate crate writes it (hyper
/// writes its `Date` header with it), so the form is a well-kept one's.
pub(crate) fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

/// How a request struck by a failure share or an outage fails. They all
/// answer at once, before the latency and the quota: a service in trouble
/// says so without first doing the work, and a check reads a client's
/// backoff straight from the gaps between its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// `500 Internal Server Error`.
    ServerError,
    /// `503 Service Unavailable`, with a `Retry-After` if given.
    Unavailable(Option<RetryAfter>),
    /// `429 Too Many Requests`, with its `Retry-After`.
    TooManyRequests(RetryAfter),
    /// No answer at all: the connection is closed without a byte of
    /// response, as when a server crashes or a proxy drops it. A client
    /// sees an error, not a status.
    Reset,
    /// A `4xx` other than `429` (a `404 Not Found`, a `400 Bad Request`),
    /// with one line: a request the service refuses however often it is
    /// asked, which a client must not try again. Made with
    /// [`FailureKind::client_error`], which takes only such a status.
    ClientError(u16),
}

impl FailureKind {
    /// A [`FailureKind::ClientError`] with `status`, if it is a `4xx` other
    /// than `429` (which says when to ask again: a failure of the moment).
    pub fn client_error(status: u16) -> Option<Self> {
        ((400..500).contains(&status) && status != 429).then_some(Self::ClientError(status))
    }
}

/// A `503` without `Retry-After`: what an outage is unless told otherwise.
impl Default for FailureKind {
    fn default() -> Self {
        Self::Unavailable(None)
    }
}

/// Why a text is not a [`FailureKind`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "expected 500, 503, 503:SECS, 503:date+SECS, 429:SECS, 429:date+SECS, reset, or a 4xx other than 429 like 404 (SECS: the Retry-After, in whole seconds)"
)]
pub struct FailureKindError;

/// `500`, `503`, `503:2` (`Retry-After: 2`), `503:date+2` (the HTTP-date
/// 2 s on), `429:2`, `429:date+2`, `reset`, or a `4xx` other than `429`
/// (`404`, `400`): how `cargo xtask rates --fail-with` takes it.
impl FromStr for FailureKind {
    type Err = FailureKindError;

    fn from_str(text: &str) -> Result<Self, FailureKindError> {
        let (status, retry) = match text.split_once(':') {
            Some((status, retry)) => (status, Some(retry)),
            None => (text, None),
        };
        let retry = retry
            .map(|retry| {
                let (date, secs) = match retry.strip_prefix("date+") {
                    Some(secs) => (true, secs),
                    None => (false, retry),
                };
                let secs: u32 = secs.parse().map_err(|_| FailureKindError)?;
                Ok(if date {
                    RetryAfter::DateIn(Duration::from_secs(u64::from(secs)))
                } else {
                    RetryAfter::Seconds(secs)
                })
            })
            .transpose()?;
        match (status, retry) {
            ("500", None) => Ok(Self::ServerError),
            ("503", retry) => Ok(Self::Unavailable(retry)),
            ("429", Some(retry)) => Ok(Self::TooManyRequests(retry)),
            ("reset", None) => Ok(Self::Reset),
            (status, None) if status.len() == 3 => status
                .parse()
                .ok()
                .and_then(Self::client_error)
                .ok_or(FailureKindError),
            _ => Err(FailureKindError),
        }
    }
}

/// In words, for a person: `429 Too Many Requests, Retry-After: 2`.
impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServerError => f.write_str("500 Internal Server Error"),
            Self::Unavailable(None) => f.write_str("503 Service Unavailable"),
            Self::Unavailable(Some(retry)) => {
                write!(f, "503 Service Unavailable, Retry-After: {retry}")
            }
            Self::TooManyRequests(retry) => {
                write!(f, "429 Too Many Requests, Retry-After: {retry}")
            }
            Self::Reset => f.write_str("the connection closed, no answer"),
            Self::ClientError(status) => match axum::http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|code| code.canonical_reason())
            {
                Some(reason) => write!(f, "{status} {reason}"),
                None => write!(f, "{status}"),
            },
        }
    }
}

/// A share of the requests failed one way: `1 in 3 get a 429`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failures {
    pub share: Share,
    pub kind: FailureKind,
    pub target: Target,
}

impl Failures {
    /// `share` of every request for rates fails as `kind`.
    pub fn new(share: Share, kind: FailureKind) -> Self {
        Self {
            share,
            kind,
            target: Target::Rates,
        }
    }

    /// The same, on requests for a date only.
    pub fn dated_only(self) -> Self {
        Self {
            target: Target::Dated,
            ..self
        }
    }
}

/// Every request arriving from `from` until just before `until` fails as
/// `kind`; before and after, the service answers as usual. Between two
/// moments rather than switched by hand, so that a check's timing does
/// not depend on when its own thread gets to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// The first moment down.
    pub from: Instant,
    /// The first moment up again.
    pub until: Instant,
    pub kind: FailureKind,
    pub target: Target,
}

impl Outage {
    /// A `503` for every request for rates in `[from, until)`.
    pub fn new(from: Instant, until: Instant) -> Self {
        Self {
            from,
            until,
            kind: FailureKind::default(),
            target: Target::Rates,
        }
    }

    /// Down `after` from now, for `lasting`.
    pub fn starting_in(after: Duration, lasting: Duration) -> Self {
        let from = Instant::now() + after;
        Self::new(from, from + lasting)
    }

    /// The same, failing as `kind`.
    pub fn failing_as(self, kind: FailureKind) -> Self {
        Self { kind, ..self }
    }

    /// The same, on requests for a date only.
    pub fn dated_only(self) -> Self {
        Self {
            target: Target::Dated,
            ..self
        }
    }

    /// Whether a request arriving `at` is in it.
    pub fn covers(&self, at: Instant) -> bool {
        self.from <= at && at < self.until
    }
}

/// A request for rates, as the service saw it arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// When it reached the service: before the quota, the latency or any
    /// failure, so the gaps between a client's attempts are its own.
    pub at: Instant,
    /// `/latest` or `/2016-10-14` (at most 64 bytes of it).
    pub path: String,
    pub outcome: Outcome,
}

/// What became of a request for rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still being answered.
    Pending,
    /// Answered with this status. For a [`Fault`](crate::Fault) that breaks
    /// the body, the headers' status: the body may still have broken.
    Status(u16),
    /// Closed with no answer, on purpose ([`FailureKind::Reset`]).
    Reset,
    /// The client hung up before its answer was ready.
    Abandoned,
}

/// The trouble of the moment and the log, under the one lock.
#[derive(Debug)]
pub(crate) struct Trouble {
    failures: Option<Failures>,
    /// Requests the failure share has been asked about since it was set:
    /// where a counted share is in its cycle.
    seen: u64,
    outage: Option<Outage>,
    /// The plan's rate on the requests for a date, if it has one.
    plan: Option<Bucket>,
    arrivals: VecDeque<Arrival>,
    /// The number of the oldest arrival kept: every arrival is numbered,
    /// so that its outcome can be filled in once known.
    first: u64,
}

impl Trouble {
    pub(crate) fn new(failures: Option<Failures>, outage: Option<Outage>) -> Self {
        Self {
            failures,
            seen: 0,
            outage,
            plan: None,
            arrivals: VecDeque::new(),
            first: 0,
        }
    }

    pub(crate) fn set_failures(&mut self, failures: Option<Failures>) {
        self.failures = failures;
        self.seen = 0;
    }

    pub(crate) fn set_outage(&mut self, outage: Option<Outage>) {
        self.outage = outage;
    }

    /// Meters the requests for a date at `limit` from now on, or no more.
    pub(crate) fn set_rate_limit(&mut self, limit: Option<RateLimit>) {
        self.plan = limit.map(Bucket::new);
    }

    /// A request for `path` arrives now: it is logged, and told whether it
    /// fails, and how. The moment is read under the lock, so the log is in
    /// the order of its moments, and a counted share counts in that order.
    pub(crate) fn arrive(&mut self, path: &str, dated: bool) -> (u64, Option<FailureKind>) {
        let at = Instant::now();
        let aimed_at = |target: Target| dated || target == Target::Rates;
        let failure = match (self.outage, self.failures) {
            (Some(outage), _) if outage.covers(at) && aimed_at(outage.target) => Some(outage.kind),
            (_, Some(failures)) if aimed_at(failures.target) => {
                let seen = self.seen;
                self.seen += 1;
                failures.share.strikes(seen).then_some(failures.kind)
            }
            _ => None,
        };
        // Every request for a date takes its token from the plan, failed
        // or not: a plan meters what is asked, not what is served.
        let metered = match self.plan.as_mut() {
            Some(plan) if dated => plan.take(at),
            _ => None,
        };
        let failure =
            failure.or(metered.map(|secs| FailureKind::TooManyRequests(RetryAfter::Seconds(secs))));
        if self.arrivals.len() >= ARRIVALS_KEPT {
            self.arrivals.pop_front();
            self.first += 1;
        }
        let number = self.first + self.arrivals.len() as u64;
        self.arrivals.push_back(Arrival {
            at,
            path: shortened(path).to_string(),
            outcome: Outcome::Pending,
        });
        (number, failure)
    }

    /// What became of arrival `number`, if it is still kept.
    pub(crate) fn answered(&mut self, number: u64, outcome: Outcome) {
        let Some(index) = number.checked_sub(self.first) else {
            return;
        };
        let entry = usize::try_from(index)
            .ok()
            .and_then(|index| self.arrivals.get_mut(index));
        if let Some(entry) = entry {
            entry.outcome = outcome;
        }
    }

    pub(crate) fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.iter().cloned().collect()
    }

    pub(crate) fn take_arrivals(&mut self) -> Vec<Arrival> {
        self.first += self.arrivals.len() as u64;
        self.arrivals.drain(..).collect()
    }
}

/// At most [`PATH_KEPT`] bytes of `path`, cut on a character.
fn shortened(path: &str) -> &str {
    let mut end = path.len().min(PATH_KEPT);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_imf_fixdates() {
        // RFC 9110's own example.
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
    }

    #[test]
    fn a_date_to_retry_after_is_rounded_up() {
        let now = UNIX_EPOCH + Duration::from_millis(784_111_777_300);
        let retry = RetryAfter::DateIn(Duration::from_secs(2));
        assert_eq!(retry.value_at(now), "Sun, 06 Nov 1994 08:49:40 GMT");
        let exact = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry.value_at(exact), "Sun, 06 Nov 1994 08:49:39 GMT");
        assert_eq!(RetryAfter::Seconds(7).value_at(now), "7");
        assert_eq!(
            RetryAfter::DateAt(exact).value_at(now),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn a_counted_share_fails_the_first_of_each_cycle() {
        let two_of_three = Share::counted(2, 3).unwrap();
        let fails: Vec<bool> = (0..7).map(|seen| two_of_three.strikes(seen)).collect();
        assert_eq!(fails, [true, true, false, true, true, false, true]);
        assert!((0..10).all(|seen| Share::ALL.strikes(seen)));
        assert!((0..10).all(|seen| !Share::counted(0, 4).unwrap().strikes(seen)));
        assert!((0..100).all(|seen| !Share::random(0.0).unwrap().strikes(seen)));
        assert!((0..100).all(|seen| Share::random(1.0).unwrap().strikes(seen)));
    }

    #[test]
    fn shares_are_read_and_checked() {
        assert_eq!("1/3".parse(), Share::one_in(3));
        assert_eq!("0.25".parse(), Share::random(0.25));
        assert_eq!("1/3".parse::<Share>().unwrap().to_string(), "1/3");
        assert_eq!(Share::one_in(0), Err(ShareError::NotACount));
        assert_eq!("4/3".parse::<Share>(), Err(ShareError::NotACount));
        assert_eq!("1.5".parse::<Share>(), Err(ShareError::NotAChance));
        assert_eq!("NaN".parse::<Share>(), Err(ShareError::NotAChance));
        for bad in ["", "ten", "1/", "/3", "-1/3"] {
            assert_eq!(bad.parse::<Share>(), Err(ShareError::Shape), "{bad:?}");
        }
    }

    #[test]
    fn failure_kinds_are_read_by_name() {
        let date = |secs| RetryAfter::DateIn(Duration::from_secs(secs));
        for (text, kind) in [
            ("500", FailureKind::ServerError),
            ("503", FailureKind::Unavailable(None)),
            (
                "503:2",
                FailureKind::Unavailable(Some(RetryAfter::Seconds(2))),
            ),
            ("503:date+3", FailureKind::Unavailable(Some(date(3)))),
            (
                "429:0",
                FailureKind::TooManyRequests(RetryAfter::Seconds(0)),
            ),
            ("429:date+2", FailureKind::TooManyRequests(date(2))),
            ("reset", FailureKind::Reset),
            ("404", FailureKind::ClientError(404)),
            ("400", FailureKind::ClientError(400)),
        ] {
            assert_eq!(text.parse(), Ok(kind), "{text}");
        }
        for bad in [
            "429",
            "500:1",
            "reset:1",
            "503:",
            "503:date+",
            "503:-1",
            "404:1",
            "399",
            "502",
            "+40",
            "4040",
        ] {
            assert_eq!(bad.parse::<FailureKind>(), Err(FailureKindError), "{bad}");
        }
    }

    #[test]
    fn a_client_error_is_a_4xx_other_than_429() {
        assert_eq!(
            FailureKind::client_error(404),
            Some(FailureKind::ClientError(404))
        );
        assert_eq!(
            FailureKind::client_error(499),
            Some(FailureKind::ClientError(499))
        );
        for not_one in [429, 399, 500, 200, 0] {
            assert_eq!(FailureKind::client_error(not_one), None, "{not_one}");
        }
        assert_eq!(FailureKind::ClientError(404).to_string(), "404 Not Found");
        assert_eq!(FailureKind::ClientError(499).to_string(), "499");
    }

    #[test]
    fn an_outage_is_half_open() {
        let from = Instant::now();
        let outage = Outage::new(from, from + Duration::from_secs(1));
        assert!(outage.covers(from));
        assert!(outage.covers(from + Duration::from_millis(999)));
        assert!(!outage.covers(from + Duration::from_secs(1)));
    }

    #[test]
    fn the_log_keeps_the_latest_and_fills_in_outcomes() {
        let mut trouble = Trouble::new(None, None);
        let (first, _) = trouble.arrive("/latest", false);
        for _ in 1..ARRIVALS_KEPT {
            trouble.arrive("/2016-10-14", true);
        }
        let (last, _) = trouble.arrive("/2016-10-15", true);
        trouble.answered(first, Outcome::Status(200));
        trouble.answered(last, Outcome::Reset);
        let arrivals = trouble.arrivals();
        assert_eq!(arrivals.len(), ARRIVALS_KEPT);
        assert_eq!(arrivals[0].path, "/2016-10-14", "the oldest is forgotten");
        let newest = &arrivals[ARRIVALS_KEPT - 1];
        assert_eq!(newest.path, "/2016-10-15");
        assert_eq!(newest.outcome, Outcome::Reset);
        assert!(arrivals.windows(2).all(|pair| pair[0].at <= pair[1].at));

        assert_eq!(trouble.take_arrivals().len(), ARRIVALS_KEPT);
        trouble.answered(last, Outcome::Abandoned);
        let (next, _) = trouble.arrive(&"/x".repeat(100), true);
        trouble.answered(next, Outcome::Status(400));
        let arrivals = trouble.arrivals();
        assert_eq!(arrivals.len(), 1, "taken ones are gone");
        assert_eq!(arrivals[0].path.len(), PATH_KEPT);
        assert_eq!(arrivals[0].outcome, Outcome::Status(400));
    }

    #[test]
    fn a_dated_target_leaves_latest_alone_and_uncounted() {
        let failures = Failures::new(Share::one_in(2).unwrap(), FailureKind::Reset).dated_only();
        let mut trouble = Trouble::new(Some(failures), None);
        let mut fails = || {
            [
                trouble.arrive("/2016-10-14", true).1.is_some(),
                trouble.arrive("/latest", false).1.is_some(),
            ]
        };
        assert_eq!(fails(), [true, false]);
        assert_eq!(fails(), [false, false]);
        assert_eq!(fails(), [true, false]);
    }
}
