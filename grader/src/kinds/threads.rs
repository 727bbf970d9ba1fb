//! Part 3: with P threads, 2P slow conversions take two round trips, P
//! answered in each. A server that serves one request at a time takes 2P;
//! one that starts a thread per request (or one thread too many) answers
//! more than P in the first. How many ran at once is the most fetches the
//! rates service was answering together (see `pool.rs`). `/health` is not
//! judged here: with every thread busy it waits its turn, as a
//! thread-per-request server should.

use std::path::Path;

use super::Subject;
use crate::engine::launch::Launch;
use crate::engine::timing::Run;
use crate::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// Part 3's pool in the check: `THREADS=12`.
const THREADS: usize = 12;

pub fn check(bin: &Path) -> Verdict {
    let run = match Run::go(bin, Launch::new().threads(THREADS), 2 * THREADS) {
        Ok(run) => run,
        Err(verdict) => return verdict,
    };
    let measured = format!(
        "{}; answered per round trip: {}",
        run.measured(&format!("with {THREADS} threads")),
        run.waves_text()
    );
    let first = run.at_once();
    if first < THREADS || run.unanswered > 0 {
        return Verdict::fail(format!(
            "{measured}: with {THREADS} threads they take two round trips, {THREADS} in \
             each. At most {first} ran at once: does every worker thread take requests, \
             and does each one go on to the next request after answering?"
        ));
    }
    // Noise cannot add a fetch: more than P at once is more than P threads,
    // whatever the machine did.
    if first > THREADS {
        return Verdict::fail(format!(
            "{measured}: {first} ran at once with {THREADS} threads. The server does not \
             hold to its pool: a thread for each request, or more workers than `threads`?"
        ));
    }
    if let Some(verdict) = run.too_fast(&measured) {
        return verdict;
    }
    Verdict::pass(format!("{measured}: a pool of {THREADS} threads"))
}
