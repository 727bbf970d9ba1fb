//! One retry budget for the whole server: retries at most a share of the
//! fetches, plus a floor.
//!
//! Backoff spreads retries out; it does not make them fewer. In a long
//! outage every fetch still makes its three tries, so the rates service
//! still gets three times the load, just later: the overload that caused
//! the failures is made worse by the clients that meet them, and the
//! service cannot recover while the retries last (a *metastable* failure).
//! A budget caps the retries themselves, for the whole server at once:
//! Google's SRE book ("Handling Overload") keeps retries under 10 % of the
//! requests, gRPC throttles them with a token bucket (`maxTokens` 10,
//! `tokenRatio` 0.1), and tower's `retry::budget::TpsBudget` does the same
//! with a floor of retries a second.
//!
//! This one, in those terms:
//!
//! - every **first try** of a fetch earns `ratio` of a retry (0.1): the
//!   earned tokens, at most [`MAX_EARNED`] (10, gRPC's `maxTokens`), so
//!   that a quiet hour cannot save up a storm for the next outage;
//! - every **retry** spends one whole token;
//! - and a **floor**: `floor` retries a second are always allowed (2), so
//!   a server that has made few fetches yet may still retry its rare
//!   failure. They come first, each second afresh, and the earned tokens
//!   are kept for what is past the floor.
//!
//! So in a steady outage the rates service gets at most 1.1 times the
//! fetches (and 2 a second), not 3 times. The earned tokens start at none,
//! as tower's do: the floor is what a server starts with.
//!
//! It counts in thousandths of a token, in integers: ten first tries of
//! 0.1 earn exactly one retry, where ten `0.1_f64` add up to 0.9999999999999999.
//! A first try is counted with one atomic add and no lock (every fetch
//! does it); the count is turned into tokens when a retry asks, under a
//! lock that is never held across an `.await`. Adding them up then or
//! one by one comes to the same: a deposit only adds, and the cap takes
//! off the same excess either way.
//!
//! It is cheap to clone, and every clone is the same budget: the server
//! makes one, and every request's fetch asks that one. A budget made for
//! each request would hold 0.1 token and a whole fresh floor: no limit at
//! all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::options::Ratio;

/// A whole token, in thousandths: what a retry costs.
pub const TOKEN: u64 = Ratio::WHOLE as u64;

/// The most earned tokens kept, in thousandths: 10 retries, gRPC's
/// `maxTokens`.
pub const MAX_EARNED: u64 = 10 * TOKEN;

/// How often the floor comes back whole.
const FLOOR_EVERY: Duration = Duration::from_secs(1);

/// The server's retry budget. Every clone shares it.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// What a first try earns, in thousandths of a token.
    ratio: u64,
    /// Retries a second always allowed.
    floor: u32,
    /// First tries so far, counted without a lock.
    first_tries: AtomicU64,
    bucket: Mutex<Bucket>,
}

/// The tokens, as last settled.
#[derive(Debug)]
struct Bucket {
    /// Earned by first tries, in thousandths: at most `MAX_EARNED`.
    earned: u64,
    /// The first tries already turned into `earned`.
    counted: u64,
    /// When the floor's current second began, and its retries spent in it.
    second: Instant,
    floor_spent: u32,
}

impl RetryBudget {
    /// Each first try earns `ratio` of a retry; `floor` retries a second
    /// are always allowed.
    pub fn new(ratio: Ratio, floor: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                ratio: u64::from(ratio.0),
                floor,
                first_tries: AtomicU64::new(0),
                bucket: Mutex::new(Bucket {
                    earned: 0,
                    counted: 0,
                    second: Instant::now(),
                    floor_spent: 0,
                }),
            }),
        }
    }

    /// A first try is made: it earns its share of a retry.
    pub fn deposit(&self) {
        // A count, not yet tokens: `withdraw` settles it.
        self.inner.first_tries.fetch_add(1, Ordering::Relaxed);
    }

    /// A retry asks for a token: `true` if it may go, and the token is
    /// spent; `false` if the budget has none.
    pub fn withdraw(&self) -> bool {
        let mut bucket = lock(&self.inner.bucket);
        self.inner.settle(&mut bucket, Instant::now());
        self.inner.spend(&mut bucket)
    }
}

impl Inner {
    /// Brings `bucket` up to `now`: the first tries counted since it was
    /// last settled turned into earned tokens, and the floor's second.
    fn settle(&self, bucket: &mut Bucket, now: Instant) {
        // The first tries counted since the last look
        // (`self.first_tries.load(…)` less `bucket.counted`) each earn
        // `self.ratio` thousandths, and `bucket.earned` keeps `MAX_EARNED`
        // at most; they are counted now (`bucket.counted`). Then the floor:
        // once `FLOOR_EVERY` has passed since `bucket.second`, a new second
        // starts now, with none of its floor spent.
        // BEGIN GAP part6.budget.settle
        let first_tries = self.first_tries.load(Ordering::Relaxed);
        let earned = first_tries
            .saturating_sub(bucket.counted)
            .saturating_mul(self.ratio);
        bucket.earned = bucket.earned.saturating_add(earned).min(MAX_EARNED);
        bucket.counted = first_tries;
        if now.duration_since(bucket.second) >= FLOOR_EVERY {
            bucket.second = now;
            bucket.floor_spent = 0;
        }
        // END GAP
    }

    /// Spends a retry from `bucket`, settled: `true` if it had one.
    fn spend(&self, bucket: &mut Bucket) -> bool {
        // The floor first, while this second has some left
        // (`bucket.floor_spent` below `self.floor`), else a whole `TOKEN` of
        // the earned ones; neither, and the retry is not made. The floor
        // first: what it does not spend this second is gone anyway, and the
        // earned tokens stay for a burst past it.
        // BEGIN GAP part6.budget.withdraw
        if bucket.floor_spent < self.floor {
            bucket.floor_spent += 1;
            true
        } else if bucket.earned >= TOKEN {
            bucket.earned -= TOKEN;
            true
        } else {
            false
        }
        // END GAP
    }
}

/// A poisoned lock only means a thread panicked holding it; the counts are
/// still good.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many retries `budget` allows now, spending them all.
    fn allowed(budget: &RetryBudget) -> usize {
        std::iter::from_fn(|| budget.withdraw().then_some(())).count()
    }

    #[tokio::test(start_paused = true)]
    async fn ten_first_tries_earn_one_retry_past_the_floor() {
        let budget = RetryBudget::new(Ratio(100), 5);
        for _ in 0..10 {
            budget.deposit();
        }
        // The floor's 5, and the one earned.
        assert_eq!(allowed(&budget), 6);
        // Nine more earn nothing whole yet; the tenth does.
        for _ in 0..9 {
            budget.deposit();
        }
        assert_eq!(allowed(&budget), 0);
        budget.deposit();
        assert_eq!(allowed(&budget), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_floor_comes_back_each_second() {
        let budget = RetryBudget::new(Ratio(100), 5);
        assert_eq!(allowed(&budget), 5, "a new server has its floor");
        tokio::time::advance(Duration::from_millis(999)).await;
        assert_eq!(allowed(&budget), 0);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(allowed(&budget), 5);
        let none = RetryBudget::new(Ratio(0), 0);
        for _ in 0..1000 {
            none.deposit();
        }
        assert_eq!(allowed(&none), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn earned_tokens_are_capped() {
        let budget = RetryBudget::new(Ratio(100), 0);
        for _ in 0..10_000 {
            budget.deposit();
        }
        // 1000 earned, 10 kept.
        assert_eq!(allowed(&budget), 10);
        let whole = RetryBudget::new(Ratio(1000), 0);
        for _ in 0..3 {
            whole.deposit();
        }
        assert_eq!(allowed(&whole), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn every_clone_is_the_same_budget() {
        let budget = RetryBudget::new(Ratio(100), 5);
        let clones: Vec<RetryBudget> = (0..10).map(|_| budget.clone()).collect();
        for clone in &clones {
            clone.deposit();
        }
        // Ten deposits through ten clones: one retry, past the floor spent
        // through another clone.
        assert_eq!(allowed(&clones[3]), 6);
        assert!(!budget.withdraw());
        assert!(!clones[9].withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn shared_across_tasks() {
        let budget = RetryBudget::new(Ratio(100), 0);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let budget = budget.clone();
                tokio::spawn(async move { budget.deposit() })
            })
            .collect();
        for task in tasks {
            task.await.expect("no panic");
        }
        assert_eq!(allowed(&budget), 2);
    }
}
