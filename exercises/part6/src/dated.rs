//! The conversion on a date, as in part 5 (its path, its bad input, its
//! answers), with its fetch tried again: part 5's handler, with
//! [`Retrying::rates_on`] for `Dated::rates_on`, and two more answers.

use std::sync::Arc;

use axum::extract::State;
use part1::client::convert_with;
use part1::money::parse_request;
use part5::dated::{DatedPath, parse_date};
use rates::Date;

use crate::refused::Refused;
use crate::retry::Retrying;

/// The handler: the path checked (before any fetch, so bad input never
/// takes a permit), the date's rates fetched with retries, the conversion.
#[axum::debug_handler]
pub async fn convert_on(
    State(retrying): State<Arc<Retrying>>,
    path: DatedPath,
) -> Result<String, Refused> {
    let (currency, amount) = parse_request(&path.currency, &path.amount)?;
    let date = parse_date(&path.date, Date::today())?;
    let rates = retrying.rates_on(date).await?;
    let conversion = convert_with(&rates, &currency, amount)?;
    retrying.stats.converted();
    Ok(conversion.to_string())
}
