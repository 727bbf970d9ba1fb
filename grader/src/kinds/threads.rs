//! Part 3: with P threads, 2P slow conversions take two round trips, P
//! answered in each. A server that serves one request at a time takes 2P;
//! one that starts a thread per request (or one thread too many) answers
//! more than P in the first. How many ran at once is the most fetches the
//! rates service was answering together (see `pool.rs`). `/health` is not
//! judged here: with every thread busy it waits its turn, as a
//! thread-per-request server should.

use std::path::Path;

use super::{Machine, Subject};
use crate::engine::numbers::part3::THREADS;
use crate::engine::timing::{Run, Setting};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let run = Run::go(bin, Setting::Threads(THREADS), 2 * THREADS)?;
    let measured = run.measured_in_waves();
    let first = run.at_once();
    if first < THREADS || run.unanswered > 0 {
        return Err(format!(
            "{measured}: with {THREADS} threads they take two round trips, {THREADS} in \
             each. At most {first} ran at once: does every worker thread take requests, \
             and does each one go on to the next request after answering?"
        )
        .into());
    }
    // Noise cannot add a fetch: more than P at once is more than P threads,
    // whatever the machine did.
    if first > THREADS {
        return Err(format!(
            "{measured}: {first} ran at once with {THREADS} threads. The server does not \
             hold to its pool: a thread for each request, or more workers than `threads`?"
        )
        .into());
    }
    run.not_too_fast(&measured)?;
    Ok(format!("{measured}: a pool of {THREADS} threads"))
}
