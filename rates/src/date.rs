//! A calendar date, `YYYY-MM-DD`, as the rates service's date route reads
//! it (`GET /2016-10-14`, as api.fixer.io did) and the servers of part 5
//! check it before they ask. A few lines of civil-calendar arithmetic rather
//! than a date crate: the workshop needs to parse, print, compare and count
//! days, nothing more.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

/// A day of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    #[error("expected YYYY-MM-DD, like 2016-10-14")]
    Shape,
    #[error("there is no such day")]
    NoSuchDay,
}

/// The first day with rates: the European Central Bank's first reference
/// rates for the euro were set on 4 January 1999.
pub const FIRST: Date = Date {
    year: 1999,
    month: 1,
    day: 4,
};

impl Date {
    /// The date, if it is one.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    /// Today, in UTC, by this machine's clock.
    pub fn today() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let days = i64::try_from(secs / 86_400).unwrap_or(0);
        Self::from_days(days)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil: years start in March, so the
        // leap day is the last day of its year.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year =
            (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01: the inverse of [`Date::days`].
    pub fn from_days(days: i64) -> Self {
        let days = days + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            // Both in range by construction: 1..=12 and 1..=31.
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// The day `days` later (or earlier, if negative).
    pub fn plus_days(self, days: i64) -> Self {
        Self::from_days(self.days() + days)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Exactly `YYYY-MM-DD`: four digits, two, two, ASCII only. Nothing else
/// is a date here (no `2016-1-4`, no `+2016-01-04`, no spaces).
impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, DateError> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(at, byte)| at == 4 || at == 7 || byte.is_ascii_digit());
        if !shaped {
            return Err(DateError::Shape);
        }
        let number = |range: std::ops::Range<usize>| {
            text[range]
                .bytes()
                .fold(0u32, |sum, digit| sum * 10 + u32::from(digit - b'0'))
        };
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let year = i32::try_from(year).map_err(|_| DateError::Shape)?;
        let month = u8::try_from(month).map_err(|_| DateError::NoSuchDay)?;
        let day = u8::try_from(day).map_err(|_| DateError::NoSuchDay)?;
        Self::new(year, month, day).ok_or(DateError::NoSuchDay)
    }
}

/// `2016-10-14`
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_and_written_exactly() {
        let date: Date = "2016-10-14".parse().unwrap();
        assert_eq!(date.to_string(), "2016-10-14");
        assert_eq!(
            "2016-02-29".parse::<Date>().unwrap().to_string(),
            "2016-02-29"
        );
        for shape in [
            "2016-1-14",
            "16-10-14",
            "2016/10/14",
            "+016-10-14",
            " 2016-10-14",
            "",
            "２016-10-14",
        ] {
            assert_eq!(shape.parse::<Date>(), Err(DateError::Shape), "{shape:?}");
        }
        for impossible in [
            "2015-02-29",
            "2016-13-01",
            "2016-00-10",
            "2016-04-31",
            "0000-01-01",
        ] {
            assert_eq!(
                impossible.parse::<Date>(),
                Err(DateError::NoSuchDay),
                "{impossible:?}"
            );
        }
    }

    #[test]
    fn days_count_from_the_epoch_both_ways() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days(), 0);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days(), -1);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days(), 11_017);
        assert_eq!(FIRST.days(), 10_595);
        // Every day of four centuries, there and back.
        let start = Date::new(1900, 1, 1).unwrap().days();
        let mut previous = Date::from_days(start - 1);
        for days in start..start + 146_097 {
            let date = Date::from_days(days);
            assert_eq!(date.days(), days);
            assert!(date > previous, "{date} after {previous}");
            assert_eq!(date.to_string().parse::<Date>(), Ok(date));
            previous = date;
        }
        assert_eq!(FIRST.plus_days(-4).to_string(), "1998-12-31");
    }

    #[test]
    fn today_is_after_the_first_rates() {
        assert!(Date::today() > FIRST);
        assert!(Date::today() < Date::new(9999, 1, 1).unwrap());
    }
}
