//! Part 5's own options, on top of part 1's `ServerOptions` and part 4's
//! `CacheOptions`.

use std::fmt;
use std::time::Duration;

/// `--max-fetches`, `--max-wait` and `--log`.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitOptions {
    /// At most this many fetches of a date's rates at once: the rates
    /// service's quota. Its capacity is this many ÷ its round trip.
    #[arg(long, env = "MAX_FETCHES", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_fetches: u16,
    /// How long a conversion on a date may wait for its fetch to start;
    /// past that it is answered at once, 503 with Retry-After. `unbounded`
    /// waits as long as it takes (the queue without end of parts 1 to 4).
    #[arg(long, env = "MAX_WAIT", default_value = "10ms", value_parser = max_wait)]
    pub max_wait: MaxWait,
    /// `json`: every request's span, one JSON line on stderr when it ends.
    #[arg(long, env = "LOG", default_value = "off", value_enum)]
    pub log: Log,
}

/// How long a request may wait for a permit: `None` is without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxWait(pub Option<Duration>);

/// What the server writes about its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Log {
    /// Nothing: spans cost nothing without a subscriber.
    Off,
    /// One JSON line a request, on stderr.
    Json,
}

/// The longest wait the option takes: a minute is already no answer at
/// all for a client.
const LONGEST: Duration = Duration::from_secs(60);

/// `20ms`, `1s`, or `unbounded`.
fn max_wait(text: &str) -> Result<MaxWait, String> {
    if text == "unbounded" {
        return Ok(MaxWait(None));
    }
    let wait = humantime::parse_duration(text)
        .map_err(|err| format!("{err}: try 20ms, 1s, or unbounded"))?;
    if wait > LONGEST {
        return Err("at most a minute (or unbounded)".to_string());
    }
    Ok(MaxWait(Some(wait)))
}

/// `20ms`, or `unbounded`.
impl fmt::Display for MaxWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(wait) => write!(f, "{}", humantime::format_duration(wait)),
            None => f.write_str("unbounded"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_a_duration_or_unbounded() {
        assert_eq!(
            max_wait("20ms"),
            Ok(MaxWait(Some(Duration::from_millis(20))))
        );
        assert_eq!(max_wait("0s"), Ok(MaxWait(Some(Duration::ZERO))));
        assert_eq!(max_wait("unbounded"), Ok(MaxWait(None)));
        assert!(max_wait("soon").unwrap_err().contains("unbounded"));
        assert!(max_wait("2m").unwrap_err().contains("at most a minute"));
        assert_eq!(MaxWait(None).to_string(), "unbounded");
        assert_eq!(MaxWait(Some(Duration::from_millis(20))).to_string(), "20ms");
    }
}
