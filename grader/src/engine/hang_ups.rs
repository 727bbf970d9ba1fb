//! Clients that hang up mid-request. A client that leaves (a closed laptop,
//! a browser tab shut, a load balancer's timeout) resets its connection
//! while the server still waits for the rates; the server's write of the
//! answer then fails. That failure is no reason to panic, nor to end a
//! worker: a server whose workers do is dead after as many such clients as
//! it has workers, though it passes every check that never hangs up.
//!
//! The clients leave in waves while the rates service is slow, and after
//! each wave the server must still answer `/health`: a server that stops
//! is told after how many hang-ups it did.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use rates::RatesService;
use socket2::SockRef;

use super::launch::Server;
use super::requests::{get_within, send_unread};

/// Clients that hang up at once.
pub const WAVE: usize = 4;
/// The rates service's round trip while they hang up: the server is still
/// waiting for it when they leave.
pub const LATENCY: Duration = Duration::from_millis(200);
/// How long after sending its request a client leaves. A request reaches a
/// server on loopback within a millisecond or two; the server answers no
/// sooner than `LATENCY`. Noise that delays the reset past the answer only
/// lets a wrong server through once, never fails a right one.
const LEAVE_AFTER: Duration = Duration::from_millis(50);
/// After the reset, the server's write fails once the rates come: this long.
const WRITE_FAILS_WITHIN: Duration = Duration::from_millis(250);
/// How long `/health` may take after a wave.
const PROBE_LIMIT: Duration = Duration::from_secs(2);

/// Where a server stopped serving, as hang-ups go.
#[derive(Debug)]
pub struct Stopped {
    /// Clients that had hung up when the server stopped.
    pub hung_up: usize,
    /// What `/health` got then.
    pub probe: String,
}

/// `total` clients (rounded up to whole waves) hang up mid-request, a wave
/// at a time, while `service` answers after `LATENCY`; after each wave,
/// `/health` must answer. How many hung up, or where the server stopped.
/// The service's latency is put back to zero after.
pub fn hang_up(
    server: &Server,
    service: &RatesService,
    client: &reqwest::blocking::Client,
    total: usize,
) -> Result<usize, Stopped> {
    let address = server.address().map_err(|why| Stopped {
        hung_up: 0,
        probe: why,
    })?;
    service.set_latency(LATENCY);
    let result = waves(server, address, client, total);
    service.set_latency(Duration::ZERO);
    result
}

fn waves(
    server: &Server,
    address: SocketAddr,
    client: &reqwest::blocking::Client,
    total: usize,
) -> Result<usize, Stopped> {
    let mut hung_up = 0;
    while hung_up < total {
        thread::scope(|scope| {
            for _ in 0..WAVE {
                scope.spawn(|| leave_mid_request(address));
            }
        });
        hung_up += WAVE;
        thread::sleep(WRITE_FAILS_WITHIN);
        let probe = get_within(client, &server.at("/health"), PROBE_LIMIT);
        if probe.status() != Some(200) {
            return Err(Stopped {
                hung_up,
                probe: probe.shown(),
            });
        }
    }
    Ok(hung_up)
}

/// Sends a conversion, and resets the connection before the answer comes.
/// Failing to connect or send is no hang-up to count, and the probe after
/// the wave says whether the server is still there.
fn leave_mid_request(address: SocketAddr) {
    let Ok(stream) = send_unread(address, PROBE_LIMIT) else {
        return;
    };
    thread::sleep(LEAVE_AFTER);
    // A linger of zero makes close() send a reset, not a polite FIN: the
    // server's next write to this connection fails, as it does when a
    // client vanishes.
    let _ = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_client_that_leaves_resets_its_connection_before_the_answer() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("its address");
        let client = thread::spawn(move || leave_mid_request(address));
        let (mut accepted, _) = listener.accept().expect("the client connects");
        let mut request = [0u8; 256];
        let read = accepted.read(&mut request).expect("its request");
        assert!(request[..read].starts_with(b"GET /convert/GBP/100 HTTP/1.1\r\n"));
        client.join().expect("the client left");
        // The answer comes later, as the rates do: writing it fails once
        // the reset has arrived.
        let started = Instant::now();
        let failed = loop {
            if accepted.write_all(b"HTTP/1.1 200 OK\r\n\r\n").is_err() {
                break true;
            }
            if started.elapsed() > Duration::from_secs(2) {
                break false;
            }
            thread::sleep(Duration::from_millis(20));
        };
        assert!(failed, "writing to a client that reset never failed");
    }
}
