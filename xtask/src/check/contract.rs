//! The contract check: the server answers every request of the contract
//! (status, content type, body) exactly as the solutions do.

use std::collections::BTreeMap;
use std::path::Path;

use workshop_tests::contract::{CASES, mismatch, send};
use workshop_tests::upstream::Upstream;

use super::server::{Launch, Server};
use super::verdict::Verdict;

/// How many mismatches are shown in full; the rest are counted.
const SHOWN: usize = 3;

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
    for case in CASES {
        let server = &servers[&case.upstream];
        let failure = match send(&client, &server.url, case) {
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
    // A panic explains the failures better than the failures do.
    let trouble = servers.values().find_map(Server::trouble);
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

/// The client the checks send requests with. Its timeout bounds every
/// request: a server that never answers fails, it does not hang the grader.
pub fn http_client() -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// Why a request got no answer, without the URL the learner already knows.
pub fn without_url(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "no answer within 10 s".into()
    } else if err.is_connect() {
        "the connection was refused: is the server still running?".into()
    } else {
        "the connection closed without an answer: did the handler panic?".into()
    }
}
