//! Futures synchronise producers and consumers.
//!
//! Many requests travel over one connection, each tagged with a correlation
//! id. `some_operation` registers a oneshot channel under a fresh id, sends the
//! request and waits; `poll`, fed with whatever arrives on the connection,
//! completes the channel with that id. Replies may come in any order: the id,
//! not the order, says whose they are.
//!
//! Python had `Future()` and `set_result`; tokio has `oneshot::channel()`:
//! the receiver is the future, the sender completes it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MuxError {
    #[error("the connection is closed")]
    Closed,
    #[error("malformed reply {0:?}: expected `<id> <data>`")]
    Malformed(String),
}

/// Puts a request on the wire: `"<id> <request>"`.
pub fn pack(id: u64, request: &str) -> String {
    format!("{id} {request}")
}

/// Reads a reply off the wire: `"<id> <data>"` gives `(id, data)`.
pub fn parse_buffer(buffer: &str) -> Result<(u64, String), MuxError> {
    let (id, data) = buffer
        .split_once(' ')
        .ok_or_else(|| MuxError::Malformed(buffer.to_string()))?;
    let id = id
        .parse()
        .map_err(|_| MuxError::Malformed(buffer.to_string()))?;
    Ok((id, data.to_string()))
}

/// Matches replies to the callers waiting for them.
#[derive(Debug)]
pub struct Multiplexer {
    next_id: AtomicU64,
    /// Callers waiting for a reply, by correlation id.
    pending: Mutex<HashMap<u64, oneshot::Sender<String>>>,
    /// The outgoing side of the connection; sending never blocks.
    wire: mpsc::UnboundedSender<String>,
}

impl Multiplexer {
    /// A multiplexer, and the receiving end of its wire: whatever reads that
    /// end plays the remote peer.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (wire, outgoing) = mpsc::unbounded_channel();
        let mux = Self {
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            wire,
        };
        (mux, outgoing)
    }

    /// Sends `request` and waits for the reply with its id.
    pub async fn some_operation(&self, request: &str) -> Result<String, MuxError> {
        // Make a oneshot channel, register its sender in `self.pending` under
        // a fresh id, and only then send `pack(id, request)` on `self.wire`:
        // a reply may arrive before `send` even returns. Then await the
        // receiver. If the caller gives up (drops this future), its sender
        // stays registered until its reply comes and finds nobody.
        todo!("gap 1: register a oneshot under a fresh id, send, and await the reply")
    }

    /// Hands one reply to its caller. Returns whether a caller got it: an
    /// unknown id, or a caller that gave up, is no error, just nobody home.
    pub fn poll(&self, buffer: &str) -> Result<bool, MuxError> {
        // Parse the buffer, take the sender with that id out of
        // `self.pending`, and send it the data. A send fails only when the
        // receiver is gone: the caller gave up, which is not our problem.
        todo!("gap 2: parse a reply and complete the future with its id")
    }

    /// How many callers are still waiting.
    pub fn in_flight(&self) -> usize {
        self.pending().len()
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<u64, oneshot::Sender<String>>> {
        // A panic elsewhere while holding the lock leaves the map intact:
        // keep using it rather than spreading the panic.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
