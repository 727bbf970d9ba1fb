//! Part 1: the currency converter as an async client and as an
//! axum web resource.
//!
//! - [`money`]: currencies, amounts and exact decimal arithmetic.
//! - [`client`]: fetches the rates with reqwest and converts.
//! - [`server`]: `GET /convert/{currency}/{amount}` with axum.
//! - [`error`]: every way a conversion fails, and its HTTP status.
//! - [`options`]: the command line all the workshop's servers share.
//!
//! Parts 2 and 3 build on this crate, so a learner who skipped part 1 still
//! starts them from working code.

pub mod client;
pub mod error;
pub mod money;
pub mod options;
pub mod server;

pub use client::CurrencyClient;
pub use error::ConvertError;
pub use money::{Amount, Conversion, Currency};
