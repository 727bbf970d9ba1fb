//! An open loop at a constant rate, wrk2's method: the k-th request is due
//! at k ÷ rate, whatever became of the ones before it, and its latency
//! counts from when it was due, not from when it could be sent. A closed
//! loop (wrk, the comparison's generator) waits for an answer before it
//! asks again, so a slow server slows down the very load that measures it,
//! and its queue never shows ("coordinated omission").
//!
//! At most `connections` are open (1,024, the original's top count). A
//! free connection takes the next request due; when all are busy, a due
//! request waits for one, and that wait is in its latency, as it is for a
//! client whose request cannot leave. Built like the closed-loop generator
//! (two threads, each a single-thread runtime, raw HTTP/1.1 read with
//! httparse) so that it costs the server little CPU.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use tokio::time::Instant as TokioInstant;

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
    pub fn count(&self) -> usize {
        (self.rate * self.duration.as_secs_f64()).round() as usize
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
        let total = schedule.count();
        // Every request written once, before the clock starts.
        let requests: Arc<[Vec<u8>]> = (0..total)
            .map(|k| format!("GET {} HTTP/1.1\r\nHost: {addr}\r\n\r\n", path(k)).into_bytes())
            .collect();
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now() + Duration::from_millis(100);
        let end = start + schedule.duration + schedule.drain;
        let threads = self.runtimes.len();
        let mut records = thread::scope(|scope| {
            let shares: Vec<_> = self
                .runtimes
                .iter()
                .enumerate()
                .map(|(n, runtime)| {
                    let share = (schedule.connections + threads - 1 - n) / threads;
                    let (requests, next) = (Arc::clone(&requests), Arc::clone(&next));
                    scope.spawn(move || {
                        runtime.block_on(load(
                            share,
                            addr,
                            schedule.rate,
                            start,
                            end,
                            requests,
                            next,
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
        // What no connection took, or took and never heard back from, by
        // the end: unanswered, late since it was due.
        let mut seen = vec![false; total];
        for record in &records {
            seen[record.index] = true;
        }
        let ended = end.saturating_duration_since(start);
        for (index, _) in seen.iter().enumerate().filter(|(_, seen)| !**seen) {
            let due = Duration::from_secs_f64(index as f64 / schedule.rate);
            records.push(Record {
                index,
                status: Err(Missing::Unanswered),
                latency: ended.saturating_sub(due),
            });
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

/// One thread's connections.
#[allow(clippy::too_many_arguments)]
async fn load(
    connections: usize,
    addr: SocketAddr,
    rate: f64,
    start: Instant,
    end: Instant,
    requests: Arc<[Vec<u8>]>,
    next: Arc<AtomicUsize>,
    stop: &AtomicBool,
) -> Vec<Record> {
    let mut tasks = JoinSet::new();
    // `stop` lives as long as the scope that runs this; the tasks end by
    // `end` or `stop`, before the scope does, so a flag of their own keeps
    // them 'static.
    let stopped = Arc::new(AtomicBool::new(false));
    for _ in 0..connections {
        tasks.spawn(connection(
            addr,
            rate,
            start,
            end,
            Arc::clone(&requests),
            Arc::clone(&next),
            Arc::clone(&stopped),
        ));
    }
    let mut records = Vec::new();
    let mut watch = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok(mut done)) => records.append(&mut done),
                Some(Err(_)) => {}
                None => break,
            },
            _ = watch.tick() => {
                if stop.load(Ordering::SeqCst) {
                    stopped.store(true, Ordering::SeqCst);
                    tasks.abort_all();
                }
            }
        }
    }
    records
}

/// One connection: takes the next request due, sends it when it is due (or
/// at once, if late), reads its answer, and again, until none is left.
async fn connection(
    addr: SocketAddr,
    rate: f64,
    start: Instant,
    end: Instant,
    requests: Arc<[Vec<u8>]>,
    next: Arc<AtomicUsize>,
    stopped: Arc<AtomicBool>,
) -> Vec<Record> {
    let mut records = Vec::new();
    let (start, end) = (TokioInstant::from_std(start), TokioInstant::from_std(end));
    let mut wire: Option<Wire> = None;
    while !stopped.load(Ordering::SeqCst) {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = requests.get(index) else {
            break;
        };
        let due = start + Duration::from_secs_f64(index as f64 / rate);
        tokio::time::sleep_until(due).await;
        let exchanged = tokio::time::timeout_at(end, async {
            loop {
                if wire.is_none() {
                    match Wire::open(addr).await {
                        Ok(opened) => wire = Some(opened),
                        Err(_) => {
                            tokio::time::sleep(RECONNECT_DELAY).await;
                            continue;
                        }
                    }
                }
                let Some(open) = wire.as_mut() else { continue };
                return match open.exchange(request).await {
                    Ok(answer) => {
                        if !answer.keep_alive {
                            wire = None;
                        }
                        Ok(answer.status)
                    }
                    Err(_) => {
                        wire = None;
                        Err(Missing::Failed)
                    }
                };
            }
        })
        .await;
        match exchanged {
            Ok(status) => records.push(Record {
                index,
                status,
                latency: due.elapsed(),
            }),
            // The end came first: this one is unanswered, counted by the
            // caller, and so is whatever is left.
            Err(_) => break,
        }
    }
    records
}

/// The `q`-quantile of `latencies`, in ms; `None` if there are none.
pub fn quantile_ms(latencies: &mut [Duration], q: f64) -> Option<f64> {
    if latencies.is_empty() {
        return None;
    }
    latencies.sort();
    let at = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
    Some(latencies[at].as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
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
        let mut times: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(quantile_ms(&mut times, 0.99), Some(99.0));
        assert_eq!(quantile_ms(&mut times, 0.5), Some(50.0));
        assert_eq!(quantile_ms(&mut [], 0.5), None);
    }
}
