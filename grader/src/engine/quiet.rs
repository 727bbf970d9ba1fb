//! Quiet, a while, for the one check that times milliseconds under load.
//!
//! A part's checks run side by side, each against its own servers, on a
//! machine that may have two cores. Most measure counts or seconds, which a
//! busy neighbour cannot flip. Part 5's shedding check measures tens of
//! milliseconds while it offers 200 requests a second; a neighbour opening a
//! thousand connections beside it stalls its server for as long. So before
//! it offers its load it waits (`quiet`), a few seconds at most, for the
//! servers already running to be done. Every server holds a place while it
//! runs (`Place`); nobody waits for the quiet check, so no other verdict is
//! delayed by it, and one that crawls is not waited out.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Servers running.
static RUNNING: Mutex<usize> = Mutex::new(0);
static CHANGED: Condvar = Condvar::new();

fn running() -> MutexGuard<'static, usize> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running server's place, given back when dropped.
#[derive(Debug)]
pub struct Place(());

/// Holds a place for a server while it runs.
pub fn place() -> Place {
    *running() += 1;
    Place(())
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut running = running();
        *running = running.saturating_sub(1);
        CHANGED.notify_all();
    }
}

/// Waits until no server holds a place, `limit` at most; whether it came.
pub fn quiet(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut running = running();
    while *running > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        running = CHANGED
            .wait_timeout(running, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::thread;

    use super::*;

    #[test]
    fn quiet_comes_when_the_servers_are_done_or_at_its_limit() {
        let first = place();
        let second = place();
        // Timed from before the waiting thread exists: a busy machine may
        // start it only after the places are given back (once, under Wine,
        // it asked 35 ms late), and its wait is from here all the same.
        let asked = Instant::now();
        thread::scope(|scope| {
            let waiting = scope.spawn(|| (quiet(Duration::from_secs(5)), asked.elapsed()));
            thread::sleep(Duration::from_millis(50));
            drop(first);
            drop(second);
            let (came, waited) = waiting.join().expect("no panic");
            assert!(came);
            assert!(waited >= Duration::from_millis(50), "{waited:?}");
            assert!(waited < Duration::from_secs(2), "{waited:?}");
        });
        let _stays = place();
        let asked = Instant::now();
        assert!(!quiet(Duration::from_millis(100)), "a server that stays");
        assert!(asked.elapsed() >= Duration::from_millis(100));
    }
}
