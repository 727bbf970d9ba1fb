//! What the server says about each request: one `tracing` span per request,
//! with its outcome (`served`, `shed` or `failed`), how long it waited for a
//! permit, and how long its fetch took upstream; written, with `--log json`,
//! as one JSON line on stderr when the span closes.
//!
//! A span is a stretch of work with fields; an event is a moment. Spans
//! nest: whatever runs inside a span (`.instrument(span)` on a future) sees
//! it as `Span::current()`, so the limit and the handler, which know the
//! wait and the time upstream, record them into the request's span without
//! being handed it. A field is recorded only if the span declared it when
//! it was made (`field::Empty` reserves it): recording an undeclared one is
//! silently nothing.
//!
//! Without a subscriber (`--log off`), spans are disabled and cost nearly
//! nothing: the request's span is not even made.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use tracing::field;
use tracing::{Instrument, Span};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::options::Log;

/// Whatever writes the spans, set once for the whole program; `Log::Off`
/// sets none.
pub fn init(log: Log) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if log == Log::Off {
        return Ok(());
    }
    // Set the global subscriber: `tracing_subscriber::fmt()` with
    // `.json()` (one JSON object a line), `.with_span_events(FmtSpan::CLOSE)`
    // (a line when a span closes, with its fields and its time), and
    // `.with_writer(std::io::stderr)` (stdout is for `listening on …` and
    // the reports). `.try_init()` sets it, and fails if one is set already.
    todo!("gap 6: write the spans as JSON lines on stderr")
}

/// What became of a request, by its answer: `served` (200), `shed` (503,
/// the limit's answer), `failed` (anything else).
pub fn outcome(status: StatusCode) -> &'static str {
    match status {
        StatusCode::OK => "served",
        StatusCode::SERVICE_UNAVAILABLE => "shed",
        _ => "failed",
    }
}

/// The middleware around every request: its span.
pub async fn traced(request: Request, next: Next) -> Response {
    // No subscriber, no one to read the span: do not make it.
    if !tracing::dispatcher::has_been_set() {
        return next.run(request).await;
    }
    // Make the request's span, `tracing::info_span!("request", …)`, with
    // its `path` (`%request.uri().path()`), and `outcome`, `wait_ms` and
    // `upstream_ms` declared empty (`field::Empty`): they are recorded
    // later, the wait by the limit and the time upstream by the handler,
    // into `Span::current()`. Run `next.run(request)` inside it
    // (`.instrument(span.clone())`: the span is current whenever that
    // future runs, on whichever thread), then record the outcome of the
    // answer (`outcome(response.status())`) and return it. The span closes,
    // and its line is written, when its last clone is dropped.
    todo!("gap 7: a span per request, its fields declared, its outcome recorded")
}

/// Records how long the current request waited for a permit.
pub fn waited(wait: Duration) {
    Span::current().record("wait_ms", millis(wait));
}

/// Records how long the current request's fetch took upstream.
pub fn upstream(took: Duration) {
    Span::current().record("upstream_ms", millis(took));
}

/// Milliseconds, to the microsecond: what a reader of the lines compares.
fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_says_what_became_of_its_request() {
        assert_eq!(outcome(StatusCode::OK), "served");
        assert_eq!(outcome(StatusCode::SERVICE_UNAVAILABLE), "shed");
        assert_eq!(outcome(StatusCode::BAD_GATEWAY), "failed");
        assert_eq!(outcome(StatusCode::BAD_REQUEST), "failed");
        assert_eq!(millis(Duration::from_micros(1500)), 1.5);
    }
}
