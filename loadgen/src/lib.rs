//! One open loop and one quantile, for the grader's shedding check and the
//! bench's overload alike.
//!
//! An open loop offers requests at a constant rate, wrk2's way: the k-th
//! is due at k ÷ rate whatever became of the ones before it, and its
//! latency counts from when it was due, not from when it could leave. A
//! closed loop waits for an answer before it asks again, so a slow server
//! slows down the very load that measures it, and its queue never shows
//! ("coordinated omission"). The wait for a free slot, when `at_once` are
//! in flight already, is in the latency too, as it is for a client whose
//! request cannot leave.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What to offer: `rate` requests a second, due over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub rate: f64,
    pub duration: Duration,
}

impl Schedule {
    /// How many requests are due.
    pub fn count(&self) -> usize {
        (self.rate * self.duration.as_secs_f64()).round() as usize
    }

    /// When the `index`-th is due, from the start.
    pub fn due(&self, index: usize) -> Duration {
        Duration::from_secs_f64(index as f64 / self.rate)
    }
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Done<T> {
    /// Its place: the k-th request, due at k ÷ rate.
    pub index: usize,
    /// When it was due, from the start.
    pub due: Duration,
    /// From when it was due to when it left: the load's own delay (a slot
    /// to wait for, a busy machine). `None` if it never left.
    pub late: Option<Duration>,
    /// From when it was due to its end, or to the loop's end if it had
    /// none.
    pub latency: Duration,
    /// What `send` returned; `None` if it had not by the loop's end.
    pub outcome: Option<T>,
}

/// Offers `schedule`'s requests whose indices are `indices` (all of them,
/// or one thread's share): the k-th is `send(k)`, started when due, at most
/// `at_once` in flight. Returns at `until` from the start at the latest;
/// every request's fate, in `indices`' order. Runs on the caller's runtime.
pub async fn offer<T, F, Fut>(
    schedule: Schedule,
    indices: impl IntoIterator<Item = usize>,
    at_once: usize,
    until: Duration,
    mut send: F,
) -> Vec<Done<T>>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let start = Instant::now();
    let end = start + until;
    let slots = Arc::new(Semaphore::new(at_once.clamp(1, Semaphore::MAX_PERMITS)));
    let mut fates: Vec<Done<T>> = Vec::new();
    let mut places = std::collections::HashMap::new();
    let mut running = JoinSet::new();
    let scheduled = async {
        for index in indices {
            let due = schedule.due(index);
            places.insert(index, fates.len());
            fates.push(Done {
                index,
                due,
                late: None,
                latency: until.saturating_sub(due),
                outcome: None,
            });
            // Answers that came meanwhile are kept as they come, so that
            // the join set does not grow with the whole run.
            let at = start + due;
            while let Ok(Some(Ok((index, late, latency, outcome)))) =
                tokio::time::timeout_at(at, running.join_next()).await
            {
                let fate: &mut Done<T> = &mut fates[places[&index]];
                (fate.late, fate.latency, fate.outcome) = (Some(late), latency, Some(outcome));
            }
            tokio::time::sleep_until(at).await;
            let request = send(index);
            let slots = Arc::clone(&slots);
            running.spawn(async move {
                // Held until the answer is in; never closed, so it comes.
                let _slot = slots.acquire_owned().await;
                let late = start.elapsed().saturating_sub(due);
                let outcome = request.await;
                (index, late, start.elapsed().saturating_sub(due), outcome)
            });
        }
        while let Some(joined) = running.join_next().await {
            // A task that panicked is left without an outcome: unanswered.
            if let Ok((index, late, latency, outcome)) = joined {
                let fate: &mut Done<T> = &mut fates[places[&index]];
                (fate.late, fate.latency, fate.outcome) = (Some(late), latency, Some(outcome));
            }
        }
    };
    // Past `until`, what is still in flight or not yet due is left as it
    // is: no outcome, its latency counted to the end.
    let _ = tokio::time::timeout_at(end, scheduled).await;
    fates
}

/// The `q`-quantile of `values` by nearest rank (0.99: the smallest value
/// at least 99 % of them do not exceed; 0.5: the median, the lower of the
/// middle two when they are even); `None` if there are none.
pub fn quantile<T: PartialOrd + Copy>(values: impl IntoIterator<Item = T>, q: f64) -> Option<T> {
    let mut sorted: Vec<T> = values.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_by_nearest_rank() {
        let ms = Duration::from_millis;
        let times: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(quantile(times.clone(), 0.99), Some(ms(99)));
        assert_eq!(quantile(times.clone(), 0.5), Some(ms(50)));
        assert_eq!(quantile(times, 1.0), Some(ms(100)));
        assert_eq!(quantile(Vec::<Duration>::new(), 0.5), None);
        assert_eq!(quantile([8.0, 1.0, 4.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile([3.0, 1.0, 2.0], 0.5), Some(2.0));
    }

    #[tokio::test(start_paused = true)]
    async fn latency_counts_from_when_a_request_was_due() {
        // 20 a second for half a second, answers that take 200 ms, two in
        // flight at most: the others wait for a slot, and the wait counts.
        // The slots free at 200, 250, 400, 450…: the last is due at 450 ms,
        // leaves at 850 ms and ends at 1,050 ms.
        let schedule = Schedule {
            rate: 20.0,
            duration: Duration::from_millis(500),
        };
        let done = offer(
            schedule,
            0..schedule.count(),
            2,
            Duration::from_secs(5),
            |k| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                k * 2
            },
        )
        .await;
        assert_eq!(done.len(), 10);
        assert!(done.iter().all(|d| d.outcome == Some(d.index * 2)));
        let last = &done[9];
        assert_eq!(last.due, Duration::from_millis(450));
        assert_eq!(last.late, Some(Duration::from_millis(400)));
        assert_eq!(last.latency, Duration::from_millis(600));
        assert_eq!(done[0].latency, Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn what_has_not_ended_by_the_end_has_no_outcome() {
        let schedule = Schedule {
            rate: 10.0,
            duration: Duration::from_millis(300),
        };
        let done = offer(schedule, 0..3, 1, Duration::from_millis(500), |_| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
        })
        .await;
        assert_eq!(done.len(), 3);
        assert!(done.iter().all(|d| d.outcome.is_none()));
        assert_eq!(done[0].late, None, "its task never reported");
        assert_eq!(done[0].latency, Duration::from_millis(500));
        assert_eq!(done[2].latency, Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_share_of_the_indices_keeps_their_due_times() {
        let schedule = Schedule {
            rate: 10.0,
            duration: Duration::from_secs(1),
        };
        let done = offer(
            schedule,
            (1..10).step_by(2),
            4,
            Duration::from_secs(2),
            |k| async move { k },
        )
        .await;
        let dues: Vec<u128> = done.iter().map(|d| d.due.as_millis()).collect();
        assert_eq!(dues, [100, 300, 500, 700, 900]);
        assert!(done.iter().all(|d| d.late == Some(Duration::ZERO)));
    }
}
