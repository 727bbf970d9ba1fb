//! Every way a conversion on a date is refused, in one type that answers
//! for itself: what the handler ([`crate::dated`]) and the retries
//! ([`crate::retry`]) both return.

use axum::response::{IntoResponse, Response};
use part1::ConvertError;
use part5::dated::DatedError;
use part5::limit::Shed;
use thiserror::Error;

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
