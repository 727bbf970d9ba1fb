//! Every way a conversion can fail, each with its HTTP status and a one-line
//! message that says what was wrong.

use std::time::Duration;

use thiserror::Error;

/// The amounts the converter accepts, at most. Beyond this the answer would be
/// meaningless and the arithmetic could overflow.
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("invalid currency {0}: expected three letters, like GBP")]
    BadCurrency(String),
    #[error("invalid amount {0}: expected a number, like 100 or 12.50")]
    BadAmount(String),
    #[error("invalid amount {0}: it must not be negative")]
    NegativeAmount(String),
    #[error("invalid amount {0}: the largest amount is {MAX_AMOUNT}")]
    AmountTooLarge(String),
    #[error("invalid amount {0}: at most 28 significant digits")]
    AmountTooPrecise(String),
    #[error("invalid path: {0}")]
    BadPath(String),
    #[error("unknown currency {0}: the rates service has no rate for it")]
    UnknownCurrency(String),
    #[error("rates service unavailable: {0}")]
    RatesUnavailable(String),
    #[error("rates service did not answer within {}", humantime::format_duration(*.0))]
    RatesTimeout(Duration),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ConvertError {
    /// The HTTP status that tells a client what kind of failure this is.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadCurrency(_)
            | Self::BadAmount(_)
            | Self::NegativeAmount(_)
            | Self::AmountTooLarge(_)
            | Self::AmountTooPrecise(_)
            | Self::BadPath(_) => 400,
            Self::UnknownCurrency(_) => 404,
            Self::RatesUnavailable(_) => 502,
            Self::RatesTimeout(_) => 504,
            Self::Internal(_) => 500,
        }
    }

    /// What went wrong talking to the rates service. `timeout` is the client's
    /// own limit, quoted in the message.
    pub fn from_upstream(err: &reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            Self::RatesTimeout(timeout)
        } else if err.is_connect() {
            Self::RatesUnavailable("cannot connect to it".into())
        } else if let Some(status) = err.status() {
            Self::RatesUnavailable(format!("it answered {status}"))
        } else if err.is_body() {
            Self::RatesUnavailable("it hung up in the middle of its answer".into())
        } else if err.is_decode() {
            Self::RatesUnavailable("its answer is not the expected JSON".into())
        } else {
            Self::RatesUnavailable("the request failed".into())
        }
    }
}

/// Quotes what a user typed so it can be echoed on one line: escaped, and cut
/// short if long.
pub fn quoted(input: &str) -> String {
    const LIMIT: usize = 24;
    match input.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}…", &input[..cut]),
        None => format!("{input:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_line() {
        let long = "x\n".repeat(100);
        let errors = [
            ConvertError::BadCurrency(quoted(&long)),
            ConvertError::BadAmount(quoted("1\r\n2")),
            ConvertError::RatesTimeout(Duration::from_millis(1500)),
        ];
        for err in errors {
            assert_eq!(err.to_string().lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn long_input_is_cut_short() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert_eq!(quoted(&"é".repeat(30)), format!("{:?}…", "é".repeat(24)));
    }
}
