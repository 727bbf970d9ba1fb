//! The contract, checked against each solution server over real HTTP: the
//! same requests get the same status, content type and body from all of them.

use std::collections::BTreeMap;

use workshop_contract::contract::{CASES, Case, DATED_CASES, mismatch, send};
mod support;

use support::solutions::Implementation;
use workshop_contract::upstream::Upstream;

fn honours_the_contract(implementation: Implementation) {
    honours(implementation, CASES, "answers");
}

/// Sends each of `cases` to a server of `implementation`, each against its
/// kind of rates service; every answer must be the case's, and all of them
/// together the snapshot `snapshot`, which the servers share.
fn honours(implementation: Implementation, cases: &[Case], snapshot: &str) {
    let client = reqwest::blocking::Client::new();
    // One server per kind of upstream, each pointed at its own rates service.
    let mut upstreams = Vec::new();
    let mut servers = BTreeMap::new();
    for upstream in Upstream::ALL {
        let running = upstream.start().expect("a rates service starts");
        let base_url = implementation
            .start(&running.url)
            .expect("the server starts");
        servers.insert(upstream, base_url);
        upstreams.push(running);
    }
    let mut failures = Vec::new();
    let mut rendered = String::new();
    for case in cases {
        match send(&client, &servers[&case.upstream], case) {
            Ok(answer) => {
                rendered.push_str(&format!(
                    "{} {} ({:?} rates)\n  {} {}\n  {}\n",
                    case.method,
                    case.path,
                    case.upstream,
                    answer.status,
                    answer.content_type,
                    answer.body
                ));
                failures.extend(mismatch(case, &answer));
            }
            Err(err) => failures.push(format!("{} {}: no answer: {err}", case.method, case.path)),
        }
    }
    assert!(
        failures.is_empty(),
        "{implementation:?} breaks the contract in {} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The servers share one snapshot: the same answers, byte for byte.
    insta::assert_snapshot!(snapshot, rendered);
}

#[test]
fn part1_async_server_honours_the_contract() {
    honours_the_contract(Implementation::Async);
}

#[test]
fn part2_forceasync_server_honours_the_contract() {
    honours_the_contract(Implementation::ForceAsync);
}

#[test]
fn part3_sync_server_honours_the_contract() {
    honours_the_contract(Implementation::Sync);
}

#[test]
fn part4_cached_server_honours_the_contract() {
    honours_the_contract(Implementation::Cached);
}

#[test]
fn part5_limited_server_honours_the_contract() {
    honours_the_contract(Implementation::Limited);
}

#[test]
fn part5_limited_server_converts_on_a_date() {
    honours(Implementation::Limited, DATED_CASES, "dated_answers");
}

#[test]
fn part6_retrying_server_honours_the_contract() {
    honours_the_contract(Implementation::Retrying);
}

#[test]
fn part6_retrying_server_converts_on_a_date() {
    honours(Implementation::Retrying, DATED_CASES, "dated_answers");
}

#[test]
fn every_expected_body_is_one_line() {
    for case in CASES.iter().chain(DATED_CASES) {
        assert!(
            !case.body.is_empty() && !case.body.contains('\n'),
            "{case:?}"
        );
    }
}
