//! The HTTP side: `GET /latest`, served by axum on its own thread.

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value, json};
use tokio::sync::oneshot;

use crate::config::{TRICKLE_INTERVAL, delay};
use crate::{Fault, RatesConfig, fixture};

/// Distinct paths counted one by one; any more share one count, so that
/// random paths cannot grow the table without end.
const COUNTED_PATHS: usize = 64;
/// The count every path beyond [`COUNTED_PATHS`] goes to.
const OTHER_PATHS: &str = "(other)";

/// What the handlers share: the configuration, the answer serialised once,
/// the fault of the moment and the requests counted so far.
#[derive(Debug)]
struct Shared {
    config: RatesConfig,
    body: String,
    /// Starts as `config.fault`; [`RatesService::set_fault`] changes it.
    fault: Mutex<Option<Fault>>,
    /// Starts as `config.latency`; [`RatesService::set_latency`] changes it.
    latency: Mutex<Duration>,
    counts: Mutex<BTreeMap<String, u64>>,
    /// `/latest` requests being answered now, and the most there ever were.
    in_flight: Mutex<(u64, u64)>,
}

impl Shared {
    fn new(config: RatesConfig) -> Self {
        Self {
            body: latest_body(&config.rates),
            fault: Mutex::new(config.fault),
            latency: Mutex::new(config.latency),
            counts: Mutex::new(BTreeMap::new()),
            in_flight: Mutex::new((0, 0)),
            config,
        }
    }

    fn fault(&self) -> Option<Fault> {
        *lock(&self.fault)
    }

    fn next_delay(&self) -> Duration {
        delay(*lock(&self.latency), self.config.jitter)
    }

    fn count(&self, path: &str) {
        let mut counts = lock(&self.counts);
        let key = if counts.contains_key(path) || counts.len() < COUNTED_PATHS {
            path
        } else {
            OTHER_PATHS
        };
        *counts.entry(key.to_string()).or_default() += 1;
    }
}

/// A `/latest` being answered, from its arrival until its answer goes, or
/// until the client gives up on it: counted in `Shared::in_flight`.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(shared: Arc<Shared>) -> Self {
        {
            let mut in_flight = lock(&shared.in_flight);
            in_flight.0 += 1;
            in_flight.1 = in_flight.1.max(in_flight.0);
        }
        Self(shared)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.0.in_flight);
        in_flight.0 = in_flight.0.saturating_sub(1);
    }
}

/// The rates service's routes, for embedding in another axum app or a test.
pub fn router(config: RatesConfig) -> Router {
    routes(Arc::new(Shared::new(config)))
}

fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/latest", get(latest))
        .route("/health", get(|| async { "ok" }))
        // Counted as they arrive, before any latency: a check can tell how
        // many requests a server made while they are still being answered.
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), count))
        .with_state(shared)
}

async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.count(request.uri().path());
    next.run(request).await
}

/// `{"base":"EUR","date":"…","rates":{…}}`, the shape api.fixer.io used to answer.
fn latest_body(rates: &BTreeMap<String, Decimal>) -> String {
    let rates: Map<String, Value> = rates
        .iter()
        .map(|(code, rate)| {
            // Built from the decimal's text, so 0.884 goes out as 0.884, not as
            // the nearest binary float.
            let number = rate
                .to_string()
                .parse::<Number>()
                .unwrap_or_else(|_| Number::from(0));
            (code.clone(), Value::Number(number))
        })
        .collect();
    json!({ "base": fixture::BASE, "date": fixture::DATE, "rates": rates }).to_string()
}

async fn latest(State(shared): State<Arc<Shared>>) -> Response {
    let _answering = InFlight::new(Arc::clone(&shared));
    // Sleeping, not blocking: one thread can keep thousands of slow answers waiting.
    tokio::time::sleep(shared.next_delay()).await;
    if shared.config.next_fails() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "rates service: simulated failure\n",
        )
            .into_response();
    }
    let json = [(header::CONTENT_TYPE, "application/json")];
    // The whole body's length, promised up front by the faults that do not
    // deliver it: the client knows more is due, and waits for it.
    let length = [(header::CONTENT_LENGTH, shared.body.len().to_string())];
    match shared.fault() {
        None => (json, shared.body.clone()).into_response(),
        Some(Fault::GarbageJson) => (json, "{\"base\": \"EUR\", \"rates\": oops").into_response(),
        Some(Fault::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "rates service: down for maintenance\n",
        )
            .into_response(),
        Some(Fault::CloseMidResponse) => {
            // Half the body, then an error: hyper drops the connection with
            // the promised Content-Length unmet.
            let half = shared.body.as_bytes()[..shared.body.len() / 2].to_vec();
            let chunks: [Result<Vec<u8>, io::Error>; 2] =
                [Ok(half), Err(io::Error::other("hung up on purpose"))];
            let body = Body::from_stream(futures_util::stream::iter(chunks));
            (json, length, body).into_response()
        }
        Some(Fault::StallBody) => {
            // hyper sends the headers as soon as the response is returned;
            // the body then never yields a byte, until the client gives up.
            let never = futures_util::stream::pending::<Result<Vec<u8>, io::Error>>();
            (json, length, Body::from_stream(never)).into_response()
        }
        Some(Fault::TrickleBody) => {
            let bytes = shared.body.clone().into_bytes();
            let trickle = futures_util::stream::unfold(0, move |next| {
                let byte = bytes.get(next).copied();
                async move {
                    let byte = byte?;
                    // The first byte waits too: the headers come alone.
                    tokio::time::sleep(TRICKLE_INTERVAL).await;
                    Some((Ok::<_, io::Error>(vec![byte]), next + 1))
                }
            });
            (json, length, Body::from_stream(trickle)).into_response()
        }
    }
}

/// A running rates service. It stops when this handle is dropped.
#[derive(Debug)]
pub struct RatesService {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl RatesService {
    /// Starts the service on an ephemeral port of 127.0.0.1, for tests and for
    /// servers that embed it.
    pub fn start(config: RatesConfig) -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config)
    }

    /// Starts the service on `addr`. The port is bound before this returns, so
    /// "address in use" is reported here, not later on another thread.
    pub fn start_on(addr: SocketAddr, config: RatesConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        // Its own thread and runtime: the service works the same whether the
        // caller is async (part 1, part 2), synchronous (part 3) or a test.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared::new(config));
        let app = routes(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        thread::Builder::new()
            .name(format!("rates-service-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let serve = axum::serve(listener, app);
                    // Whichever comes first; dropping the runtime then closes
                    // the port and every open connection.
                    tokio::select! {
                        _ = serve => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(Self {
            addr,
            shared,
            stop: Some(stop),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8081`: what `RATES_URL` expects.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests for `path` (e.g. `/latest`) it has received so far,
    /// answered or not yet.
    pub fn count(&self, path: &str) -> u64 {
        lock(&self.shared.counts).get(path).copied().unwrap_or(0)
    }

    /// The most `/latest` requests it was answering at once, so far: how
    /// many a server had in flight together, counted where they arrive, so
    /// that no delay on the server's side can make it more.
    pub fn most_at_once(&self) -> u64 {
        lock(&self.shared.in_flight).1
    }

    /// Every path asked for so far, with its count.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.counts).clone()
    }

    /// Breaks the service in another way from the next request on, or, with
    /// `None`, mends it: e.g. `Some(Fault::Unavailable)` takes it down and
    /// `None` brings it back. An answer takes the fault in force once its
    /// latency is over.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *lock(&self.shared.fault) = fault;
    }

    /// Answers from the next request on after `latency` (± the configured
    /// jitter): a service that slows down, or recovers, while in use.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }
}

impl Drop for RatesService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The thread may already be gone; either way it is stopping.
            let _ = stop.send(());
        }
    }
}

/// A poisoned lock only means a handler panicked holding it; a count or a
/// fault is still good.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
