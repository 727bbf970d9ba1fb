//! The conversion on a date, as in part 5 (its path, its bad input, its
//! answers), with its fetch tried again: part 5's handler, with
//! [`Retrying::rates_on`] for `Dated::rates_on`, and two more answers.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use part1::ConvertError;
use part1::client::convert_with;
use part1::money::parse_request;
use part5::dated::{DatedError, DatedPath, parse_date};
use part5::limit::Shed;
use rates::Date;
use thiserror::Error;

use crate::retry::Retrying;
use crate::retry_after::PassedOn;

/// Every way a conversion on a date is refused: part 5's (bad input, the
/// rates service failing or too slow), a shed, or the rates service's
/// `Retry-After` passed on.
#[derive(Debug, Error)]
pub enum Refused {
    #[error(transparent)]
    Dated(#[from] DatedError),
    #[error(transparent)]
    Shed(#[from] Shed),
    #[error(transparent)]
    PassedOn(#[from] PassedOn),
}

impl From<ConvertError> for Refused {
    fn from(err: ConvertError) -> Self {
        Self::Dated(DatedError::Convert(err))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Dated(err) => err.into_response(),
            Self::Shed(shed) => shed.into_response(),
            Self::PassedOn(passed_on) => passed_on.into_response(),
        }
    }
}

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
