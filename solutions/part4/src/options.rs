//! Part 4's own options, on top of part 1's `ServerOptions` (port, host,
//! `RATES_URL`, `--upstream-timeout`, which is the deadline here).

use std::time::Duration;

/// `--rates-ttl`, `--grace` and `--report-every`.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheOptions {
    /// Reuse fetched rates this long; 0 fetches them for every conversion.
    /// The ECB publishes its reference rates once a working day (around
    /// 16:00 CET): an hour never serves them more than an hour late, and
    /// costs the rates service 24 requests a day instead of one a conversion.
    #[arg(long, env = "RATES_TTL", default_value = "1h", value_parser = duration)]
    pub rates_ttl: Duration,
    /// On Ctrl-C or SIGTERM, give the requests in flight this long to finish.
    #[arg(long, env = "GRACE", default_value = "10s", value_parser = duration)]
    pub grace: Duration,
    /// Print what was served this often, when something was; 0: only when
    /// stopping.
    #[arg(long, default_value = "1m", value_parser = duration)]
    pub report_every: Duration,
}

/// The longest duration any option takes. Far beyond any use, and far from
/// the overflow of `Instant + Duration`, which panics.
const LONGEST: Duration = Duration::from_secs(366 * 24 * 3600);

/// A duration like `90s`, `10m` or `1h`, at most a year.
fn duration(text: &str) -> Result<Duration, String> {
    let duration =
        humantime::parse_duration(text).map_err(|err| format!("{err}: try 30s or 1h"))?;
    if duration > LONGEST {
        return Err("at most a year (366days)".to_string());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_human_and_bounded() {
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
        assert!(duration("ten").unwrap_err().contains("try 30s"));
        assert!(duration("400days").unwrap_err().contains("at most a year"));
    }
}
