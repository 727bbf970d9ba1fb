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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::time::Duration;

use rates::date::FIRST;
use rates::{Fault, RatesConfig};
use serde_json::{Map, Value};

use super::{Machine, Subject};
use crate::engine::launch::{Launch, Stage};
use crate::engine::numbers::PATIENT;
use crate::engine::numbers::part5::{
    OBSERVE_LIMIT, OBSERVED_QUOTA, OBSERVED_ROUND_TRIP, OBSERVED_WAIT, SPAN_GRAIN, SPAN_TOLERANCE,
};
use crate::engine::requests::{
    Deadline, REQUEST_TIMEOUT, Reply, each_at_once_while, get_within, wait_until,
};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::Server;
pub const MACHINE: Machine = Machine::Shared;

/// The fields a line must carry, as the exercise names them.
const OUTCOME: &str = "outcome";
const WAIT: &str = "wait_ms";
const UPSTREAM: &str = "upstream_ms";

/// Conversions at once: three times the quota.
const AT_ONCE: usize = 3 * OBSERVED_QUOTA;
/// Conversions while the rates service is down.
const FAILING: usize = 2;
/// How long each may take: the rates service answers 503 at once, and the
/// server a 502 then.
const FAILED_WITHIN: Duration = Duration::from_secs(1);
/// How long the last lines are given to reach us once their answers came,
/// at most: the check goes on as soon as they are all there.
const LINES_IN: Duration = Duration::from_millis(200);

pub fn check(bin: &Path) -> Checked {
    // The whole check's, its launch included: every verdict within 10 s.
    let deadline = Deadline::after(OBSERVE_LIMIT);
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
    // Each phase waits what is left of the check's time at most, less what
    // the phases after it need (a failing fetch is answered at once).
    let left_after = |after: Duration| deadline.left().saturating_sub(after);
    let (volley, ()) = each_at_once_while(
        client,
        &urls,
        left_after(LINES_IN + 2 * FAILED_WITHIN).min(REQUEST_TIMEOUT),
        || (),
    );
    service.set_fault(Some(Fault::Unavailable));
    let mut asked: Vec<(String, Reply)> = (0..AT_ONCE).map(path).zip(volley.replies).collect();
    for n in AT_ONCE..AT_ONCE + FAILING {
        let reply = get_within(client, &server.at(&path(n)), left_after(LINES_IN).min(FAILED_WITHIN));
        asked.push((path(n), reply));
    }
    // A span's line is written when it closes, a moment after its answer
    // left: wait for as many lines that name an outcome as requests asked,
    // or LINES_IN at most (a server that writes fewer is judged below).
    wait_until(LINES_IN, || {
        server
            .proc()
            .stderr()
            .lines()
            .filter(|line| line.contains(OUTCOME))
            .count()
            >= asked.len()
    });
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

    let mut wrong: Vec<(String, Vec<&'static str>)> = Vec::new();
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Fields recorded into `Span::current()` that did land: the span is the
    // one its request runs in, whatever else is wrong.
    let mut landed: BTreeSet<&'static str> = BTreeSet::new();
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
                wrong.push((
                    format!(
                        "GET {path} ({}): no line with an `{OUTCOME}` names it",
                        reply.shown()
                    ),
                    Vec::new(),
                ));
                continue;
            }
            many => {
                wrong.push((
                    format!(
                        "GET {path}: {} lines with an `{OUTCOME}` name it, where one span a \
                         request closes once",
                        many.len()
                    ),
                    Vec::new(),
                ));
                continue;
            }
        };
        landed.extend([WAIT, UPSTREAM].into_iter().filter(|field| span.contains_key(*field)));
        if let Some(untrue) = untrue(span, expected, reply) {
            let missing = match &untrue {
                Untrue::Missing(fields) => fields.clone(),
                Untrue::Wrong(_) => Vec::new(),
            };
            wrong.push((
                format!(
                    "GET {path} ({}, after {} ms): {untrue}",
                    reply.shown(),
                    reply.took.as_millis()
                ),
                missing,
            ));
        }
    }
    if !wrong.is_empty() {
        let count = wrong.len();
        // A request with no answer has no span closed yet: nothing about
        // its fields can be told, only that it was not answered.
        let unanswered = asked.iter().filter(|(_, reply)| reply.status().is_none()).count();
        let reason = if unanswered > 0 {
            format!(
                "{unanswered} of {} requests got no answer in time, so their spans never \
                 closed: something makes the conversions wait for each other (the quota and \
                 shedding checks say more)",
                asked.len()
            )
        } else {
            format!(
                "{count} of {} requests have no true span: {}",
                asked.len(),
                why_untrue(&wrong, &landed)
            )
        };
        let mut details: Vec<String> = wrong.into_iter().map(|(detail, _)| detail).take(3).collect();
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

/// What is untrue in a span: a field it lacks, or what it says wrong.
#[derive(Debug, Clone, PartialEq)]
enum Untrue {
    Missing(Vec<&'static str>),
    Wrong(String),
}

impl fmt::Display for Untrue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untrue::Missing(fields) => {
                let lacking: Vec<String> = fields
                    .iter()
                    .map(|field| format!("no `{field}`, {}", what(field)))
                    .collect();
                write!(f, "its span has {}", lacking.join(", and "))
            }
            Untrue::Wrong(why) => f.write_str(why),
        }
    }
}

/// What a field holds.
fn what(field: &str) -> &'static str {
    match field {
        WAIT => "the time it waited for a permit",
        UPSTREAM => "the time its fetch took",
        _ => "",
    }
}

/// What records a field into the request's span.
fn recorded_by(field: &str) -> &'static str {
    match field {
        WAIT => {
            "whatever admits the request records it (`Limit::admit` calls `observe::waited`; \
             tower's limit records nothing: record 0 ms beside it, since under `LoadShed` \
             nothing waits)"
        }
        UPSTREAM => "the handler records it (`observe::upstream`)",
        _ => "",
    }
}

/// The reason for the untrue spans, `wrong`, each with the field it lacks
/// if that is its fault: it names the fields missing and only them, and
/// blames the span's making only for what did not land.
fn why_untrue(wrong: &[(String, Vec<&'static str>)], landed: &BTreeSet<&'static str>) -> String {
    let missing: Vec<&'static str> = [WAIT, UPSTREAM]
        .into_iter()
        .filter(|field| wrong.iter().any(|(_, fields)| fields.contains(field)))
        .collect();
    let only_missing = wrong.iter().all(|(_, fields)| !fields.is_empty());
    if !only_missing || missing.is_empty() {
        return format!(
            "each needs one line saying its `{OUTCOME}`, the `{WAIT}` it waited for a permit, \
             and its `{UPSTREAM}`, true to what its client measured (fields recorded later \
             must be declared when the span is made, `field::Empty`, or the record is lost; \
             the span must be the one the request runs in, `.instrument(span)`)"
        );
    }
    let named: Vec<String> = missing.iter().map(|field| format!("`{field}`")).collect();
    let mut reason = format!(
        "their spans say their `{OUTCOME}` but have no {}",
        named.join(" and no ")
    );
    for field in &missing {
        reason.push_str(&format!("; `{field}` is {}: {}", what(field), recorded_by(field)));
    }
    reason.push_str(". A field recorded later must be declared when the span is made (`field::Empty`), or the record is lost");
    if landed.is_empty() {
        // Nothing recorded into `Span::current()` landed anywhere: the span
        // may not be the one the requests run in.
        reason.push_str(
            "; and recorded into the span the request runs in (`.instrument(span)`, where \
             `Span::current()` is that span)",
        );
    } else {
        // What landed was recorded where the request's span is current, so
        // the span itself is right: what is missing was never recorded, or
        // recorded elsewhere.
        let landed: Vec<String> = landed.iter().map(|field| format!("`{field}`")).collect();
        reason.push_str(&format!(
            ". {} did land, so the span is the one the request runs in: what is missing is \
             never recorded, or recorded where that span is not current (a task spawned \
             from the request does not carry it: `.in_current_span()`)",
            landed.join(" and ")
        ));
    }
    reason
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
fn untrue(span: &BTreeMap<String, Value>, expected: &str, reply: &Reply) -> Option<Untrue> {
    let outcome = span.get(OUTCOME).and_then(Value::as_str).unwrap_or("?");
    if outcome != expected {
        return Some(Untrue::Wrong(format!(
            "its span says `{OUTCOME}` {outcome:?}, not {expected:?}"
        )));
    }
    if expected == "failed" {
        return None;
    }
    let (wait, upstream) = (millis(span, WAIT), millis(span, UPSTREAM));
    // Every field lacking, named: the reason names exactly those.
    let mut lacking = Vec::new();
    if wait.is_none() {
        lacking.push(WAIT);
    }
    if expected == "served" && upstream.is_none() {
        lacking.push(UPSTREAM);
    }
    if !lacking.is_empty() {
        return Some(Untrue::Missing(lacking));
    }
    let (wait, upstream) = (wait.unwrap_or_default(), upstream.unwrap_or_default());
    let measured = reply.took.as_secs_f64() * 1000.0;
    let (grain, tolerance) = (
        SPAN_GRAIN.as_secs_f64() * 1000.0,
        SPAN_TOLERANCE.as_secs_f64() * 1000.0,
    );
    if expected == "served" && upstream < OBSERVED_ROUND_TRIP.as_secs_f64() * 1000.0 * 0.9 {
        return Some(Untrue::Wrong(format!(
            "its span says {UPSTREAM} {upstream:.0}, where its fetch took a round trip of {} \
             ms at least",
            OBSERVED_ROUND_TRIP.as_millis()
        )));
    }
    let told = wait + upstream;
    if told > measured + grain || told < measured - tolerance {
        return Some(Untrue::Wrong(format!(
            "its span says {WAIT} {wait:.0} and {UPSTREAM} {upstream:.0}, {told:.0} ms in all, \
             where its client waited {measured:.0} ms: are they milliseconds, and measured \
             around the wait for a permit and around the fetch?"
        )));
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
            retry_after: None,
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
        assert_eq!(
            untrue(&no_wait, "served", &reply(200, 1000)),
            Some(Untrue::Missing(vec![WAIT]))
        );
        let in_seconds = line(r#"{"span":{"outcome":"served","wait_ms":0.5,"upstream_ms":0.5}}"#);
        assert!(untrue(&in_seconds, "served", &reply(200, 1000)).is_some());
        let wrong = line(r#"{"span":{"outcome":"served","wait_ms":0.0,"upstream_ms":500.0}}"#);
        assert!(untrue(&wrong, "shed", &reply(503, 750)).unwrap().to_string().contains("not \"shed\""));
        let zero_wait = line(r#"{"span":{"outcome":"served","wait_ms":0.0,"upstream_ms":501.0}}"#);
        assert!(untrue(&zero_wait, "served", &reply(200, 1005)).unwrap().to_string().contains("waited 1005"));
        assert_eq!(untrue(&zero_wait, "served", &reply(200, 505)), None);
        // A wait counted with the fetch says more than the client waited.
        let doubled = line(r#"{"span":{"outcome":"served","wait_ms":500.0,"upstream_ms":501.0}}"#);
        assert!(untrue(&doubled, "served", &reply(200, 505)).is_some());
        // A busy machine adds time outside the span: up to 400 ms.
        assert_eq!(untrue(&zero_wait, "served", &reply(200, 800)), None);
    }

    /// Issue 31: tower's limit records no wait, and the reason blamed the
    /// span's fields and `.instrument`, though `outcome` and `upstream_ms`
    /// were there. It names the field missing, and only it.
    #[test]
    fn the_reason_names_exactly_the_fields_missing() {
        let served = line(r#"{"span":{"outcome":"served","upstream_ms":501.0}}"#);
        let shed = line(r#"{"span":{"outcome":"shed"}}"#);
        let mut wrong = Vec::new();
        let mut landed = BTreeSet::new();
        for (span, expected, status) in [(&served, "served", 200), (&shed, "shed", 503)] {
            landed.extend([WAIT, UPSTREAM].into_iter().filter(|field| span.contains_key(*field)));
            match untrue(span, expected, &reply(status, 505)) {
                Some(Untrue::Missing(fields)) => wrong.push((String::new(), fields)),
                other => panic!("{other:?}"),
            }
        }
        let reason = why_untrue(&wrong, &landed);
        assert!(reason.contains("have no `wait_ms`;"), "{reason}");
        assert!(!reason.contains("no `upstream_ms`"), "{reason}");
        assert!(!reason.contains(".instrument"), "{reason}");
        assert!(reason.contains("tower's limit records nothing"), "{reason}");

        // Nothing recorded landed: then the span itself may be the fault.
        let bare = line(r#"{"span":{"outcome":"served"}}"#);
        let Some(Untrue::Missing(fields)) = untrue(&bare, "served", &reply(200, 505)) else {
            panic!("both missing");
        };
        assert_eq!(fields, vec![WAIT, UPSTREAM]);
        let reason = why_untrue(&[(String::new(), fields)], &BTreeSet::new());
        assert!(reason.contains("no `wait_ms` and no `upstream_ms`"), "{reason}");
        assert!(reason.contains(".instrument(span)"), "{reason}");
    }
}
