//! The contract: for each request, the status and the one-line body every
//! workshop server answers. Written out in full, so a reader sees exactly
//! what "the same service, three ways" means.

use crate::upstream::Upstream;

/// The content type of every answer, success or error.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// One request and what it must get.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub upstream: Upstream,
    pub method: &'static str,
    pub path: &'static str,
    pub status: u16,
    pub body: &'static str,
}

const fn get(upstream: Upstream, path: &'static str, status: u16, body: &'static str) -> Case {
    Case {
        upstream,
        method: "GET",
        path,
        status,
        body,
    }
}

use Upstream::{Down, Failing, Garbage, Slow, Working};

pub const CASES: &[Case] = &[
    // The slides' answers, and any case of currency code.
    get(Working, "/convert/GBP/100", 200, "GBP 88.4"),
    get(Working, "/convert/gbp/100", 200, "GBP 88.4"),
    get(Working, "/convert/USD/100", 200, "USD 122"),
    get(Working, "/convert/EUR/42.50", 200, "EUR 42.5"),
    // Exact decimals, rounded half to even in the currency's minor units.
    get(Working, "/convert/USD/100.50", 200, "USD 122.61"),
    get(Working, "/convert/USD/1.25", 200, "USD 1.52"),
    get(Working, "/convert/USD/3.75", 200, "USD 4.58"),
    get(Working, "/convert/JPY/100.5", 200, "JPY 12757"),
    get(Working, "/convert/JPY/0.25", 200, "JPY 32"),
    get(Working, "/convert/GBP/0", 200, "GBP 0"),
    get(Working, "/convert/G%42P/100", 200, "GBP 88.4"),
    // Bad amounts.
    get(
        Working,
        "/convert/GBP/abc",
        400,
        r#"invalid amount "abc": expected a number, like 100 or 12.50"#,
    ),
    get(
        Working,
        "/convert/GBP/NaN",
        400,
        r#"invalid amount "NaN": expected a number, like 100 or 12.50"#,
    ),
    get(
        Working,
        "/convert/GBP/1e3",
        400,
        r#"invalid amount "1e3": expected a number, like 100 or 12.50"#,
    ),
    get(
        Working,
        "/convert/GBP/-5",
        400,
        r#"invalid amount "-5": it must not be negative"#,
    ),
    get(
        Working,
        "/convert/GBP/99999999999999",
        400,
        r#"invalid amount "99999999999999": the largest amount is 1000000000000"#,
    ),
    // Bad and unknown currencies.
    get(
        Working,
        "/convert/GB1/100",
        400,
        r#"invalid currency "GB1": expected three letters, like GBP"#,
    ),
    get(
        Working,
        "/convert/%FF/100",
        400,
        "invalid path: the segments are not valid UTF-8 once decoded",
    ),
    get(
        Working,
        "/convert/XYZ/100",
        404,
        r#"unknown currency "XYZ": the rates service has no rate for it"#,
    ),
    // Other paths and methods.
    get(Working, "/health", 200, "ok"),
    get(
        Working,
        "/convert/GBP",
        404,
        "not found: try GET /convert/GBP/100 or GET /health",
    ),
    get(
        Working,
        "/convert/GBP/100/",
        404,
        "not found: try GET /convert/GBP/100 or GET /health",
    ),
    Case {
        method: "POST",
        ..get(
            Working,
            "/convert/GBP/100",
            405,
            "method not allowed: only GET is served here",
        )
    },
    // The rates service in trouble: the server says so and stays up.
    get(
        Down,
        "/convert/GBP/100",
        502,
        "rates service unavailable: cannot connect to it",
    ),
    get(Down, "/health", 200, "ok"),
    get(
        Failing,
        "/convert/GBP/100",
        502,
        "rates service unavailable: it answered 500 Internal Server Error",
    ),
    // A 200 whose body is not the rates is no unknown currency: the
    // service is broken, and says so.
    get(
        Garbage,
        "/convert/GBP/100",
        502,
        "rates service unavailable: its answer is not the expected JSON",
    ),
    get(
        Slow,
        "/convert/GBP/100",
        504,
        "rates service did not answer within 300ms",
    ),
    // A bad request is refused before the rates service is even asked.
    get(
        Down,
        "/convert/GBP/abc",
        400,
        r#"invalid amount "abc": expected a number, like 100 or 12.50"#,
    ),
];

/// Part 5's conversion on a date, `/convert/{currency}/{amount}/{date}`:
/// each date its own rates (`rates::fixture::rates_on`), bad dates refused
/// before any fetch. Every other request is answered as in [`CASES`].
pub const DATED_CASES: &[Case] = &[
    // The fixture's own day has the slides' rates.
    get(Working, "/convert/GBP/100/2016-10-14", 200, "GBP 88.4"),
    // Every other day moves the rates a little: 1.22 × 1.001 × 100.
    get(Working, "/convert/usd/100/2016-10-15", 200, "USD 122.12"),
    // The euro's first reference rates, and no minor units.
    get(Working, "/convert/JPY/1000/1999-01-04", 200, "JPY 125036"),
    get(Working, "/convert/GBP/250.50/2008-09-15", 200, "GBP 221.66"),
    // Not a date.
    get(
        Working,
        "/convert/GBP/100/yesterday",
        400,
        r#"invalid date "yesterday": expected YYYY-MM-DD, like 2016-10-14"#,
    ),
    get(
        Working,
        "/convert/GBP/100/2016-1-4",
        400,
        r#"invalid date "2016-1-4": expected YYYY-MM-DD, like 2016-10-14"#,
    ),
    get(
        Working,
        "/convert/GBP/100/2016-02-30",
        400,
        r#"invalid date "2016-02-30": expected YYYY-MM-DD, like 2016-10-14"#,
    ),
    // A path far too long: the date is quoted, cut short.
    get(
        Working,
        "/convert/GBP/100/2016-10-142016-10-142016-10-142016-10-142016-10-142016-10-142016-10-142016-10-14",
        400,
        r#"invalid date "2016-10-142016-10-142016"…: expected YYYY-MM-DD, like 2016-10-14"#,
    ),
    // No rates: before the first, or in the future.
    get(
        Working,
        "/convert/GBP/100/1998-12-31",
        404,
        "no rates for 1998-12-31: the first are of 1999-01-04",
    ),
    get(
        Working,
        "/convert/GBP/100/2999-01-01",
        400,
        r#"invalid date "2999-01-01": it is in the future"#,
    ),
    // The currency and the amount are checked as on the other route.
    get(
        Working,
        "/convert/XYZ/100/2016-10-14",
        404,
        r#"unknown currency "XYZ": the rates service has no rate for it"#,
    ),
    get(
        Working,
        "/convert/GBP/abc/2016-10-14",
        400,
        r#"invalid amount "abc": expected a number, like 100 or 12.50"#,
    ),
    get(
        Working,
        "/convert/GBP/100/2016-10-14/",
        404,
        "not found: try GET /convert/GBP/100 or GET /health",
    ),
    Case {
        method: "POST",
        ..get(
            Working,
            "/convert/GBP/100/2016-10-14",
            405,
            "method not allowed: only GET is served here",
        )
    },
    // The rates service in trouble, as on the other route.
    get(
        Down,
        "/convert/GBP/100/2016-10-14",
        502,
        "rates service unavailable: cannot connect to it",
    ),
    get(
        Slow,
        "/convert/GBP/100/2016-10-14",
        504,
        "rates service did not answer within 300ms",
    ),
    // A bad date is refused before the rates service is asked.
    get(
        Down,
        "/convert/GBP/100/1998-12-31",
        404,
        "no rates for 1998-12-31: the first are of 1999-01-04",
    ),
];

/// What a server actually answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Sends `case` to the server at `base_url` (e.g. `http://127.0.0.1:8080`).
pub fn send(
    client: &reqwest::blocking::Client,
    base_url: &str,
    case: &Case,
) -> reqwest::Result<Answer> {
    send_within(client, base_url, case, None)
}

/// [`send`], waiting at most `timeout` for the whole answer when given
/// (else the client's own timeout).
pub fn send_within(
    client: &reqwest::blocking::Client,
    base_url: &str,
    case: &Case,
    timeout: Option<std::time::Duration>,
) -> reqwest::Result<Answer> {
    let method =
        reqwest::Method::from_bytes(case.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = client.request(method, format!("{base_url}{}", case.path));
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let response = request.send()?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response.text()?;
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// Why `answer` breaks the contract for `case`, if it does.
pub fn mismatch(case: &Case, answer: &Answer) -> Option<String> {
    let expected = format!("{} {}", case.status, case.body);
    let actual = format!("{} {}", answer.status, answer.body);
    if expected != actual {
        let request = format!("{} {}", case.method, case.path);
        return Some(crate::difference::mismatch(&request, &expected, &actual));
    }
    if answer.content_type != TEXT_PLAIN {
        return Some(format!(
            "{} {}: content type {:?}, expected {TEXT_PLAIN:?}",
            case.method, case.path, answer.content_type
        ));
    }
    None
}
