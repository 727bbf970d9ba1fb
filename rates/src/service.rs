//! The HTTP side: `GET /latest`, served by axum on its own thread.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value, json};
use tokio::sync::oneshot;

use crate::{Fault, RatesConfig, fixture};

/// What the handler shares: the configuration and the answer, serialised once.
struct Shared {
    config: RatesConfig,
    body: String,
}

/// The rates service's routes, for embedding in another axum app or a test.
pub fn router(config: RatesConfig) -> Router {
    let body = latest_body(&config.rates);
    Router::new()
        .route("/latest", get(latest))
        .route("/health", get(|| async { "ok" }))
        .with_state(Arc::new(Shared { config, body }))
}

/// `{"base":"EUR","date":"…","rates":{…}}`, the shape api.fixer.io used to answer.
fn latest_body(rates: &std::collections::BTreeMap<String, Decimal>) -> String {
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
    // Sleeping, not blocking: one thread can keep thousands of slow answers waiting.
    tokio::time::sleep(shared.config.next_delay()).await;
    if shared.config.next_fails() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "rates service: simulated failure\n",
        )
            .into_response();
    }
    let json = [(header::CONTENT_TYPE, "application/json")];
    match shared.config.fault {
        None => (json, shared.body.clone()).into_response(),
        Some(Fault::GarbageJson) => (json, "{\"base\": \"EUR\", \"rates\": oops").into_response(),
        Some(Fault::CloseMidResponse) => {
            // Half the body, then an error: hyper drops the connection with
            // the promised Content-Length unmet.
            let half = shared.body.as_bytes()[..shared.body.len() / 2].to_vec();
            let chunks: [Result<Vec<u8>, std::io::Error>; 2] =
                [Ok(half), Err(std::io::Error::other("hung up on purpose"))];
            let length = [(header::CONTENT_LENGTH, shared.body.len().to_string())];
            (
                json,
                length,
                Body::from_stream(futures_util::stream::iter(chunks)),
            )
                .into_response()
        }
    }
}

/// A running rates service. It stops when this handle is dropped.
#[derive(Debug)]
pub struct RatesService {
    addr: SocketAddr,
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
        let (stop, stopped) = oneshot::channel::<()>();
        thread::Builder::new()
            .name(format!("rates-service-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let serve = axum::serve(listener, router(config));
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
}

impl Drop for RatesService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The thread may already be gone; either way it is stopping.
            let _ = stop.send(());
        }
    }
}
