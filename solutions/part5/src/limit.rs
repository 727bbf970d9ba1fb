//! At most N fetches at once, and a queue with an end.
//!
//! The rates service answers N requests for a date at once, and `429 Too
//! Many Requests` to one more: its capacity is N ÷ its round trip, and no
//! server can convert faster than that. What a server can choose is what
//! happens to the rest:
//!
//! - **without a limit**, it forwards them all, and the rates service
//!   refuses all but N: errors, as fast as they come;
//! - **with a limit and no end to its queue**, they wait. Offered twice the
//!   capacity, the queue grows by the capacity every second, and so does
//!   every request's wait, until every client times out: nothing is served
//!   in time, though the rates service is kept busy;
//! - **with a limit and a queue with an end**, a request that cannot start
//!   its fetch within its budget is answered at once, `503 Service
//!   Unavailable` with `Retry-After`: its client can retry, or go elsewhere,
//!   and the requests admitted are answered in time. The server goes on
//!   serving near its capacity, up to many times it: load shedding.
//!
//! The limit is a `tokio::sync::Semaphore` of N permits: a fetch holds one,
//! and gives it back when it ends, however it ends (answered, failed, or
//! cancelled because its client hung up and axum dropped the request).
//! Dropping the permit gives it back: it lives exactly as long as the
//! binding that holds it. The permit is *owned* (`acquire_owned`, on an
//! `Arc<Semaphore>`): it borrows nothing, so it can be returned, kept in a
//! struct or moved into a task, which is also how tower's `ConcurrencyLimit`
//! holds its own.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use thiserror::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::observe;
use crate::options::MaxWait;

/// What a shed request's client is told to wait before it tries again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// At most `max` fetches at once; the others wait for a permit, for
/// `max_wait` at most, or without end if there is none. Cheap to clone:
/// every clone shares the same permits.
#[derive(Debug, Clone)]
pub struct Limit {
    permits: Arc<Semaphore>,
    max: usize,
    max_wait: Option<Duration>,
}

/// A request that could not have a permit within its budget: answered at
/// once, `503 Service Unavailable` with `Retry-After`.
#[derive(Debug, Clone, Error)]
#[error(
    "too busy: no fetch of the rates could start within {}; try again in {} s",
    humantime::format_duration(*.max_wait),
    RETRY_AFTER.as_secs()
)]
pub struct Shed {
    pub max_wait: Duration,
}

impl Limit {
    pub fn new(max: u16, max_wait: MaxWait) -> Self {
        let max = usize::from(max);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            max_wait: max_wait.0,
        }
    }

    /// How many fetches it lets run at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A permit to fetch: at once if one is free, else once one is given
    /// back, waiting `max_wait` at most; or `Shed` past it. Holding the
    /// permit is holding a place in the quota: drop it when the fetch ends.
    pub async fn admit(&self) -> Result<OwnedSemaphorePermit, Shed> {
        let asked = Instant::now();
        let admitted = match self.max_wait {
            None => {
                // No end to the queue: wait for a permit as long as it
                // takes. `Arc::clone(&self.permits).acquire_owned()` waits
                // for one; its error only means the semaphore was closed,
                // which this server never does: answer it as a shed
                // (`self.shed()`).
                // BEGIN GAP part5.limit.acquire
                Arc::clone(&self.permits)
                    .acquire_owned()
                    .await
                    .map_err(|_closed| self.shed())
                // END GAP
            }
            Some(max_wait) => {
                // A queue with an end: wait for a permit, but no longer than
                // `max_wait`; past it, `Err(self.shed())` at once. The
                // waiting is what `tokio::time::timeout` bounds (a shed that
                // waits for a permit first and then looks at the clock has
                // no end). `try_acquire_owned` (never wait) or a bound on how
                // many wait would do too.
                // BEGIN GAP part5.shed.budget
                match tokio::time::timeout(max_wait, Arc::clone(&self.permits).acquire_owned())
                    .await
                {
                    Ok(acquired) => acquired.map_err(|_closed| self.shed()),
                    // The wait was dropped where it was, in the semaphore's
                    // queue: it leaves the queue, and takes no permit.
                    Err(_elapsed) => Err(self.shed()),
                }
                // END GAP
            }
        };
        // The request's span says how long it waited, admitted or shed.
        observe::waited(asked.elapsed());
        admitted
    }

    /// Why a request is shed.
    pub fn shed(&self) -> Shed {
        Shed {
            max_wait: self.max_wait.unwrap_or_default(),
        }
    }
}

/// The middleware that puts a route behind the limit: a permit for the
/// request, held while the route's handler fetches, and given back when it
/// returns, or when axum drops it because its client hung up.
pub async fn limited(State(limit): State<Limit>, request: Request, next: Next) -> Response {
    // Have a permit (`limit.admit().await`), or answer the `Shed` at once
    // (`shed.into_response()`). Then run the handler, `next.run(request)`,
    // holding the permit until it returns. Careful: `let _ = …` drops what
    // it binds at once; a name, even `_permit`, keeps it to the end of its
    // scope (or to `drop(permit)`).
    // BEGIN GAP part5.limit.hold
    let permit = match limit.admit().await {
        Ok(permit) => permit,
        Err(shed) => return shed.into_response(),
    };
    // If the client hangs up, axum drops this future here, and the permit
    // with it: a place in the quota is never lost.
    let response = next.run(request).await;
    drop(permit);
    response
    // END GAP
}

/// A shed request's answer: `503 Service Unavailable`, a `Retry-After`
/// header, and one plain line.
impl IntoResponse for Shed {
    fn into_response(self) -> Response {
        // Answer `StatusCode::SERVICE_UNAVAILABLE`, a `header::RETRY_AFTER`
        // of `RETRY_AFTER` in whole seconds (the header's unit), and the
        // message, `self.to_string()`: a tuple of the three is a response.
        // Without a `Retry-After` it can read, a client has no hint, and a
        // naive one retries at once: more load, not less.
        // BEGIN GAP part5.shed.answer
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, RETRY_AFTER.as_secs().to_string())],
            self.to_string(),
        )
            .into_response()
        // END GAP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_permit_is_had_at_once_while_one_is_free_and_shed_past_the_wait() {
        let limit = Limit::new(2, MaxWait(Some(Duration::from_millis(20))));
        let first = limit.admit().await.expect("a free permit");
        let _second = limit.admit().await.expect("another");
        let asked = Instant::now();
        let shed = limit.admit().await.expect_err("none left");
        // Paused time: exactly the budget, no more.
        assert_eq!(asked.elapsed(), Duration::from_millis(20));
        assert_eq!(
            shed.to_string(),
            "too busy: no fetch of the rates could start within 20ms; try again in 1 s"
        );
        drop(first);
        assert!(
            limit.admit().await.is_ok(),
            "a permit given back is had again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_an_end_a_request_waits_for_the_permit_given_back() {
        let limit = Limit::new(1, MaxWait(None));
        let held = limit.admit().await.expect("the permit");
        let waiting = tokio::spawn({
            let limit = limit.clone();
            async move { limit.admit().await.map(|_| Instant::now()) }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!waiting.is_finished(), "it waits as long as it takes");
        let released = Instant::now();
        drop(held);
        let admitted = waiting.await.expect("no panic").expect("admitted");
        assert_eq!(admitted, released);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_is_dropped_leaves_the_queue_and_takes_nothing() {
        let limit = Limit::new(1, MaxWait(None));
        let held = limit.admit().await.expect("the permit");
        let gone = tokio::spawn({
            let limit = limit.clone();
            async move { limit.admit().await.is_ok() }
        });
        tokio::task::yield_now().await;
        gone.abort();
        drop(held);
        assert!(limit.admit().await.is_ok(), "the permit is free again");
    }

    #[test]
    fn a_shed_is_a_503_with_retry_after_and_one_line() {
        let response = Shed {
            max_wait: Duration::from_millis(20),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
