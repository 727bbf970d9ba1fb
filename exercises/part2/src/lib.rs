//! Part 2: futures and threads.
//!
//! - [`futures`]: a future is how a producer and a consumer synchronise; here,
//!   many requests share one connection and each reply finds its caller by a
//!   correlation id.
//! - [`sync_client`]: the currency converter written synchronously, on
//!   `reqwest::blocking`, like the original's `requests` version.
//! - [`forceasync`]: the axum server that runs that synchronous client on
//!   tokio's blocking pool with `spawn_blocking`, the counterpart of asyncio's
//!   `run_in_executor`.

pub mod forceasync;
pub mod futures;
pub mod sync_client;
