//! Part 5, under load: the converter of part 4 with a conversion on a date,
//! `GET /convert/{currency}/{amount}/{date}`, against a rates service with
//! a quota (at most N requests for a date at once, `429` beyond).
//!
//! Every server so far queues without end: part 2's 33rd request waits for
//! one of the 32 threads as long as it takes, and part 4 forwards every fetch
//! its cache does not cover. Offered more than its capacity (N ÷ the round
//! trip), such a server answers later and later, until every client times
//! out, while it floods the rates service until it answers 429. Here:
//!
//! - [`limit`]: at most N fetches at once, with a `tokio::sync::Semaphore`
//!   and an owned permit that lives as long as the request's fetch; and a
//!   queue with an end: a request that cannot have a permit within its
//!   budget (`--max-wait`) is answered at once, `503` with `Retry-After`.
//! - [`observe`]: one `tracing` span per request, with its outcome (served,
//!   shed, failed), its wait for a permit and its time upstream, written as
//!   JSON lines on stderr (`--log json`).
//! - [`dated`]: the conversion on a date, and its bad input.
//! - [`server`]: part 4's routes, and the dated one behind the limit.
//! - [`options`]: the command line, on top of parts 1 and 4's.

pub mod dated;
pub mod limit;
pub mod observe;
pub mod options;
pub mod server;
