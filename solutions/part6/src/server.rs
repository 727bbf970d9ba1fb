//! Part 4's routes (the conversion at the latest rates, from its cache;
//! `/health`; one-line 404s and 405s), and the conversion on a date, whose
//! fetch takes part 5's limit a try at a time (see [`crate::retry`]): so,
//! unlike part 5's, the route has no limit around it. Around them all, each
//! request's span.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use part4::server::Converter;
use part5::dated::ROUTE;

use crate::dated;
use crate::observe;
use crate::retry::Retrying;

/// This server's routes.
pub fn router(converter: Converter, retrying: Retrying) -> Router {
    part4::server::router(converter)
        .route(ROUTE, get(dated::convert_on).with_state(Arc::new(retrying)))
        // A route added after part 1's routes has axum's own 405, with no
        // body: every route answers other methods with one line.
        .method_not_allowed_fallback(method_not_allowed)
        // Outermost, so that its span holds every try and wait.
        .layer(middleware::from_fn(observe::traced))
}

async fn method_not_allowed() -> (StatusCode, &'static str) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        part1::server::METHOD_NOT_ALLOWED,
    )
}
