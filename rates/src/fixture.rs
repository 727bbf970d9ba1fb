//! The rates the service answers with unless told otherwise.
//!
//! They are the European Central Bank's reference currencies of the time the
//! original workshop was given, with the two figures its slides use:
//! 100 EUR is `GBP 88.4` (0.884) and `122 USD` (1.22).

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The base currency every rate is quoted against, as on fixer.io.
pub const BASE: &str = "EUR";

/// The date printed in every answer; the fixture does not move with time.
pub const DATE: &str = "2016-10-14";

const RATES: &[(&str, &str)] = &[
    ("AUD", "1.4447"),
    ("BGN", "1.9558"),
    ("BRL", "3.5181"),
    ("CAD", "1.4613"),
    ("CHF", "1.0883"),
    ("CNY", "7.4045"),
    ("CZK", "27.021"),
    ("DKK", "7.4399"),
    ("GBP", "0.884"),
    ("HKD", "8.5386"),
    ("HRK", "7.5028"),
    ("HUF", "307.3"),
    ("IDR", "14355"),
    ("ILS", "4.2048"),
    ("INR", "73.356"),
    ("JPY", "126.94"),
    ("KRW", "1244.4"),
    ("MXN", "20.713"),
    ("MYR", "4.6021"),
    ("NOK", "8.9558"),
    ("NZD", "1.5455"),
    ("PHP", "53.238"),
    ("PLN", "4.3049"),
    ("RON", "4.5033"),
    ("RUB", "69.21"),
    ("SEK", "9.7448"),
    ("SGD", "1.5228"),
    ("THB", "38.75"),
    ("TRY", "3.4188"),
    ("USD", "1.22"),
    ("ZAR", "15.4925"),
];

/// The fixture rates, keyed by ISO 4217 code.
pub fn rates() -> BTreeMap<String, Decimal> {
    RATES
        .iter()
        .map(|(code, rate)| {
            // The table above is a constant checked by the tests below.
            let rate = Decimal::from_str(rate).expect("fixture rates are valid decimals");
            (code.to_string(), rate)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slides_figures_are_in_the_fixture() {
        let rates = rates();
        assert_eq!(rates["GBP"].to_string(), "0.884");
        assert_eq!(rates["USD"].to_string(), "1.22");
        assert_eq!(rates.len(), RATES.len(), "no currency is listed twice");
        assert!(
            !rates.contains_key(BASE),
            "the base is not quoted against itself"
        );
    }
}
