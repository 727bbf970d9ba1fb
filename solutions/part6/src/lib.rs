//! Part 6, retries that do not make it worse: part 5's server, whose fetch
//! of a date's rates is tried again when it fails, in ways that help the
//! rates service recover rather than keep it down.
//!
//! A client that retries at once turns a short failure upstream into three
//! times the load, just when the service can least take it, and may keep it
//! failing after its cause is gone: a metastable failure. Here, the
//! client's side of overload:
//!
//! - [`backoff`]: capped exponential backoff with full jitter: the retries
//!   of many clients spread out, each later than the last.
//! - [`retry_after`]: a `429` or `503` that says `Retry-After` is waited at
//!   least that long; if that is past the deadline, the conversion is
//!   answered at once, `503` with a `Retry-After` of our own.
//! - [`budget`]: one retry budget for the whole server: retries at most a
//!   tenth of the fetches, plus a floor of a few a second.
//! - [`retry`]: the loop that puts them together, within part 4's deadline
//!   (now the whole fetch's), each try holding one of part 5's permits.
//! - [`dated`], [`server`], [`observe`]: part 5's route, routes and spans,
//!   with the fetch retried, and the tries counted in the span.
//! - [`refused`]: every way a conversion on a date is refused, answering
//!   for itself.
//! - [`options`]: the command line, on top of parts 1, 4 and 5's.

pub mod backoff;
pub mod budget;
pub mod dated;
pub mod observe;
pub mod options;
pub mod refused;
pub mod retry;
pub mod retry_after;
pub mod server;
