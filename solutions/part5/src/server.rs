//! Part 4's routes (the conversion at the latest rates, from its cache;
//! `/health`; one-line 404s and 405s), and the conversion on a date behind
//! the limit. Around them all, each request's span.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{MethodRouter, get};
use part4::server::Converter;

use crate::dated::{self, Dated};
use crate::limit::{Limit, limited};
use crate::observe;

/// This server's routes.
pub fn router(converter: Converter, dated: Dated, limit: Limit) -> Router {
    let undated = part4::server::router(converter);
    let convert_on = get(dated::convert_on).with_state(Arc::new(dated));
    with_dated(undated, convert_on, limit)
        // A route added after part 1's routes has axum's own 405, with no
        // body: every route answers other methods with one line.
        .method_not_allowed_fallback(method_not_allowed)
        // Outermost, so that its span holds the wait for a permit too.
        .layer(middleware::from_fn(observe::traced))
}

async fn method_not_allowed() -> (StatusCode, &'static str) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        part1::server::METHOD_NOT_ALLOWED,
    )
}

/// `routes` and the conversion on a date, `convert_on`, behind `limit`.
fn with_dated(routes: Router, convert_on: MethodRouter, limit: Limit) -> Router {
    // Add the dated route, `dated::ROUTE`, to `routes`, with the limit on
    // that route alone: `convert_on.layer(middleware::from_fn_with_state(
    // limit, limited))`. A layer on the whole router would put `/health`
    // in the queue too: a load balancer that finds it slow takes the
    // server out, just when it is busiest.
    // BEGIN GAP part5.limit.route
    routes.route(
        dated::ROUTE,
        convert_on.layer(middleware::from_fn_with_state(limit, limited)),
    )
    // END GAP
}
