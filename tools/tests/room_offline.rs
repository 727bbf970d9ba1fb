//! `room serve --offline` over real HTTP on loopback: the archive behind a
//! token; unpacked and built with no network and an empty cargo home, to
//! the first verdict of `check part1`; resumed by ranges; cut off by a
//! hang-up; sent to 30 laptops at once, 8 at a time; counted live on the
//! page.
//!
//! Every board here serves the same archive, of this workspace's tracked
//! files, from `target/room-offline/`: the first test to start one makes
//! it (vendoring every crate, minutes the first time), the others reuse it.

mod support;

use workshop_testkit as common;
use workshop_testkit::{cdp, docs};

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use reqwest::blocking::{Client, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use support::{Board, serial};

/// A client for archives: a download may wait its turn behind others.
fn client() -> Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::builder()
                .timeout(Duration::from_secs(120))
                .no_proxy()
                .build()
                .expect("an HTTP client")
        })
        .clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The archive as served, downloaded once with the join token.
struct Archive {
    bytes: Vec<u8>,
    sha256: String,
}

fn archive() -> &'static Archive {
    static ARCHIVE: OnceLock<Archive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let board = Board::start(&["--offline"]);
        let offline = board.offline.clone().expect("the offline lines");
        let response = get(&offline.url, &[]);
        assert_eq!(response.status(), 200);
        let sent = header(&response, "x-workshop-sha256");
        let length: usize = header(&response, "content-length")
            .parse()
            .expect("a length");
        let bytes = response.bytes().expect("the archive").to_vec();
        let sha256 = hex(&Sha256::digest(&bytes));
        assert_eq!(bytes.len(), length, "Content-Length");
        assert_eq!(sent, sha256, "the header's sha256 is the archive's");
        assert_eq!(
            offline.sha256, sha256,
            "the printed sha256 is the archive's"
        );
        assert_eq!(
            offline.size,
            format!("{:.1} MB", bytes.len() as f64 / 1e6),
            "the printed size"
        );
        Archive { bytes, sha256 }
    })
}

fn get(url: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().expect("the board answers")
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_string()
}

/// The board's download counts: (downloaded, downloading, waiting).
fn counts(board: &Board) -> (u64, u64, u64) {
    let state = board.state();
    let downloads = &state["downloads"];
    let count = |name: &str| {
        downloads[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no {name} count in {downloads}"))
    };
    (count("downloaded"), count("downloading"), count("waiting"))
}

/// Polls the board until its counts are `want`, for at most `within`.
fn wait_for_counts(board: &Board, want: (u64, u64, u64), within: Duration) {
    wait_for(board, &format!("{want:?}"), within, |seen| seen == want);
}

/// Polls the board until its counts satisfy `done`, for at most `within`.
fn wait_for(board: &Board, what: &str, within: Duration, done: impl Fn((u64, u64, u64)) -> bool) {
    let deadline = Instant::now() + within;
    loop {
        let seen = counts(board);
        if done(seen) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the counts (downloaded, downloading, waiting) are {seen:?}, not {what}, after {within:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

// --- from the slide to the first verdict, with no network ---

#[test]
fn the_archive_needs_a_token_and_builds_with_no_network_to_a_first_verdict() {
    let _serial = serial();
    let archive = archive();
    let board = Board::start(&["--offline"]);
    let offline = board.offline.clone().expect("the offline lines");
    assert_eq!(
        offline.unpack,
        "tar -xzf workshop.tar.gz, then cd async-workshop"
    );
    // The lines instructors.md shows are these, quoted from this run
    // (its example address, port and tokens stand for any).
    let port: u16 = board
        .base
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("the board's port");
    let documented = docs::blocks("docs/instructors.md")
        .into_iter()
        .flat_map(|block| block.steps)
        .find(|step| step.command.ends_with("--offline"))
        .expect("instructors.md shows room serve --offline");
    let missing = docs::missing(
        &documented.prints,
        &board.printed.join("\n"),
        &[(8099, port)],
    );
    assert!(
        missing.is_empty(),
        "instructors.md shows {missing:?}, not what room serve --offline printed:\n{}",
        board.printed.join("\n")
    );
    let (url, token) = offline.url.split_once("?token=").expect("a token");
    assert_eq!(url, format!("{}/workshop.tar.gz", board.base));
    assert_eq!(
        token, board.join_token,
        "the slide's token is the join token"
    );
    for refused in [
        url.to_string(),
        format!("{url}?token=wrong"),
        format!("{url}?view={}", board.view_token),
    ] {
        let response = get(&refused, &[]);
        assert_eq!(response.status(), 401, "{refused}");
        let said = response.text().expect("a body");
        assert!(
            said.ends_with('\n') && said.lines().count() == 1,
            "{said:?}"
        );
    }
    // The instructor's view token works too; HEAD sends no body.
    let head = client()
        .head(format!("{url}?token={}", board.view_token))
        .send()
        .expect("an answer");
    assert_eq!(head.status(), 200);
    assert_eq!(
        header(&head, "content-length"),
        archive.bytes.len().to_string()
    );
    assert_eq!(header(&head, "accept-ranges"), "bytes");
    assert_eq!(header(&head, "x-workshop-sha256"), archive.sha256);

    let started = Instant::now();
    let response = get(&offline.url, &[]);
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().expect("the archive");
    assert_eq!(hex(&Sha256::digest(&bytes)), archive.sha256);
    let downloaded = started.elapsed();
    drop(board);

    // Unpacked anywhere: the tracked files, the crates, and nothing of
    // this machine's target/ or .workshop/.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut tar = tar::Archive::new(GzDecoder::new(&bytes[..]));
    tar.unpack(dir.path()).expect("the archive unpacks");
    let top = dir.path().join("async-workshop");
    let unpacked: BTreeSet<String> = fs::read_dir(&top)
        .expect("the top directory")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    for present in [
        "Cargo.lock",
        "Cargo.toml",
        "workshop.toml",
        "exercises",
        "xtask",
        "vendor",
        ".cargo",
    ] {
        assert!(unpacked.contains(present), "no {present}: {unpacked:?}");
    }
    for absent in ["target", ".workshop", ".git"] {
        assert!(!unpacked.contains(absent), "{absent} is in the archive");
    }
    let crates = fs::read_dir(top.join("vendor/crates"))
        .expect("the vendored crates")
        .count();
    let locked = fs::read_to_string(top.join("Cargo.lock"))
        .expect("Cargo.lock")
        .matches("source = \"registry+")
        .count();
    assert_eq!(
        crates, locked,
        "every crate of Cargo.lock, every platform's"
    );
    assert!(
        top.join("vendor/tiny_http/PATCHED.md").is_file(),
        "the patched tiny_http"
    );
    let config = fs::read_to_string(top.join(".cargo/config.toml")).expect("the config");
    let ours = fs::read_to_string(common::root().join(".cargo/config.toml")).expect("our config");
    let alias = ours
        .lines()
        .find(|line| line.starts_with("xtask = "))
        .expect("our config has the xtask alias");
    assert!(
        config.contains(alias)
            && config.contains("replace-with = \"vendored-sources\"")
            && config.contains("directory = \"vendor/crates\""),
        "{config}"
    );

    // Built with an empty cargo home and no network, to the first verdict.
    let home = tempfile::tempdir().expect("an empty cargo home");
    let started = Instant::now();
    let (_, said) = common::run_within(
        &mut xtask_offline(&top, home.path(), &["check", "part1"]),
        Duration::from_secs(25 * 60),
    );
    let built = started.elapsed();
    assert!(
        said.contains("part1 does not pass yet: 0 of 5 checks pass, 5 gaps left"),
        "no first verdict:\n{said}"
    );
    assert!(said.contains("✗ part1.client.cli"), "{said}");
    assert!(
        !said.contains("Downloading") && !said.contains("Updating crates.io"),
        "cargo fetched something:\n{said}"
    );

    // `setup` starts with `cargo fetch`, which wants every crate of every
    // platform: from the vendored sources, offline, it has them all.
    let mut fetch = Command::new(env!("CARGO"));
    offline_env(&mut fetch, &top, home.path()).arg("fetch");
    let (fetched, said) = common::run_within(&mut fetch, Duration::from_secs(120));
    assert!(fetched, "cargo fetch, offline:\n{said}");
    let home_holds: Vec<_> = fs::read_dir(home.path())
        .expect("the cargo home")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(
        !home_holds.iter().any(|name| name == "registry"),
        "cargo used its registry cache: {home_holds:?}"
    );
    // `doctor` says where the crates come from.
    let (_, said) = common::run_within(
        &mut xtask_offline(&top, home.path(), &["doctor"]),
        Duration::from_secs(120),
    );
    assert!(
        said.contains(
            "✓ sources: every crate from the vendored sources in vendor/crates (.cargo/config.toml replaces crates.io)"
        ),
        "{said}"
    );
    assert!(
        said.contains("✓ dependencies: all fetched, they work offline"),
        "{said}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "the archive: {:.1} MB, downloaded in {downloaded:?}; unpacked and built offline to \
         the first verdict of check part1 in {built:.1?}{}",
        bytes.len() as f64 / 1e6,
        if env::var_os("WORKSHOP_OFFLINE_CARGO_XTASK").is_some_and(|value| value == "1") {
            " (`cargo xtask`, the runner built too)"
        } else {
            " (the runner prebuilt)"
        }
    );
}

/// The runner in the unpacked copy, offline. `cargo xtask …`, as a learner
/// types it, first builds the runner itself: about 100 s more on two cores,
/// which CI's budget does not have; so by default this runs the runner these
/// tests were built with (`--root` the copy), which builds exactly what the
/// command needs, and `WORKSHOP_OFFLINE_CARGO_XTASK=1` runs `cargo xtask`.
fn xtask_offline(top: &Path, home: &Path, args: &[&str]) -> Command {
    if env::var_os("WORKSHOP_OFFLINE_CARGO_XTASK").is_some_and(|value| value == "1") {
        let mut command = Command::new(env!("CARGO"));
        offline_env(&mut command, top, home).arg("xtask").args(args);
        return command;
    }
    let mut command = Command::new(common::runner());
    offline_env(&mut command, top, home)
        .arg("--root")
        .arg(top)
        .args(args);
    command
}

/// `command` in `dir`, as on a laptop with no network that never ran
/// cargo: an empty cargo home, CARGO_NET_OFFLINE, and a proxy that refuses
/// every connection in case anything still tried one. The toolchain is the
/// one that built this test, called directly: rustup is never asked for
/// anything (and may not install one).
fn offline_env<'a>(command: &'a mut Command, dir: &Path, home: &Path) -> &'a mut Command {
    let cargo = Path::new(env!("CARGO"));
    command.current_dir(dir).env_clear();
    for name in [
        "PATH",
        "HOME",
        "USERPROFILE",
        "SYSTEMROOT",
        "TMPDIR",
        "TEMP",
        "TMP",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "LANG",
    ] {
        if let Some(value) = env::var_os(name) {
            command.env(name, value);
        }
    }
    let rustc = cargo.with_file_name(format!("rustc{}", env::consts::EXE_SUFFIX));
    if rustc.is_file() {
        command.env("RUSTC", rustc);
    }
    let refused = "http://127.0.0.1:9";
    command
        .env("CARGO", cargo)
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env("CARGO_HOME", home)
        .env("CARGO_NET_OFFLINE", "true")
        .env("NO_COLOR", "1")
        .env("CARGO_HTTP_PROXY", refused);
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        command.env(proxy, refused);
    }
    command
}

// --- ranges, hang-ups, a room at once ---

#[test]
fn a_broken_download_resumes_with_a_range() {
    let _serial = serial();
    let archive = archive();
    let size = archive.bytes.len();
    let board = Board::start(&["--offline"]);
    let url = board.offline.clone().expect("the offline lines").url;

    // The first megabyte, then the rest from there, as `curl -C -` asks.
    let first = get(&url, &[("range", "bytes=0-999999")]);
    assert_eq!(first.status(), 206);
    assert_eq!(
        header(&first, "content-range"),
        format!("bytes 0-999999/{size}")
    );
    assert_eq!(header(&first, "content-length"), "1000000");
    let mut whole = first.bytes().expect("a part").to_vec();
    let rest = get(&url, &[("range", "bytes=1000000-")]);
    assert_eq!(rest.status(), 206);
    assert_eq!(
        header(&rest, "content-range"),
        format!("bytes 1000000-{}/{size}", size - 1)
    );
    whole.extend_from_slice(&rest.bytes().expect("the rest"));
    assert_eq!(hex(&Sha256::digest(&whole)), archive.sha256);

    // The last bytes; a range past the end; a range of another archive.
    let tail = get(&url, &[("range", "bytes=-100")]);
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().expect("a tail")[..],
        archive.bytes[size - 100..]
    );
    let past = get(&url, &[("range", &format!("bytes={size}-"))]);
    assert_eq!(past.status(), 416);
    assert_eq!(header(&past, "content-range"), format!("bytes */{size}"));
    let other = get(
        &url,
        &[("range", "bytes=1000000-"), ("if-range", "\"another\"")],
    );
    assert_eq!(other.status(), 200, "another archive's range: the whole");
    assert_eq!(other.bytes().expect("the whole").len(), size);
    // Counted: the download broken then resumed, and the whole archive;
    // not the last 100 bytes alone (issue 26: a range was a download).
    wait_for_counts(&board, (2, 0, 0), Duration::from_secs(5));
}

#[test]
fn a_hang_up_mid_download_frees_its_slot_and_counts_nothing() {
    let _serial = serial();
    let archive = archive();
    let board = Board::start(&["--offline", "--downloads", "1"]);
    let url = board.offline.clone().expect("the offline lines").url;
    assert_eq!(counts(&board), (0, 0, 0));

    let mut first = get(&url, &[]);
    let mut some = vec![0; 1 << 20];
    first.read_exact(&mut some).expect("a first megabyte");
    assert_eq!(some[..], archive.bytes[..1 << 20]);
    wait_for_counts(&board, (0, 1, 0), Duration::from_secs(5));
    // The one slot is taken: the next learner waits their turn.
    let second = thread::spawn({
        let url = url.clone();
        move || {
            let response = get(&url, &[]);
            let started = Instant::now();
            (response.bytes().expect("the archive").to_vec(), started)
        }
    });
    wait_for_counts(&board, (0, 1, 1), Duration::from_secs(5));

    // Hang up: the slot goes to the one waiting, and nothing is counted.
    let hung_up = Instant::now();
    drop(first);
    wait_for(
        &board,
        "nobody waiting",
        Duration::from_secs(5),
        |(_, _, waiting)| waiting == 0,
    );
    let (bytes, served) = second.join().expect("the second download");
    assert!(
        served.duration_since(hung_up) < Duration::from_secs(2),
        "the slot came free {:?} after the hang-up",
        served.duration_since(hung_up)
    );
    assert_eq!(hex(&Sha256::digest(&bytes)), archive.sha256);
    wait_for_counts(&board, (1, 0, 0), Duration::from_secs(5));
}

#[test]
fn thirty_laptops_at_once_download_8_at_a_time() {
    let _serial = serial();
    let archive = archive();
    let board = Board::start(&["--offline", "--downloads", "8"]);
    let url = board.offline.clone().expect("the offline lines").url;

    // The board's own counts, watched throughout.
    let done = AtomicBool::new(false);
    let before = rss(board.pid());
    let watcher = thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let (mut most, mut waited, mut memory) = (0, 0, None);
            while !done.load(Ordering::Relaxed) {
                let (_, downloading, waiting) = counts(&board);
                most = most.max(downloading);
                waited = waited.max(waiting);
                memory = memory.max(rss(board.pid()));
                thread::sleep(Duration::from_millis(2));
            }
            (most, waited, memory)
        });
        let start = Arc::new(Barrier::new(30));
        let started = Instant::now();
        let laptops: Vec<_> = (0..30)
            .map(|_| {
                let (url, start) = (url.clone(), Arc::clone(&start));
                scope.spawn(move || {
                    start.wait();
                    let mut response = get(&url, &[]);
                    assert_eq!(response.status(), 200);
                    let sha256 = header(&response, "x-workshop-sha256");
                    // Compared as it comes, against the archive whose
                    // sha256 was checked once.
                    let (mut at, mut chunk) = (0, vec![0; 1 << 16]);
                    loop {
                        let n = response.read(&mut chunk).expect("the body");
                        if n == 0 {
                            break;
                        }
                        assert!(
                            at + n <= archive.bytes.len()
                                && chunk[..n] == archive.bytes[at..at + n],
                            "byte {at} differs"
                        );
                        at += n;
                    }
                    assert_eq!(at, archive.bytes.len(), "a whole archive");
                    sha256
                })
            })
            .collect();
        for laptop in laptops {
            assert_eq!(laptop.join().expect("a laptop"), archive.sha256);
        }
        let took = started.elapsed();
        done.store(true, Ordering::Relaxed);
        let watched = watcher.join().expect("the watcher");
        let _ = writeln!(
            std::io::stderr(),
            "30 downloads of {:.1} MB, 8 at a time, over loopback: {took:.2?} ({:.0} MB/s)",
            archive.bytes.len() as f64 / 1e6,
            30.0 * archive.bytes.len() as f64 / 1e6 / took.as_secs_f64()
        );
        watched
    });
    let (most, waited, memory) = watcher;
    assert!(most <= 8, "{most} downloads at once");
    assert_eq!(most, 8, "never 8 at once: the limit was not reached");
    assert!(waited > 0, "nobody ever waited");
    // Streamed: 8 bodies in flight hold a few chunks each, never an archive.
    if let (Some(before), Some(peak)) = (before, memory) {
        let _ = writeln!(
            std::io::stderr(),
            "the board's resident memory: {before} KiB before, {peak} KiB at most during them"
        );
        let archive_kib = archive.bytes.len() as u64 / 1024;
        assert!(
            peak < before + archive_kib,
            "resident memory grew from {before} KiB to {peak} KiB: an archive is {archive_kib} KiB"
        );
    }
    wait_for_counts(&board, (30, 0, 0), Duration::from_secs(5));
}

/// The process's resident memory in KiB, where the system says.
fn rss(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// --- the page ---

#[test]
fn the_page_counts_the_downloads_live() {
    let _serial = serial();
    let Some(chromium) = cdp::chromium_for("the offline room's page test") else {
        return;
    };
    let archive = archive();
    let board = Board::start(&["--offline", "--downloads", "1"]);
    let url = board.offline.clone().expect("the offline lines").url;
    let resolver = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1";
    let mut browser =
        cdp::Browser::launch_with(&chromium, &[resolver]).unwrap_or_else(|err| panic!("{err}"));
    let page = browser.new_page().unwrap_or_else(|err| panic!("{err}"));
    page.record_events(&mut browser)
        .unwrap_or_else(|err| panic!("{err}"));
    page.navigate(
        &mut browser,
        &format!("{}/?view={}", board.base, board.view_token),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let mut shows = |want: &str| {
        let since = Instant::now();
        let expression = "document.getElementById('downloads').className + '|' + \
                          document.getElementById('downloads').textContent";
        let want = json!(format!("|{want}"));
        loop {
            let seen = page
                .eval(&mut browser, expression)
                .unwrap_or_else(|err| panic!("{err}"));
            if seen == want {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(5),
                "the page shows {seen}, not {want}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    };
    shows("archive: 0 downloaded, 0 downloading, 0 waiting");

    let mut first = get(&url, &[]);
    let mut some = vec![0; 1 << 16];
    first.read_exact(&mut some).expect("a first chunk");
    let second = thread::spawn({
        let url = url.clone();
        move || get(&url, &[]).bytes().expect("the archive").len()
    });
    let took = shows("archive: 0 downloaded, 1 downloading, 1 waiting");
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
    let mut rest = Vec::new();
    first.read_to_end(&mut rest).expect("the rest");
    assert_eq!(some.len() + rest.len(), archive.bytes.len());
    assert_eq!(second.join().expect("the second"), archive.bytes.len());
    let took = shows("archive: 2 downloaded, 0 downloading, 0 waiting");
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
    // Nothing asked of another host, nothing complained.
    let local = format!("{}/", board.base);
    let problems = page.problems(&browser, 0, |url| url.starts_with(&local), |_| false);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
