//! `GET /workshop.tar.gz`: the offline archive, to a room of laptops at
//! once. Streamed from disk a chunk at a time (never whole in memory); at
//! most `--downloads` bodies in flight, the others waiting their turn in
//! order; a client that hangs up drops its body, and with it its slot.
//! Ranges are served, so a broken download resumes (`curl -C -`); the
//! sha256 goes in a header, so a learner can check what arrived.
//!
//! The board shows the counts: downloaded, downloading, waiting. A download
//! is counted once one laptop has had every byte of the archive: a body
//! from its first byte to its last, or a resume that takes a broken one of
//! the same address on to the end; never a range alone (issue 26: one
//! 10-byte `Range` request was counted).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

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
            let (archive, _) = self.fresh().await?;
            return headers_of(&archive, StatusCode::OK, archive.size, None)
                .body(Body::empty())
                .map_err(internal);
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
        // Checked once its turn comes, not when it arrived: a wait may be long.
        let (archive, mut file) = self.fresh().await?;
        let (status, start, end) = match wanted(headers, &archive) {
            Wanted::Whole => (StatusCode::OK, 0, archive.size.saturating_sub(1)),
            Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
            Wanted::Unsatisfiable => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .header(header::CONTENT_RANGE, format!("bytes */{}", archive.size))
                    .body(Body::from(format!(
                        "no such range: the archive has {} bytes\n",
                        archive.size
                    )))
                    .map_err(internal);
            }
        };
        file.seek(SeekFrom::Start(start)).map_err(internal)?;
        let range = (status == StatusCode::PARTIAL_CONTENT).then_some((start, end));
        let body = Reading {
            file: Some(file),
            left: end - start + 1,
            peer,
            start,
            at: start,
            archive: archive.clone(),
            in_flight,
        };
        headers_of(&archive, status, end - start + 1, range)
            .body(Body::from_stream(body.stream()))
            .map_err(internal)
    }

    /// The archive as the workspace is now (made again if it changed).
    async fn fresh(&self) -> Result<(Archive, File), Refusal> {
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

/// The headers of the archive, or of `range` of it.
fn headers_of(
    archive: &Archive,
    status: StatusCode,
    length: u64,
    range: Option<(u64, u64)>,
) -> axum::http::response::Builder {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/gzip")
        .header(header::CONTENT_LENGTH, length)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{}\"", archive.sha256))
        .header("x-workshop-sha256", &archive.sha256)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{FILE_NAME}\""),
        );
    if let Some((start, end)) = range {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{}", archive.size),
        );
    }
    // The token is in the URL: no referrer, no cache.
    for (name, value) in page::private() {
        builder = builder.header(name, value);
    }
    builder
}

/// What a request asks for.
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

/// `Range: bytes=N-`, `bytes=N-M` or `bytes=-N` (the last N). Anything
/// else (several ranges, another unit, nonsense) is ignored, as HTTP
/// allows: the whole archive. So is a range whose `If-Range` names another
/// archive than this one: resuming it would splice two archives.
fn wanted(headers: &HeaderMap, archive: &Archive) -> Wanted {
    let Some(range) = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Wanted::Whole;
    };
    if let Some(tag) = headers.get(header::IF_RANGE) {
        if tag.as_bytes() != format!("\"{}\"", archive.sha256).as_bytes() {
            return Wanted::Whole;
        }
    }
    parse_range(range, archive.size)
}

fn parse_range(range: &str, size: u64) -> Wanted {
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(0)) => Wanted::Unsatisfiable,
        (true, _, Some(suffix)) => Wanted::Part {
            start: size.saturating_sub(suffix),
            end: size - 1,
        },
        (false, Some(start), _) if start >= size => {
            if last.trim().is_empty() || number(last).is_some_and(|end| end >= start) {
                Wanted::Unsatisfiable
            } else {
                Wanted::Whole
            }
        }
        (false, Some(start), None) if last.trim().is_empty() => Wanted::Part {
            start,
            end: size - 1,
        },
        (false, Some(start), Some(end)) if end >= start => Wanted::Part {
            start,
            end: end.min(size - 1),
        },
        _ => Wanted::Whole,
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

/// The body: what is left to send, read a chunk at a time.
struct Reading {
    /// Away while a chunk is read.
    file: Option<File>,
    left: u64,
    /// Who asked, and from which byte: a download is counted from these.
    peer: IpAddr,
    start: u64,
    /// The next byte to hand to the connection.
    at: u64,
    archive: Archive,
    in_flight: InFlight,
}

impl Reading {
    fn stream(self) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
        futures_util::stream::try_unfold(self, |mut reading| async move {
            if reading.left == 0 {
                return Ok(None);
            }
            let want = usize::try_from(reading.left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let mut file = reading
                .file
                .take()
                .ok_or_else(|| io::Error::other("the archive was lost mid-way"))?;
            // tokio's `fs` would do the same (and is a feature this
            // workspace's tokio, shared with every part, does not have).
            let (file, chunk) = tokio::task::spawn_blocking(move || {
                let mut chunk = vec![0; want];
                file.read_exact(&mut chunk).map(|()| (file, chunk))
            })
            .await
            .map_err(io::Error::other)??;
            reading.file = Some(file);
            reading.left -= want as u64;
            reading.at += want as u64;
            Ok(Some((Bytes::from(chunk), reading)))
        })
    }
}

impl Drop for Reading {
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
    use axum::http::HeaderValue;
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

    #[test]
    fn ranges_are_read_as_http_says() {
        let size = 1000;
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
            assert_eq!(parse_range(range, size), want, "{range}");
        }
    }

    #[test]
    fn a_range_of_another_archive_is_the_whole_of_this_one() {
        let archive = Archive {
            size: 1000,
            sha256: "ab".into(),
            files: 1,
            crates: 0,
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=10-"));
        assert_eq!(
            wanted(&headers, &archive),
            Wanted::Part {
                start: 10,
                end: 999
            }
        );
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"ab\""));
        assert_eq!(
            wanted(&headers, &archive),
            Wanted::Part {
                start: 10,
                end: 999
            }
        );
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"cd\""));
        assert_eq!(wanted(&headers, &archive), Wanted::Whole);
    }
}
