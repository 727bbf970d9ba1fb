//! The built-in load generator: closed loop, like `wrk -c N`. N keep-alive
//! connections, each sending its next request as soon as the last answer is
//! in, so exactly N requests are in flight: the "connections" of Little's law.
//!
//! Built like wrk to cost as little CPU as wrk does, since it shares the
//! machine with the servers: a few threads, each with its own single-thread
//! runtime and its share of the connections (no work stealing, no wake-ups
//! across threads); each connection is one task with its own socket. Like
//! wrk, it writes one request prepared once and reads the answer with an
//! HTTP parser (httparse, hyper's), nothing more: on hyper's client it spent
//! 32 µs of CPU an answer to wrk's 26, 4x wrk's user time, which on a 2-core
//! machine is CPU taken from the server it measures. Each task keeps its own
//! HDR histogram, merged at the end. Errors and non-200 answers are counted,
//! never dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::report::Measurement;
use crate::{BenchError, GeneratorKind};

/// Threads of the generator: wrk's `-t2`, so the two generators are
/// compared like for like.
pub const THREADS: usize = 2;

/// The request every connection sends: the original's `curl`.
pub const CONVERT_PATH: &str = "/convert/GBP/100";

/// How long to wait for every connection to open before the clock starts.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// After a failed connection, wait this long before the next try, so a
/// refusing server is not hammered by a tight loop that eats the CPU.
const RECONNECT_DELAY: Duration = Duration::from_millis(20);

/// Latencies are recorded in µs up to a minute. Two significant digits (1 %)
/// keep each histogram at 20 kB: 1024 connections need 1024 of them.
const MAX_LATENCY_US: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 2;

/// Headers an answer may carry; the servers here send three or four.
const MAX_HEADERS: usize = 32;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connections are being opened; nothing is sent.
    Connecting,
    /// Load, not measured: pools fill, threads start.
    Warmup,
    Measuring,
    Stopped,
}

/// What one connection saw.
struct ConnectionStats {
    latencies: Histogram<u64>,
    ok: u64,
    non_200: u64,
    errors: u64,
    warmup_errors: u64,
}

impl ConnectionStats {
    fn new() -> Result<Self, BenchError> {
        Ok(Self {
            latencies: histogram()?,
            ok: 0,
            non_200: 0,
            errors: 0,
            warmup_errors: 0,
        })
    }

    fn error(&mut self, phase: Phase) {
        match phase {
            Phase::Measuring => self.errors += 1,
            _ => self.warmup_errors += 1,
        }
    }
}

fn histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)
        .map_err(|err| BenchError::Generator(format!("cannot make a histogram: {err}")))
}

/// Where requests go, and the request itself, written once: every connection
/// sends these same bytes, as wrk does.
#[derive(Debug, Clone)]
struct Target {
    addr: SocketAddr,
    request: Arc<[u8]>,
}

impl Target {
    fn new(addr: SocketAddr, path: &str) -> Result<Self, BenchError> {
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            return Err(BenchError::Generator(format!("bad path {path:?}")));
        }
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        Ok(Self {
            addr,
            request: request.into_bytes().into(),
        })
    }
}

/// One single-thread runtime per generator thread, kept for the run: the
/// closed loop's and the open loop's.
pub fn runtimes() -> Result<Vec<Runtime>, BenchError> {
    (0..THREADS)
        .map(|_| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| BenchError::Generator(format!("cannot start its runtime: {err}")))
        })
        .collect()
}

/// The generator: one single-thread runtime per thread, kept for the run.
#[derive(Debug)]
pub struct Generator {
    runtimes: Vec<Runtime>,
}

impl Generator {
    pub fn new() -> Result<Self, BenchError> {
        Ok(Self {
            runtimes: runtimes()?,
        })
    }

    /// Loads `addr` with `connections` connections: `warmup` unmeasured,
    /// then `duration` measured. Stops early, with `Interrupted`, once `stop`
    /// is set.
    pub fn run(
        &self,
        addr: SocketAddr,
        connections: usize,
        warmup: Duration,
        duration: Duration,
        stop: &AtomicBool,
    ) -> Result<Measurement, BenchError> {
        let target = Target::new(addr, CONVERT_PATH)?;
        let (phase, watch_phase) = watch::channel(Phase::Connecting);
        let connected = Arc::new(AtomicUsize::new(0));
        let threads = self.runtimes.len();

        let (opened, elapsed, all_stats) = thread::scope(|scope| {
            let mut shares = Vec::with_capacity(threads);
            for (n, runtime) in self.runtimes.iter().enumerate() {
                // Connections n, n + threads, n + 2 × threads…
                let share = (connections + threads - 1 - n) / threads;
                let (target, watch_phase) = (&target, watch_phase.clone());
                let connected = Arc::clone(&connected);
                let spawned = thread::Builder::new()
                    .name(format!("load-generator-{n}"))
                    .spawn_scoped(scope, move || {
                        runtime.block_on(load(share, target, watch_phase, connected))
                    });
                shares.push(spawned);
            }

            // The clock starts once every connection is open: a slow accept
            // queue at 1024 connections must not eat into the measurement.
            let opening = Instant::now();
            while connected.load(Ordering::Relaxed) < connections
                && opening.elapsed() < CONNECT_TIMEOUT
                && !stop.load(Ordering::SeqCst)
            {
                thread::sleep(Duration::from_millis(10));
            }
            let opened = connected.load(Ordering::Relaxed);
            phase.send_replace(Phase::Warmup);
            sleep_unless_stopped(warmup, stop);
            phase.send_replace(Phase::Measuring);
            let started = Instant::now();
            sleep_unless_stopped(duration, stop);
            phase.send_replace(Phase::Stopped);
            let elapsed = started.elapsed();

            let mut all_stats = Vec::with_capacity(connections);
            for share in shares {
                let share = share
                    .map_err(|err| BenchError::Generator(format!("cannot start a thread: {err}")))?
                    .join()
                    .map_err(|_| BenchError::Generator("a thread panicked".into()))??;
                all_stats.extend(share);
            }
            Ok::<_, BenchError>((opened, elapsed, all_stats))
        })?;
        if stop.load(Ordering::SeqCst) {
            return Err(BenchError::Interrupted);
        }

        let mut latencies = histogram()?;
        let mut measurement = Measurement::empty(GeneratorKind::Builtin, connections);
        measurement.connected = Some(opened);
        for stats in all_stats {
            latencies.add(&stats.latencies).map_err(|err| {
                BenchError::Generator(format!("cannot merge the histograms: {err}"))
            })?;
            measurement.ok += stats.ok;
            measurement.non_200 += stats.non_200;
            measurement.errors += stats.errors;
            measurement.warmup_errors += stats.warmup_errors;
        }
        measurement.seconds = elapsed.as_secs_f64();
        measurement.requests_per_s = measurement.ok as f64 / measurement.seconds;
        if !latencies.is_empty() {
            let ms = |quantile| latencies.value_at_quantile(quantile) as f64 / 1000.0;
            measurement.p50_ms = Some(ms(0.50));
            measurement.p99_ms = Some(ms(0.99));
        }
        Ok(measurement)
    }

    /// The median of a few sequential `GET path` to `addr`, after two
    /// unmeasured ones: the round trip a server waits for, as measured.
    pub fn round_trip(
        &self,
        addr: SocketAddr,
        path: &str,
        samples: usize,
    ) -> Result<Duration, BenchError> {
        let fail = |err: String| BenchError::Generator(format!("cannot time {path}: {err}"));
        let target = Target::new(addr, path)?;
        let runtime = self
            .runtimes
            .first()
            .ok_or_else(|| fail("no runtime".into()))?;
        runtime.block_on(async {
            let mut wire = Wire::open(addr)
                .await
                .map_err(|err| fail(err.to_string()))?;
            let mut times = Vec::with_capacity(samples);
            for n in 0..samples + 2 {
                let started = Instant::now();
                let answer = wire
                    .exchange(&target.request)
                    .await
                    .map_err(|err| fail(err.to_string()))?;
                if answer.status != 200 {
                    return Err(fail(format!("answered {}", answer.status)));
                }
                if n >= 2 {
                    times.push(started.elapsed());
                }
            }
            workshop_loadgen::quantile(times, 0.5).ok_or_else(|| fail("no sample".into()))
        })
    }
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let until = Instant::now() + duration;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // Ctrl-C is noticed within 50 ms.
        thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// One thread's share: `connections` tasks on this thread's runtime.
async fn load(
    connections: usize,
    target: &Target,
    phase: watch::Receiver<Phase>,
    connected: Arc<AtomicUsize>,
) -> Result<Vec<ConnectionStats>, BenchError> {
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        tasks.spawn(connection(
            target.clone(),
            phase.clone(),
            Arc::clone(&connected),
        ));
    }
    let mut all = Vec::with_capacity(connections);
    while let Some(joined) = tasks.join_next().await {
        let stats =
            joined.map_err(|err| BenchError::Generator(format!("a connection failed: {err}")))?;
        all.push(stats?);
    }
    Ok(all)
}

/// One closed-loop connection, reconnecting after any error, until stopped.
async fn connection(
    target: Target,
    phase: watch::Receiver<Phase>,
    connected: Arc<AtomicUsize>,
) -> Result<ConnectionStats, BenchError> {
    let mut stats = ConnectionStats::new()?;
    let mut stopped = phase.clone();
    // Stopping abandons the request in flight: its answer would fall outside
    // the measured window anyway. One stop future for the connection's life,
    // not one a request: it is polled whenever the task wakes, and costs a
    // version check.
    tokio::select! {
        biased;
        _ = stopped.wait_for(|p| *p == Phase::Stopped) => {}
        () = closed_loop(&target, &phase, &connected, &mut stats) => {}
    }
    Ok(stats)
}

/// Sends the request, waits for its answer, and again, on one connection
/// after another; returns only if the phase's sender is gone.
async fn closed_loop(
    target: &Target,
    phase: &watch::Receiver<Phase>,
    connected: &AtomicUsize,
    stats: &mut ConnectionStats,
) {
    let mut opened = false;
    let mut waiting = phase.clone();
    'connections: loop {
        let mut wire = match Wire::open(target.addr).await {
            Ok(wire) => wire,
            Err(_) => {
                stats.error(*phase.borrow());
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue 'connections;
            }
        };
        if !opened {
            opened = true;
            connected.fetch_add(1, Ordering::Relaxed);
            // Open, and waiting for the others.
            if waiting.wait_for(|p| *p != Phase::Connecting).await.is_err() {
                return;
            }
        }
        loop {
            let started = Instant::now();
            let answer = wire.exchange(&target.request).await;
            let latency = started.elapsed();
            let now = *phase.borrow();
            match answer {
                Ok(answer) => {
                    if now == Phase::Measuring {
                        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                        stats.latencies.saturating_record(micros.max(1));
                        if answer.status == 200 {
                            stats.ok += 1;
                        } else {
                            stats.non_200 += 1;
                        }
                    }
                    if !answer.keep_alive {
                        continue 'connections;
                    }
                }
                Err(_) => {
                    // A new connection: this one may be half-way through an answer.
                    stats.error(now);
                    continue 'connections;
                }
            }
        }
    }
}

/// What the generator needs from an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// False when the server said `Connection: close`.
    pub(crate) keep_alive: bool,
}

/// One keep-alive HTTP/1.1 connection, one request at a time.
pub(crate) struct Wire {
    stream: TcpStream,
    /// Bytes read and not yet part of a whole answer.
    read: Vec<u8>,
}

impl Wire {
    pub(crate) async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        // Small requests, one at a time: Nagle's delay would only add latency.
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            read: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and reads its whole answer, so the connection can
    /// carry the next one.
    pub(crate) async fn exchange(&mut self, request: &[u8]) -> Result<Answer, BoxError> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((answer, length)) = parse_head(&self.read)? {
                while self.read.len() < length {
                    self.read_more().await?;
                }
                self.read.drain(..length);
                return Ok(answer);
            }
            self.read_more().await?;
        }
    }

    async fn read_more(&mut self) -> Result<(), BoxError> {
        if self.stream.read_buf(&mut self.read).await? == 0 {
            return Err("the server closed the connection".into());
        }
        Ok(())
    }
}

/// The answer at the start of `bytes` and its whole length (head and body),
/// once its head is in; `None` while it is not.
fn parse_head(bytes: &[u8]) -> Result<Option<(Answer, usize)>, BoxError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(bytes)? {
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(head) => head,
    };
    let mut body = None;
    let mut keep_alive = true;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let length = std::str::from_utf8(header.value)?.trim().parse::<usize>()?;
            body = Some(length);
        } else if header.name.eq_ignore_ascii_case("connection") {
            keep_alive = !header.value.eq_ignore_ascii_case(b"close");
        }
    }
    // Every server of the workshop says how long its answers are; the
    // generator reads no other framing, and says so rather than guess.
    let body = body.ok_or("an answer without Content-Length, which this generator cannot read")?;
    let status = response.code.ok_or("an answer without a status")?;
    Ok(Some((Answer { status, keep_alive }, head + body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_parsed_once_whole() {
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nGBP 88.4";
        let expected = Answer {
            status: 200,
            keep_alive: true,
        };
        assert_eq!(parse_head(answer).unwrap(), Some((expected, answer.len())));
        // Not yet: the head is cut short.
        assert_eq!(parse_head(&answer[..20]).unwrap(), None);
    }

    #[test]
    fn connection_close_and_missing_length_are_noticed() {
        let closing = b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let (answer, length) = parse_head(closing).unwrap().unwrap();
        assert_eq!(
            (answer.status, answer.keep_alive, length),
            (502, false, closing.len())
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let err = parse_head(chunked).unwrap_err().to_string();
        assert!(err.contains("Content-Length"), "{err}");
    }

    #[test]
    fn the_request_is_wrks() {
        let target = Target::new("127.0.0.1:8080".parse().unwrap(), CONVERT_PATH).unwrap();
        assert_eq!(
            &*target.request,
            b"GET /convert/GBP/100 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
        );
        assert!(Target::new(target.addr, "no slash").is_err());
    }
}
