//! Part 4, past the original workshop: the converter of part 1, made fit to
//! ship.
//!
//! Parts 1 to 3 pay the rates service's round trip on every request, so
//! Little's law holds all of them to workers ÷ round trip. Here:
//!
//! - [`fetch`]: the rates, headers and body, under one deadline: a rates
//!   service that stalls is a 504 at the deadline, not whenever it recovers.
//! - [`cache`]: one fetch for many requests: conversions that arrive while
//!   a fetch is in flight wait for it, and its rates are reused for a time.
//!   A waiter that gives up never cancels the fetch the others wait for.
//! - [`shutdown`]: Ctrl-C or SIGTERM stops accepting, lets the requests in
//!   flight finish, stops the background tasks, and exits 0.
//! - [`server`]: the routes of part 1 around a handler that uses the cache.
//! - [`stats`]: what was served, reported now and then by a background task.
//! - [`options`]: the command line, on top of part 1's.

pub mod cache;
pub mod fetch;
pub mod options;
pub mod server;
pub mod shutdown;
pub mod stats;
