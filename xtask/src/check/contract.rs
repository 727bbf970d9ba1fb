//! The contract check: the server answers every request of the contract
//! (status, content type, body) exactly as the solutions do.

use std::collections::BTreeMap;
use std::path::Path;

use workshop_tests::contract::{CASES, mismatch, send};
use workshop_tests::upstream::Upstream;

use super::server::{Launch, Server};
use super::verdict::Verdict;

/// How many mismatches are shown in full; the rest are counted.
pub const SHOWN: usize = 3;
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
        let launch = Launch {
            rates_url: &running.url,
            ..Launch::default()
        };
        match Server::start(bin, &launch) {
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
            Err(err) => Some(format!(
                "{} {}\n  expected: {} {}\n  actual:   no answer ({})",
                case.method,
                case.path,
                case.status,
                case.body,
                without_url(&err)
            )),
        };
        failures.extend(failure);
    }
    if failures.is_empty() {
        return Verdict::pass(format!("all {} requests answered as expected", CASES.len()));
    }
    // A panic explains the failures better than the failures do, and then
    // one example is enough.
    let trouble = servers.values().find_map(Server::trouble);
    if trouble.is_some() {
        failures.truncate(1);
    }
    let reason = trouble.unwrap_or_else(|| {
        format!(
            "{} of {} requests got a wrong answer",
            failures.len(),
            CASES.len()
        )
    });
    let mut details: Vec<String> = failures.iter().take(SHOWN).cloned().collect();
    if failures.len() > SHOWN {
        details.push(format!("… and {} more", failures.len() - SHOWN));
    }
    Verdict::fail(reason).with_details(details)
}

/// How long any request of the grader waits for its answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The client the checks send requests with. Its timeout bounds every
/// request: a server that never answers fails, it does not hang the grader.
pub fn http_client() -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// Why a request got no answer, without the URL the learner already knows.
pub fn without_url(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
    } else if err.is_connect() {
        "the connection was refused: is the server still running?".into()
    } else {
        "the connection closed without an answer: did the handler panic?".into()
    }
}
