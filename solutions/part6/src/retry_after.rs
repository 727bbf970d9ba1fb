//! `Retry-After`: read the rates service's, and send our own.
//!
//! A `429 Too Many Requests` or a `503 Service Unavailable` may say how long
//! to wait before asking again (RFC 9110, section 10.2.3), in one of two
//! forms: delay-seconds (`Retry-After: 2`) or an HTTP-date (`Retry-After:
//! Fri, 16 Oct 2026 09:12:05 GMT`). A client that retries sooner asks a
//! service that said it cannot answer yet: load for nothing.
//!
//! When the wait asked for is longer than the conversion has left before its
//! deadline, there is no point in waiting: no try could follow. The
//! converter then answers at once, `503` with a `Retry-After` of its own,
//! the rates service's remaining delay: backpressure passed on to its
//! client, not swallowed into a `502`.

use std::time::{Duration, SystemTime};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// The longest `Retry-After` taken as given: a day. Past it, a date is a
/// clock gone wrong somewhere, and `Instant + Duration` would overflow.
pub const LONGEST: Duration = Duration::from_secs(24 * 3600);

/// How long a `Retry-After` value asks to wait, from `now`: delay-seconds
/// (`2`), or an HTTP-date (a date already past asks for no wait). `None`
/// if it is neither.
pub fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    // Delay-seconds are digits and nothing else (`u64::from_str` would take
    // a `+` too): `Duration::from_secs`. Otherwise try an HTTP-date,
    // `httpdate::parse_http_date(value)`, a `SystemTime`: the wait is the
    // time from `now` to it (`duration_since`, an error when it is past:
    // then no wait). Anything else is `None`: a header we cannot read is
    // no header.
    // BEGIN GAP part6.honour.parse
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Too many digits for a u64 is still a (very) long wait.
        let seconds = value.parse().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
    // END GAP
}

/// A conversion answered at once because the rates service asked for a
/// pause its deadline cannot hold, or none of its tries came back: `503
/// Service Unavailable`, with a `Retry-After` of our own.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("rates service busy: it asked for a pause past this conversion's deadline")]
pub struct PassedOn {
    /// What is left of the rates service's `Retry-After`.
    pub delay: Duration,
}

/// `503 Service Unavailable`, `Retry-After` in whole seconds, one line.
impl IntoResponse for PassedOn {
    fn into_response(self) -> Response {
        // Our `Retry-After` is `self.delay` in whole seconds, rounded up (a
        // client told 1 when 1.2 s are left comes back too soon), and at
        // least 1 (`0` is "now": a retry at once is what we must not ask
        // for). Then a tuple, as part 5's shed: the status, the header,
        // and `format!("{self}; try again in {seconds} s")`.
        // BEGIN GAP part6.honour.answer
        let seconds = self.delay.as_secs() + u64::from(self.delay.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, seconds.to_string())],
            format!("{self}; try again in {seconds} s"),
        )
            .into_response()
        // END GAP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110's example date, and a moment before it.
    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn delay_seconds_are_read() {
        let now = SystemTime::now();
        assert_eq!(parse("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse("0", now), Some(Duration::ZERO));
        assert_eq!(parse(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn an_http_date_is_a_wait_until_then() {
        // 784111777 is DATE.
        assert_eq!(parse(DATE, at(784_111_775)), Some(Duration::from_secs(2)));
        assert_eq!(parse(DATE, at(784_111_777)), Some(Duration::ZERO));
        // Past: no wait at all.
        assert_eq!(parse(DATE, at(784_111_800)), Some(Duration::ZERO));
        // What the rates service writes reads back.
        let now = SystemTime::now();
        let written = httpdate::fmt_http_date(now + Duration::from_secs(3));
        let wait = parse(&written, now).expect("an HTTP-date");
        assert!(wait > Duration::from_secs(2) && wait <= Duration::from_secs(3));
    }

    #[test]
    fn garbage_is_no_header() {
        let now = SystemTime::now();
        for garbage in [
            "",
            "soon",
            "-1",
            "+2",
            "1.5",
            "2 s",
            "Sun, 06 Nov 1994",
            "tomorrow at noon",
        ] {
            assert_eq!(parse(garbage, now), None, "{garbage:?}");
        }
    }

    #[test]
    fn our_retry_after_is_whole_seconds_rounded_up_at_least_one() {
        for (delay, seconds) in [
            (Duration::from_millis(1200), "2"),
            (Duration::from_secs(5), "5"),
            (Duration::from_millis(5001), "6"),
            (Duration::from_millis(300), "1"),
            (Duration::ZERO, "1"),
        ] {
            let response = PassedOn { delay }.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers()[header::RETRY_AFTER],
                seconds,
                "{delay:?}"
            );
        }
        let line = PassedOn {
            delay: Duration::from_secs(5),
        }
        .to_string();
        assert_eq!(line.lines().count(), 1);
    }
}
