//! Part 5's observe check: with `--log json`, one span per request, read
//! back from the JSON lines the server writes on stderr, each with its
//! outcome, its wait for a permit and its time upstream, all true.
//!
//! Against a rates service of quota 4 and a round trip of 500 ms, with a
//! `--max-wait` of 750 ms, 12 conversions on a date at once: a right
//! server serves 4 at once, 4 after a wait of a round trip, and sheds 4
//! after waiting its 750 ms (another design may split them otherwise: each
//! span is held to what its own client measured, not to this split). Then,
//! with the rates service down, 2 that fail. Each request has a date of its
//! own, and its line is the one that names it.
//!
//! What is graded is what the lines say, wherever in a line it is (a span's
//! fields, an event's, the top level): an `outcome` that matches the answer
//! (`served` for a 200, `shed` for a 503, `failed` otherwise), a `wait_ms`
//! for the served and the shed, and an `upstream_ms` for the served, whose
//! sum lies within the time the client measured, and short of it by 400 ms
//! at most (the faults are off by a round trip, 500 ms, or more).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rates::date::FIRST;
use rates::{Fault, RatesConfig};
use serde_json::{Map, Value};

use super::Subject;
use crate::engine::launch::{Launch, Stage};
use crate::engine::numbers::PATIENT;
use crate::engine::numbers::part5::{
    OBSERVED_QUOTA, OBSERVED_ROUND_TRIP, OBSERVED_WAIT, SPAN_GRAIN, SPAN_TOLERANCE,
};
use crate::engine::requests::{REQUEST_TIMEOUT, Reply, each_at_once_while, get};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::Server;

/// The fields a line must carry, as the exercise names them.
const OUTCOME: &str = "outcome";
const WAIT: &str = "wait_ms";
const UPSTREAM: &str = "upstream_ms";

/// Conversions at once: three times the quota.
const AT_ONCE: usize = 3 * OBSERVED_QUOTA;
/// Conversions while the rates service is down.
const FAILING: usize = 2;

pub fn check(bin: &Path) -> Checked {
    let config = RatesConfig {
        quota: Some(OBSERVED_QUOTA),
        ..RatesConfig::with_latency(OBSERVED_ROUND_TRIP)
    };
    let stage = Launch::new()
        .max_fetches(OBSERVED_QUOTA)
        .max_wait(Some(OBSERVED_WAIT))
        .upstream_timeout(PATIENT)
        .log_json()
        .stage(bin, config)?;
    let Stage {
        service,
        server,
        client,
    } = &stage;
    let path = |n: usize| format!("/convert/GBP/100/{}", FIRST.plus_days(n as i64));
    let urls: Vec<String> = (0..AT_ONCE).map(|n| server.at(&path(n))).collect();
    let (volley, ()) = each_at_once_while(client, &urls, REQUEST_TIMEOUT, || ());
    service.set_fault(Some(Fault::Unavailable));
    let mut asked: Vec<(String, Reply)> = (0..AT_ONCE).map(path).zip(volley.replies).collect();
    for n in AT_ONCE..AT_ONCE + FAILING {
        let reply = get(client, &server.at(&path(n)));
        asked.push((path(n), reply));
    }
    // A span's line is written when it closes, a moment after its answer
    // left: let the last ones reach us.
    std::thread::sleep(Duration::from_millis(200));
    if let Some(why) = server.trouble() {
        return Err(why.into());
    }
    let stderr = server.proc().stderr();
    let lines: Vec<Map<String, Value>> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| match value {
            Value::Object(object) => Some(object),
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        return Err(format!(
            "with --log json, the server wrote no JSON line on stderr for {} requests (its \
             last words: {:?}): set a JSON subscriber (tracing_subscriber::fmt().json()) \
             writing to stderr, with span close events (FmtSpan::CLOSE)",
            asked.len(),
            crate::engine::launch::last_line(&stderr)
        )
        .into());
    }

    let mut wrong = Vec::new();
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (path, reply) in &asked {
        let date = path.rsplit('/').next().unwrap_or_default();
        let spans: Vec<BTreeMap<String, Value>> = lines
            .iter()
            .map(fields)
            .filter(|fields| fields.contains_key(OUTCOME) && mentions(fields, date))
            .collect();
        let expected = match reply.status() {
            Some(200) => "served",
            Some(503) => "shed",
            _ => "failed",
        };
        *outcomes.entry(expected).or_default() += 1;
        let span = match spans.as_slice() {
            [span] => span,
            [] => {
                wrong.push(format!(
                    "GET {path} ({}): no line with an `{OUTCOME}` names it",
                    reply.shown()
                ));
                continue;
            }
            many => {
                wrong.push(format!(
                    "GET {path}: {} lines with an `{OUTCOME}` name it, where one span a \
                     request closes once",
                    many.len()
                ));
                continue;
            }
        };
        if let Some(why) = untrue(span, expected, reply) {
            wrong.push(format!("GET {path} ({}, after {} ms): {why}", reply.shown(), reply.took.as_millis()));
        }
    }
    if !wrong.is_empty() {
        let count = wrong.len();
        let reason = format!(
            "{count} of {} requests have no true span: each needs one line saying its \
             `{OUTCOME}`, the `{WAIT}` it waited for a permit, and its `{UPSTREAM}` (fields \
             recorded later must be declared when the span is made, `field::Empty`, or the \
             record is lost; the span must be the one the request runs in, `.instrument(span)`)",
            asked.len()
        );
        let mut details: Vec<String> = wrong.into_iter().take(3).collect();
        if count > 3 {
            details.push(format!("… and {} more", count - 3));
        }
        return Err(Failed::new(reason).with_details(details));
    }
    let said: Vec<String> = outcomes
        .iter()
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    Ok(format!(
        "{} requests, {}: each one JSON line with its outcome, its wait for a permit and \
         its time upstream, true to what the client measured",
        asked.len(),
        said.join(", ")
    ))
}

/// A line's fields, wherever the subscriber put them: its top level, its
/// span's (`span`), its event's (`fields`), the event's last.
fn fields(line: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    let mut take = |object: &Map<String, Value>| {
        for (key, value) in object {
            if !value.is_object() && !value.is_array() {
                all.insert(key.clone(), value.clone());
            }
        }
    };
    take(line);
    for nested in ["span", "fields"] {
        if let Some(Value::Object(object)) = line.get(nested) {
            take(object);
        }
    }
    all
}

/// Whether some text field holds `date`.
fn mentions(fields: &BTreeMap<String, Value>, date: &str) -> bool {
    fields
        .values()
        .any(|value| value.as_str().is_some_and(|text| text.contains(date)))
}

/// A number of milliseconds: a JSON number, or a text of one.
fn millis(fields: &BTreeMap<String, Value>, name: &str) -> Option<f64> {
    match fields.get(name)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().trim_end_matches("ms").trim().parse().ok(),
        _ => None,
    }
}

/// What is untrue in `span`, for a request that `reply` answered, if
/// anything.
fn untrue(span: &BTreeMap<String, Value>, expected: &str, reply: &Reply) -> Option<String> {
    let outcome = span.get(OUTCOME).and_then(Value::as_str).unwrap_or("?");
    if outcome != expected {
        return Some(format!("its span says `{OUTCOME}` {outcome:?}, not {expected:?}"));
    }
    if expected == "failed" {
        return None;
    }
    let Some(wait) = millis(span, WAIT) else {
        return Some(format!("its span has no `{WAIT}`, the time it waited for a permit"));
    };
    let upstream = if expected == "served" {
        match millis(span, UPSTREAM) {
            Some(upstream) => upstream,
            None => return Some(format!("its span has no `{UPSTREAM}`, the time its fetch took")),
        }
    } else {
        millis(span, UPSTREAM).unwrap_or(0.0)
    };
    let measured = reply.took.as_secs_f64() * 1000.0;
    let (grain, tolerance) = (
        SPAN_GRAIN.as_secs_f64() * 1000.0,
        SPAN_TOLERANCE.as_secs_f64() * 1000.0,
    );
    if expected == "served" && upstream < OBSERVED_ROUND_TRIP.as_secs_f64() * 1000.0 * 0.9 {
        return Some(format!(
            "its span says {UPSTREAM} {upstream:.0}, where its fetch took a round trip of {} \
             ms at least",
            OBSERVED_ROUND_TRIP.as_millis()
        ));
    }
    let told = wait + upstream;
    if told > measured + grain || told < measured - tolerance {
        return Some(format!(
            "its span says {WAIT} {wait:.0} and {UPSTREAM} {upstream:.0}, {told:.0} ms in all, \
             where its client waited {measured:.0} ms: are they milliseconds, and measured \
             around the wait for a permit and around the fetch?"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, took: u64) -> Reply {
        Reply {
            answer: Ok((status, String::new())),
            took: Duration::from_millis(took),
        }
    }

    fn line(json: &str) -> BTreeMap<String, Value> {
        match serde_json::from_str::<Value>(json).expect("JSON") {
            Value::Object(object) => fields(&object),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn a_close_line_of_tracing_subscriber_is_read_wherever_its_fields_are() {
        let close = line(
            r#"{"level":"INFO","fields":{"message":"close","time.busy":"1ms"},"target":"x",
               "span":{"outcome":"served","path":"/convert/GBP/100/1999-01-05","upstream_ms":501.5,
               "wait_ms":502.0,"name":"request"},"spans":[]}"#,
        );
        assert!(mentions(&close, "1999-01-05"));
        assert!(!mentions(&close, "1999-01-06"));
        assert_eq!(millis(&close, WAIT), Some(502.0));
        assert_eq!(untrue(&close, "served", &reply(200, 1010)), None);
        let event = line(r#"{"fields":{"outcome":"shed","wait_ms":"750ms","uri":"/x/1999-01-07"}}"#);
        assert!(mentions(&event, "1999-01-07"));
        assert_eq!(untrue(&event, "shed", &reply(503, 755)), None);
    }

    #[test]
    fn an_untrue_span_is_told() {
        let no_wait = line(r#"{"span":{"outcome":"served","upstream_ms":500.0}}"#);
        assert!(untrue(&no_wait, "served", &reply(200, 1000)).unwrap().contains("no `wait_ms`"));
        let in_seconds = line(r#"{"span":{"outcome":"served","wait_ms":0.5,"upstream_ms":0.5}}"#);
        assert!(untrue(&in_seconds, "served", &reply(200, 1000)).is_some());
        let wrong = line(r#"{"span":{"outcome":"served","wait_ms":0.0,"upstream_ms":500.0}}"#);
        assert!(untrue(&wrong, "shed", &reply(503, 750)).unwrap().contains("not \"shed\""));
        let zero_wait = line(r#"{"span":{"outcome":"served","wait_ms":0.0,"upstream_ms":501.0}}"#);
        assert!(untrue(&zero_wait, "served", &reply(200, 1005)).unwrap().contains("waited 1005"));
        assert_eq!(untrue(&zero_wait, "served", &reply(200, 505)), None);
        // A wait counted with the fetch says more than the client waited.
        let doubled = line(r#"{"span":{"outcome":"served","wait_ms":500.0,"upstream_ms":501.0}}"#);
        assert!(untrue(&doubled, "served", &reply(200, 505)).is_some());
        // A busy machine adds time outside the span: up to 400 ms.
        assert_eq!(untrue(&zero_wait, "served", &reply(200, 800)), None);
    }
}
