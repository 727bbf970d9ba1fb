//! What the rates service saw, read a conversion at a time: part 6's checks
//! judge a retrying server by the requests that reached the rates service
//! (`RatesService::arrivals`, each with the moment it arrived and what
//! became of it), not by what the server says it did.
//!
//! Each conversion of those checks asks for a date of its own, so the
//! requests for one path are one conversion's fetch: the first its first
//! try, the others its retries, and the time from one to the next the wait
//! before a retry (the failures there are answered at once, so that time is
//! the server's wait, and a round trip on loopback).
//!
//! Then the arithmetic the checks share: how many of a set of times fall in
//! the densest window of a given width (are the retries spread, or do they
//! come in a wave?), and a mean.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rates::{Arrival, Outcome};

/// One path's requests, as the rates service saw them, in the order they
/// arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tries {
    pub at: Vec<Instant>,
    pub outcomes: Vec<Outcome>,
}

impl Tries {
    /// How many requests reached the rates service: tries, the first
    /// included.
    pub fn count(&self) -> usize {
        self.at.len()
    }

    /// The time from each try to the next: `[0]` is the wait before the
    /// first retry (as the rates service saw it), `[1]` before the second.
    pub fn gaps(&self) -> Vec<Duration> {
        self.at
            .windows(2)
            .map(|pair| pair[1].saturating_duration_since(pair[0]))
            .collect()
    }

    /// The wait before retry `n` (0: the first retry), if it was made.
    pub fn gap(&self, n: usize) -> Option<Duration> {
        self.gaps().get(n).copied()
    }
}

/// The requests for rates grouped by path (`/2016-10-14`), each path's in
/// the order they arrived. `/latest` is left out: part 6 retries the fetch
/// of a date.
pub fn by_path(arrivals: &[Arrival]) -> BTreeMap<String, Tries> {
    let mut paths: BTreeMap<String, Tries> = BTreeMap::new();
    for arrival in arrivals.iter().filter(|arrival| arrival.path != "/latest") {
        let tries = paths.entry(arrival.path.clone()).or_insert(Tries {
            at: Vec::new(),
            outcomes: Vec::new(),
        });
        tries.at.push(arrival.at);
        tries.outcomes.push(arrival.outcome);
    }
    paths
}

/// The path the rates service is asked for a conversion on `date`.
pub fn path_of(date: impl std::fmt::Display) -> String {
    format!("/{date}")
}

/// The most of `times` in any window `width` long, both ends included, and
/// where the first such window starts: are they spread, or bunched? Zero
/// for no times.
pub fn densest(times: &[Duration], width: Duration) -> (usize, Duration) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut best = (0, Duration::ZERO);
    let mut end = 0;
    // A window starting at each time in turn: the densest starts at one.
    for (start, from) in sorted.iter().enumerate() {
        while end < sorted.len() && sorted[end] <= *from + width {
            end += 1;
        }
        if end - start > best.0 {
            best = (end - start, *from);
        }
    }
    best
}

/// `part` of `whole`, from 0 to 1 (0 of nothing).
pub fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 / whole as f64
}

/// The mean of `times`, if there are any.
pub fn mean(times: &[Duration]) -> Option<Duration> {
    let count = u32::try_from(times.len()).ok().filter(|count| *count > 0)?;
    Some(times.iter().sum::<Duration>() / count)
}

/// Each of `moments` as the time since the earliest of them.
pub fn since_first(moments: &[Instant]) -> Vec<Duration> {
    let Some(first) = moments.iter().min() else {
        return Vec::new();
    };
    moments
        .iter()
        .map(|moment| moment.saturating_duration_since(*first))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn arrival(at: Instant, path: &str, outcome: Outcome) -> Arrival {
        Arrival {
            at,
            path: path.to_string(),
            outcome,
        }
    }

    #[test]
    fn arrivals_are_grouped_by_path_in_their_order_without_latest() {
        let start = Instant::now();
        let failed = Outcome::Status(503);
        let ok = Outcome::Status(200);
        let arrivals = [
            arrival(start, "/2016-10-14", failed),
            arrival(start + ms(1), "/2016-10-15", ok),
            arrival(start + ms(2), "/latest", ok),
            arrival(start + ms(30), "/2016-10-14", failed),
            arrival(start + ms(100), "/2016-10-14", ok),
        ];
        let paths = by_path(&arrivals);
        assert_eq!(paths.len(), 2);
        let first = &paths[&path_of("2016-10-14")];
        assert_eq!(first.count(), 3);
        assert_eq!(first.gaps(), [ms(30), ms(70)]);
        assert_eq!(first.gap(1), Some(ms(70)));
        assert_eq!(first.gap(2), None);
        assert_eq!(first.outcomes, [failed, failed, ok]);
        let second = &paths["/2016-10-15"];
        assert_eq!(second.count(), 1);
        assert!(second.gaps().is_empty());
    }

    #[test]
    fn the_densest_window_counts_both_ends_and_says_where_it_starts() {
        let times: Vec<Duration> = [50, 0, 5, 10, 11, 49, 60, 300].map(ms).to_vec();
        // 0, 5 and 10 within 10 ms; 50 and 60 too, but 0 comes first.
        assert_eq!(densest(&times, ms(10)), (3, ms(0)));
        // 49, 50 and 60 within 11 ms, and 0, 5, 10 and 11 too.
        assert_eq!(densest(&times, ms(11)), (4, ms(0)));
        // 0 to 60: seven of the eight.
        assert_eq!(densest(&times, ms(60)), (7, ms(0)));
        assert_eq!(densest(&times, ms(1000)), (8, ms(0)));
        // Nothing at all, and one time alone.
        assert_eq!(densest(&[], ms(10)), (0, ms(0)));
        assert_eq!(densest(&[ms(7)], Duration::ZERO), (1, ms(7)));
        // Equal times are all in a window of no width.
        assert_eq!(
            densest(&[ms(9), ms(3), ms(9), ms(9)], Duration::ZERO),
            (3, ms(9))
        );
    }

    #[test]
    fn waits_drawn_at_random_are_spread_and_equal_ones_are_not() {
        // 80 waits spread evenly over 400 ms: a window of 40 ms holds about
        // a tenth; 80 equal ones, within a few ms of noise, all in one.
        let spread: Vec<Duration> = (0..80).map(|n| ms(n * 5)).collect();
        let (most, _) = densest(&spread, ms(40));
        assert!(share(most, spread.len()) < 0.15, "{most}");
        let equal: Vec<Duration> = (0..80).map(|n| ms(400 + n % 7)).collect();
        assert_eq!(densest(&equal, ms(40)).0, 80);
    }

    #[test]
    fn shares_and_means() {
        assert_eq!(share(1, 4), 0.25);
        assert_eq!(share(3, 0), 0.0);
        assert_eq!(mean(&[ms(10), ms(20), ms(60)]), Some(ms(30)));
        assert_eq!(mean(&[]), None);
        let start = Instant::now();
        assert_eq!(
            since_first(&[start + ms(5), start, start + ms(12)]),
            [ms(5), ms(0), ms(12)]
        );
        assert!(since_first(&[]).is_empty());
    }
}
