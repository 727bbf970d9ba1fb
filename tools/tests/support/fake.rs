//! Rooms that go wrong, on real sockets: one that is down, one that takes
//! 5 s to answer, one that answers 500, one that answers garbage.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Down,
    Slow,
    ServerError,
    Garbage,
}

/// A room with `fault`, and its URL. Its threads end with the test.
pub fn room(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    if let Fault::Down = fault {
        // Nothing listens there any more: a connection is refused.
        return url;
    }
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream, fault));
        }
    });
    url
}

fn answer(mut stream: TcpStream, fault: Fault) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut request = [0; 64 * 1024];
    let _ = stream.read(&mut request);
    let answer: &[u8] = match fault {
        Fault::Down => return,
        Fault::Slow => {
            thread::sleep(Duration::from_secs(5));
            b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nrecorded\n"
        }
        Fault::ServerError => {
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 5\r\n\r\noops\n"
        }
        Fault::Garbage => b"\x00\xff\x13 this is no HTTP at all \xfe\r\n\r\n\x00",
    };
    let _ = stream.write_all(answer);
}
