//! A server under grading, started as its own process on a free port, and
//! the stage most checks need: a rates service, the server pointed at it,
//! and a client.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rates::{RatesConfig, RatesService};

use super::numbers::HEALTH_AFTER;
use super::procs::Proc;
use super::requests::{CONVERT, Reply, Volley, at_once_while, get, http_client, wait_until};
use crate::explain;

/// How long a server may take to print `listening on …`.
const STARTUP: Duration = Duration::from_secs(15);

/// How a server is started: its environment and flags. Unset, each is the
/// server's own default, except the upstream timeout (the contract's 300 ms).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// `TOKIO_WORKER_THREADS`: one worker makes a blocked runtime visible.
    worker_threads: Option<usize>,
    /// `THREADS`, the synchronous server's pool.
    threads: Option<usize>,
    /// `--upstream-timeout`: part 4's deadline.
    upstream_timeout: Option<Duration>,
    /// `--rates-ttl` (part 4).
    rates_ttl: Option<Duration>,
    /// `--grace` (part 4).
    grace: Option<Duration>,
    /// `--max-fetches` (part 5).
    max_fetches: Option<usize>,
    /// `--max-wait` (part 5): `Some(None)` is `unbounded`.
    max_wait: Option<Option<Duration>>,
    /// `--log json` (part 5).
    log_json: bool,
    /// `--stubborn-task` (part 4): a background task that ignores the stop.
    stubborn_task: bool,
    /// Part 6's retries: `--retries`, `--max-tries`, the backoff and the
    /// budget.
    retry: RetrySettings,
}

/// `--retries` (part 6): how a failed fetch of a date's rates is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// Backoff with jitter and `Retry-After`, no budget: what the first two
    /// exercises' checks run, so the budget's gaps never run before theirs.
    Backoff,
    /// All of it, within the server's retry budget.
    Full,
}

impl Retries {
    fn flag(self) -> &'static str {
        match self {
            Retries::Backoff => "backoff",
            Retries::Full => "full",
        }
    }
}

/// Part 6's flags, each the server's default when unset.
#[derive(Debug, Clone, Copy, Default)]
struct RetrySettings {
    retries: Option<Retries>,
    max_tries: Option<u32>,
    backoff_base: Option<Duration>,
    backoff_cap: Option<Duration>,
    /// `--retry-ratio`, in thousandths (the flag takes three decimals).
    ratio_thousandths: Option<u32>,
    floor: Option<u32>,
}

impl Launch {
    pub fn new() -> Self {
        Self::default()
    }

    /// On one worker thread: a worker blocked by a synchronous call then
    /// blocks everything, and `/health` shows it.
    pub fn one_worker(self) -> Self {
        Self {
            worker_threads: Some(1),
            ..self
        }
    }

    pub fn threads(self, threads: usize) -> Self {
        Self {
            threads: Some(threads),
            ..self
        }
    }

    pub fn upstream_timeout(self, timeout: Duration) -> Self {
        Self {
            upstream_timeout: Some(timeout),
            ..self
        }
    }

    pub fn rates_ttl(self, ttl: Duration) -> Self {
        Self {
            rates_ttl: Some(ttl),
            ..self
        }
    }

    pub fn grace(self, grace: Duration) -> Self {
        Self {
            grace: Some(grace),
            ..self
        }
    }

    /// `--max-fetches n`: part 5's limit, the rates service's quota.
    pub fn max_fetches(self, n: usize) -> Self {
        Self {
            max_fetches: Some(n),
            ..self
        }
    }

    /// `--max-wait`: how long a request may wait for a permit; `None` is
    /// `unbounded`, which keeps part 5's shed gaps from running before
    /// their exercise.
    pub fn max_wait(self, wait: Option<Duration>) -> Self {
        Self {
            max_wait: Some(wait),
            ..self
        }
    }

    /// `--log json`: a span a request, as JSON lines on stderr.
    pub fn log_json(self) -> Self {
        Self {
            log_json: true,
            ..self
        }
    }

    /// With a background task that ignores the stop: part 4's server starts
    /// one when asked, so that the shutdown check sees whether
    /// `Background::stop` gives up on it at the grace.
    pub fn stubborn_task(self) -> Self {
        Self {
            stubborn_task: true,
            ..self
        }
    }

    /// `--retries` (part 6).
    pub fn retries(mut self, retries: Retries) -> Self {
        self.retry.retries = Some(retries);
        self
    }

    /// `--max-tries` (part 6): tries in all, the first included.
    pub fn max_tries(mut self, tries: u32) -> Self {
        self.retry.max_tries = Some(tries);
        self
    }

    /// `--backoff-base` and `--backoff-cap` (part 6).
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.retry.backoff_base = Some(base);
        self.retry.backoff_cap = Some(cap);
        self
    }

    /// `--retry-ratio` in thousandths (100 is `0.1`) and `--retry-floor`
    /// (part 6): the retry budget.
    pub fn retry_budget(mut self, ratio_thousandths: u32, floor: u32) -> Self {
        self.retry.ratio_thousandths = Some(ratio_thousandths);
        self.retry.floor = Some(floor);
        self
    }

    /// The command that starts `bin` against the rates service at `rates_url`.
    fn command(&self, bin: &Path, rates_url: &str) -> Command {
        let timeout = self
            .upstream_timeout
            .unwrap_or(workshop_contract::upstream::UPSTREAM_TIMEOUT);
        let mut command = Command::new(bin);
        command
            .args(["--port", "0", "--host", "127.0.0.1"])
            .arg("--upstream-timeout")
            .arg(millis(timeout))
            .env("RATES_URL", rates_url)
            // A learner's backtrace is noise here: the grader explains panics.
            .env("RUST_BACKTRACE", "0")
            .env_remove("PORT")
            .env_remove("HOST")
            // Part 5's options, as the check sets them, not the shell.
            .env_remove("MAX_FETCHES")
            .env_remove("MAX_WAIT")
            .env_remove("LOG");
        // Part 6's too.
        for name in [
            "RETRIES",
            "MAX_TRIES",
            "BACKOFF_BASE",
            "BACKOFF_CAP",
            "RETRY_RATIO",
            "RETRY_FLOOR",
        ] {
            command.env_remove(name);
        }
        if let Some(ttl) = self.rates_ttl {
            command.arg("--rates-ttl").arg(millis(ttl));
        }
        if let Some(grace) = self.grace {
            command.arg("--grace").arg(millis(grace));
        }
        if let Some(n) = self.max_fetches {
            command.arg("--max-fetches").arg(n.to_string());
        }
        match self.max_wait {
            Some(Some(wait)) => {
                command.arg("--max-wait").arg(millis(wait));
            }
            Some(None) => {
                command.args(["--max-wait", "unbounded"]);
            }
            None => {}
        }
        if self.log_json {
            command.args(["--log", "json"]);
        }
        if self.stubborn_task {
            command.arg("--stubborn-task");
        }
        self.retry.add_to(&mut command);
        if let Some(workers) = self.worker_threads {
            command.env("TOKIO_WORKER_THREADS", workers.to_string());
        }
        if let Some(threads) = self.threads {
            command.env("THREADS", threads.to_string());
        }
        command
    }

    /// Starts `bin` against the rates service at `rates_url`, and waits for
    /// its `listening on http://…` line. The error is the check's reason.
    pub fn start(&self, bin: &Path, rates_url: &str) -> Result<Server, String> {
        let (found, listening) = mpsc::channel();
        let proc = Proc::spawn(self.command(bin, rates_url), move |line| {
            if let Some(url) = line.strip_prefix("listening on ") {
                // The receiver may be gone already; nothing to do then.
                let _ = found.send(url.trim().to_string());
            }
        })
        .map_err(|err| format!("cannot start {}: {err}", bin.display()))?;

        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(url) = listening.recv_timeout(Duration::from_millis(50)) {
                return Ok(Server { proc, url });
            }
            if proc.exited() {
                proc.drain(Duration::from_secs(1));
                return Err(match explain::first(&proc.stderr()) {
                    Some(why) => format!("the server stopped at start: {why}"),
                    None => format!(
                        "the server stopped before it printed `listening on …`: {}",
                        last_line(&proc.stderr())
                    ),
                });
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not print `listening on …` within {} s: does it bind its port?",
                    STARTUP.as_secs()
                ));
            }
        }
    }

    /// A rates service with `config`, then `bin` against it. The error is
    /// the check's reason.
    pub fn stage(&self, bin: &Path, config: RatesConfig) -> Result<Stage, String> {
        let service = RatesService::start(config)
            .map_err(|err| format!("cannot start a rates service: {err}"))?;
        let server = self.start(bin, &service.url())?;
        let client = http_client()?;
        Ok(Stage {
            service,
            server,
            client,
        })
    }
}

impl RetrySettings {
    fn add_to(&self, command: &mut Command) {
        if let Some(retries) = self.retries {
            command.args(["--retries", retries.flag()]);
        }
        if let Some(tries) = self.max_tries {
            command.arg("--max-tries").arg(tries.to_string());
        }
        if let Some(base) = self.backoff_base {
            command.arg("--backoff-base").arg(millis(base));
        }
        if let Some(cap) = self.backoff_cap {
            command.arg("--backoff-cap").arg(millis(cap));
        }
        if let Some(ratio) = self.ratio_thousandths {
            command.arg("--retry-ratio").arg(thousandths(ratio));
        }
        if let Some(floor) = self.floor {
            command.arg("--retry-floor").arg(floor.to_string());
        }
    }
}

/// `0.1` for 100: a share in thousandths, as `--retry-ratio` reads it.
fn thousandths(share: u32) -> String {
    format!("{}.{:03}", share / 1000, share % 1000)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// `1500ms`: how the servers' duration flags (humantime) read it exactly.
fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

/// What a check needs to talk to the server under grading. Kept together:
/// the service must outlive the server's requests.
pub struct Stage {
    pub service: RatesService,
    pub server: Server,
    pub client: reqwest::blocking::Client,
}

impl Stage {
    /// `n` conversions that leave together, and `/health` asked
    /// `HEALTH_AFTER` later, while they all wait for the rates: is the
    /// server free meanwhile? The replies, and `/health`'s.
    pub fn at_once_and_health(&self, n: usize) -> (Volley, Reply) {
        at_once_while(&self.client, &self.server.at(CONVERT), n, || {
            thread::sleep(HEALTH_AFTER);
            get(&self.client, &self.server.at("/health"))
        })
    }

    /// Waits, at most `limit`, until the server has asked the rates service
    /// for `/latest`, or has panicked or died trying: whether it asked.
    pub fn fetch_started(&self, limit: Duration) -> bool {
        let fetches = || self.service.count("/latest");
        wait_until(limit, || fetches() > 0 || self.server.gave_up()) && fetches() > 0
    }
}

/// A running server under grading. It is killed when dropped.
pub struct Server {
    proc: Proc,
    pub url: String,
}

impl Server {
    /// The process, to signal it, wait for it or read what it printed.
    pub fn proc(&self) -> &Proc {
        &self.proc
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The server's address, from its URL.
    pub fn address(&self) -> Result<std::net::SocketAddr, String> {
        self.url
            .trim_start_matches("http://")
            .parse()
            .map_err(|err| format!("the server printed an address that does not parse: {err}"))
    }

    /// Why the server misbehaved, if its stderr says: the first panic, or
    /// that it died.
    pub fn trouble(&self) -> Option<String> {
        let exited = self.settle();
        if let Some(why) = explain::first(&self.proc.stderr()) {
            return Some(why);
        }
        exited.then(|| format!("the server exited: {}", last_line(&self.proc.stderr())))
    }

    /// The explanation of a `todo!()` the server panicked on, if it did: a
    /// gap left explains whatever went wrong after it.
    pub fn unfilled_gap(&self) -> Option<String> {
        self.settle();
        explain::gap(&self.proc.stderr())
    }

    /// Lets what the server says about what just happened reach us; whether
    /// it has exited.
    fn settle(&self) -> bool {
        let exited = self.proc.exited();
        if exited {
            // Its last words may still be in the pipe.
            self.proc.drain(Duration::from_secs(1));
        } else {
            // A panicking handler closes the connection a moment before its
            // message reaches us.
            thread::sleep(Duration::from_millis(100));
        }
        exited
    }

    /// The reason a check gives when what it measured went wrong: the
    /// server's own trouble if it had any (a panic explains a wrong answer
    /// better than the answer does), else what was measured.
    pub fn trouble_or(&self, measured: impl FnOnce() -> String) -> String {
        self.trouble().unwrap_or_else(measured)
    }

    /// Whether the server has panicked or died: a scenario waiting for it
    /// to do something stops waiting then.
    pub fn gave_up(&self) -> bool {
        self.proc.exited() || explain::first(&self.proc.stderr()).is_some()
    }
}

/// The last line a process printed, or that it printed nothing.
pub fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("it printed nothing")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }

    fn env(command: &Command, name: &str) -> Option<String> {
        command
            .get_envs()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.map(|value| value.to_string_lossy().into_owned()))
    }

    #[test]
    fn a_plain_launch_sets_the_contracts_timeout_and_nothing_of_part_4() {
        let command = Launch::new().command(Path::new("server"), "http://rates");
        let timeout = millis(workshop_contract::upstream::UPSTREAM_TIMEOUT);
        assert_eq!(
            args(&command),
            [
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--upstream-timeout",
                &timeout
            ]
        );
        assert_eq!(env(&command, "RATES_URL").as_deref(), Some("http://rates"));
        assert_eq!(env(&command, "TOKIO_WORKER_THREADS"), None);
        assert_eq!(env(&command, "THREADS"), None);
    }

    #[test]
    fn each_setting_reaches_the_server() {
        let command = Launch::new()
            .one_worker()
            .threads(12)
            .upstream_timeout(Duration::from_secs(2))
            .rates_ttl(Duration::from_secs(3600))
            .grace(Duration::from_millis(1500))
            .stubborn_task()
            .command(Path::new("server"), "http://rates");
        let args = args(&command);
        let after = |flag: &str| {
            let at = args.iter().position(|arg| arg == flag);
            at.and_then(|at| args.get(at + 1)).cloned()
        };
        assert_eq!(after("--upstream-timeout").as_deref(), Some("2000ms"));
        assert_eq!(after("--rates-ttl").as_deref(), Some("3600000ms"));
        assert_eq!(after("--grace").as_deref(), Some("1500ms"));
        assert!(args.iter().any(|arg| arg == "--stubborn-task"), "{args:?}");
        assert_eq!(env(&command, "TOKIO_WORKER_THREADS").as_deref(), Some("1"));
        assert_eq!(env(&command, "THREADS").as_deref(), Some("12"));
    }

    #[test]
    fn part_5s_settings_reach_the_server() {
        let plain = args(&Launch::new().command(Path::new("server"), "http://rates"));
        assert!(
            !plain
                .iter()
                .any(|arg| arg.starts_with("--max") || arg == "--log")
        );
        let limited = Launch::new()
            .max_fetches(8)
            .max_wait(Some(Duration::from_millis(20)))
            .log_json()
            .command(Path::new("server"), "http://rates");
        let args = args(&limited);
        let after = |flag: &str| {
            let at = args.iter().position(|arg| arg == flag);
            at.and_then(|at| args.get(at + 1)).cloned()
        };
        assert_eq!(after("--max-fetches").as_deref(), Some("8"));
        assert_eq!(after("--max-wait").as_deref(), Some("20ms"));
        assert_eq!(after("--log").as_deref(), Some("json"));
        let unbounded = Launch::new()
            .max_wait(None)
            .command(Path::new("server"), "http://rates");
        let args: Vec<String> = unbounded
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert!(
            args.windows(2)
                .any(|pair| pair == ["--max-wait", "unbounded"])
        );
    }

    #[test]
    fn part_6s_settings_reach_the_server() {
        let plain = args(&Launch::new().command(Path::new("server"), "http://rates"));
        assert!(
            !plain
                .iter()
                .any(|arg| arg.starts_with("--retr") || arg.starts_with("--backoff"))
        );
        let command = Launch::new()
            .retries(Retries::Backoff)
            .max_tries(4)
            .backoff(Duration::from_millis(400), Duration::from_millis(800))
            .retry_budget(100, 5)
            .command(Path::new("server"), "http://rates");
        let args = args(&command);
        let after = |flag: &str| {
            let at = args.iter().position(|arg| arg == flag);
            at.and_then(|at| args.get(at + 1)).cloned()
        };
        assert_eq!(after("--retries").as_deref(), Some("backoff"));
        assert_eq!(after("--max-tries").as_deref(), Some("4"));
        assert_eq!(after("--backoff-base").as_deref(), Some("400ms"));
        assert_eq!(after("--backoff-cap").as_deref(), Some("800ms"));
        assert_eq!(after("--retry-ratio").as_deref(), Some("0.1"));
        assert_eq!(after("--retry-floor").as_deref(), Some("5"));
        let full = Launch::new()
            .retries(Retries::Full)
            .command(Path::new("server"), "http://rates");
        let full: Vec<String> = full
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert!(full.windows(2).any(|pair| pair == ["--retries", "full"]));
        // The shell's settings never reach a server under grading.
        assert!(
            command
                .get_envs()
                .any(|(key, value)| key == "RETRY_RATIO" && value.is_none())
        );
    }

    #[test]
    fn a_ratio_is_written_as_the_flag_reads_it() {
        assert_eq!(thousandths(100), "0.1");
        assert_eq!(thousandths(125), "0.125");
        assert_eq!(thousandths(1000), "1");
        assert_eq!(thousandths(0), "0");
        assert_eq!(thousandths(50), "0.05");
    }

    #[test]
    fn waiting_for_a_fetch_ends_when_it_starts_or_the_server_gives_up() {
        let _grade = crate::engine::procs::Grade::begin();
        let service = RatesService::start(RatesConfig::default()).expect("a rates service");
        // A "server" that exits at once: this test binary, listing its tests.
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command.arg("--list");
        let proc = Proc::spawn(command, |_| {}).expect("it starts");
        let server = Server {
            proc,
            url: "http://127.0.0.1:1".into(),
        };
        let client = http_client().expect("a client");
        let stage = Stage {
            service,
            server,
            client,
        };
        let asked = Instant::now();
        assert!(!stage.fetch_started(Duration::from_secs(10)));
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "{:?}",
            asked.elapsed()
        );
        // Once `/latest` has been asked, the fetch has started.
        let latest = get(&stage.client, &format!("{}/latest", stage.service.url()));
        assert_eq!(latest.status(), Some(200), "{latest:?}");
        assert!(stage.fetch_started(Duration::ZERO));
    }

    #[test]
    fn the_last_line_skips_blank_ones() {
        assert_eq!(last_line("one\ntwo\n\n  \n"), "two");
        assert_eq!(last_line(""), "it printed nothing");
    }
}
