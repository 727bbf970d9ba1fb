//! The built-in load generator: closed loop, like `wrk -c N`. N keep-alive
//! connections, each sending its next request as soon as the last answer is
//! in, so exactly N requests are in flight: the "connections" of Little's law.
//!
//! Built like wrk to cost as little CPU as wrk does, since it shares the
//! machine with the servers: a few threads, each with its own single-thread
//! runtime and its share of the connections (no work stealing, no wake-ups
//! across threads); each connection is one task that drives its own hyper
//! connection (no second task per connection). Each task keeps its own HDR
//! histogram, merged at the end. Errors and non-200 answers are counted,
//! never dropped.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
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

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Conn = Connection<TokioIo<TcpStream>, Empty<Bytes>>;

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

/// Where requests go, parsed once: cloning these is cheap, parsing is not.
#[derive(Debug, Clone)]
struct Target {
    addr: SocketAddr,
    path: Uri,
    host: HeaderValue,
}

impl Target {
    fn new(addr: SocketAddr, path: &str) -> Result<Self, BenchError> {
        let bad = |err: &dyn std::fmt::Display| {
            BenchError::Generator(format!("bad target {addr}{path}: {err}"))
        };
        Ok(Self {
            addr,
            path: path.parse().map_err(|err| bad(&err))?,
            host: HeaderValue::try_from(addr.to_string()).map_err(|err| bad(&err))?,
        })
    }
}

/// The generator: one single-thread runtime per thread, kept for the run.
#[derive(Debug)]
pub struct Generator {
    runtimes: Vec<Runtime>,
}

impl Generator {
    pub fn new() -> Result<Self, BenchError> {
        let runtimes = (0..THREADS)
            .map(|_| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|err| {
                        BenchError::Generator(format!("cannot start its runtime: {err}"))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { runtimes })
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
            let (mut sender, conn) = connect(addr).await.map_err(|err| fail(err.to_string()))?;
            let mut conn = pin!(conn);
            let mut times = Vec::with_capacity(samples);
            for n in 0..samples + 2 {
                let started = Instant::now();
                let status = tokio::select! {
                    answer = send(&mut sender, &target) => answer.map_err(|err| fail(err.to_string()))?,
                    _ = &mut conn => return Err(fail("the connection closed".into())),
                };
                if status != 200 {
                    return Err(fail(format!("answered {status}")));
                }
                if n >= 2 {
                    times.push(started.elapsed());
                }
            }
            times.sort();
            times
                .get(times.len() / 2)
                .copied()
                .ok_or_else(|| fail("no sample".into()))
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

/// One closed-loop connection, reconnecting after any error.
async fn connection(
    target: Target,
    mut phase: watch::Receiver<Phase>,
    connected: Arc<AtomicUsize>,
) -> Result<ConnectionStats, BenchError> {
    let mut stats = ConnectionStats::new()?;
    let mut opened = false;
    'connections: loop {
        let now = *phase.borrow();
        if now == Phase::Stopped {
            break;
        }
        let (mut sender, conn) = match connect(target.addr).await {
            Ok(pair) => pair,
            Err(_) => {
                stats.error(now);
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_DELAY) => continue 'connections,
                    _ = phase.wait_for(|p| *p == Phase::Stopped) => break 'connections,
                }
            }
        };
        if !opened {
            opened = true;
            connected.fetch_add(1, Ordering::Relaxed);
        }
        // Polled next to every request: this moves the connection's bytes.
        let mut conn = pin!(conn);

        // Open, and waiting for the others.
        while *phase.borrow() == Phase::Connecting {
            tokio::select! {
                changed = phase.changed() => if changed.is_err() { break 'connections },
                _ = &mut conn => {
                    stats.error(Phase::Connecting);
                    continue 'connections;
                }
            }
        }

        loop {
            let started = Instant::now();
            let answer = tokio::select! {
                // Stopping abandons the request in flight: its answer would
                // fall outside the measured window anyway.
                biased;
                _ = phase.wait_for(|p| *p == Phase::Stopped) => break 'connections,
                answer = send(&mut sender, &target) => answer,
                _ = &mut conn => Err(BoxError::from("the server closed the connection")),
            };
            let latency = started.elapsed();
            let now = *phase.borrow();
            match answer {
                Ok(status) if now == Phase::Measuring => {
                    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                    stats.latencies.saturating_record(micros.max(1));
                    if status == 200 {
                        stats.ok += 1;
                    } else {
                        stats.non_200 += 1;
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    // A new connection: this one may be half-way through an answer.
                    stats.error(now);
                    continue 'connections;
                }
            }
        }
    }
    Ok(stats)
}

/// Opens a keep-alive HTTP/1.1 connection. The caller polls the returned
/// connection alongside its requests: that is what moves the bytes.
async fn connect(addr: SocketAddr) -> Result<(SendRequest<Empty<Bytes>>, Conn), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    // Small requests, one at a time: Nagle's delay would only add latency.
    stream.set_nodelay(true)?;
    Ok(http1::handshake(TokioIo::new(stream)).await?)
}

/// Sends `GET path` and reads the whole answer (so the connection can be
/// reused); gives its status.
async fn send(sender: &mut SendRequest<Empty<Bytes>>, target: &Target) -> Result<u16, BoxError> {
    sender.ready().await?;
    let request = Request::get(target.path.clone())
        .header(HOST, target.host.clone())
        .body(Empty::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}
