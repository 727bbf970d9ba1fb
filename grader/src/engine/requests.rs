//! Requests the checks send: one, or many that leave together behind a
//! barrier, each with what it got and how long it took; or one written on a
//! connection of the check's own, whose answer is never read.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The request most checks time: a conversion the fixture rates answer
/// `GBP 88.4`.
pub const CONVERT: &str = "/convert/GBP/100";

/// How long any request of the grader waits for its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The client the checks send requests with. Its timeout bounds every
/// request: a server that never answers fails, it does not hang the grader.
/// No idle connection is kept: each request opens its own, as a new client
/// would.
pub fn http_client() -> Result<reqwest::blocking::Client, String> {
    client(0)
}

/// A client that keeps one connection alive between its requests.
pub fn kept_alive_client() -> Result<reqwest::blocking::Client, String> {
    client(1)
}

fn client(idle: usize) -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(idle)
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// Why a request got no answer: what the checks tell apart. Its text, the
/// `Display`, is what a reason says, without the URL the learner already
/// knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// None came within the limit: `no answer within 5 s`.
    Late(Duration),
    /// Nobody accepted the connection.
    Refused,
    /// The connection closed first (or broke off mid-answer).
    Closed,
    /// A reason of the grader's own (a panic in a request's thread).
    Grader(String),
}

impl NoAnswer {
    /// What became of a request that failed with `err`, after waiting
    /// `limit` at most.
    pub fn of(err: &reqwest::Error, limit: Duration) -> Self {
        if err.is_timeout() {
            NoAnswer::Late(limit)
        } else if err.is_connect() {
            NoAnswer::Refused
        } else {
            NoAnswer::Closed
        }
    }
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoAnswer::Late(limit) => write!(f, "no answer within {}", within(*limit)),
            NoAnswer::Refused => {
                f.write_str("the connection was refused: is the server still running?")
            }
            NoAnswer::Closed => {
                f.write_str("the connection closed without an answer: did the handler panic?")
            }
            NoAnswer::Grader(why) => f.write_str(why),
        }
    }
}

/// Why a request got no answer, as a reason says it: a timeout is the
/// request timeout's (`no answer within 5 s`), whatever it waited.
pub fn without_url(err: &reqwest::Error) -> String {
    NoAnswer::of(err, REQUEST_TIMEOUT).to_string()
}

/// What one GET got: its status and body, or why there was no answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Result<(u16, String), NoAnswer>,
    pub took: Duration,
    /// Its `Retry-After`, as sent, if it had one.
    pub retry_after: Option<String>,
}

impl Reply {
    /// A reply that never came, for a reason of the grader's own.
    pub fn missing(why: impl Into<String>) -> Self {
        Self {
            answer: Err(NoAnswer::Grader(why.into())),
            took: Duration::ZERO,
            retry_after: None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().ok().map(|(status, _)| *status)
    }

    /// It got no answer in time (not a closed connection, not a refusal).
    pub fn timed_out(&self) -> bool {
        matches!(&self.answer, Err(NoAnswer::Late(_)))
    }

    /// `200 GBP 88.4`, or `no answer (…)`, as a verdict quotes it.
    pub fn shown(&self) -> String {
        match &self.answer {
            Ok((status, body)) => format!("{status} {body}"),
            Err(why) => no_answer(why),
        }
    }

    /// `a 502 (rates service unavailable: …)`, or `no answer (…)`: for the
    /// middle of a sentence whose other parts have colons too.
    pub fn quoted(&self) -> String {
        match &self.answer {
            Ok((status, body)) => format!("a {status} ({body})"),
            Err(why) => no_answer(why),
        }
    }
}

/// `no answer (the connection closed…)`, or `no answer within 5 s` as it is.
fn no_answer(why: &NoAnswer) -> String {
    match why {
        NoAnswer::Late(_) => why.to_string(),
        _ => format!("no answer ({why})"),
    }
}

/// GET `url`.
pub fn get(client: &reqwest::blocking::Client, url: &str) -> Reply {
    get_within(client, url, REQUEST_TIMEOUT)
}

/// GET `url`, waiting at most `limit` (never more than the request timeout)
/// for the whole answer.
pub fn get_within(client: &reqwest::blocking::Client, url: &str, limit: Duration) -> Reply {
    let limit = limit.min(REQUEST_TIMEOUT);
    let started = Instant::now();
    let mut retry_after = None;
    let answer = client
        .get(url)
        .timeout(limit)
        .send()
        .and_then(|response| {
            let status = response.status().as_u16();
            retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            response.text().map(|body| (status, body))
        })
        .map_err(|err| NoAnswer::of(&err, limit));
    Reply {
        answer,
        took: started.elapsed(),
        retry_after,
    }
}

/// `5 s`, or `1.50 s`: a limit as a reason says it.
pub fn within(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        secs(limit)
    }
}

/// When a phase must end, whatever it has measured by then: no verdict
/// waits for a server that has stopped, or crawls.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    /// The phase's whole time, as a reason says it.
    pub limit: Duration,
}

impl Deadline {
    pub fn after(limit: Duration) -> Self {
        Self {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// Time left, zero once passed.
    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }
}

/// Replies to requests that left together.
#[derive(Debug)]
pub struct Volley {
    /// In the order the requests were made; each `took` counts from when
    /// they left.
    pub replies: Vec<Reply>,
    /// From when they left until the last reply came, answered or not.
    pub elapsed: Duration,
}

/// `n` GETs of `url` that leave together, each on a thread of its own.
pub fn at_once(client: &reqwest::blocking::Client, url: &str, n: usize) -> Volley {
    at_once_while(client, url, n, || ()).0
}

/// `n` GETs of `url` that leave together, and `meanwhile`, run as soon as
/// they have left (on this thread): a probe of `/health`, a signal, a
/// client hanging up. The replies, and what `meanwhile` returned.
pub fn at_once_while<T>(
    client: &reqwest::blocking::Client,
    url: &str,
    n: usize,
    meanwhile: impl FnOnce() -> T,
) -> (Volley, T) {
    let urls = vec![url.to_string(); n];
    each_at_once_while(client, &urls, REQUEST_TIMEOUT, meanwhile)
}

/// A GET of each of `urls`, all leaving together, and `meanwhile` as in
/// [`at_once_while`], each waiting `limit` at most: for requests that must
/// differ (each date its own fetch). The replies in the order of `urls`.
pub fn each_at_once_while<T>(
    client: &reqwest::blocking::Client,
    urls: &[String],
    limit: Duration,
    meanwhile: impl FnOnce() -> T,
) -> (Volley, T) {
    let start = Barrier::new(urls.len() + 1);
    thread::scope(|scope| {
        let requests: Vec<_> = urls
            .iter()
            .map(|url| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    get_within(client, url, limit)
                })
            })
            .collect();
        start.wait();
        let during = meanwhile();
        let replies: Vec<Reply> = requests
            .into_iter()
            .map(|request| {
                request
                    .join()
                    .unwrap_or_else(|_| Reply::missing(super::GRADER_BUG))
            })
            .collect();
        // Each reply's time counts from when its request left, right after
        // the barrier: the last of them is the volley's, whatever
        // `meanwhile` took.
        let elapsed = replies.iter().map(|reply| reply.took).max();
        let volley = Volley {
            replies,
            elapsed: elapsed.unwrap_or_default(),
        };
        (volley, during)
    })
}

impl Volley {
    /// The first reply that is not `status`, if any, and how many are not.
    pub fn first_not(&self, status: u16) -> Option<(&Reply, usize)> {
        let mut wrong = self
            .replies
            .iter()
            .filter(|reply| reply.status() != Some(status));
        let first = wrong.next()?;
        Some((first, 1 + wrong.count()))
    }
}

/// A conversion written on a connection of the check's own, connected
/// within `connect_within`. Nothing reads its answer: the check hangs up on
/// it, or leaves it in flight while something else happens.
pub fn send_unread(address: SocketAddr, connect_within: Duration) -> Result<TcpStream, Unsent> {
    send_unread_to(address, CONVERT, connect_within)
}

/// [`send_unread`], for `path`.
pub fn send_unread_to(
    address: SocketAddr,
    path: &str,
    connect_within: Duration,
) -> Result<TcpStream, Unsent> {
    let mut stream =
        TcpStream::connect_timeout(&address, connect_within).map_err(Unsent::Connect)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(Unsent::Send)?;
    Ok(stream)
}

/// Why `send_unread` sent nothing: the step that failed.
#[derive(Debug)]
pub enum Unsent {
    Connect(io::Error),
    Send(io::Error),
}

impl Unsent {
    /// `cannot <connecting>: …` or `cannot send a conversion: …`, as a
    /// reason says it. `connecting` is the check's own word for the first
    /// step (`connect`, `connect to the server`): its reasons stay as they
    /// were.
    pub fn reason(&self, connecting: &str) -> String {
        match self {
            Unsent::Connect(err) => format!("cannot {connecting}: {err}"),
            Unsent::Send(err) => format!("cannot send a conversion: {err}"),
        }
    }
}

/// Waits until `done` holds, at most `limit`; whether it did.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// What a client can read in `Retry-After` (RFC 9110, 10.2.3): delay-seconds,
/// one or more digits, or an HTTP-date (the three formats a recipient must
/// accept, which `httpdate` parses). `1.5`, `1s`, `soon` or an empty value
/// are neither: a client that cannot read the header retries at once.
pub fn readable_retry_after(value: &str) -> bool {
    retry_after_wait(value, SystemTime::now()).is_some()
}

/// How long a `Retry-After` asks a client to wait, read at `now`: its
/// seconds, or the time until its HTTP-date (none if that is past); `None`
/// if it is neither.
pub fn retry_after_wait(value: &str, now: SystemTime) -> Option<Duration> {
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Too many digits for a u64 is still a (very) long wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// `1.23 s`
pub fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(answer: Result<(u16, &str), NoAnswer>) -> Reply {
        Reply {
            answer: answer.map(|(status, body)| (status, body.to_string())),
            took: Duration::from_millis(10),
            retry_after: None,
        }
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        for readable in [
            "1",
            "0",
            "120",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert!(readable_retry_after(readable), "{readable:?}");
        }
        for unreadable in ["soon", "", "1.5", "1s", "-1", " 1", "06 Nov 1994"] {
            assert!(!readable_retry_after(unreadable), "{unreadable:?}");
        }
    }

    #[test]
    fn a_retry_after_is_a_wait_from_now() {
        // 784111777 is RFC 9110's example date.
        let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(
            retry_after_wait(date, at(784_111_772)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after_wait(date, at(784_111_800)),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_wait("5", at(0)), Some(Duration::from_secs(5)));
        assert_eq!(
            retry_after_wait("99999999999999999999999", at(0)),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(retry_after_wait("in a bit", at(0)), None);
    }

    #[test]
    fn replies_are_quoted_as_a_verdict_says_them() {
        let ok = reply(Ok((200, "GBP 88.4")));
        assert_eq!(ok.shown(), "200 GBP 88.4");
        assert_eq!(ok.quoted(), "a 200 (GBP 88.4)");
        let late = reply(Err(NoAnswer::Late(REQUEST_TIMEOUT)));
        assert_eq!(late.shown(), "no answer within 5 s");
        assert!(late.timed_out());
        let closed = reply(Err(NoAnswer::Closed));
        assert_eq!(
            closed.quoted(),
            "no answer (the connection closed without an answer: did the handler panic?)"
        );
        assert!(!closed.timed_out());
        assert_eq!(closed.status(), None);
        let refused = reply(Err(NoAnswer::Refused));
        assert_eq!(
            refused.shown(),
            "no answer (the connection was refused: is the server still running?)"
        );
        assert!(!refused.timed_out());
        let panicked = Reply::missing(crate::engine::GRADER_BUG);
        assert_eq!(
            panicked.shown(),
            "no answer (the check itself panicked (a grader bug))"
        );
        assert!(!panicked.timed_out());
    }

    #[test]
    fn the_first_wrong_reply_is_found_and_the_wrong_ones_counted() {
        let volley = Volley {
            replies: vec![
                reply(Ok((200, "a"))),
                reply(Err(NoAnswer::Grader("gone".into()))),
                reply(Ok((502, "b"))),
            ],
            elapsed: Duration::from_secs(1),
        };
        let (first, count) = volley.first_not(200).unwrap();
        assert_eq!(first.shown(), "no answer (gone)");
        assert_eq!(count, 2);
        assert!(volley.first_not(504).is_some());
        let all_ok = Volley {
            replies: vec![reply(Ok((200, "a")))],
            elapsed: Duration::ZERO,
        };
        assert!(all_ok.first_not(200).is_none());
    }

    #[test]
    fn requests_leave_together_and_meanwhile_runs_while_they_wait() {
        // A real service that answers after 300 ms: eight requests at once
        // take one such wait, not eight, and `meanwhile` runs while they
        // wait, not after.
        let latency = Duration::from_millis(300);
        let service = rates::RatesService::start(rates::RatesConfig::with_latency(latency))
            .expect("a rates service");
        let client = http_client().expect("a client");
        let url = format!("{}/latest", service.url());
        let asked = Instant::now();
        let (volley, ran_after) = at_once_while(&client, &url, 8, || asked.elapsed());
        assert_eq!(volley.replies.len(), 8);
        assert!(volley.first_not(200).is_none(), "{volley:?}");
        assert!(ran_after < latency, "meanwhile ran after {ran_after:?}");
        assert!(volley.replies.iter().all(|reply| reply.took >= latency));
        assert!(
            volley.elapsed < latency * 4,
            "one wait, not eight: {volley:?}"
        );
        let last = volley.replies.iter().map(|reply| reply.took).max();
        assert_eq!(Some(volley.elapsed), last);
    }

    #[test]
    fn a_request_waits_no_longer_than_its_limit() {
        let service =
            rates::RatesService::start(rates::RatesConfig::with_latency(Duration::from_secs(3)))
                .expect("a rates service");
        let client = http_client().expect("a client");
        let url = format!("{}/latest", service.url());
        let reply = get_within(&client, &url, Duration::from_millis(200));
        assert_eq!(reply.shown(), "no answer within 0.20 s");
        assert!(reply.timed_out());
        assert!(reply.took < Duration::from_secs(3), "{reply:?}");
        assert_eq!(within(Duration::from_secs(4)), "4 s");
    }

    #[test]
    fn a_refusal_and_a_closed_connection_are_told_apart() {
        let client = http_client().expect("a client");
        // A port nobody listens on any more: refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("its address");
        drop(listener);
        let refused = get(&client, &format!("http://{address}/"));
        assert_eq!(refused.answer, Err(NoAnswer::Refused));
        // A server that accepts, reads the request and hangs up: closed.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("its address");
        let hangs_up = thread::spawn(move || {
            use std::io::Read;
            let (mut stream, _) = listener.accept().expect("the request's connection");
            let _ = stream.read(&mut [0u8; 256]);
        });
        let closed = get(&client, &format!("http://{address}/"));
        hangs_up.join().expect("no panic");
        assert_eq!(closed.answer, Err(NoAnswer::Closed));
        assert!(!refused.timed_out() && !closed.timed_out());
    }

    #[test]
    fn a_deadline_counts_down_to_zero() {
        let deadline = Deadline::after(Duration::from_millis(50));
        assert!(!deadline.passed());
        assert!(deadline.left() <= Duration::from_millis(50));
        thread::sleep(Duration::from_millis(60));
        assert!(deadline.passed());
        assert_eq!(deadline.left(), Duration::ZERO);
    }

    #[test]
    fn an_unread_conversion_arrives_whole_and_a_refusal_is_said() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("its address");
        let _stream = send_unread(address, Duration::from_secs(1)).expect("it is sent");
        let (mut accepted, _) = listener.accept().expect("the conversion's connection");
        let mut request = [0u8; 256];
        let read = accepted.read(&mut request).expect("its request");
        let expected = format!("GET /convert/GBP/100 HTTP/1.1\r\nHost: {address}\r\n\r\n");
        assert_eq!(&request[..read], expected.as_bytes());
        drop(listener);
        let refused = send_unread(address, Duration::from_secs(1)).expect_err("no one listens");
        assert!(matches!(refused, Unsent::Connect(_)), "{refused:?}");
        assert!(refused.reason("connect").starts_with("cannot connect: "));
    }

    #[test]
    fn waiting_stops_when_done_or_at_the_limit() {
        let mut calls = 0;
        assert!(wait_until(Duration::from_secs(5), || {
            calls += 1;
            calls == 3
        }));
        let started = Instant::now();
        assert!(!wait_until(Duration::from_millis(50), || false));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
