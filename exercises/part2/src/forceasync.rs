//! The synchronous converter served by an async server.
//!
//! A handler must never block: while it does, its worker thread runs nothing
//! else. `tokio::task::spawn_blocking` moves the blocking call to a pool of
//! threads kept for that, and gives back a future (a `JoinHandle`) the handler
//! can `.await`: asyncio's `run_in_executor`, in tokio.

use std::io;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use part1::money::parse_request;
use part1::server::{ConvertPath, app};
use part1::{Amount, Conversion, ConvertError, Currency};
use tokio::runtime::Runtime;
use tokio::task::JoinError;

use crate::sync_client::SyncCurrencyClient;

/// The runtime this server runs on: worker threads for async tasks, and at
/// most 32 threads for blocking calls, like the original's
/// `ThreadPoolExecutor(32)`. The workers default to one per core; the
/// `TOKIO_WORKER_THREADS` variable overrides that.
pub fn runtime() -> io::Result<Runtime> {
    // Build a multi-thread runtime with `tokio::runtime::Builder`, at most 32
    // blocking threads, and timers and sockets enabled.
    todo!("gap 3: build a runtime with 32 blocking threads")
}

/// This server's routes, with the synchronous client every request shares.
pub fn router(client: Arc<SyncCurrencyClient>) -> Router {
    app(get(convert).with_state(client))
}

// `debug_handler`: if this handler cannot be one (its future is not `Send`,
// an argument is not an extractor), the compiler says why here, in plain
// terms, instead of a long trait error where the route is built.
#[axum::debug_handler]
async fn convert(
    State(client): State<Arc<SyncCurrencyClient>>,
    path: ConvertPath,
) -> Result<String, ConvertError> {
    let (currency, amount) = parse_request(&path.currency, &path.amount)?;
    let conversion = convert_blocking(client, currency, amount)
        .await
        .unwrap_or_else(|err| Err(join_error(err)))?;
    Ok(conversion.to_string())
}

/// Runs `client.convert` on the blocking pool, so this task's worker thread
/// is free for other requests meanwhile.
async fn convert_blocking(
    client: Arc<SyncCurrencyClient>,
    currency: Currency,
    amount: Amount,
) -> Result<Result<Conversion, ConvertError>, JoinError> {
    // Calling `client.convert(…)` right here would block this worker thread
    // for a whole round trip to the rates service. Hand it to
    // `tokio::task::spawn_blocking` instead, and await its `JoinHandle`. The
    // closure must own what it uses (`move`): it may outlive this call.
    todo!("gap 4: run the synchronous client on the blocking pool")
}

/// What to answer when the blocking task did not finish: it panicked, or the
/// runtime is shutting down and cancelled it. Public for its graded test: a
/// `JoinError` is hard to provoke through the server.
pub fn join_error(err: JoinError) -> ConvertError {
    // Say which of the two happened, on one line, as `ConvertError::Internal`.
    // `err.is_panic()` tells them apart.
    todo!("gap 5: turn a JoinError into a one-line 500")
}
