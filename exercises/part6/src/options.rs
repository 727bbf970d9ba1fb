//! Part 6's own options, on top of part 1's `ServerOptions` (whose
//! `--upstream-timeout` is now the deadline of the whole fetch, every try
//! and every wait), part 4's `CacheOptions` and part 5's `LimitOptions`.

use std::fmt;
use std::time::Duration;

/// `--retries`, `--max-tries`, `--backoff-base`, `--backoff-cap`,
/// `--retry-ratio` and `--retry-floor`.
#[derive(Debug, Clone, clap::Args)]
pub struct RetryOptions {
    /// How a failed fetch of a date's rates is tried again: `full` (backoff
    /// with full jitter, Retry-After honoured, within the retry budget),
    /// `backoff` (the same, without the budget), `naive` (at once, no wait,
    /// no budget, Retry-After ignored: what not to do), `off` (one try).
    #[arg(long, env = "RETRIES", default_value = "full", value_enum)]
    pub retries: Retries,
    /// At most this many tries of a fetch in all, the first included.
    #[arg(long, env = "MAX_TRIES", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub max_tries: u32,
    /// The first retry waits up to this long; each next one up to twice as
    /// long as the one before, up to --backoff-cap.
    #[arg(long, env = "BACKOFF_BASE", default_value = "50ms", value_parser = duration)]
    pub backoff_base: Duration,
    /// No retry waits longer than this (unless the rates service asks for
    /// longer with Retry-After).
    #[arg(long, env = "BACKOFF_CAP", default_value = "1s", value_parser = duration)]
    pub backoff_cap: Duration,
    /// The retry budget: each first try earns this share of a retry (0.1:
    /// retries are at most a tenth of the fetches, beyond the floor).
    #[arg(long, env = "RETRY_RATIO", default_value = "0.1", value_parser = ratio)]
    pub retry_ratio: Ratio,
    /// This many retries a second are always allowed, whatever the budget
    /// holds: a quiet server may still retry its rare failure. Small: in an
    /// outage it is load on top of the tenth (at 125 fetches a second, 5
    /// would add 4 %, 2 adds 1.6 %).
    #[arg(long, env = "RETRY_FLOOR", default_value_t = 2)]
    pub retry_floor: u32,
}

/// How a failed fetch is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Retries {
    /// One try: part 5's server.
    Off,
    /// Up to --max-tries at once, one after the other with no wait, no
    /// budget, Retry-After ignored: how a short outage becomes three times
    /// the load.
    Naive,
    /// Backoff with full jitter, Retry-After honoured, and no budget.
    Backoff,
    /// Backoff with full jitter, Retry-After honoured, within the budget.
    Full,
}

impl Retries {
    /// Whether a retry waits (backoff, Retry-After), and a failure that
    /// came with a Retry-After is answered with one of ours.
    pub fn waits(self) -> bool {
        matches!(self, Self::Backoff | Self::Full)
    }
}

/// A share from 0 to 1, in thousandths: exact, where `10 × 0.1` in floating
/// point is not 1 (gRPC's `tokenRatio` has three decimals too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(pub u32);

impl Ratio {
    pub const WHOLE: u32 = 1000;
}

/// `0.1`, as it is written.
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", f64::from(self.0) / f64::from(Self::WHOLE))
    }
}

/// `0.1`: from 0 to 1, at most three decimals.
fn ratio(text: &str) -> Result<Ratio, String> {
    let share: f64 = text
        .trim()
        .parse()
        .map_err(|_| "expected a share from 0 to 1, like 0.1".to_string())?;
    if !(0.0..=1.0).contains(&share) {
        return Err("a share from 0 to 1, like 0.1".to_string());
    }
    let thousandths = share * f64::from(Ratio::WHOLE);
    if (thousandths - thousandths.round()).abs() > 1e-9 {
        return Err("at most three decimals, like 0.125".to_string());
    }
    // In 0..=1000 and whole: the cast is exact.
    Ok(Ratio(thousandths.round() as u32))
}

/// The longest wait the backoff options take: a minute is past any
/// deadline a client waits for.
const LONGEST: Duration = Duration::from_secs(60);

/// `50ms`, `1s`: at most a minute.
fn duration(text: &str) -> Result<Duration, String> {
    let duration =
        humantime::parse_duration(text).map_err(|err| format!("{err}: try 50ms or 1s"))?;
    if duration > LONGEST {
        return Err("at most a minute".to_string());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_is_a_share_in_thousandths() {
        assert_eq!(ratio("0.1"), Ok(Ratio(100)));
        assert_eq!(ratio("0"), Ok(Ratio(0)));
        assert_eq!(ratio("1"), Ok(Ratio(1000)));
        assert_eq!(ratio("0.125"), Ok(Ratio(125)));
        assert!(ratio("0.0001").unwrap_err().contains("three decimals"));
        assert!(ratio("1.5").is_err());
        assert!(ratio("-0.1").is_err());
        assert!(ratio("NaN").is_err());
        assert!(ratio("a tenth").is_err());
        assert_eq!(Ratio(100).to_string(), "0.1");
    }

    #[test]
    fn backoff_durations_are_human_and_bounded() {
        assert_eq!(duration("50ms"), Ok(Duration::from_millis(50)));
        assert!(duration("soon").unwrap_err().contains("try 50ms"));
        assert!(duration("2m").unwrap_err().contains("at most a minute"));
    }
}
