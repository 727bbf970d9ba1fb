//! Part 2: the blocking pool has 32 threads. On one worker thread, 64 slow
//! conversions take two round trips, 32 answered in each.
//!
//! How many ran at once is counted where they arrive: the most fetches the
//! rates service was answering together. Noise cannot make that more than
//! the threads there are, and only a delay of a whole round trip between
//! two conversions' starts could make it less. (Counting waves of answers
//! instead, half a round trip of noise moves an answer into the next wave:
//! a laptop starved by four busy loops did, once.)

use std::path::Path;

use super::{Machine, Subject};
use crate::engine::numbers::part2::{POOL, POOL_REQUESTS};
use crate::engine::timing::{Run, Setting};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let run = Run::go(bin, Setting::OneWorker, POOL_REQUESTS)?;
    let measured = run.measured_in_waves();
    if !run.health_fast() {
        return Err(format!("{measured}: {}", run.why_queued()).into());
    }
    let first = run.at_once();
    // One more than the pool is allowed: `block_in_place` lends the worker
    // thread itself to a conversion, beside the 32 of the pool.
    if first > POOL + 1 {
        return Err(format!(
            "{measured}: {first} conversions ran at once, more than the {POOL} threads \
             the exercise allows. Either the blocking pool is larger (tokio's default is \
             512: set .max_blocking_threads({POOL}) on the runtime's Builder), or the \
             conversions do not run on it (a std::thread each? use \
             tokio::task::spawn_blocking)"
        )
        .into());
    }
    // A pool of 32 has 32 fetches out at once; a smaller one fewer.
    if first < POOL || run.unanswered > 0 {
        return Err(format!(
            "{measured}: with {POOL} blocking threads they take two round trips. At most \
             {first} ran at once while the worker thread was free (/health answered in \
             {} ms): the blocking pool has {first} threads, not {POOL}. Set \
             .max_blocking_threads({POOL}) on the runtime's Builder",
            run.health_ms()
        )
        .into());
    }
    run.not_too_fast(&measured)?;
    Ok(format!(
        "{measured}: a pool of {POOL} blocking threads, and /health answered in {} ms",
        run.health_ms()
    ))
}
