//! A learner's server, started as its own process on a free port.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use super::explain;
use super::procs::Proc;

/// How long a server may take to print `listening on …`.
const STARTUP: Duration = Duration::from_secs(15);

/// A running server under grading. It is killed when dropped.
pub struct Server {
    proc: Proc,
    pub url: String,
}

/// Settings for one server process.
#[derive(Debug, Clone, Default)]
pub struct Launch<'a> {
    pub rates_url: &'a str,
    /// `TOKIO_WORKER_THREADS`, for the concurrency check.
    pub worker_threads: Option<usize>,
    /// `THREADS`, for the synchronous server's pool.
    pub threads: Option<usize>,
    /// `--upstream-timeout`; the contract's 300 ms when unset.
    pub upstream_timeout: Option<Duration>,
    /// More arguments, for the options of one part (e.g. `--rates-ttl`).
    pub args: &'a [String],
}

impl Server {
    /// Starts `bin` and waits for its `listening on http://…` line.
    pub fn start(bin: &Path, launch: &Launch) -> Result<Server, String> {
        let mut command = Command::new(bin);
        command
            .args(["--port", "0", "--host", "127.0.0.1"])
            .arg("--upstream-timeout")
            .arg(format!(
                "{}ms",
                launch
                    .upstream_timeout
                    .unwrap_or(workshop_tests::upstream::UPSTREAM_TIMEOUT)
                    .as_millis()
            ))
            .args(launch.args)
            .env("RATES_URL", launch.rates_url)
            // A learner's backtrace is noise here: the grader explains panics.
            .env("RUST_BACKTRACE", "0")
            .env_remove("PORT")
            .env_remove("HOST");
        if let Some(workers) = launch.worker_threads {
            command.env("TOKIO_WORKER_THREADS", workers.to_string());
        }
        if let Some(threads) = launch.threads {
            command.env("THREADS", threads.to_string());
        }
        let (found, listening) = mpsc::channel();
        let proc = Proc::spawn(command, move |line| {
            if let Some(url) = line.strip_prefix("listening on ") {
                // The receiver may be gone already; nothing to do then.
                let _ = found.send(url.trim().to_string());
            }
        })
        .map_err(|err| format!("cannot start {}: {err}", bin.display()))?;

        let deadline = std::time::Instant::now() + STARTUP;
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
            if std::time::Instant::now() >= deadline {
                return Err(format!(
                    "the server did not print `listening on …` within {} s: does it bind its port?",
                    STARTUP.as_secs()
                ));
            }
        }
    }

    /// The process, to signal it, wait for it or read what it printed.
    pub fn proc(&self) -> &Proc {
        &self.proc
    }

    /// Why the server misbehaved, if its stderr says: the first panic, or
    /// that it died.
    pub fn trouble(&self) -> Option<String> {
        let exited = self.proc.exited();
        if exited {
            // Its last words may still be in the pipe.
            self.proc.drain(Duration::from_secs(1));
        } else {
            // A panicking handler closes the connection a moment before its
            // message reaches us.
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(why) = explain::first(&self.proc.stderr()) {
            return Some(why);
        }
        exited.then(|| format!("the server exited: {}", last_line(&self.proc.stderr())))
    }
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("it printed nothing")
        .to_string()
}

/// What a check needs to talk to the server under grading: a rates service,
/// the server pointed at it, and a client. Kept together: the service must
/// outlive the server's requests.
pub struct Stage {
    pub service: rates::RatesService,
    pub server: Server,
    pub client: reqwest::blocking::Client,
}

/// Starts a rates service with `config`, then `bin` against it with
/// `launch`'s settings (its `rates_url` is the new service's). The error is
/// the check's reason to fail.
pub fn stage(bin: &Path, config: rates::RatesConfig, launch: Launch) -> Result<Stage, String> {
    let service = rates::RatesService::start(config)
        .map_err(|err| format!("cannot start a rates service: {err}"))?;
    let url = service.url();
    let server = Server::start(
        bin,
        &Launch {
            rates_url: &url,
            ..launch
        },
    )?;
    let client = super::contract::http_client()?;
    Ok(Stage {
        service,
        server,
        client,
    })
}
