//! Part 5's span per request, with one field more: `tries`, how many tries
//! the fetch of a date's rates made (1 when the first went through).
//!
//! A field is recorded only if the span declared it when it was made, so
//! the span itself is made here, as part 5 makes it, with `tries` among its
//! fields; the rest is part 5's: its subscriber (`part5::observe::init`),
//! the outcome of an answer, the wait for a permit and the time upstream.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use part5::observe::outcome;
use tracing::field;
use tracing::{Instrument, Span};

pub use part5::observe::{init, upstream, waited};

/// The middleware around every request: its span, as part 5's, with
/// `tries` declared.
pub async fn traced(request: Request, next: Next) -> Response {
    // No subscriber, no one to read the span: do not make it.
    if !tracing::dispatcher::has_been_set() {
        return next.run(request).await;
    }
    let span = tracing::info_span!(
        "request",
        path = %request.uri().path(),
        outcome = field::Empty,
        wait_ms = field::Empty,
        upstream_ms = field::Empty,
        tries = field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    span.record("outcome", outcome(response.status()));
    response
}

/// Records how many tries the current request's fetch has made so far.
pub fn tried(tries: u32) {
    Span::current().record("tries", tries);
}
