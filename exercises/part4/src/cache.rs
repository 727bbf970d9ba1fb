//! One fetch for many requests, and its rates reused for a time.
//!
//! Without this, 25 conversions at once make 25 fetches of the same rates,
//! and each pays the round trip. With it, the first starts a fetch, the
//! other 24 wait for that one, and the rates serve everyone after them
//! until they are `ttl` old. It is part 2's lesson again: one producer (the
//! fetch), many consumers (the waiters), synchronised by a channel.
//!
//! Why a task of its own and a `watch` channel, among tokio's primitives:
//!
//! - The fetch runs on a task spawned for it, so no waiter owns it. When a
//!   client hangs up, axum drops its handler, and the waiter it was is
//!   cancelled at the `.await` where it waited: only its receiver goes.
//!   The fetch, and everyone else waiting for it, carry on.
//! - `watch` keeps its last value, so a waiter can never miss the result:
//!   `wait_for` looks at the value before it sleeps. (A `broadcast`
//!   receiver only sees what is sent after it subscribed.)
//! - `tokio::sync::OnceCell::get_or_try_init` runs the fetch inside the
//!   first caller's future: cancelled with it, and after a failure the next
//!   waiter starts over, one round trip after the other. A
//!   `tokio::sync::Mutex` held across the fetch does the same. And neither
//!   expires.
//! - `futures::future::Shared` survives a waiter leaving, but runs only
//!   while someone polls it: with every waiter gone, the fetch stops too.
//!
//! The state itself sits behind a `std::sync::Mutex`: it is held for a
//! lookup or an update, never across an `.await`, so it cannot stall the
//! runtime, and tokio's async Mutex is not needed.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use part1::ConvertError;
use part1::client::Rates;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::fetch::Fetcher;

/// What a fetch ends with, shared by all its waiters: the rates, or why
/// there are none. Both are cheap to clone.
pub type Fetched = Result<Arc<Rates>, ConvertError>;

/// Where the rates are at.
#[derive(Debug, Default)]
enum State {
    /// No rates to give: none fetched yet, or the last fetch failed.
    #[default]
    Empty,
    /// A fetch is on its way; its result will be sent on this channel
    /// (`None` until then).
    Fetching(watch::Receiver<Option<Fetched>>),
    /// Rates to reuse until `until`.
    Fresh { rates: Arc<Rates>, until: Instant },
}

/// Shares one fetch of the rates among the conversions waiting for it, and
/// its rates among those that come in the next `ttl`.
#[derive(Debug, Clone)]
pub struct RatesCache {
    inner: Arc<Inner>,
}

/// What the cache and its fetch tasks share.
#[derive(Debug)]
struct Inner {
    fetcher: Fetcher,
    ttl: Duration,
    state: Mutex<State>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a state that is still one
        // of the three: keep going rather than spread the panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl RatesCache {
    pub fn new(fetcher: Fetcher, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                fetcher,
                ttl,
                state: Mutex::new(State::Empty),
            }),
        }
    }

    /// Rates no older than the TTL: the ones at hand, or those of the fetch
    /// in flight, or, if neither, of a new fetch.
    pub async fn rates(&self) -> Fetched {
        // Under the lock (`self.inner.state()`), decide: fresh rates are
        // returned at once; a fetch in flight is joined (clone its
        // receiver); otherwise start one with `self.spawn_fetch()` and put it
        // in the state, so that the next requests join it. Then, with the
        // lock released, wait for the receiver's value to be `Some`
        // (`wait_for`) and return a clone of it.
        todo!("gap 2: reuse fresh rates, join the fetch in flight, or start one")
    }

    /// Starts a fetch on a task of its own, and gives the receiver its
    /// result will be sent on.
    fn spawn_fetch(&self) -> watch::Receiver<Option<Fetched>> {
        // Make a `watch::channel(None)`. Spawn a task (`tokio::spawn`) that
        // fetches with `inner.fetcher.fetch()`, then, under the lock, leaves
        // the rates in the state as `State::Fresh` until `Instant::now() +
        // inner.ttl`, or an error as `State::Empty` (never keep an error:
        // the next request tries again), and finally sends the result on
        // the channel. The task needs its own `Arc` of `self.inner`.
        todo!("gap 3: fetch on a task of its own, keep the rates but no error, tell the waiters")
    }
}

/// What a waiter answers if its fetch ended without a result: the fetch
/// task panicked, or the runtime is stopping.
fn gone() -> ConvertError {
    ConvertError::Internal("the fetch of the rates ended without a result".into())
}
