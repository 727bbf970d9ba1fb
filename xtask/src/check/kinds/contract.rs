//! The contract check: the server answers every request of the contract
//! (status, content type, body) exactly as the solutions do.

use std::collections::BTreeMap;
use std::path::Path;

use workshop_tests::contract::{CASES, mismatch, send};
use workshop_tests::upstream::Upstream;

use super::Subject;
use crate::check::engine::launch::Launch;
use crate::check::engine::requests::{REQUEST_TIMEOUT, http_client, without_url};
use crate::check::engine::{self, wrong_answers};
use crate::check::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Server;

/// After this many requests in a row get no answer in time, the server is
/// stuck: asking more would only make the learner wait.
const STUCK_AFTER: usize = 2;

pub fn check(bin: &Path) -> Verdict {
    let client = match http_client() {
        Ok(client) => client,
        Err(err) => return Verdict::fail(err),
    };
    // One server per kind of upstream; each case goes to the right one.
    let mut upstreams = Vec::new();
    let mut servers = BTreeMap::new();
    for upstream in Upstream::ALL {
        let running = match upstream.start() {
            Ok(running) => running,
            Err(err) => return Verdict::fail(format!("cannot start a rates service: {err}")),
        };
        match Launch::new().start(bin, &running.url) {
            Ok(server) => servers.insert(upstream, server),
            Err(why) => return Verdict::fail(why),
        };
        upstreams.push(running);
    }

    let mut failures = Vec::new();
    let mut unanswered = 0;
    for case in CASES {
        let server = &servers[&case.upstream];
        let answer = send(&client, &server.url, case);
        unanswered = match &answer {
            Err(err) if err.is_timeout() => unanswered + 1,
            _ => 0,
        };
        if unanswered == STUCK_AFTER {
            return Verdict::fail(format!(
                "the server stopped answering: {} requests in a row got no answer within {} s. \
                 An infinite loop, or a wait that never ends?",
                STUCK_AFTER,
                REQUEST_TIMEOUT.as_secs()
            ));
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
    if failures.is_empty() {
        return Verdict::pass(format!("all {} requests answered as expected", CASES.len()));
    }
    wrong_answers(servers.values(), failures, |count| {
        format!("{count} of {} requests got a wrong answer", CASES.len())
    })
}
