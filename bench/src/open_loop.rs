//! An open loop at a constant rate, wrk2's method: the k-th request is due
//! at k ÷ rate, whatever became of the ones before it, and its latency
//! counts from when it was due, not from when it could be sent. A closed
//! loop (wrk, the comparison's generator) waits for an answer before it
//! asks again, so a slow server slows down the very load that measures it,
//! and its queue never shows ("coordinated omission").
//!
//! The schedule is `workshop_loadgen`'s, the grader's too. At most
//! `connections` are open (1,024, the original's top count): a due
//! request waits for a free one, and that wait is in its latency. Built
//! like the closed-loop generator (two threads, each a single-thread
//! runtime, each with half the requests and half the connections; raw
//! HTTP/1.1 read with httparse) so that it costs the server little CPU.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use tokio::runtime::Runtime;
use workshop_loadgen::{Done, offer};

use crate::BenchError;
use crate::generator::{Wire, runtimes};

/// How long to wait before trying a connection again after it failed.
const RECONNECT_DELAY: Duration = Duration::from_millis(20);

/// What to offer.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Requests a second.
    pub rate: f64,
    /// How long requests are due: `rate × duration` of them.
    pub duration: Duration,
    /// Connections open at most.
    pub connections: usize,
    /// After the last is due, how long the answers still in flight are
    /// waited for; then whatever is left is unanswered.
    pub drain: Duration,
}

impl Schedule {
    fn plan(&self) -> workshop_loadgen::Schedule {
        workshop_loadgen::Schedule {
            rate: self.rate,
            duration: self.duration,
        }
    }
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// Its place: the k-th request, due at k ÷ rate.
    pub index: usize,
    /// Its answer's status, or why there was none.
    pub status: Result<u16, Missing>,
    /// From when it was due to its whole answer (or to the end).
    pub latency: Duration,
}

/// Why a request has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Its connection failed or closed.
    Failed,
    /// None by the end of the drain: still queued, or never sent.
    Unanswered,
}

impl Record {
    /// When it was due, from the start.
    pub fn due(&self, rate: f64) -> Duration {
        Duration::from_secs_f64(self.index as f64 / rate)
    }

    fn from(done: Done<Result<u16, Missing>>) -> Self {
        Record {
            index: done.index,
            // None by the end of the drain: still queued, or never sent.
            status: done.outcome.unwrap_or(Err(Missing::Unanswered)),
            latency: done.latency,
        }
    }
}

/// The generator: a single-thread runtime per thread, kept for the run.
pub struct OpenLoop {
    runtimes: Vec<Runtime>,
}

impl OpenLoop {
    pub fn new() -> Result<Self, BenchError> {
        Ok(Self {
            runtimes: runtimes()?,
        })
    }

    /// Offers `schedule` to `addr`, the k-th request `GET path(k)`. Every
    /// request's record, in the schedule's order. `Interrupted` once `stop`
    /// is set.
    pub fn run(
        &self,
        addr: SocketAddr,
        schedule: Schedule,
        path: impl Fn(usize) -> String + Sync,
        stop: &AtomicBool,
    ) -> Result<Vec<Record>, BenchError> {
        let total = schedule.plan().count();
        // Every request written once, before the clock starts.
        let requests: Arc<[Vec<u8>]> = (0..total)
            .map(|k| format!("GET {} HTTP/1.1\r\nHost: {addr}\r\n\r\n", path(k)).into_bytes())
            .collect();
        let threads = self.runtimes.len();
        let mut records = thread::scope(|scope| {
            let shares: Vec<_> = self
                .runtimes
                .iter()
                .enumerate()
                .map(|(n, runtime)| {
                    let connections = (schedule.connections + threads - 1 - n) / threads;
                    let requests = Arc::clone(&requests);
                    scope.spawn(move || {
                        runtime.block_on(share(
                            addr,
                            schedule,
                            (n..total).step_by(threads),
                            connections,
                            requests,
                            stop,
                        ))
                    })
                })
                .collect();
            gather(shares.into_iter().map(|share| share.join()))
        })?;
        if stop.load(Ordering::SeqCst) {
            return Err(BenchError::Interrupted);
        }
        records.sort_by_key(|record| record.index);
        Ok(records)
    }
}

/// Every thread's records; a thread that panicked fails the run: its
/// requests were never the server's to answer.
fn gather(
    shares: impl IntoIterator<Item = thread::Result<Vec<Record>>>,
) -> Result<Vec<Record>, BenchError> {
    let mut records = Vec::new();
    for share in shares {
        let mut share = share.map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            BenchError::Generator(format!("a thread of the open loop panicked: {why}"))
        })?;
        records.append(&mut share);
    }
    Ok(records)
}

/// One thread's share of the requests, on its share of the connections,
/// until the drain ends or `stop` is set.
async fn share(
    addr: SocketAddr,
    schedule: Schedule,
    indices: impl Iterator<Item = usize>,
    connections: usize,
    requests: Arc<[Vec<u8>]>,
    stop: &AtomicBool,
) -> Vec<Record> {
    // The open connections not in use: a request takes one (or opens one)
    // and gives it back if it stays open. In-flight requests are capped at
    // `connections`, so no more are ever open.
    let free: Arc<Mutex<Vec<Wire>>> = Arc::default();
    let send = |index: usize| {
        let (free, requests) = (Arc::clone(&free), Arc::clone(&requests));
        async move { exchange(addr, &free, &requests[index]).await }
    };
    let until = schedule.duration + schedule.drain;
    let offered = offer(schedule.plan(), indices, connections, until, send);
    let stopped = async {
        while !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        done = offered => done.into_iter().map(Record::from).collect(),
        // The caller sees `stop` and says so.
        () = stopped => Vec::new(),
    }
}

/// One request on a free connection (or a new one, retried until the
/// loop ends), and its answer's status.
async fn exchange(
    addr: SocketAddr,
    free: &Mutex<Vec<Wire>>,
    request: &[u8],
) -> Result<u16, Missing> {
    let taken = free.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut wire = match taken {
        Some(wire) => wire,
        None => loop {
            match Wire::open(addr).await {
                Ok(opened) => break opened,
                Err(_) => tokio::time::sleep(RECONNECT_DELAY).await,
            }
        },
    };
    match wire.exchange(request).await {
        Ok(answer) => {
            if answer.keep_alive {
                free.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(wire);
            }
            Ok(answer.status)
        }
        Err(_) => Err(Missing::Failed),
    }
}

/// The `q`-quantile of `latencies`, in ms; `None` if there are none.
pub fn quantile_ms(latencies: &[Duration], q: f64) -> Option<f64> {
    workshop_loadgen::quantile(latencies.iter().copied(), q).map(|at| at.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rates::{RatesConfig, RatesService};

    use super::*;

    #[test]
    fn latency_counts_from_when_a_request_was_due() {
        // Two connections, answers that take 200 ms, 20 requests a second
        // for half a second: 10 requests, of which two are in flight at a
        // time. The others wait for a connection, and that wait counts: the
        // last is due at 450 ms and answered at 1 s, 550 ms late.
        let service = RatesService::start(RatesConfig::with_latency(Duration::from_millis(200)))
            .expect("a service");
        let schedule = Schedule {
            rate: 20.0,
            duration: Duration::from_millis(500),
            connections: 2,
            drain: Duration::from_secs(3),
        };
        let stop = AtomicBool::new(false);
        let records = OpenLoop::new()
            .expect("a generator")
            .run(service.addr(), schedule, |_| "/latest".into(), &stop)
            .expect("it runs");
        assert_eq!(records.len(), 10);
        assert!(
            records.iter().all(|record| record.status == Ok(200)),
            "{records:?}"
        );
        assert_eq!(records[9].due(20.0), Duration::from_millis(450));
        let first = records[0].latency;
        let last = records[9].latency;
        assert!(first < Duration::from_millis(300), "{first:?}");
        assert!(
            last > Duration::from_millis(450),
            "the wait for a connection counts: {last:?}"
        );
        assert_eq!(service.most_at_once(), 2);
    }

    #[test]
    fn what_is_not_answered_by_the_end_is_counted_unanswered() {
        let service = RatesService::start(RatesConfig::with_latency(Duration::from_secs(10)))
            .expect("a service");
        let schedule = Schedule {
            rate: 10.0,
            duration: Duration::from_millis(300),
            connections: 1,
            drain: Duration::from_millis(200),
        };
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        let records = OpenLoop::new()
            .expect("a generator")
            .run(service.addr(), schedule, |_| "/latest".into(), &stop)
            .expect("it runs");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(records.len(), 3);
        assert!(
            records
                .iter()
                .all(|record| record.status == Err(Missing::Unanswered))
        );
        // The first, due at 0, was still waiting at the end, 500 ms later.
        assert!(
            records[0].latency >= Duration::from_millis(450),
            "{records:?}"
        );
    }

    #[test]
    fn a_crashed_thread_fails_the_run_instead_of_blaming_the_server() {
        let record = Record {
            index: 0,
            status: Ok(200),
            latency: Duration::ZERO,
        };
        let crashed = thread::spawn(|| -> Vec<Record> { panic!("boom") }).join();
        let err = gather([Ok(vec![record]), crashed]).expect_err("a crash is an error");
        assert!(err.to_string().contains("boom"), "{err}");
        assert_eq!(gather([Ok(vec![record])]).expect("no crash"), [record]);
    }

    #[test]
    fn quantiles_are_of_the_sorted_latencies() {
        let times: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(quantile_ms(&times, 0.99), Some(99.0));
        assert_eq!(quantile_ms(&times, 0.5), Some(50.0));
        assert_eq!(quantile_ms(&[], 0.5), None);
    }
}
