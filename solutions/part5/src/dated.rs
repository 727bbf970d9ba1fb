//! The conversion on a date: `GET /convert/{currency}/{amount}/{date}`
//! answers with that day's rates, which the rates service gives at
//! `GET /{date}` (api.fixer.io's `/2016-10-14`). Each date is its own fetch:
//! part 4's cache holds the latest rates, and would help here only with
//! repeats.
//!
//! Bad input is answered before any fetch, so it never costs a place in
//! the rates service's quota: not a date (`400`), a date in the future
//! (`400`), a date before the first rates (`404`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use part1::ConvertError;
use part1::client::{Rates, convert_with};
use part1::error::quoted;
use part1::money::parse_request;
use part4::stats::Stats;
use rates::Date;
use rates::date::FIRST;
use serde::Deserialize;
use thiserror::Error;
use tokio::time::Instant;

use crate::observe;

/// The route, as axum spells it.
pub const ROUTE: &str = "/convert/{currency}/{amount}/{date}";

/// The three segments of the route, as typed.
#[derive(Debug, Deserialize, FromRequestParts)]
#[from_request(via(Path), rejection(DatedError))]
pub struct DatedPath {
    pub currency: String,
    pub amount: String,
    pub date: String,
}

/// Every way a conversion on a date fails: a conversion's, or the date's.
#[derive(Debug, Error)]
pub enum DatedError {
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error("invalid date {0}: expected YYYY-MM-DD, like 2016-10-14")]
    BadDate(String),
    #[error("invalid date {0}: it is in the future")]
    Future(String),
    #[error("no rates for {0}: the first are of {FIRST}")]
    TooEarly(Date),
}

/// A path axum cannot decode is a bad request, as on the other routes.
impl From<PathRejection> for DatedError {
    fn from(rejection: PathRejection) -> Self {
        Self::Convert(ConvertError::from(rejection))
    }
}

impl IntoResponse for DatedError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Convert(err) => return err.clone().into_response(),
            Self::BadDate(_) | Self::Future(_) => StatusCode::BAD_REQUEST,
            Self::TooEarly(_) => StatusCode::NOT_FOUND,
        };
        (status, self.to_string()).into_response()
    }
}

/// A date with rates: after the first, and not after `today`.
pub fn parse_date(text: &str, today: Date) -> Result<Date, DatedError> {
    let date: Date = text
        .parse()
        .map_err(|_| DatedError::BadDate(quoted(text)))?;
    if date > today {
        Err(DatedError::Future(quoted(text)))
    } else if date < FIRST {
        Err(DatedError::TooEarly(date))
    } else {
        Ok(date)
    }
}

/// Fetches a date's rates, under part 4's deadline: headers and body
/// within `deadline`, counted from the request.
#[derive(Debug)]
pub struct Dated {
    // One client for the whole program: it keeps a pool of connections.
    http: reqwest::Client,
    rates_url: Arc<str>,
    deadline: Duration,
    stats: Arc<Stats>,
}

impl Dated {
    pub fn new(
        rates_url: &str,
        deadline: Duration,
        stats: Arc<Stats>,
    ) -> Result<Self, ConvertError> {
        Ok(Self {
            // Part 4's client: the deadline is on each fetch, not on it.
            http: part4::fetch::client()?,
            rates_url: rates_url.trim_end_matches('/').into(),
            deadline,
            stats,
        })
    }

    /// `GET /{date}` and its body, as [`Rates`], within the deadline.
    pub async fn rates_on(&self, date: Date) -> Result<Rates, ConvertError> {
        let url = format!("{}/{date}", self.rates_url);
        let fetch = async {
            self.http
                .get(&url)
                .send()
                .await?
                .error_for_status()?
                .json::<Rates>()
                .await
        };
        match tokio::time::timeout(self.deadline, fetch).await {
            Ok(fetched) => fetched.map_err(|err| ConvertError::from_upstream(&err, self.deadline)),
            Err(_elapsed) => Err(ConvertError::RatesTimeout(self.deadline)),
        }
    }
}

/// The handler: the path checked, the date's rates fetched (the limit
/// around this handler holds a permit meanwhile), and the conversion.
#[axum::debug_handler]
pub async fn convert_on(
    State(dated): State<Arc<Dated>>,
    path: DatedPath,
) -> Result<String, DatedError> {
    let (currency, amount) = parse_request(&path.currency, &path.amount)?;
    let date = parse_date(&path.date, Date::today())?;
    let started = Instant::now();
    let fetched = dated.rates_on(date).await;
    observe::upstream(started.elapsed());
    let conversion = convert_with(&fetched?, &currency, amount)?;
    dated.stats.converted();
    Ok(conversion.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_must_be_one_with_rates() {
        let today: Date = "2026-01-01".parse().unwrap();
        assert_eq!(
            parse_date("2016-10-14", today).unwrap().to_string(),
            "2016-10-14"
        );
        assert_eq!(parse_date("1999-01-04", today).unwrap(), FIRST);
        let said = |text: &str| parse_date(text, today).unwrap_err().to_string();
        assert_eq!(
            said("yesterday"),
            r#"invalid date "yesterday": expected YYYY-MM-DD, like 2016-10-14"#
        );
        assert_eq!(
            said("2026-01-02"),
            r#"invalid date "2026-01-02": it is in the future"#
        );
        assert_eq!(
            said("1998-12-31"),
            "no rates for 1998-12-31: the first are of 1999-01-04"
        );
        let long = "2016-10-14".repeat(1000);
        assert_eq!(said(&long).lines().count(), 1);
        assert!(said(&long).len() < 100, "{}", said(&long));
    }
}
