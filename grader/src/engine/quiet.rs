//! Quiet for the one check that times milliseconds under load.
//!
//! A part's checks run side by side, each against its own servers, on a
//! machine that may have two cores. Most measure counts or seconds, which a
//! busy neighbour cannot flip. Part 5's shedding check measures tens of
//! milliseconds (a shed answer within 50 ms) while it offers 400 requests a
//! second; a neighbour opening a thousand connections beside it stalls its
//! server for as long. So it asks for the machine to itself (`alone`): it
//! waits for the servers already running to be done, and no server starts
//! meanwhile. Every server holds a place (`beside`) while it runs.
//!
//! Not a `RwLock`: a check that starts a second server while the first runs
//! would take a second read lock, and block behind a waiting writer while
//! holding the first, forever. Here a server waits only while a check is
//! alone, never for one that merely waits its turn.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct Gate {
    /// Servers running.
    beside: usize,
    /// Whether a check runs alone now.
    alone: bool,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    beside: 0,
    alone: false,
});
static CHANGED: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, Gate> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A place beside the others, given back when dropped.
#[derive(Debug)]
pub struct Beside(());

/// Waits while a check runs alone, then holds a place beside the others.
pub fn beside() -> Beside {
    let mut gate = gate();
    while gate.alone {
        gate = CHANGED.wait(gate).unwrap_or_else(PoisonError::into_inner);
    }
    gate.beside += 1;
    Beside(())
}

impl Drop for Beside {
    fn drop(&mut self) {
        gate().beside -= 1;
        CHANGED.notify_all();
    }
}

/// The machine to this check, given back when dropped.
#[derive(Debug)]
pub struct Alone(());

/// Waits until no server runs and no other check is alone, then keeps it so.
pub fn alone() -> Alone {
    let mut gate = gate();
    while gate.alone || gate.beside > 0 {
        gate = CHANGED.wait(gate).unwrap_or_else(PoisonError::into_inner);
    }
    gate.alone = true;
    Alone(())
}

impl Drop for Alone {
    fn drop(&mut self) {
        gate().alone = false;
        CHANGED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;
    use std::time::Duration;

    use super::*;

    #[test]
    fn alone_waits_for_the_servers_and_keeps_new_ones_out() {
        let first = beside();
        // A second place while one is held never waits (no check is alone).
        let second = beside();
        let running = AtomicBool::new(false);
        thread::scope(|scope| {
            let alone_one = scope.spawn(|| {
                let _alone = alone();
                running.store(true, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(100));
                running.store(false, Ordering::SeqCst);
            });
            thread::sleep(Duration::from_millis(50));
            assert!(!running.load(Ordering::SeqCst), "it waits for both places");
            drop(first);
            drop(second);
            thread::sleep(Duration::from_millis(30));
            assert!(running.load(Ordering::SeqCst), "then runs");
            // A server that starts now waits for it to be done.
            let _late = beside();
            assert!(!running.load(Ordering::SeqCst));
            alone_one.join().expect("no panic");
        });
    }
}
