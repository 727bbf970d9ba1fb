//! An open loop: requests at a constant rate, whatever the server does.
//!
//! The other checks send a fixed set of clients, each waiting for its
//! answer before it asks again (a closed loop): a slow server slows its own
//! load down, and never sees more than it can take. Real clients do not
//! wait for each other; they arrive at their own rate. Offered more than
//! its capacity, a server meets the excess only in an open loop: the k-th
//! request is due at k ÷ rate, answered or not the ones before it, and its
//! time counts from then (wrk2's method: `workshop_loadgen`, which `cargo
//! xtask bench overload` runs at scale).
//!
//! One thread runs a current-thread runtime: a task a request, each with
//! its own timeout, on a pool of kept-alive connections that grows as the
//! server holds them. The calling thread does something meanwhile (the
//! shedding check asks `/health`).

use std::thread;
use std::time::Duration;

pub use workshop_loadgen::quantile;
use workshop_loadgen::{Done, Schedule};

use super::requests::NoAnswer;

/// What to offer: `rate` requests a second for `duration`, each waiting
/// `timeout` at most for its answer.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub rate: f64,
    pub duration: Duration,
    pub timeout: Duration,
}

impl Load {
    /// How many requests it sends.
    pub fn count(&self) -> usize {
        (self.rate * self.duration.as_secs_f64()).round() as usize
    }
}

/// One request of the load, and what became of it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When it was meant to leave, from the start: k ÷ rate.
    pub intended: Duration,
    /// How much later than that it left: the generator's own delay, which
    /// is no fault of the server's.
    pub late: Duration,
    /// From when it was due to its whole answer, or to its timeout.
    pub took: Duration,
    pub answer: Result<Got, NoAnswer>,
}

/// An answer: its status, its `Retry-After` header if any, its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Sent {
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().ok().map(|got| got.status)
    }
}

/// Sends `load`, the k-th request to `url(k)`, while `meanwhile` runs on
/// this thread; every request's fate in the schedule's order, and what
/// `meanwhile` returned. The error is the check's reason.
pub fn offer<T>(
    load: Load,
    url: impl Fn(usize) -> String + Send + Sync + 'static,
    meanwhile: impl FnOnce() -> T,
) -> Result<(Vec<Sent>, T), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the load's runtime: {err}"))?;
    let client = reqwest::Client::builder()
        .timeout(load.timeout)
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
    let sending = thread::Builder::new()
        .name("open-loop".into())
        .spawn(move || runtime.block_on(schedule(load, client, url)))
        .map_err(|err| format!("cannot start the load's thread: {err}"))?;
    let during = meanwhile();
    let sent = sending.join().map_err(|_| super::GRADER_BUG.to_string())?;
    Ok((sent, during))
}

/// The schedule: the k-th request is due at k ÷ rate, on a task of its own,
/// as many in flight as the server holds.
async fn schedule(load: Load, client: reqwest::Client, url: impl Fn(usize) -> String) -> Vec<Sent> {
    let schedule = Schedule {
        rate: load.rate,
        duration: load.duration,
    };
    // Each request ends by its timeout; the margin is for a busy machine.
    let until = load.duration + load.timeout * 2 + Duration::from_secs(1);
    let done = workshop_loadgen::offer(schedule, 0..load.count(), usize::MAX, until, |index| {
        let (client, url) = (client.clone(), url(index));
        async move { ask(&client, &url, load.timeout).await }
    })
    .await;
    done.into_iter().filter_map(sent).collect()
}

/// A request that left, as the check reads it. One that never did (a
/// grader bug: the loop waits past every timeout) is missing, and counted
/// as such by whoever reads the schedule.
fn sent(done: Done<Result<Got, NoAnswer>>) -> Option<Sent> {
    Some(Sent {
        intended: done.due,
        late: done.late?,
        took: done.latency,
        answer: done.outcome?,
    })
}

async fn ask(client: &reqwest::Client, url: &str, timeout: Duration) -> Result<Got, NoAnswer> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|err| NoAnswer::of(&err, timeout))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let body = response
        .text()
        .await
        .map_err(|err| NoAnswer::of(&err, timeout))?;
    Ok(Got {
        status,
        retry_after,
        body,
    })
}

/// How many of `times` are over `limit`, and the largest.
pub fn over(times: impl IntoIterator<Item = Duration>, limit: Duration) -> (usize, Duration) {
    times
        .into_iter()
        .fold((0, Duration::ZERO), |(count, most), took| {
            (count + usize::from(took > limit), most.max(took))
        })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rates::{RatesConfig, RatesService};

    use super::*;

    #[test]
    fn requests_leave_on_schedule_however_slow_the_answers() {
        // Answers take 400 ms; 100 requests at 200 a second take 0.5 s to
        // send. A closed loop of a few clients would send a few and wait;
        // the open loop sends them all on time, and each waits on its own.
        let latency = Duration::from_millis(400);
        let service = RatesService::start(RatesConfig::with_latency(latency)).expect("a service");
        let load = Load {
            rate: 200.0,
            duration: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        };
        let base = service.url();
        let started = Instant::now();
        let (sent, waited) = offer(
            load,
            move |_| format!("{base}/latest"),
            || {
                thread::sleep(Duration::from_millis(50));
                started.elapsed()
            },
        )
        .expect("the load runs");
        assert!(
            waited < latency,
            "meanwhile runs while they wait: {waited:?}"
        );
        assert_eq!(sent.len(), 100);
        assert!(sent.iter().all(|one| one.status() == Some(200)), "{sent:?}");
        assert!(sent.iter().all(|one| one.took >= latency));
        assert_eq!(sent[40].intended, Duration::from_millis(200));
        // On time, give or take what a busy machine adds.
        let late = quantile(sent.iter().map(|one| one.late), 0.5).unwrap_or_default();
        assert!(late < Duration::from_millis(50), "{late:?}");
        // All 100 were in flight together at some point: 100 of them
        // leave within 0.5 s, and none is answered before 0.4 s.
        assert!(service.most_at_once() >= 20, "{}", service.most_at_once());
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_late_answer_is_a_timeout_and_headers_are_kept() {
        let config = RatesConfig {
            quota: Some(1),
            ..RatesConfig::with_latency(Duration::from_millis(600))
        };
        let service = RatesService::start(config).expect("a service");
        let load = Load {
            rate: 20.0,
            duration: Duration::from_millis(100),
            timeout: Duration::from_millis(300),
        };
        let base = service.url();
        let (sent, ()) = offer(load, move |_| format!("{base}/2016-10-14"), || ()).expect("runs");
        assert_eq!(sent.len(), 2);
        // The first waits 600 ms, past its timeout; the second is refused
        // within the service's grace (50 ms), with its Retry-After.
        let late = sent[0].answer.as_ref().unwrap_err();
        assert_eq!(late, &NoAnswer::Late(Duration::from_millis(300)));
        assert_eq!(late.to_string(), "no answer within 0.30 s");
        let refused = sent[1].answer.as_ref().expect("an answer");
        assert_eq!(refused.status, 429);
        assert_eq!(refused.retry_after.as_deref(), Some("1"));
    }

    #[test]
    fn quantiles_and_lateness_are_counted() {
        let ms = Duration::from_millis;
        let times: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(quantile(times.clone(), 0.99), Some(ms(99)));
        assert_eq!(quantile(times.clone(), 0.5), Some(ms(50)));
        assert_eq!(quantile(Vec::<Duration>::new(), 0.99), None);
        assert_eq!(over(times, ms(97)), (3, ms(100)));
    }
}
