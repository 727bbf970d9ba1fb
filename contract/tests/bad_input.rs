//! Bad input, generated: 10 000 requests, each sent to every solution
//! server. None may panic or answer a 5xx (the rates service works here),
//! every body is one line, and all answer alike, byte for byte (part 5
//! alike with the others on every path but its own dated route).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::thread;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
mod support;

use support::solutions::Implementation;
use workshop_contract::upstream::Upstream;

/// Inputs tried, per server.
const CASES: u32 = 10_000;
/// Under Wine, where each request crosses Wine's slower sockets: the same
/// generator and servers, a tenth of the cases (148 s for all of them).
const CASES_UNDER_WINE: u32 = 1_000;

/// What a URL path cannot carry as is.
const ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// One path segment, drawn from the ways people and programs get it wrong.
fn segment() -> impl Strategy<Value = String> {
    let text = |s: &str| Just(s.to_string());
    prop_oneof![
        // Plausible, to reach the converter itself.
        prop::sample::select(vec![
            "GBP", "usd", "JPY", "KWD", "EUR", "XYZ", "convert", "health"
        ])
        .prop_map(str::to_string),
        "-?[0-9]{0,16}(\\.[0-9]{0,32})?",
        prop_oneof![
            text("NaN"),
            text("inf"),
            text("-inf"),
            text("1e5"),
            text("1E-3"),
            text("+5"),
            text("-0"),
            text("0x10"),
            text("1_000"),
            text("١٢٣"),
            text("１２"),
            text("²"),
            text("৫"),
            text("."),
            text("..."),
            text(""),
        ],
        // Any text, percent-encoded: Unicode, controls, slashes, quotes.
        any::<String>().prop_map(|s| utf8_percent_encode(&s, ENCODE).to_string()),
        // Any bytes, each percent-encoded: invalid UTF-8 once decoded.
        prop::collection::vec(any::<u8>(), 0..12).prop_map(|bytes| bytes
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()),
        // Very long.
        (1usize..8000).prop_map(|n| "9".repeat(n)),
        (1usize..8000).prop_map(|n| "A".repeat(n)),
    ]
}

fn request() -> impl Strategy<Value = (String, String)> {
    let method = prop_oneof![
        8 => Just("GET"),
        1 => prop::sample::select(vec!["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    ];
    let path = prop_oneof![
        // /convert/{currency}/{amount}, the usual shape.
        (segment(), segment()).prop_map(|(c, a)| format!("/convert/{c}/{a}")),
        // Extra and missing segments.
        prop::collection::vec(segment(), 0..5).prop_map(|s| format!("/{}", s.join("/"))),
        (segment(), segment(), segment()).prop_map(|(c, a, x)| format!("/convert/{c}/{a}/{x}")),
    ];
    (method.prop_map(str::to_string), path)
}

/// `method path` to one server: its status and body, which must be
/// neither a 5xx nor empty, and one line.
fn ask(
    client: &reqwest::blocking::Client,
    implementation: Implementation,
    base_url: &str,
    method: &str,
    path: &str,
) -> Result<(Implementation, u16, String), TestCaseError> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|err| TestCaseError::fail(format!("{method:?} is no method: {err}")))?;
    let response = client
        .request(method, format!("{base_url}{path}"))
        .send()
        .map_err(|err| TestCaseError::fail(format!("{implementation:?}: no answer: {err}")))?;
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    prop_assert!(
        status < 500,
        "{implementation:?} answered {status} {body:?}"
    );
    prop_assert!(
        !body.contains('\n'),
        "{implementation:?}: {body:?} is not one line"
    );
    prop_assert!(
        !body.is_empty(),
        "{implementation:?}: an empty body says nothing"
    );
    Ok((implementation, status, body))
}

#[test]
fn ten_thousand_bad_requests_break_no_server() {
    let upstream = Upstream::Working.start().unwrap();
    let servers: Vec<(Implementation, String)> = Implementation::ALL
        .into_iter()
        .map(|implementation| (implementation, implementation.start(&upstream.url).unwrap()))
        .collect();
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();

    let config = Config {
        cases: if workshop_testkit::wine::under_wine() {
            CASES_UNDER_WINE
        } else {
            CASES
        },
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&request(), |(method, path)| {
        // Each server asked at once, on a thread of its own: the case
        // takes one round trip, not six.
        let answers = thread::scope(|scope| {
            let asked: Vec<_> = servers
                .iter()
                .map(|(implementation, base_url)| {
                    let (client, method, path) = (&client, &method, &path);
                    scope.spawn(move || ask(client, *implementation, base_url, method, path))
                })
                .collect();
            asked
                .into_iter()
                .map(|asking| asking.join().expect("asking never panics"))
                .collect::<Result<Vec<_>, _>>()
        })?;
        // Parts 5 and 6 have one route more: a conversion on a date. On
        // that shape they answer their own way, alike (each is checked
        // above like the others); on every other, like the rest.
        let dated = path.starts_with("/convert/") && path.split('/').count() == 5;
        let groups: &[bool] = if dated { &[false, true] } else { &[false] };
        for &shared in groups {
            let alike: Vec<_> = answers
                .iter()
                .filter(|(implementation, _, _)| !dated || implementation.dated() == shared)
                .collect();
            let Some((first, status, body)) = alike.first() else {
                continue;
            };
            for (other, other_status, other_body) in &alike[1..] {
                prop_assert_eq!(
                    (status, body),
                    (other_status, other_body),
                    "{:?} and {:?} disagree on {} {}",
                    first,
                    other,
                    method,
                    path
                );
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    for (implementation, base_url) in &servers {
        let health = client.get(format!("{base_url}/health")).send().unwrap();
        assert_eq!(health.status(), 200, "{implementation:?} is still up");
    }
}
