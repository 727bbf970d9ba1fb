//! The scenario engine under the checks: what every check needs, once.
//!
//! - `launch`: a rates service with its faults, a server with its env and
//!   flags (`Launch`), and the `Stage` of the two with a client: N
//!   conversions with `/health` asked meanwhile, and a wait for the first
//!   fetch (or for the server to give up);
//! - `requests`: one GET, or N that leave together behind a barrier while
//!   something else happens (`at_once_while`), and how replies are quoted;
//!   a conversion written on a socket of our own and never read
//!   (`send_unread`), to hang up on or leave in flight;
//! - `timing`: N slow conversions measured in round trips and waves, in a
//!   `Setting` (one worker, or P threads), and what a queue says about its
//!   cause;
//! - `open_loop`: requests at a constant rate, whatever the server does
//!   (part 5's overload), and the quantiles of their times;
//! - `arrivals`: what the rates service saw, a conversion's tries at a
//!   time, and how bunched a set of times is (part 6's retries);
//! - `sustained`: hundreds of conversions, checked, on kept-alive and new
//!   connections, within a deadline; `hang_ups`: clients that leave
//!   mid-request, with a reset;
//! - `libtest`: a graded test binary, one process and one deadline a test;
//! - `numbers`: every number a part's checks stand on, and why;
//! - `procs`: child processes that never outlive their grade, and signals;
//!   the threads a check starts with `procs::spawn_scoped` stay in its
//!   grade;
//! - `quiet`: a grade's checks still running side by side, for the one
//!   that needs the machine quiet (part 5's shedding) to start after them;
//! - here: scenarios side by side, and the reasons built from what they
//!   measured and what the server said.
//!
//! A check (`grader/src/kinds/<kind>.rs`) holds its scenario and its diagnosis,
//! and takes the rest from here. What the engine gives a check is a
//! `Result<_, String>` whose error is the reason, which the check passes on
//! with `?`; or a `Failed` with details (`wrong_answers`), or a whole
//! `Checked` (`both`).

pub mod arrivals;
pub mod hang_ups;
pub mod launch;
pub mod libtest;
pub mod numbers;
pub mod open_loop;
pub mod procs;
pub mod quiet;
pub mod requests;
pub mod sustained;
pub mod timing;

use std::thread;

use crate::verdict::{Checked, Failed};
use launch::Server;

/// The reason when the grader itself panicked: said once, where it happened.
pub const GRADER_BUG: &str = "the check itself panicked (a grader bug)";

/// Runs two scenarios side by side, each on a thread of its own (in the
/// check's grade: what they start is its own); a panic in either reads as a
/// grader bug.
pub fn side_by_side<A: Send, B: Send>(
    first: impl FnOnce() -> Result<A, String> + Send,
    second: impl FnOnce() -> Result<B, String> + Send,
) -> (Result<A, String>, Result<B, String>) {
    thread::scope(|scope| {
        let first = procs::spawn_scoped(scope, first);
        let second = procs::spawn_scoped(scope, second);
        let first = first.join().unwrap_or_else(|_| Err(GRADER_BUG.into()));
        let second = second.join().unwrap_or_else(|_| Err(GRADER_BUG.into()));
        (first, second)
    })
}

/// Runs `scenario` for each of `cases`, all side by side; the results in
/// the order of `cases`. A panic in one reads as a grader bug.
pub fn each_side_by_side<C: Sync, T: Send>(
    cases: &[C],
    scenario: impl Fn(&C) -> Result<T, String> + Sync,
) -> Vec<Result<T, String>> {
    thread::scope(|scope| {
        let running: Vec<_> = cases
            .iter()
            .map(|case| procs::spawn_scoped(scope, || scenario(case)))
            .collect();
        running
            .into_iter()
            .map(|one| one.join().unwrap_or_else(|_| Err(GRADER_BUG.into())))
            .collect()
    })
}

/// Two scenarios that say what they measured, made one check: both passed,
/// or the first reason to fail (the first scenario's, if both failed).
pub fn both(first: Result<String, String>, second: Result<String, String>) -> Checked {
    match (first, second) {
        (Ok(first), Ok(second)) => Ok(format!("{first}; {second}")),
        (Err(why), _) | (_, Err(why)) => Err(why.into()),
    }
}

/// How many wrong answers are shown in full; the rest are counted.
pub const SHOWN: usize = 3;

/// Wrong answers (each `request\n  expected: …\n  actual: …`) made one
/// failure. The servers' trouble, if any, is the reason: a panic explains
/// wrong answers better than they do, and then one example is enough.
/// Otherwise `summary` says how many were wrong.
pub fn wrong_answers<'a>(
    servers: impl IntoIterator<Item = &'a Server>,
    mut wrong: Vec<String>,
    summary: impl FnOnce(usize) -> String,
) -> Failed {
    let count = wrong.len();
    let trouble = servers.into_iter().find_map(Server::trouble);
    if trouble.is_some() {
        wrong.truncate(1);
    }
    let reason = trouble.unwrap_or_else(|| summary(count));
    let mut details: Vec<String> = wrong.iter().take(SHOWN).cloned().collect();
    if wrong.len() > SHOWN {
        details.push(format!("… and {} more", wrong.len() - SHOWN));
    }
    Failed::new(reason).with_details(details)
}

/// A request, what was expected and what came: how a wrong answer is shown
/// (quoted, and the difference named, when it cannot be seen).
pub fn mismatch(request: &str, expected: &str, actual: &str) -> String {
    workshop_contract::difference::mismatch(request, expected, actual)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn scenarios_run_side_by_side_and_a_panic_is_a_grader_bug() {
        let (first, second) = side_by_side(
            || Ok::<_, String>(1),
            || -> Result<u8, String> { panic!("a bug") },
        );
        assert_eq!(first, Ok(1));
        assert_eq!(second, Err(GRADER_BUG.to_string()));
    }

    #[test]
    fn side_by_side_means_at_the_same_time() {
        // Each tells the other it has started, then waits to hear from the
        // other: one after the other, the first would wait in vain.
        let (first_said, first_heard) = std::sync::mpsc::channel();
        let (second_said, second_heard) = std::sync::mpsc::channel();
        let limit = Duration::from_secs(5);
        let (first, second) = side_by_side(
            move || {
                let _ = first_said.send(());
                Ok::<_, String>(second_heard.recv_timeout(limit).is_ok())
            },
            move || {
                let _ = second_said.send(());
                Ok::<_, String>(first_heard.recv_timeout(limit).is_ok())
            },
        );
        assert_eq!((first, second), (Ok(true), Ok(true)));
    }

    #[test]
    fn each_case_runs_side_by_side_and_keeps_its_place() {
        // Three cases that each wait for all three to have started: run one
        // after the other, they would time out.
        let started = std::sync::atomic::AtomicUsize::new(0);
        let results = each_side_by_side(&[1, 2, 3], |case| {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let together = crate::engine::requests::wait_until(Duration::from_secs(5), || {
                started.load(std::sync::atomic::Ordering::SeqCst) == 3
            });
            if *case == 2 {
                panic!("a bug");
            }
            Ok::<_, String>((*case, together))
        });
        assert_eq!(results[0], Ok((1, true)));
        assert_eq!(results[1], Err(GRADER_BUG.to_string()));
        assert_eq!(results[2], Ok((3, true)));
    }

    #[test]
    fn both_pass_or_the_first_failure_is_the_reason() {
        assert_eq!(both(Ok("a".into()), Ok("b".into())), Ok("a; b".into()));
        assert_eq!(both(Err("x".into()), Err("y".into())), Err("x".into()));
        assert_eq!(both(Ok("a".into()), Err("y".into())), Err("y".into()));
    }

    #[test]
    fn wrong_answers_are_counted_and_shown_up_to_a_few() {
        let wrong: Vec<String> = (1..=5)
            .map(|n| mismatch(&format!("GET /{n}"), "200 A", "200 B"))
            .collect();
        let failed = wrong_answers([], wrong, |count| format!("{count} of 9 were wrong"));
        assert_eq!(failed.reason, "5 of 9 were wrong");
        assert_eq!(failed.details.len(), SHOWN + 1);
        assert_eq!(
            failed.details[0],
            "GET /1\n  expected: 200 A\n  actual:   200 B"
        );
        assert_eq!(failed.details[SHOWN], "… and 2 more");
    }
}
