//! The HTTP side: `GET /latest` and `GET /{date}`, served by axum on its own
//! thread, with the quota on the dated requests, and the trouble on cue
//! (failures, outages, the log of arrivals) in front of both.

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value, json};
use tokio::sync::{Notify, oneshot};

use crate::config::{TRICKLE_INTERVAL, delay};
use crate::date::{self, Date};
use crate::trouble::{Arrival, FailureKind, Failures, Outage, Outcome, Trouble};
use crate::{Fault, RatesConfig, fixture};

/// Distinct paths counted one by one; any more share one count, so that
/// random paths cannot grow the table without end.
const COUNTED_PATHS: usize = 64;
/// The count every path beyond [`COUNTED_PATHS`] goes to.
const OTHER_PATHS: &str = "(other)";

/// How long a request for a date past the quota waits for a place before
/// its 429. A client that hangs up holds its place until the service sees
/// its connection close, a moment later (on a busy machine, milliseconds);
/// the request its leaving let through (another client given its permit)
/// can arrive in that moment, and is not one too many. A request past a
/// quota that is really full waits this long, then is refused: far less
/// than any round trip the checks use, so no answer frees its place in it.
pub const QUOTA_GRACE: Duration = Duration::from_millis(50);

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
    /// The failures and the outage in force, and the log of arrivals.
    trouble: Mutex<Trouble>,
    /// The requests for rates being answered, and the most there ever were.
    load: Mutex<Load>,
    /// Told each time a request for a date is done: a place in the quota
    /// is free.
    freed: Notify,
}

/// Requests for rates (`/latest` or a date) being answered, counted where
/// they arrive: how many a server has in flight, which no delay on the
/// server's side can make more.
#[derive(Debug, Default, Clone, Copy)]
struct Load {
    /// Being answered now, and the most at once so far.
    now: u64,
    most: u64,
    /// Of those now, the requests for a date: what the quota counts.
    dated: u64,
    /// Requests for a date refused with a 429, past the quota.
    refused: u64,
    /// Requests for a date received in all, refused ones included.
    dated_total: u64,
}

impl Shared {
    fn new(config: RatesConfig) -> Self {
        let mut trouble = Trouble::new(config.failures, config.outage);
        trouble.set_rate_limit(config.rate_limit);
        Self {
            body: rates_body(&config.rates, fixture::DATE),
            fault: Mutex::new(config.fault),
            latency: Mutex::new(config.latency),
            counts: Mutex::new(BTreeMap::new()),
            trouble: Mutex::new(trouble),
            load: Mutex::new(Load::default()),
            freed: Notify::new(),
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

/// A request for rates being answered, from its arrival until its answer
/// goes, or until the client gives up on it: counted in `Shared::load`.
struct InFlight {
    shared: Arc<Shared>,
    dated: bool,
}

impl InFlight {
    /// `/latest`: never refused.
    fn latest(shared: Arc<Shared>) -> Self {
        lock(&shared.load).arrived();
        Self {
            shared,
            dated: false,
        }
    }

    /// A date's rates: counted in, or, past the quota for longer than
    /// [`QUOTA_GRACE`], `None`: refused, and counted as such.
    async fn dated(shared: Arc<Shared>) -> Option<Self> {
        let grace = tokio::time::sleep(QUOTA_GRACE);
        tokio::pin!(grace);
        loop {
            // Listening before the count is read: a place freed in between
            // still wakes this request.
            let freed = shared.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if Self::take_place(&shared) {
                break;
            }
            tokio::select! {
                () = &mut freed => {}
                () = &mut grace => {
                    lock(&shared.load).refused += 1;
                    return None;
                }
            }
        }
        Some(Self {
            shared,
            dated: true,
        })
    }

    /// A place in the quota, if one is free.
    fn take_place(shared: &Shared) -> bool {
        let mut load = lock(&shared.load);
        let quota = shared.config.quota.map(|quota| quota as u64);
        if quota.is_some_and(|quota| load.dated >= quota) {
            return false;
        }
        load.dated += 1;
        load.arrived();
        true
    }
}

impl Load {
    fn arrived(&mut self) {
        self.now += 1;
        self.most = self.most.max(self.now);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut load = lock(&self.shared.load);
        load.now = load.now.saturating_sub(1);
        if self.dated {
            load.dated = load.dated.saturating_sub(1);
            self.shared.freed.notify_waiters();
        }
    }
}

/// The rates service's routes, for embedding in another axum app or a test.
pub fn router(config: RatesConfig) -> Router {
    routes(Arc::new(Shared::new(config)))
}

fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/latest", get(latest))
        // `/health` is routed first whatever the order; anything else of
        // one segment is asked as a date.
        .route("/{date}", get(dated))
        // The requests for rates, and only they: `/health` stays up in an
        // outage, as a process that is alive but failing does.
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), arrive))
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

/// A request for rates, as it arrives: logged with the moment, counted if
/// it is for a date, and, if a failure share or an outage strikes it,
/// failed at once, before the quota and the latency.
async fn arrive(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // Only `/latest` and `/{date}` come through here.
    let dated = path != "/latest";
    if dated {
        lock(&shared.load).dated_total += 1;
    }
    let (number, failure) = lock(&shared.trouble).arrive(path, dated);
    let logged = Logged {
        shared: Arc::clone(&shared),
        number,
        outcome: Outcome::Abandoned,
    };
    let (response, outcome) = match failure {
        Some(kind) => failed(kind),
        None => {
            let response = next.run(request).await;
            let status = Outcome::Status(response.status().as_u16());
            (response, status)
        }
    };
    logged.answered(outcome);
    response
}

/// An arrival's entry in the log, filled in when it is dropped: with the
/// answer, or, if hyper dropped the request first (its client hung up),
/// as abandoned.
struct Logged {
    shared: Arc<Shared>,
    number: u64,
    outcome: Outcome,
}

impl Logged {
    fn answered(mut self, outcome: Outcome) {
        self.outcome = outcome;
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        lock(&self.shared.trouble).answered(self.number, self.outcome);
    }
}

/// The answer of a request struck by a failure share or an outage.
fn failed(kind: FailureKind) -> (Response, Outcome) {
    let (status, retry_after, line) = match kind {
        FailureKind::Reset => return (reset(), Outcome::Reset),
        FailureKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "rates service: simulated failure\n",
        ),
        FailureKind::Unavailable(retry_after) => (
            StatusCode::SERVICE_UNAVAILABLE,
            retry_after,
            "rates service: unavailable, try again later\n",
        ),
        FailureKind::TooManyRequests(retry_after) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(retry_after),
            "rates service: too many requests, slow down\n",
        ),
        FailureKind::ClientError(status) => (
            // `FailureKind::client_error` makes only 4xx; one made by hand
            // with something else is a 400 still.
            StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_client_error)
                .unwrap_or(StatusCode::BAD_REQUEST),
            None,
            "rates service: refused, and it will be however often it is asked\n",
        ),
    };
    let mut response = (status, line).into_response();
    let value = retry_after.map(|retry| retry.value_at(SystemTime::now()));
    // Digits or an HTTP-date: always a valid header value.
    if let Some(Ok(value)) = value.as_deref().map(HeaderValue::from_str) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    (response, Outcome::Status(status.as_u16()))
}

/// A response that makes hyper close the connection without sending a byte
/// of it. hyper buffers a response's head and polls its body before it
/// writes anything; a body whose first poll is an error ends the connection
/// there, the head unsent. The client, its request sent, sees the
/// connection close: an error, not a status.
fn reset() -> Response {
    let broken = [Err::<Vec<u8>, _>(io::Error::other("reset on purpose"))];
    Response::new(Body::from_stream(futures_util::stream::iter(broken)))
}

/// `{"base":"EUR","date":"…","rates":{…}}`, the shape api.fixer.io used to answer.
fn rates_body(rates: &BTreeMap<String, Decimal>, date: &str) -> String {
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
    json!({ "base": fixture::BASE, "date": date, "rates": rates }).to_string()
}

async fn latest(State(shared): State<Arc<Shared>>) -> Response {
    let _answering = InFlight::latest(Arc::clone(&shared));
    let body = shared.body.clone();
    answer(&shared, body).await
}

/// `GET /2016-10-14`: the rates of that day, each day its own
/// ([`fixture::factor_on`] times the configured rates), from the first
/// rates to today. Past the quota, a 429 before any latency (after
/// [`QUOTA_GRACE`] at most): a paid API refuses what the plan does not
/// cover without making it wait.
async fn dated(State(shared): State<Arc<Shared>>, Path(date): Path<String>) -> Response {
    let Some(_answering) = InFlight::dated(Arc::clone(&shared)).await else {
        let quota = shared.config.quota.unwrap_or_default();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            format!("rates service: at most {quota} requests at once on this plan\n"),
        )
            .into_response();
    };
    let date = match date.parse::<Date>() {
        Ok(date) if (date::FIRST..=Date::today()).contains(&date) => date,
        Ok(date) => {
            return (
                StatusCode::NOT_FOUND,
                format!("rates service: no rates for {date}\n"),
            )
                .into_response();
        }
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "rates service: expected a date like 2016-10-14\n",
            )
                .into_response();
        }
    };
    let factor = fixture::factor_on(date);
    let rates = shared
        .config
        .rates
        .iter()
        .map(|(code, rate)| (code.clone(), rate * factor))
        .collect();
    answer(&shared, rates_body(&rates, &date.to_string())).await
}

/// The answer with `body`, after the latency, as the fault of the moment
/// has it.
async fn answer(shared: &Shared, body: String) -> Response {
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
    let length = [(header::CONTENT_LENGTH, body.len().to_string())];
    match shared.fault() {
        None => (json, body).into_response(),
        Some(Fault::GarbageJson) => (json, "{\"base\": \"EUR\", \"rates\": oops").into_response(),
        Some(Fault::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "rates service: down for maintenance\n",
        )
            .into_response(),
        Some(Fault::CloseMidResponse) => {
            // Half the body, then an error: hyper drops the connection with
            // the promised Content-Length unmet.
            let half = body.as_bytes()[..body.len() / 2].to_vec();
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
            let bytes = body.into_bytes();
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

    /// The most requests for rates (`/latest` or a date) it was answering
    /// at once, so far: how many a server had in flight together, counted
    /// where they arrive, so that no delay on the server's side can make it
    /// more. Requests refused past the quota are not counted in it (see
    /// [`RatesService::refused`]): a 429 is answered at once.
    pub fn most_at_once(&self) -> u64 {
        lock(&self.shared.load).most
    }

    /// Requests for rates being answered now.
    pub fn in_flight(&self) -> u64 {
        lock(&self.shared.load).now
    }

    /// Counts the most at once afresh from now: what is in flight now.
    pub fn reset_most_at_once(&self) {
        let mut load = lock(&self.shared.load);
        load.most = load.now;
    }

    /// Requests for a date it refused with `429 Too Many Requests`.
    pub fn refused(&self) -> u64 {
        lock(&self.shared.load).refused
    }

    /// Requests for a date it received in all, refused ones included, and
    /// failed ones (by a failure share or an outage).
    pub fn dated_requests(&self) -> u64 {
        lock(&self.shared.load).dated_total
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

    /// Fails a share of the requests for rates from the next one on, or,
    /// with `None`, no more. A counted share starts its count afresh: with
    /// `Share::one_in(3)`, the next request fails, then every third.
    pub fn set_failures(&self, failures: Option<Failures>) {
        lock(&self.shared.trouble).set_failures(failures);
    }

    /// Takes the service down between two moments (see [`Outage`]), or,
    /// with `None`, calls off the outage set.
    pub fn set_outage(&self, outage: Option<Outage>) {
        lock(&self.shared.trouble).set_outage(outage);
    }

    /// A `503` for every request for rates arriving in `[from, until)`.
    pub fn outage(&self, from: Instant, until: Instant) {
        self.set_outage(Some(Outage::new(from, until)));
    }

    /// Every request for rates (`/latest`, a date) it has received, oldest
    /// first, with the moment it arrived and what became of it: how a
    /// check sees a client's attempts, and the gaps between them. The
    /// latest [`ARRIVALS_KEPT`](crate::ARRIVALS_KEPT) only.
    pub fn arrivals(&self) -> Vec<Arrival> {
        lock(&self.shared.trouble).arrivals()
    }

    /// The same, and forgets them: a check reads one step at a time. A
    /// request still pending when taken stays `Pending` in what it got.
    pub fn take_arrivals(&self) -> Vec<Arrival> {
        lock(&self.shared.trouble).take_arrivals()
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
