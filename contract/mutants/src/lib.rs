//! Part 1's finished crate, except for its client: this one can be told to
//! have a bug, by the `WORKSHOP_MUTANT` environment variable.
//!
//! The grader compiles a learner's client test against this crate, under the
//! name `part1`, and runs it once per mutant. A good test passes with no
//! mutant and fails with each of them: a test that cannot fail is no test.

use std::time::Duration;

pub use part1::{Amount, Conversion, ConvertError, Currency, error, money, options, server};
use rust_decimal::Decimal;

/// `part1::client`, with this crate's `CurrencyClient` in place of the real one.
pub mod client {
    pub use super::CurrencyClient;
    pub use part1::client::{Rates, convert_with};
}

/// The bugs a client test must catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutant {
    /// Answers the amount as it was given, not multiplied by the rate.
    Unconverted,
    /// Uses the rate of another currency.
    WrongRate,
    /// Answers 0 instead of an error, e.g. for an unknown currency.
    HiddenErrors,
}

impl Mutant {
    pub const ALL: [Mutant; 3] = [Self::Unconverted, Self::WrongRate, Self::HiddenErrors];

    /// The value of `WORKSHOP_MUTANT` that switches this mutant on.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unconverted => "unconverted",
            Self::WrongRate => "wrong_rate",
            Self::HiddenErrors => "hidden_errors",
        }
    }

    /// What it does wrong, for the grader's message.
    pub fn description(self) -> &'static str {
        match self {
            Self::Unconverted => "forgets to multiply by the rate",
            Self::WrongRate => "uses the rate of another currency",
            Self::HiddenErrors => "answers 0 instead of an error",
        }
    }

    fn active() -> Option<Mutant> {
        let name = std::env::var("WORKSHOP_MUTANT").ok()?;
        Self::ALL.into_iter().find(|mutant| mutant.name() == name)
    }
}

/// The real client, with the bug `WORKSHOP_MUTANT` names, if any.
#[derive(Debug, Clone)]
pub struct CurrencyClient {
    inner: part1::CurrencyClient,
}

impl CurrencyClient {
    pub fn new(rates_url: &str, timeout: Duration) -> Result<Self, ConvertError> {
        Ok(Self {
            inner: part1::CurrencyClient::new(rates_url, timeout)?,
        })
    }

    pub async fn convert(
        &self,
        currency: &Currency,
        amount: Amount,
    ) -> Result<Conversion, ConvertError> {
        match Mutant::active() {
            None => self.inner.convert(currency, amount).await,
            Some(Mutant::Unconverted) => {
                self.inner.convert(currency, amount).await?;
                Conversion::new(currency.clone(), amount, Decimal::ONE)
            }
            Some(Mutant::WrongRate) => {
                // Converts into another currency, then labels it as asked.
                let other = if currency.code() == "GBP" {
                    "USD"
                } else {
                    "GBP"
                };
                let other: Currency = other.parse()?;
                let wrong = self.inner.convert(&other, amount).await?;
                Ok(Conversion {
                    currency: currency.clone(),
                    value: wrong.value,
                })
            }
            Some(Mutant::HiddenErrors) => {
                let converted = self.inner.convert(currency, amount).await;
                Ok(converted.unwrap_or(Conversion {
                    currency: currency.clone(),
                    value: Decimal::ZERO,
                }))
            }
        }
    }
}
