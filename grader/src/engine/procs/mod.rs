//! Child processes that never outlive the check.
//!
//! Every process the grader starts (cargo, a learner's server, a test binary)
//! runs in a process group of its own on Unix, or a job object on Windows,
//! so killing it kills whatever it started too. All of them are registered
//! here: Ctrl-C, a timeout or the end of the check kills them all.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::ChildWrapper;

mod signals;

pub use signals::{killed_by_signal, signal_name};

type Shared = Arc<Mutex<Box<dyn ChildWrapper>>>;

/// Every live child, so that Ctrl-C can reach them from its handler thread.
static LIVE: Mutex<Vec<Shared>> = Mutex::new(Vec::new());

/// Set once the check is stopping: no new child may start after that, or it
/// could outlive the kill that was meant for it.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// How much of a child's output is kept: a server that prints megabytes must
/// not fill the grader's memory. The *last* bytes are kept: that is where a
/// panic message is.
const KEEP: usize = 64 * 1024;

/// A running child and what it printed.
pub struct Proc {
    child: Shared,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// How many of its output pipes are still being read.
    open_pipes: Arc<AtomicUsize>,
}

impl Proc {
    /// Starts `command` with piped output, in a group of its own. `on_line`
    /// sees each stdout line as it arrives (e.g. to learn the port).
    pub fn spawn(
        mut command: Command,
        on_line: impl FnMut(&str) + Send + 'static,
    ) -> io::Result<Proc> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = workshop_core::child::grouped(command).spawn()?;
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let open_pipes = Arc::new(AtomicUsize::new(2));
        if let Some(pipe) = child.stdout().take() {
            read_lines(pipe, Arc::clone(&stdout), Arc::clone(&open_pipes), on_line);
        }
        if let Some(pipe) = child.stderr().take() {
            read_lines(pipe, Arc::clone(&stderr), Arc::clone(&open_pipes), |_| {});
        }
        let child = Arc::new(Mutex::new(child));
        {
            // Checked under the lock that `kill_all` takes: a child is either
            // registered before the kill, or never left running.
            let mut live = lock(&LIVE);
            if STOPPING.load(Ordering::SeqCst) {
                drop(live);
                kill(&child);
                return Err(io::Error::other("the check is stopping"));
            }
            live.push(Arc::clone(&child));
        }
        Ok(Proc {
            child,
            stdout,
            stderr,
            open_pipes,
        })
    }

    /// Waits for the child to exit, at most `timeout`; `None` if it is still
    /// running then.
    pub fn wait_timeout(&self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = lock(&self.child).try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits, at most `timeout`, until everything the child printed has been
    /// read: after it exits, its last lines may still be in the pipes.
    pub fn drain(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.open_pipes.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Its process id (on Unix also its process group's).
    pub fn id(&self) -> u32 {
        lock(&self.child).id()
    }

    /// Whether it has exited already.
    pub fn exited(&self) -> bool {
        !matches!(lock(&self.child).try_wait(), Ok(None))
    }

    /// What it printed on stdout so far (the last [`KEEP`] bytes).
    pub fn stdout(&self) -> String {
        lock(&self.stdout).clone()
    }

    /// What it printed on stderr so far (the last [`KEEP`] bytes).
    pub fn stderr(&self) -> String {
        lock(&self.stderr).clone()
    }

    /// Kills the child and its group, and reaps it.
    pub fn kill(&self) {
        kill(&self.child);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        lock(&LIVE).retain(|child| !Arc::ptr_eq(child, &self.child));
    }
}

/// Kills every child still running: for Ctrl-C and for timeouts.
pub fn kill_all() {
    let live: Vec<Shared> = lock(&LIVE).clone();
    for child in live {
        kill(&child);
    }
}

/// On Ctrl-C (or SIGTERM), kill every child, then exit 130 like a shell does.
pub fn exit_on_interrupt() {
    // If a handler is already set (tests calling twice), the first one stays.
    let _ = ctrlc::set_handler(|| {
        {
            let _live = lock(&LIVE);
            STOPPING.store(true, Ordering::SeqCst);
        }
        kill_all();
        eprintln!("\ninterrupted: every process the check started is stopped");
        std::process::exit(130);
    });
}

fn kill(child: &Shared) {
    workshop_core::child::kill(lock(child).as_mut());
}

/// Copies `pipe` into `sink` line by line, keeping only the last bytes.
fn read_lines(
    pipe: impl Read + Send + 'static,
    sink: Arc<Mutex<String>>,
    open_pipes: Arc<AtomicUsize>,
    mut on_line: impl FnMut(&str) + Send + 'static,
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        // Lines are read as bytes: a server may print anything, UTF-8 or not.
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let text = String::from_utf8_lossy(&line);
            on_line(text.trim_end());
            let mut kept = lock(&sink);
            kept.push_str(&text);
            if kept.len() > 2 * KEEP {
                let mut cut = kept.len() - KEEP;
                while !kept.is_char_boundary(cut) {
                    cut += 1;
                }
                kept.replace_range(..cut, "…");
            }
            line.clear();
        }
        open_pipes.fetch_sub(1, Ordering::SeqCst);
    });
}

/// A poisoned lock only means another thread panicked holding it; the data
/// (a list of children, some text) is still good.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
