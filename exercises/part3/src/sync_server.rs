//! The synchronous server: a fixed pool of threads, each taking one request
//! at a time and blocking on it until it is answered.
//!
//! No runtime, no `.await`: while a thread waits for the rates service it does
//! nothing else, so the pool size bounds how many requests are in flight. By
//! Little's law, `threads ÷ round trip` is this server's best throughput.

use std::io;
use std::sync::Arc;
use std::thread;

use part1::money::parse_request;
use part2::sync_client::SyncCurrencyClient;
use tiny_http::{Header, Request, Response, Server};

use crate::routes::{Page, Reply, route};

/// Serves requests from `server` on `threads` threads until the server closes.
pub fn serve(server: Server, threads: usize, client: SyncCurrencyClient) -> io::Result<()> {
    let server = Arc::new(server);
    let client = Arc::new(client);
    // Start `threads` threads. Each loops over `server.recv()`, which blocks
    // until a request arrives (and fails once the server shuts down), and
    // answers it with `handle`. Then wait for every thread to finish.
    todo!("gap 1: start the worker threads")
}

/// Answers one request, start to finish, on the calling thread.
fn handle(request: Request, client: &SyncCurrencyClient) {
    // Route the request, answer `ok` for the health page and a conversion
    // for the convert page (blocking is fine: this thread serves nobody
    // else), and respond with `text_response`. Every error is a `Reply` too.
    todo!("gap 2: answer one request")
}

/// `reply` as an HTTP response, `text/plain` like the axum servers'.
pub fn text_response(reply: Reply) -> Response<io::Cursor<Vec<u8>>> {
    let content_type =
        Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("a valid header");
    Response::from_string(reply.body)
        .with_status_code(reply.status)
        .with_header(content_type)
}
