//! The rates the service answers with unless told otherwise.
//!
//! They are the European Central Bank's reference currencies of the time the
//! original workshop was given, with the two figures its slides use:
//! 100 EUR is `GBP 88.4` (0.884) and `122 USD` (1.22).

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::date::Date;

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

/// The rates of `date`: each day its own, so a conversion on one date is
/// never answered with another's. The fixture's own day ([`DATE`]) has the
/// fixture; every other day moves every rate by the same small step, from
/// −2.0 % to +2.0 % in 0.1 % steps, a cycle of 41 days. Exact decimals, so
/// a grader computes the answer a server must give.
pub fn rates_on(date: Date) -> BTreeMap<String, Decimal> {
    let factor = factor_on(date);
    rates()
        .into_iter()
        .map(|(code, rate)| (code, rate * factor))
        .collect()
}

/// What every rate of `date` is multiplied by: `1 + step / 1000`, `step`
/// in −20..=20, zero on the fixture's day.
pub fn factor_on(date: Date) -> Decimal {
    let fixture_day = DATE.parse::<Date>().map_or(0, Date::days);
    let step = (date.days() - fixture_day).rem_euclid(41);
    let step = if step > 20 { step - 41 } else { step };
    Decimal::ONE + Decimal::new(step, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_day_has_its_own_rates_and_the_fixtures_day_the_fixture() {
        let fixture_day: Date = DATE.parse().unwrap();
        assert_eq!(rates_on(fixture_day), rates());
        let next = rates_on(fixture_day.plus_days(1));
        assert_eq!(next["GBP"].to_string(), "0.884884");
        assert_eq!(
            rates_on(fixture_day.plus_days(-1))["USD"].to_string(),
            "1.21878"
        );
        let distinct: std::collections::BTreeSet<String> = (0..41)
            .map(|day| rates_on(fixture_day.plus_days(day))["GBP"].to_string())
            .collect();
        assert_eq!(distinct.len(), 41, "41 days, 41 rates");
    }

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
