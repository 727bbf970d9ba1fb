//! The converter as a web resource: `GET /convert/{currency}/{amount}` with axum.
//!
//! `curl http://localhost:8080/convert/GBP/100` answers `GBP 88.4`.

use std::net::TcpListener;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::Deserialize;

use crate::client::CurrencyClient;
use crate::error::ConvertError;
use crate::money::parse_request;

/// The two segments of `/convert/{currency}/{amount}`, as typed.
#[derive(Debug, Deserialize, FromRequestParts)]
#[from_request(via(Path), rejection(ConvertError))]
pub struct ConvertPath {
    pub currency: String,
    pub amount: String,
}

/// This server's routes, with the client every request shares.
pub fn router(client: CurrencyClient) -> Router {
    app(get(convert).with_state(Arc::new(client)))
}

/// The routes every workshop server has, around its own `convert` handler:
/// `/health`, and one-line answers for unknown paths and methods.
pub fn app(convert: MethodRouter) -> Router {
    Router::new()
        .route("/convert/{currency}/{amount}", convert)
        .route("/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Serves `app` on `listener` until Ctrl-C.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // If the signal cannot be watched, run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}

// `debug_handler`: if this handler cannot be one (its future is not `Send`,
// an argument is not an extractor), the compiler says why here, in plain
// terms, instead of a long trait error where the route is built.
#[axum::debug_handler]
async fn convert(
    State(client): State<Arc<CurrencyClient>>,
    path: ConvertPath,
) -> Result<String, ConvertError> {
    // Check the path with `parse_request`, convert with `client.convert(…)`
    // (it is async: `.await` it), and answer the conversion as text. `?`
    // turns any `ConvertError` into its response: see `into_response` below.
    // BEGIN GAP part1.webserver.handler
    let (currency, amount) = parse_request(&path.currency, &path.amount)?;
    let conversion = client.convert(&currency, amount).await?;
    Ok(conversion.to_string())
    // END GAP
}

async fn health() -> &'static str {
    "ok"
}

/// The body of a 404 for a path that is not a route (every server says it).
pub const NOT_FOUND: &str = "not found: try GET /convert/GBP/100 or GET /health";
/// The body of a 405: the routes only answer GET.
pub const METHOD_NOT_ALLOWED: &str = "method not allowed: only GET is served here";

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, NOT_FOUND)
}

async fn method_not_allowed() -> (StatusCode, &'static str) {
    (StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED)
}

/// A path axum cannot decode, e.g. `%FF`, is a bad request like any other.
impl From<PathRejection> for ConvertError {
    fn from(_: PathRejection) -> Self {
        ConvertError::BadPath("the segments are not valid UTF-8 once decoded".into())
    }
}

/// Every error answers its status and its one-line message, as plain text.
impl IntoResponse for ConvertError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.to_string()).into_response()
    }
}
