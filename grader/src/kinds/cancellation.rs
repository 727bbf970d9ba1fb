//! Part 4's cancellation check: the client whose conversion started the
//! fetch hangs up while the fetch is in flight. axum drops its handler, so
//! whatever that handler owned is cancelled. If it owned the fetch, the
//! other waiters lose it: they get an error, or wait for a second fetch.
//! Right, they get their 200 from the one fetch.

use std::net::Shutdown;
use std::path::Path;
use std::thread;

use rates::RatesConfig;

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Stage};
use crate::engine::numbers::part4::{FIRST_FETCH_WITHIN, HANG_UP_AFTER, WAITERS};
use crate::engine::numbers::{NEVER_EXPIRES, PATIENT, ROUND_TRIP};
use crate::engine::requests::{CONVERT, REQUEST_TIMEOUT, at_once_while, send_unread};
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let stage = Launch::new()
        .one_worker()
        .upstream_timeout(PATIENT)
        .rates_ttl(NEVER_EXPIRES)
        .stage(bin, RatesConfig::with_latency(ROUND_TRIP))?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let fetches = || service.count("/latest");

    // The first conversion, on a connection of our own, to hang up.
    let first = send_unread(server.address()?, REQUEST_TIMEOUT)
        .map_err(|unsent| unsent.reason("connect to the server"))?;
    if !stage.fetch_started(FIRST_FETCH_WITHIN) {
        let why = server.trouble_or(|| {
            format!(
                "it made no fetch of /latest within {} s",
                FIRST_FETCH_WITHIN.as_secs()
            )
        });
        return Err(format!("a conversion never got going: {why}").into());
    }

    let (volley, ()) = at_once_while(client, &server.at(CONVERT), WAITERS, || {
        thread::sleep(HANG_UP_AFTER);
        // Both ways: hyper sees the end of the stream and drops the handler.
        let _ = first.shutdown(Shutdown::Both);
    });

    let fix = "A waiter must not own the fetch: run it on a task of its own \
               (tokio::spawn), so that a cancelled waiter drops only its own wait";
    if let Some((wrong, count)) = volley.first_not(200) {
        let why = server.trouble_or(|| {
            format!(
                "the client whose conversion started the fetch hung up, and {count} of the \
                 {WAITERS} conversions waiting for the same fetch got {}: the fetch was \
                 cancelled with that client's request. {fix}",
                wrong.quoted()
            )
        });
        return Err(why.into());
    }
    match fetches() {
        1 => Ok(format!(
            "the client whose conversion started the fetch hung up; the {WAITERS} others \
             waiting for it got their 200 from that one fetch"
        )),
        more => Err(format!(
            "the client whose conversion started the fetch hung up, and the {WAITERS} others \
             waited for {} of /latest: the first fetch was cancelled with that client's \
             request. {fix}",
            match more - 1 {
                1 => "a second fetch".to_string(),
                n => format!("{n} more fetches"),
            }
        )
        .into()),
    }
}
