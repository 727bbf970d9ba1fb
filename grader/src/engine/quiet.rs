//! Quiet, a while, for the checks that time milliseconds under load.
//!
//! A part's checks run side by side, each against its own servers, on a
//! machine that may have two cores. Most measure counts or seconds, which a
//! busy neighbour cannot flip. Part 5's shedding check measures tens of
//! milliseconds while it offers 200 requests a second; a neighbour opening a
//! thousand connections beside it stalls its server for as long. So its kind
//! says it needs the machine quiet (`kinds::Machine::Quiet`), and the grade
//! starts it once the other checks are done, or after a few seconds at most
//! (`within`): nobody waits for a quiet check, so no other verdict is
//! delayed by it, and one that crawls is not waited out.
//!
//! `Sharing` counts one grade's checks that share the machine, while they
//! run: it is the grade's own, so two grades in one process wait each for
//! its own checks.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// The checks of one grade still running side by side.
#[derive(Debug, Default)]
pub struct Sharing {
    running: Mutex<usize>,
    changed: Condvar,
}

/// A running check's place, given back when dropped (a panic included).
#[derive(Debug)]
pub struct Place(Arc<Sharing>);

impl Sharing {
    fn running(&self) -> MutexGuard<'_, usize> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds a place for a check while it runs.
    pub fn place(self: &Arc<Self>) -> Place {
        *self.running() += 1;
        Place(Arc::clone(self))
    }

    /// Waits until no check holds a place, `until` at the latest; whether
    /// it came.
    pub fn quiet(&self, until: Instant) -> bool {
        let mut running = self.running();
        while *running > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            running = self
                .changed
                .wait_timeout(running, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut running = self.0.running();
        *running = running.saturating_sub(1);
        self.0.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::Duration;

    use super::*;

    #[test]
    fn quiet_comes_when_the_checks_are_done_or_at_its_limit() {
        let sharing = Arc::new(Sharing::default());
        let first = sharing.place();
        let second = sharing.place();
        // Timed from before the waiting thread exists: a busy machine may
        // start it only after the places are given back (once, under Wine,
        // it asked 35 ms late), and its wait is from here all the same.
        let asked = Instant::now();
        thread::scope(|scope| {
            let waiting = scope.spawn(|| {
                (
                    sharing.quiet(asked + Duration::from_secs(5)),
                    asked.elapsed(),
                )
            });
            thread::sleep(Duration::from_millis(50));
            drop(first);
            drop(second);
            let (came, waited) = waiting.join().expect("no panic");
            assert!(came);
            assert!(waited >= Duration::from_millis(50), "{waited:?}");
            assert!(waited < Duration::from_secs(2), "{waited:?}");
        });
        let _stays = sharing.place();
        let asked = Instant::now();
        assert!(
            !sharing.quiet(asked + Duration::from_millis(100)),
            "a check that stays"
        );
        assert!(asked.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn each_grade_waits_for_its_own_checks() {
        let mine = Arc::new(Sharing::default());
        let theirs = Arc::new(Sharing::default());
        let _running = theirs.place();
        assert!(mine.quiet(Instant::now() + Duration::from_secs(5)));
        assert!(!theirs.quiet(Instant::now()));
    }
}
