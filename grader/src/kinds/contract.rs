//! The contract check: the server answers every request of the contract
//! (status, content type, body) exactly as the solutions do.

use std::collections::BTreeMap;
use std::path::Path;

use workshop_contract::contract::{CASES, mismatch, send_within};
use workshop_contract::upstream::Upstream;

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Server};
use crate::engine::numbers::{CONTRACT_LIMIT, STUCK_AFTER};
use crate::engine::requests::{Deadline, REQUEST_TIMEOUT, http_client, within, without_url};
use crate::engine::{self, wrong_answers};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let client = http_client()?;
    // One server per kind of upstream; each case goes to the right one.
    let mut upstreams = Vec::new();
    let mut servers = BTreeMap::new();
    for upstream in Upstream::ALL {
        let running = upstream
            .start()
            .map_err(|err| format!("cannot start a rates service: {err}"))?;
        servers.insert(upstream, Launch::new().start(bin, &running.url)?);
        upstreams.push(running);
    }

    let deadline = Deadline::after(CONTRACT_LIMIT);
    let mut failures = Vec::new();
    let mut unanswered = 0;
    for (asked, case) in CASES.iter().enumerate() {
        let server = &servers[&case.upstream];
        if deadline.passed() {
            return Err(too_slow(&servers, asked));
        }
        let timeout = deadline.left().min(REQUEST_TIMEOUT);
        let answer = send_within(&client, &server.url, case, Some(timeout));
        if matches!(&answer, Err(err) if err.is_timeout()) && deadline.passed() {
            return Err(too_slow(&servers, asked));
        }
        unanswered = match &answer {
            Err(err) if err.is_timeout() => unanswered + 1,
            _ => 0,
        };
        if unanswered == STUCK_AFTER {
            return Err(format!(
                "the server stopped answering: {} requests in a row got no answer within {} s. \
                 An infinite loop, or a wait that never ends?",
                STUCK_AFTER,
                REQUEST_TIMEOUT.as_secs()
            )
            .into());
        }
        let failure = match answer {
            Ok(answer) => mismatch(case, &answer),
            Err(err) => Some(engine::mismatch(
                &format!("{} {}", case.method, case.path),
                &format!("{} {}", case.status, case.body),
                &format!("no answer ({})", without_url(&err)),
            )),
        };
        failures.extend(failure);
    }
    if !failures.is_empty() {
        return Err(wrong_answers(servers.values(), failures, |count| {
            format!("{count} of {} requests got a wrong answer", CASES.len())
        }));
    }
    Ok(format!("all {} requests answered as expected", CASES.len()))
}

/// The failure when the requests took longer, in all, than a right server
/// could: how far they got.
fn too_slow(servers: &BTreeMap<Upstream, Server>, answered: usize) -> Failed {
    let reason = servers.values().find_map(Server::trouble);
    Failed::new(reason.unwrap_or_else(|| {
        format!(
            "only {answered} of {} requests were answered within {}, where a right server \
             answers them all in about half a second. Something makes each request wait: a \
             sleep or a blocking call in the handler?",
            CASES.len(),
            within(CONTRACT_LIMIT)
        )
    }))
}
