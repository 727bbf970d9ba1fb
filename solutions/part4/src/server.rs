//! The converter of part 1, with its rates from the cache: same routes, same
//! answers, and one fetch of the rates for many conversions.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use part1::ConvertError;
use part1::client::{Rates, convert_with};
use part1::money::parse_request;
use part1::server::{ConvertPath, app};

use crate::cache::{Fetched, RatesCache};
use crate::fetch::Fetcher;
use crate::stats::Stats;

/// Where conversions get their rates, and what they are counted in.
#[derive(Debug)]
pub struct Converter {
    /// `None` when the TTL is zero: every conversion fetches its own rates,
    /// as in part 1 (for comparison, and for the deadline's check, which
    /// needs no cache).
    cache: Option<RatesCache>,
    fetcher: Fetcher,
    stats: Arc<Stats>,
}

impl Converter {
    pub fn new(fetcher: Fetcher, ttl: Duration, stats: Arc<Stats>) -> Self {
        let cache = (!ttl.is_zero()).then(|| RatesCache::new(fetcher.clone(), ttl));
        Self {
            cache,
            fetcher,
            stats,
        }
    }

    async fn rates(&self) -> Fetched {
        match &self.cache {
            Some(cache) => cache.rates().await,
            None => self.fetcher.fetch().await.map(Arc::new),
        }
    }
}

/// This server's routes: part 1's, around a `convert` that uses the cache.
pub fn router(converter: Converter) -> Router {
    app(get(convert).with_state(Arc::new(converter)))
}

// `debug_handler`: if this handler cannot be one (its future is not `Send`,
// an argument is not an extractor), the compiler says why here, in plain
// terms, instead of a long trait error where the route is built.
#[axum::debug_handler]
async fn convert(
    State(converter): State<Arc<Converter>>,
    path: ConvertPath,
) -> Result<String, ConvertError> {
    let (currency, amount) = parse_request(&path.currency, &path.amount)?;
    let rates: Arc<Rates> = converter.rates().await?;
    let conversion = convert_with(&rates, &currency, amount)?;
    converter.stats.converted();
    Ok(conversion.to_string())
}
