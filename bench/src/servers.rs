//! The four servers: which binaries (their names are workshop.toml's), how
//! they are built, and how they run as child processes that never outlive
//! the bench.

use std::collections::{HashMap, VecDeque};
use std::env;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::ChildWrapper;
use workshop_core::child;
use workshop_core::manifest::Manifest;

use crate::littles_law::{Bound, Workers};
use crate::{BenchError, Code, Profile};

/// Part 2's blocking pool, as `forceasync::runtime` builds it
/// (`max_blocking_threads(32)`, the original's `ThreadPoolExecutor(32)`).
pub const PART2_BLOCKING_THREADS: usize = 32;

/// How long a server may take to say `listening on …`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How many of a server's last stderr lines are kept to explain its death.
const STDERR_TAIL: usize = 8;

/// One of the four implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Implementation {
    /// `part1` … `part4`: the learner's package too.
    pub part: &'static str,
    /// What it is, for tables and legends.
    pub name: &'static str,
    pub model: Model,
}

/// How an implementation waits for the rates service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// A parked task per request.
    Async,
    /// A blocking call on tokio's blocking pool.
    SpawnBlocking,
    /// A blocking call on one of `--threads` threads.
    ThreadPool,
    /// It mostly does not: one fetch of the rates serves every request for
    /// the server's own `--rates-ttl` (part 4).
    Cached,
}

/// The four, in the workshop's order.
pub const IMPLEMENTATIONS: [Implementation; 4] = [
    Implementation {
        part: "part1",
        name: "async (axum + reqwest)",
        model: Model::Async,
    },
    Implementation {
        part: "part2",
        name: "spawn_blocking (32 threads)",
        model: Model::SpawnBlocking,
    },
    Implementation {
        part: "part3",
        name: "sync (tiny_http, thread pool)",
        model: Model::ThreadPool,
    },
    Implementation {
        part: "part4",
        name: "async, rates cached (one fetch per TTL)",
        model: Model::Cached,
    },
];

/// The async server of part 1 and the one of part 4 with its cache: the
/// second should serve the first's load ten times faster at least.
pub const ASYNC_PART: &str = "part1";
pub const CACHED_PART: &str = "part4";

/// The server of `part` as `code`'s side names it: the part's `server`
/// in workshop.toml, with `-solution` for the solution's (what `cargo
/// xtask serve` runs too).
pub fn server_name(manifest: &Manifest, part: &str, code: Code) -> Result<String, BenchError> {
    Ok(code.whose().name(&manifest.part(part)?.server))
}

impl Implementation {
    /// How many requests it can hold waiting; `threads` is part 3's pool.
    pub fn workers(&self, threads: usize) -> Workers {
        match self.model {
            Model::Async | Model::Cached => Workers::PerConnection,
            Model::SpawnBlocking => Workers::Threads(PART2_BLOCKING_THREADS),
            Model::ThreadPool => Workers::Threads(threads),
        }
    }

    /// What limits it: the round trip its workers wait, or the CPU alone.
    pub fn bound(&self) -> Bound {
        match self.model {
            Model::Cached => Bound::Cpu,
            Model::Async | Model::SpawnBlocking | Model::ThreadPool => Bound::LittlesLaw,
        }
    }

    /// The arguments besides `--port`, `--host` and the timeout. Part 4
    /// keeps its own `--rates-ttl`: the bench measures it as it ships.
    fn extra_args(&self, threads: usize) -> Vec<String> {
        if self.model == Model::ThreadPool {
            vec!["--threads".to_string(), threads.to_string()]
        } else {
            Vec::new()
        }
    }
}

/// The optimised runner: this crate's binary, home of the load generator
/// and the rates service while they measure.
pub const RUNNER: &str = "workshop-bench";

/// Builds the four servers with one cargo call and returns their binaries,
/// in the order of [`IMPLEMENTATIONS`].
pub fn build(
    root: &Path,
    target_dir: &Path,
    code: Code,
    profile: Profile,
) -> Result<Vec<PathBuf>, BenchError> {
    let manifest = Manifest::load(root)?;
    let bins = IMPLEMENTATIONS
        .iter()
        .map(|implementation| server_name(&manifest, implementation.part, code))
        .collect::<Result<Vec<_>, _>>()?;
    build_bins(root, target_dir, profile, &bins)
}

/// `part`'s server, by workshop.toml's name, built as `config` says: the
/// one binary `bench overload` (part 5) and `bench retries` (part 6) run.
pub fn build_server(config: &crate::BenchConfig, part: &str) -> Result<PathBuf, BenchError> {
    let manifest = Manifest::load(&config.root)?;
    let bin = server_name(&manifest, part, config.code)?;
    build_bins(&config.root, &config.target_dir, config.profile, &[bin])?
        .pop()
        .ok_or_else(|| BenchError::Config("nothing was built".into()))
}

/// Builds the binaries named `bins` with one cargo call, and returns their
/// paths, in order. In release the runner is built in the same call: one
/// feature resolution, so no dependency is compiled twice.
pub fn build_bins(
    root: &Path,
    target_dir: &Path,
    profile: Profile,
    bins: &[String],
) -> Result<Vec<PathBuf>, BenchError> {
    let mut all = bins.to_vec();
    if profile == Profile::Release {
        all.push(RUNNER.to_string());
    }
    let mut built = cargo_build(root, target_dir, profile, &all)?;
    bins.iter()
        .map(|bin| {
            built
                .remove(bin)
                .ok_or_else(|| BenchError::MissingBinary(bin.clone()))
        })
        .collect()
}

/// `cargo build` of the binaries named `bins`: where cargo put each, by
/// name, as its JSON messages say (their `executable`), wherever the
/// profile or the target directory puts them.
fn cargo_build(
    root: &Path,
    target_dir: &Path,
    profile: Profile,
    bins: &[String],
) -> Result<HashMap<String, PathBuf>, BenchError> {
    // `CARGO` is set when running under cargo: the same toolchain as ours.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    // `--workspace` with `--bin` filters builds only those binaries, but
    // resolves features as a workspace-wide build does (bin names are unique
    // in this workspace). With `--package` instead, shared dependencies would
    // get other features than `cargo test --workspace` gave them, and be
    // compiled all over again.
    command
        .current_dir(root)
        .args([
            "build",
            "--workspace",
            // The errors rendered on stderr as usual; JSON on stdout.
            "--message-format",
            "json-render-diagnostics",
            "--profile",
            profile.cargo_name(),
            "--target-dir",
        ])
        .arg(target_dir)
        .stdout(Stdio::piped());
    for bin in bins {
        command.args(["--bin", bin]);
    }
    // cargo's progress and errors go straight to the terminal.
    let mut cargo = command.spawn().map_err(BenchError::Cargo)?;
    let built = cargo
        .stdout
        .take()
        .map(|stdout| executables(BufReader::new(stdout)))
        .unwrap_or_default();
    let status = cargo.wait().map_err(BenchError::Cargo)?;
    if status.success() {
        Ok(built)
    } else if interrupted(&status) {
        Err(BenchError::Interrupted)
    } else {
        Err(BenchError::Build(status.to_string()))
    }
}

/// The binaries in cargo's JSON messages, by target name.
fn executables(messages: impl BufRead) -> HashMap<String, PathBuf> {
    messages
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter_map(|message| {
            let name = message["target"]["name"].as_str()?;
            let executable = message["executable"].as_str()?;
            Some((name.to_string(), PathBuf::from(executable)))
        })
        .collect()
}

/// Whether Ctrl-C ended the child (it reaches the whole foreground group).
#[cfg(unix)]
fn interrupted(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(2)
}

#[cfg(not(unix))]
fn interrupted(_status: &std::process::ExitStatus) -> bool {
    false
}

/// A child process in a group of its own, killed with everything it
/// started when this is dropped: on success, on error, on panic and after
/// Ctrl-C alike, nothing is left running.
pub struct ChildGuard(pub Box<dyn ChildWrapper>);

impl ChildGuard {
    pub fn spawn(command: Command) -> io::Result<Self> {
        child::grouped(command).spawn().map(Self)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        child::kill(self.0.as_mut());
    }
}

impl std::fmt::Debug for ChildGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChildGuard({})", self.0.id())
    }
}

/// A server running as a child process.
#[derive(Debug)]
pub struct ServerProcess {
    child: ChildGuard,
    name: String,
    addr: SocketAddr,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl ServerProcess {
    /// Starts `binary` on a free port of 127.0.0.1 against the rates service
    /// at `rates_url`, and waits until it says where it listens.
    pub fn start(
        binary: &Path,
        implementation: &Implementation,
        threads: usize,
        rates_url: &str,
        stop: &AtomicBool,
    ) -> Result<Self, BenchError> {
        let name = format!("{} ({})", implementation.part, implementation.name);
        Self::start_with(
            binary,
            &name,
            &implementation.extra_args(threads),
            rates_url,
            stop,
        )
    }

    /// Starts `binary`, called `name` in messages, with `args` besides the
    /// port, host and timeout, and waits until it says where it listens.
    pub fn start_with(
        binary: &Path,
        name: &str,
        args: &[String],
        rates_url: &str,
        stop: &AtomicBool,
    ) -> Result<Self, BenchError> {
        let name = name.to_string();
        let mut command = Command::new(binary);
        command
            .args([
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--upstream-timeout",
                "2s",
            ])
            .args(args)
            .env("RATES_URL", rates_url)
            // Their own defaults, not whatever the user's shell exported.
            .env_remove("PORT")
            .env_remove("HOST")
            .env_remove("UPSTREAM_TIMEOUT")
            .env_remove("THREADS")
            .env_remove("RATES_TTL")
            .env_remove("GRACE")
            .env_remove("MAX_FETCHES")
            .env_remove("MAX_WAIT")
            .env_remove("RETRIES")
            .env_remove("MAX_TRIES")
            .env_remove("BACKOFF_BASE")
            .env_remove("BACKOFF_CAP")
            .env_remove("RETRY_RATIO")
            .env_remove("RETRY_FLOOR")
            .env_remove("LOG")
            // A panic's message, not its backtrace, is what fits in the tail.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard::spawn(command).map_err(|source| BenchError::Start {
            what: binary.display().to_string(),
            source,
        })?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(pipe) = child.0.stderr().take() {
            keep_tail(pipe, Arc::clone(&stderr));
        }
        let (found, listening) = mpsc::channel();
        if let Some(pipe) = child.0.stdout().take() {
            watch_stdout(pipe, found);
        }

        let started = Instant::now();
        let addr = loop {
            match listening.recv_timeout(Duration::from_millis(50)) {
                Ok(addr) => break addr,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(server_error(
                        &name,
                        "closed its output without saying `listening on …`".into(),
                        &stderr,
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Ok(Some(status)) = child.0.try_wait() {
                return Err(server_error(
                    &name,
                    format!("exited at start ({status})"),
                    &stderr,
                ));
            }
            if stop.load(Ordering::SeqCst) {
                return Err(BenchError::Interrupted);
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(server_error(
                    &name,
                    format!("did not say `listening on …` within {STARTUP_TIMEOUT:?}"),
                    &stderr,
                ));
            }
        };
        Ok(Self {
            child,
            name,
            addr,
            stderr,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fails if the server has died, with its last words.
    pub fn check_alive(&mut self) -> Result<(), BenchError> {
        match self.child.0.try_wait() {
            Ok(Some(status)) => Err(server_error(
                &self.name,
                format!("died during the run ({status})"),
                &self.stderr,
            )),
            _ => Ok(()),
        }
    }
}

fn server_error(name: &str, problem: String, stderr: &Mutex<VecDeque<String>>) -> BenchError {
    // Give the reader thread a moment to catch the last lines.
    thread::sleep(Duration::from_millis(100));
    let stderr = stderr
        .lock()
        .map(|tail| tail.iter().cloned().collect())
        .unwrap_or_default();
    BenchError::Server {
        server: name.to_string(),
        problem,
        stderr,
    }
}

/// Reads the server's stdout until it ends: the `listening on` line goes to
/// `found`, the rest is drained so the pipe never fills and blocks it.
fn watch_stdout(pipe: impl Read + Send + 'static, found: mpsc::Sender<SocketAddr>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = parse_listening(&line) {
                // The receiver may have given up; nothing to tell then.
                let _ = found.send(addr);
            }
        }
    });
}

/// Keeps the last lines of the server's stderr. A learner's unfilled gap
/// panics on every request: thousands of lines nobody should have to scroll.
fn keep_tail(pipe: impl Read + Send + 'static, tail: Arc<Mutex<VecDeque<String>>>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if let Ok(mut tail) = tail.lock() {
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    });
}

/// `listening on http://127.0.0.1:PORT`, as every workshop server prints it.
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim()
        .strip_prefix("listening on http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargos_messages_say_where_each_binary_is() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"webserver-solution","kind":["bin"]},"executable":"/t/release/webserver-solution"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"rates","kind":["lib"]},"executable":null}"#,
            "\nnot json\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        let built = executables(messages.as_bytes());
        assert_eq!(built.len(), 1, "{built:?}");
        assert_eq!(
            built["webserver-solution"],
            PathBuf::from("/t/release/webserver-solution")
        );
    }

    #[test]
    fn the_listening_line_gives_the_address() {
        assert_eq!(
            parse_listening("listening on http://127.0.0.1:40123"),
            Some("127.0.0.1:40123".parse().unwrap())
        );
        assert_eq!(
            parse_listening("listening on http://[::1]:8080/\n"),
            Some("[::1]:8080".parse().unwrap())
        );
        assert_eq!(parse_listening("try: curl http://127.0.0.1:1/"), None);
    }

    #[test]
    fn names_are_workshop_tomls_as_serve_names_them() {
        let root = workshop_core::manifest::workspace_root();
        let manifest = Manifest::load(&root).expect("workshop.toml");
        let name = |part, code| server_name(&manifest, part, code).unwrap();
        assert_eq!(
            name("part2", Code::Solutions),
            "webserver_forceasync-solution"
        );
        assert_eq!(name("part2", Code::Learner), "webserver_forceasync");
        assert_eq!(name("part4", Code::Solutions), "webserver_cached-solution");
        assert!(server_name(&manifest, "part9", Code::Learner).is_err());
        assert_eq!(IMPLEMENTATIONS[0].workers(32), Workers::PerConnection);
        assert_eq!(IMPLEMENTATIONS[2].workers(16), Workers::Threads(16));
        let part4 = IMPLEMENTATIONS[3];
        assert_eq!((part4.part, part4.bound()), (CACHED_PART, Bound::Cpu));
        assert_eq!(IMPLEMENTATIONS[0].part, ASYNC_PART);
        assert!(
            IMPLEMENTATIONS[..3]
                .iter()
                .all(|implementation| implementation.bound() == Bound::LittlesLaw)
        );
    }
}
