//! Currencies, amounts and the arithmetic between them.
//!
//! Money is never a float here: `0.1 + 0.2` must be `0.3`. Amounts and rates
//! are [`Decimal`]s, and results are rounded half-to-even ("banker's
//! rounding") to the currency's minor units, as accountants do.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{ConvertError, MAX_AMOUNT, quoted};

/// An ISO 4217 currency code: three ASCII letters, stored upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(String);

impl Currency {
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point in this currency's smallest unit:
    /// 2 for most (cents), 0 for the yen and the won, 3 for the dinars.
    pub fn minor_units(&self) -> u32 {
        const NONE: &[&str] = &[
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ];
        const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
        if NONE.contains(&self.code()) {
            0
        } else if THREE.contains(&self.code()) {
            3
        } else {
            2
        }
    }
}

impl FromStr for Currency {
    type Err = ConvertError;

    /// Any case is accepted: `gbp` is `GBP`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(ConvertError::BadCurrency(quoted(s)))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of euros: a non-negative decimal, at most [`MAX_AMOUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Amount {
    type Err = ConvertError;

    /// Plain decimal notation only: `100`, `12.5`, `0.25`. No signs, no
    /// exponents, no `NaN`: what a person types, and nothing a float parser
    /// would accept by accident.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let plain = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|&b| b == b'.').count() <= 1
            && digits.bytes().any(|b| b.is_ascii_digit());
        if !plain {
            return Err(ConvertError::BadAmount(quoted(s)));
        }
        if digits.len() != s.len() {
            return Err(ConvertError::NegativeAmount(quoted(s)));
        }
        // Compare the integer digits first: a hundred of them fit no Decimal.
        let whole = digits
            .split('.')
            .next()
            .unwrap_or("")
            .trim_start_matches('0');
        if whole.len() > MAX_AMOUNT.to_string().len() {
            return Err(ConvertError::AmountTooLarge(quoted(s)));
        }
        let value = Decimal::from_str_exact(digits)
            .map_err(|_| ConvertError::AmountTooPrecise(quoted(s)))?;
        if value > Decimal::from(MAX_AMOUNT) {
            return Err(ConvertError::AmountTooLarge(quoted(s)));
        }
        Ok(Self(value))
    }
}

/// The result of a conversion: so much of a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub currency: Currency,
    pub value: Decimal,
}

impl Conversion {
    /// `amount × rate`, exactly, then rounded half-to-even to the currency's
    /// minor units, with trailing zeros trimmed: `88.400` is `88.4`.
    pub fn new(currency: Currency, amount: Amount, rate: Decimal) -> Result<Self, ConvertError> {
        let product = amount
            .value()
            .checked_mul(rate)
            .ok_or_else(|| ConvertError::AmountTooLarge(quoted(&amount.value().to_string())))?;
        let value = product
            .round_dp_with_strategy(
                currency.minor_units(),
                RoundingStrategy::MidpointNearestEven,
            )
            .normalize();
        Ok(Self { currency, value })
    }
}

/// `GBP 88.4`: what the web server answers.
impl fmt::Display for Conversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.value)
    }
}

/// Splits and checks the two path segments of `/convert/{currency}/{amount}`.
pub fn parse_request(currency: &str, amount: &str) -> Result<(Currency, Amount), ConvertError> {
    Ok((currency.parse()?, amount.parse()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(currency: &str, amount: &str, rate: &str) -> String {
        let rate = Decimal::from_str(rate).unwrap();
        let (currency, amount) = parse_request(currency, amount).unwrap();
        Conversion::new(currency, amount, rate).unwrap().to_string()
    }

    #[test]
    fn the_slides_answers() {
        assert_eq!(convert("GBP", "100", "0.884"), "GBP 88.4");
        assert_eq!(convert("usd", "100", "1.22"), "USD 122");
    }

    #[test]
    fn rounding_is_half_to_even_in_minor_units() {
        assert_eq!(convert("USD", "1.25", "1.22"), "USD 1.52"); // 1.525
        assert_eq!(convert("USD", "3.75", "1.22"), "USD 4.58"); // 4.575
        assert_eq!(convert("JPY", "0.5", "125"), "JPY 62"); // 62.5
        assert_eq!(convert("JPY", "1.5", "125"), "JPY 188"); // 187.5
        assert_eq!(convert("KWD", "1", "0.3333"), "KWD 0.333");
        assert_eq!(convert("GBP", "0", "0.884"), "GBP 0");
    }

    #[test]
    fn amounts_are_plain_decimals() {
        for good in ["0", "100", "12.5", "0.25", ".5", "5.", "007"] {
            assert!(good.parse::<Amount>().is_ok(), "{good}");
        }
        for bad in [
            "", "abc", "NaN", "inf", "1e5", "1_000", "+5", "1.2.3", ".", "١٢",
        ] {
            let err = bad.parse::<Amount>().unwrap_err();
            assert!(matches!(err, ConvertError::BadAmount(_)), "{bad}: {err}");
        }
        assert!(matches!(
            "-5".parse::<Amount>(),
            Err(ConvertError::NegativeAmount(_))
        ));
        for huge in ["1000000000001", "9999999999999", &"9".repeat(400)] {
            let err = huge.parse::<Amount>().unwrap_err();
            assert!(
                matches!(err, ConvertError::AmountTooLarge(_)),
                "{huge}: {err}"
            );
        }
        let precise = format!("0.{}", "1".repeat(40));
        assert!(matches!(
            precise.parse::<Amount>(),
            Err(ConvertError::AmountTooPrecise(_))
        ));
        assert!("1000000000000".parse::<Amount>().is_ok());
    }

    #[test]
    fn currencies_are_three_letters_in_any_case() {
        assert_eq!("gBp".parse::<Currency>().unwrap().code(), "GBP");
        for bad in ["", "GB", "GBPX", "G1P", "ÉUR"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
    }
}
