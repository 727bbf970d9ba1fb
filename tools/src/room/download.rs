//! `GET /workshop.tar.gz`: the offline archive, to a room of laptops at
//! once. tower-http's `ServeFile` sends it: streamed from disk a chunk at a
//! time (never whole in memory), ranges (a broken download resumes with
//! `curl -C -`), conditional requests and HEAD. Ours around it: at most
//! `--downloads` bodies in flight, the others waiting their turn in order
//! (a client that hangs up drops its body, and with it its slot); the
//! sha256 in a header, so a learner can check what arrived; the counts.
//!
//! The board shows the counts: downloaded, downloading, waiting. A download
//! is counted once one laptop has had every byte of the archive: a body
//! from its first byte to its last, or a resume that takes a broken one of
//! the same address on to the end; never a range alone (issue 26: one
//! 10-byte `Range` request was counted).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use http_range_header::{EndPosition, RangeUnsatisfiableError, StartPosition};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower_http::services::ServeFile;

use super::archive::{Archive, ArchiveError, FILE_NAME, Store};
use super::page;

/// Read from disk and handed to the connection this much at a time.
const CHUNK: usize = 256 * 1024;
/// Broken downloads remembered for a resume, at most: a room is 30 laptops,
/// and a flood of ranges holds no more than this.
const BROKEN_KEPT: usize = 1024;

/// What the board shows of the downloads: counts, no names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Bodies sent to their end.
    pub downloaded: u64,
    /// Bodies in flight.
    pub downloading: usize,
    /// Requests waiting for a slot.
    pub waiting: usize,
}

/// The archive's downloads.
pub struct Downloads {
    store: Arc<Store>,
    slots: Arc<Semaphore>,
    tally: Arc<Tally>,
}

struct Tally {
    downloaded: AtomicU64,
    downloading: AtomicUsize,
    waiting: AtomicUsize,
    /// Downloads that broke off, by address and archive: how far from the
    /// first byte each had got, for a resume to take on.
    broken: Mutex<HashMap<(IpAddr, String), u64>>,
    /// Bumped on every change: the live page waits on it.
    changed: watch::Sender<u64>,
}

impl Tally {
    fn bump(&self) {
        self.changed
            .send_modify(|version| *version = version.wrapping_add(1));
    }

    /// A body of `archive` to `peer` has ended, having handed bytes
    /// `start..reached` to the connection: a download is counted when the
    /// laptop now has every byte from the first to the last.
    fn ended(&self, peer: IpAddr, archive: &Archive, start: u64, reached: u64) {
        let mut broken = self.broken.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (peer, archive.sha256.clone());
        // How far this laptop had got from the first byte, if this body
        // takes on from there; a range out of nowhere counts for nothing.
        let before = if start == 0 {
            Some(0)
        } else {
            broken.get(&key).copied().filter(|&got| start <= got)
        };
        let Some(before) = before else {
            return;
        };
        let got = before.max(reached);
        if got >= archive.size {
            broken.remove(&key);
            self.downloaded.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if broken.len() >= BROKEN_KEPT && !broken.contains_key(&key) {
            // Full: one forgotten, whichever; its resume is not counted.
            if let Some(any) = broken.keys().next().cloned() {
                broken.remove(&any);
            }
        }
        broken.insert(key, got);
    }
}

/// A refusal: its status, and why in one line.
pub type Refusal = (StatusCode, String);

impl Downloads {
    /// `slots`: bodies in flight at most.
    pub fn new(store: Arc<Store>, slots: usize) -> Self {
        Self {
            store,
            slots: Arc::new(Semaphore::new(slots)),
            tally: Arc::new(Tally {
                downloaded: AtomicU64::new(0),
                downloading: AtomicUsize::new(0),
                waiting: AtomicUsize::new(0),
                broken: Mutex::new(HashMap::new()),
                changed: watch::Sender::new(0),
            }),
        }
    }

    pub fn counts(&self) -> Counts {
        Counts {
            downloaded: self.tally.downloaded.load(Ordering::Relaxed),
            downloading: self.tally.downloading.load(Ordering::Relaxed),
            waiting: self.tally.waiting.load(Ordering::Relaxed),
        }
    }

    /// Changes of the counts, to wait on.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.tally.changed.subscribe()
    }

    /// The answer to a request from `peer` the token already allowed: the
    /// archive, the part of it `Range` asks for, or (`head`) its headers
    /// alone.
    pub async fn respond(
        &self,
        peer: IpAddr,
        head: bool,
        headers: &HeaderMap,
    ) -> Result<Response, Refusal> {
        if head {
            let archive = self.fresh().await?;
            return serve(&self.store.path(), &archive, Method::HEAD, headers).await;
        }
        let waiting = Waiting::new(&self.tally);
        let permit = Arc::clone(&self.slots).acquire_owned().await.map_err(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the board is stopping".into(),
            )
        })?;
        drop(waiting);
        let in_flight = InFlight::new(Arc::clone(&self.tally), permit);
        // Checked once its turn comes, not when it arrived: a wait may be
        // long. ServeFile opens the file right after the check: a build
        // that replaced it in between would have had to run whole in that
        // moment, and a build takes seconds.
        let archive = self.fresh().await?;
        let response = serve(&self.store.path(), &archive, Method::GET, headers).await?;
        // A 416, 304 or 412 sends none of the archive: its slot is free now.
        let Some(start) = first_byte(&response) else {
            return Ok(response);
        };
        let mut sending = Sending {
            peer,
            start,
            at: start,
            archive,
            in_flight,
        };
        Ok(response.map(|body| {
            Body::new(body.map_frame(move |frame| {
                // All of `sending` moves in, not its `at` alone: it ends
                // with the body.
                let sending = &mut sending;
                if let Some(data) = frame.data_ref() {
                    sending.at += data.len() as u64;
                }
                frame
            }))
        }))
    }

    /// The archive as the workspace is now (made again if it changed).
    async fn fresh(&self) -> Result<Archive, Refusal> {
        let store = Arc::clone(&self.store);
        let since = Instant::now();
        let made = tokio::task::spawn_blocking(move || store.fresh(since))
            .await
            .map_err(internal)?;
        made.map_err(|err: ArchiveError| {
            eprintln!("offline: cannot serve the archive: {err}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the archive cannot be made now ({err}): tell the instructor"),
            )
        })
    }
}

fn internal(err: impl std::fmt::Display) -> Refusal {
    (StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
}

/// `ServeFile`'s answer to `method` with `headers` for `archive` at
/// `path`, with ours: its sha256 (and `ETag`), its name, no cache.
async fn serve(
    path: &Path,
    archive: &Archive,
    method: Method,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.headers_mut() = headers.clone();
    pass_range(request.headers_mut(), archive);
    let response = ServeFile::new(path)
        .with_buf_chunk_size(CHUNK)
        .try_call(request)
        .await
        .map_err(internal)?;
    let (mut response, kind) = if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        let why = format!("no such range: the archive has {} bytes\n", archive.size);
        (
            response.map(|_| Body::from(why)),
            "text/plain; charset=utf-8",
        )
    } else {
        (response.map(Body::new), "application/gzip")
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, kind.to_string()),
        (header::ETAG, etag(archive)),
        (
            HeaderName::from_static("x-workshop-sha256"),
            archive.sha256.clone(),
        ),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{FILE_NAME}\""),
        ),
    ] {
        headers.insert(name, HeaderValue::try_from(value).map_err(internal)?);
    }
    // The token is in the URL: no referrer, no cache.
    headers.extend(page::private());
    Ok(response)
}

fn etag(archive: &Archive) -> String {
    format!("\"{}\"", archive.sha256)
}

/// Which `Range` ServeFile gets. HTTP lets a server ignore a range and
/// send the whole archive (200), which every client can use, where
/// ServeFile would refuse (416) what it does not serve: so several ranges,
/// another unit, nonsense or a range that ends before it starts get the
/// whole archive, as they always did here. So does a range whose `If-Range`
/// names another archive than this one (resuming it would splice two
/// archives; ServeFile reads no `If-Range`). A suffix longer than the
/// archive is all of it, as HTTP says.
fn pass_range(headers: &mut HeaderMap, archive: &Archive) {
    let Some(range) = headers.remove(header::RANGE) else {
        return;
    };
    if headers
        .get(header::IF_RANGE)
        .is_some_and(|tag| tag.as_bytes() != etag(archive).as_bytes())
    {
        return;
    }
    let Ok(parsed) = range.to_str().map(http_range_header::parse_range_header) else {
        return;
    };
    let passed = match parsed.as_ref().map(|parsed| &parsed.ranges[..]) {
        // `bytes=-0`: none of it, a 416.
        Err(RangeUnsatisfiableError::ZeroSuffix) => Some(range),
        Ok([one]) => match (one.start, one.end) {
            (StartPosition::Index(start), EndPosition::Index(end)) if end < start => None,
            (StartPosition::FromLast(last), _) if last > archive.size => {
                Some(HeaderValue::from_static("bytes=0-"))
            }
            _ => Some(range),
        },
        _ => None,
    };
    if let Some(range) = passed {
        headers.insert(header::RANGE, range);
    }
}

/// The archive's byte that `response`'s body starts at: the first for the
/// whole, the range's first for a part; none for any other answer.
fn first_byte(response: &Response) -> Option<u64> {
    match response.status() {
        StatusCode::OK => Some(0),
        StatusCode::PARTIAL_CONTENT => response
            .headers()
            .get(header::CONTENT_RANGE)?
            .to_str()
            .ok()?
            .strip_prefix("bytes ")?
            .split_once('-')?
            .0
            .parse()
            .ok(),
        _ => None,
    }
}

/// Counts a request waiting for a slot, until it has one or goes away.
struct Waiting<'a>(&'a Tally);

impl<'a> Waiting<'a> {
    fn new(tally: &'a Tally) -> Self {
        tally.waiting.fetch_add(1, Ordering::Relaxed);
        tally.bump();
        Self(tally)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
        self.0.bump();
    }
}

/// A body in flight: it holds a slot until it is dropped, at its end or
/// when the client hangs up.
struct InFlight {
    tally: Arc<Tally>,
    _slot: OwnedSemaphorePermit,
}

impl InFlight {
    fn new(tally: Arc<Tally>, slot: OwnedSemaphorePermit) -> Self {
        tally.downloading.fetch_add(1, Ordering::Relaxed);
        tally.bump();
        Self { tally, _slot: slot }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.tally.downloading.fetch_sub(1, Ordering::Relaxed);
        self.tally.bump();
    }
}

/// What a body has handed to the connection; dropped with the body.
struct Sending {
    /// Who asked, and from which byte: a download is counted from these.
    peer: IpAddr,
    start: u64,
    /// The next byte to hand to the connection.
    at: u64,
    archive: Archive,
    in_flight: InFlight,
}

impl Drop for Sending {
    fn drop(&mut self) {
        // At its end or at a hang-up: counted, or kept for a resume, before
        // the slot is given back (the slot goes with `in_flight`, after this).
        self.in_flight
            .tally
            .ended(self.peer, &self.archive, self.start, self.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::archive;
    use sha2::{Digest, Sha256};

    /// Every download checks the workspace first: a change made between two
    /// is in the second. Counted once sent to the end.
    #[tokio::test]
    async fn every_download_is_of_the_workshop_as_it_is_then() {
        let dir = archive::tests::workspace();
        let downloads = Downloads::new(Arc::new(Store::new(dir.path(), archive::tests::VIEW)), 1);
        let download = async || {
            let response = downloads
                .respond(LAPTOP, false, &HeaderMap::new())
                .await
                .expect("an archive");
            assert_eq!(response.status(), StatusCode::OK);
            let sent = response.headers()["x-workshop-sha256"]
                .to_str()
                .expect("text")
                .to_string();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("the body");
            let sha256: String = Sha256::digest(&body)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(sha256, sent);
            sha256
        };
        let first = download().await;
        assert_eq!(download().await, first, "nothing changed");
        std::fs::write(dir.path().join("src/main.rs"), "fn main() { }\n").expect("written");
        assert_ne!(download().await, first, "served stale");
        let counts = Counts {
            downloaded: 3,
            downloading: 0,
            waiting: 0,
        };
        assert_eq!(downloads.counts(), counts);
    }

    const LAPTOP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    /// Issue 26: one 10-byte `Range` request was counted as a download. A
    /// download is a laptop holding every byte: whole, or broken then
    /// resumed from where it broke, by the same address.
    #[test]
    fn a_download_is_counted_when_one_laptop_has_every_byte() {
        let tally = Tally {
            downloaded: AtomicU64::new(0),
            downloading: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            broken: Mutex::new(HashMap::new()),
            changed: watch::Sender::new(0),
        };
        let archive = Archive {
            size: 1000,
            sha256: "ab".into(),
            files: 1,
            crates: 0,
        };
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));
        let count = || tally.downloaded.load(Ordering::Relaxed);
        // The last 10 bytes, alone: nothing.
        tally.ended(LAPTOP, &archive, 990, 1000);
        assert_eq!(count(), 0);
        // Whole: one.
        tally.ended(LAPTOP, &archive, 0, 1000);
        assert_eq!(count(), 1);
        // Broken at 400, resumed from 400 by another address: nothing;
        // by the same: one more.
        tally.ended(LAPTOP, &archive, 0, 400);
        tally.ended(other, &archive, 400, 1000);
        assert_eq!(count(), 1);
        tally.ended(LAPTOP, &archive, 400, 1000);
        assert_eq!(count(), 2);
        // Broken twice, each resume taking on from the last: one.
        tally.ended(other, &archive, 0, 300);
        tally.ended(other, &archive, 250, 700);
        assert_eq!(count(), 2);
        tally.ended(other, &archive, 700, 1000);
        assert_eq!(count(), 3);
        // A resume past where it broke leaves a hole: nothing.
        tally.ended(LAPTOP, &archive, 0, 100);
        tally.ended(LAPTOP, &archive, 500, 1000);
        assert_eq!(count(), 3);
    }

    /// What a request for the archive is answered with.
    #[derive(Debug, PartialEq, Eq)]
    enum Wanted {
        Whole,
        /// Bytes `start..=end`.
        Part {
            start: u64,
            end: u64,
        },
        Unsatisfiable,
    }

    /// The answer to `headers` for a 1000-byte archive whose sha256 is
    /// `ab`, as the status and `Content-Range` say.
    async fn wanted(headers: &HeaderMap) -> Wanted {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, [7; 1000]).expect("written");
        let archive = Archive {
            size: 1000,
            sha256: "ab".into(),
            files: 1,
            crates: 0,
        };
        let response = serve(&path, &archive, Method::GET, headers)
            .await
            .expect("an answer");
        let range = response
            .headers()
            .get(header::CONTENT_RANGE)
            .map(|value| value.to_str().expect("text").to_string())
            .unwrap_or_default();
        let range = range
            .strip_prefix("bytes ")
            .and_then(|r| r.strip_suffix("/1000"));
        match (response.status(), range) {
            (StatusCode::OK, None) => Wanted::Whole,
            (StatusCode::RANGE_NOT_SATISFIABLE, Some("*")) => Wanted::Unsatisfiable,
            (StatusCode::PARTIAL_CONTENT, Some(part)) => {
                let (start, end) = part.split_once('-').expect("N-M");
                let number = |text: &str| text.parse().expect("a number");
                Wanted::Part {
                    start: number(start),
                    end: number(end),
                }
            }
            answer => panic!("{answer:?}"),
        }
    }

    #[tokio::test]
    async fn ranges_are_read_as_http_says() {
        let part = |start, end| Wanted::Part { start, end };
        for (range, want) in [
            ("bytes=0-", part(0, 999)),
            ("bytes=500-", part(500, 999)),
            ("bytes=999-", part(999, 999)),
            ("bytes=0-0", part(0, 0)),
            ("bytes=10-19", part(10, 19)),
            ("bytes=10-5000", part(10, 999)),
            ("bytes=-100", part(900, 999)),
            ("bytes=-5000", part(0, 999)),
            ("bytes=1000-", Wanted::Unsatisfiable),
            ("bytes=1000-1200", Wanted::Unsatisfiable),
            ("bytes=-0", Wanted::Unsatisfiable),
            ("bytes=19-10", Wanted::Whole),
            ("bytes=0-1,5-9", Wanted::Whole),
            ("items=0-1", Wanted::Whole),
            ("bytes=x-", Wanted::Whole),
            ("bytes=+1-", Wanted::Whole),
            ("bytes=", Wanted::Whole),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::RANGE, HeaderValue::from_static(range));
            assert_eq!(wanted(&headers).await, want, "{range}");
        }
    }

    #[tokio::test]
    async fn a_range_of_another_archive_is_the_whole_of_this_one() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=10-"));
        assert_eq!(
            wanted(&headers).await,
            Wanted::Part {
                start: 10,
                end: 999
            }
        );
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"ab\""));
        assert_eq!(
            wanted(&headers).await,
            Wanted::Part {
                start: 10,
                end: 999
            }
        );
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"cd\""));
        assert_eq!(wanted(&headers).await, Wanted::Whole);
    }
}
