//! A burst of keep-alive connections to the synchronous server: each is read
//! as soon as it arrives, so 32 worker threads serve 32 connections at once.
//!
//! tiny_http 0.12.0 queued a burst behind the few connection threads it had
//! idle, and a kept-alive connection never let its thread go: most of the
//! burst waited for the others to close (see vendor/tiny_http/PATCHED.md).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use part2::sync_client::SyncCurrencyClient;
use part3::sync_server;
use rates::{RatesConfig, RatesService};

const THREADS: usize = 32;
const REQUESTS_PER_CONNECTION: u32 = 3;
const ROUND_TRIP: Duration = Duration::from_millis(400);
const SERVERS: u32 = 6;

#[test]
fn a_burst_of_keep_alive_connections_is_served_at_once() {
    let rates = RatesService::start(RatesConfig::with_latency(ROUND_TRIP)).unwrap();
    // The fault depends on how threads happen to interleave: without the
    // fix, 3 to 5 of these 6 fresh servers showed it in each of 3 runs.
    for server in 1..=SERVERS {
        let addr = start_sync_server(&rates.url());
        // One connection per worker, all opened at once (as `cargo xtask
        // bench` opens its 32), each kept alive for a few requests in a row.
        let elapsed = burst_of_connections(addr);
        eprintln!("server {server}: {elapsed:.2?}");
        // Served at once, a burst takes 3 round trips; queued, the
        // connections that waited took 3 more at least. The threshold sits in
        // between, and noise only adds time: it can slow this, never pass it.
        let threshold = ROUND_TRIP * REQUESTS_PER_CONNECTION * 3 / 2;
        assert!(
            elapsed < threshold,
            "server {server}: {THREADS} connections x {REQUESTS_PER_CONNECTION} requests took \
             {elapsed:.2?} (threshold {threshold:?}, {ROUND_TRIP:?} a round trip): \
             connections waited for a thread"
        );
    }
}

/// Part 3's server on `THREADS` threads and a free port, until the test ends.
fn start_sync_server(rates_url: &str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = SyncCurrencyClient::new(rates_url, Duration::from_secs(5)).unwrap();
    let server = tiny_http::Server::from_listener(listener, None).unwrap();
    thread::spawn(move || sync_server::serve(server, THREADS, client));
    addr
}

/// Opens `THREADS` connections at once, converses on each, and says how long
/// the conversations took.
fn burst_of_connections(addr: SocketAddr) -> Duration {
    let streams: Vec<TcpStream> = (0..THREADS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let started = Instant::now();
    let connections: Vec<_> = streams
        .into_iter()
        .map(|stream| thread::spawn(move || converse(stream, addr)))
        .collect();
    for connection in connections {
        connection.join().unwrap();
    }
    started.elapsed()
}

/// Sends the connection's requests one after the other, each answered in full
/// (`GBP 88.4`, the body's last bytes) before the next.
fn converse(mut stream: TcpStream, addr: SocketAddr) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!("GET /convert/GBP/100 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    for _ in 0..REQUESTS_PER_CONNECTION {
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0; 1024];
        while !answer.ends_with(b"GBP 88.4") {
            let n = stream.read(&mut buf).expect("an answer within 30 s");
            assert!(n > 0, "the server closed the connection");
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 200"));
    }
}
