//! Requests the part 4 checks send: one, or many at once, each with what it
//! got and how long it took.

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use super::contract::without_url;

/// What one GET got: its status and body, or why there was no answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Result<(u16, String), String>,
    pub took: Duration,
}

impl Reply {
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().ok().map(|(status, _)| *status)
    }

    /// `200 GBP 88.4`, or `no answer (…)`, as a verdict quotes it.
    pub fn shown(&self) -> String {
        match &self.answer {
            Ok((status, body)) => format!("{status} {body}"),
            Err(why) => no_answer(why),
        }
    }

    /// `a 502 (rates service unavailable: …)`, or `no answer (…)`: for the
    /// middle of a sentence whose other parts have colons too.
    pub fn quoted(&self) -> String {
        match &self.answer {
            Ok((status, body)) => format!("a {status} ({body})"),
            Err(why) => no_answer(why),
        }
    }
}

/// `no answer (the connection closed…)`, or `no answer within 5 s` as it is.
fn no_answer(why: &str) -> String {
    if why.starts_with("no answer") {
        why.to_string()
    } else {
        format!("no answer ({why})")
    }
}

/// GET `url`.
pub fn get(client: &reqwest::blocking::Client, url: &str) -> Reply {
    let started = Instant::now();
    let answer = client
        .get(url)
        .send()
        .and_then(|response| {
            let status = response.status().as_u16();
            response.text().map(|body| (status, body))
        })
        .map_err(|err| without_url(&err));
    Reply {
        answer,
        took: started.elapsed(),
    }
}

/// `n` GETs of `url` that leave together, each on a thread of its own; the
/// replies, and how long the last took.
pub fn at_once(client: &reqwest::blocking::Client, url: &str, n: usize) -> (Vec<Reply>, Duration) {
    let start = Barrier::new(n + 1);
    thread::scope(|scope| {
        let requests: Vec<_> = (0..n)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    get(client, url)
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        let replies: Vec<Reply> = requests
            .into_iter()
            .map(|request| {
                request.join().unwrap_or_else(|_| Reply {
                    answer: Err("the request's thread panicked (a grader bug)".into()),
                    took: Duration::ZERO,
                })
            })
            .collect();
        (replies, began.elapsed())
    })
}

/// The first reply that is not `status`, if any, and how many are not.
pub fn first_not(replies: &[Reply], status: u16) -> Option<(&Reply, usize)> {
    let wrong: Vec<&Reply> = replies
        .iter()
        .filter(|reply| reply.status() != Some(status))
        .collect();
    wrong.first().map(|first| (*first, wrong.len()))
}

/// Waits until `done` holds, at most `limit`; whether it did.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// `1.23 s`
pub fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}
