//! Child processes that never outlive the grade that started them.
//!
//! Every process the grader starts (cargo, a learner's server, a test binary)
//! runs in a process group of its own on Unix, or a job object on Windows,
//! so killing it kills whatever it started too. Each belongs to the grade
//! that started it (`Grade`): when that grade ends, what it started and
//! still runs (a check past its deadline) is killed, and nothing of another
//! grade in the same process. Ctrl-C kills every child of the process.
//!
//! A thread knows its grade: `Grade::begin` sets it on the thread that
//! grades, and `spawn` and `spawn_scoped` carry it to the threads a grade
//! starts. A process started on a thread with no grade is refused, as a
//! grader bug: it would be nobody's to stop.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::{self, JoinHandle, Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use process_wrap::std::ChildWrapper;

mod signals;

pub use signals::{killed_by_signal, signal_name};

type Shared = Arc<Mutex<Box<dyn ChildWrapper>>>;

/// Every live child of the process, whatever its grade, so that Ctrl-C can
/// reach them from its handler thread. The one process-wide list, on
/// purpose: an interrupt stops the whole process, every grade in it. The end
/// of a grade kills its own children only (`Grade`).
static LIVE: Mutex<Vec<Shared>> = Mutex::new(Vec::new());

/// Set once Ctrl-C came: no new child may start after that, or it could
/// outlive the kill that was meant for it.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Held (shared) from a child's start until it is registered, and taken
/// whole by Ctrl-C's handler before it stops everything and exits: a child
/// started a moment before the interrupt is then registered and killed, or
/// killed by its starter, never left running by the process's exit.
static STARTING: RwLock<()> = RwLock::new(());

/// The children of one grade, and whether it has ended.
#[derive(Default)]
struct Children {
    live: Vec<Shared>,
    /// Set when the grade ends: a child started after that (by a check
    /// past its deadline) would outlive the kill meant for it.
    ended: bool,
}

type Registry = Arc<Mutex<Children>>;

thread_local! {
    /// The grade this thread works for (`Grade::begin`, `spawn`).
    static CURRENT: RefCell<Option<Registry>> = const { RefCell::new(None) };
}

/// One grade's children, and the grade of the thread that began it, while
/// it lasts. Dropped, it kills the children still running, refuses new
/// ones, and gives the thread back its former grade (none, mostly).
pub struct Grade {
    children: Registry,
    before: Option<Registry>,
}

impl Grade {
    /// Begins a grade on this thread: every process started from here, or
    /// from the threads it starts with `spawn`/`spawn_scoped`, is its own.
    pub fn begin() -> Self {
        let children = Registry::default();
        let before = CURRENT.replace(Some(Arc::clone(&children)));
        Self { children, before }
    }
}

impl Drop for Grade {
    fn drop(&mut self) {
        let live = {
            let mut children = lock(&self.children);
            children.ended = true;
            std::mem::take(&mut children.live)
        };
        for child in live {
            kill(&child);
        }
        CURRENT.set(self.before.take());
    }
}

/// The grade of this thread, made the new thread's.
fn carried<T>(f: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let grade = CURRENT.with_borrow(Clone::clone);
    move || {
        CURRENT.set(grade);
        f()
    }
}

/// `thread::spawn`, in this thread's grade.
pub fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    thread::spawn(carried(f))
}

/// `scope.spawn`, in this thread's grade.
pub fn spawn_scoped<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> ScopedJoinHandle<'scope, T> {
    scope.spawn(carried(f))
}

/// How much of a child's output is kept: a server that prints megabytes must
/// not fill the grader's memory. The *last* bytes are kept: that is where a
/// panic message is.
const KEEP: usize = 64 * 1024;

/// A running child and what it printed.
pub struct Proc {
    child: Shared,
    /// The children of its grade, which it leaves when dropped.
    grade: Registry,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// How many of its output pipes are still being read.
    open_pipes: Arc<AtomicUsize>,
}

impl Proc {
    /// Starts `command` with piped output, in a group of its own, as a
    /// child of this thread's grade. `on_line` sees each stdout line as it
    /// arrives (e.g. to learn the port).
    pub fn spawn(
        mut command: Command,
        on_line: impl FnMut(&str) + Send + 'static,
    ) -> io::Result<Proc> {
        let Some(grade) = CURRENT.with_borrow(Clone::clone) else {
            return Err(io::Error::other(
                "a process started outside a grade (a grader bug)",
            ));
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let _starting = STARTING.read().unwrap_or_else(PoisonError::into_inner);
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
            // Checked under the locks that Ctrl-C and the grade's end take:
            // a child is either registered before the kill, or never left
            // running.
            let mut live = lock(&LIVE);
            let mut children = lock(&grade);
            if STOPPING.load(Ordering::SeqCst) || children.ended {
                drop((live, children));
                kill(&child);
                return Err(io::Error::other("the check is stopping"));
            }
            live.push(Arc::clone(&child));
            children.live.push(Arc::clone(&child));
        }
        Ok(Proc {
            child,
            grade,
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
        lock(&self.grade)
            .live
            .retain(|child| !Arc::ptr_eq(child, &self.child));
    }
}

/// On Ctrl-C (or SIGTERM), kill every child of the process, whatever its
/// grade (an interrupt stops them all), then exit 130 like a shell does.
pub fn exit_on_interrupt() {
    // If a handler is already set (tests calling twice), the first one stays.
    let _ = ctrlc::set_handler(|| {
        // The children being started finish their start first: each is
        // then registered (and killed below) or sees STOPPING and kills
        // itself; none is left running when the process exits.
        let _starting = STARTING.write().unwrap_or_else(PoisonError::into_inner);
        let live: Vec<Shared> = {
            let live = lock(&LIVE);
            STOPPING.store(true, Ordering::SeqCst);
            live.clone()
        };
        for child in live {
            kill(&child);
        }
        eprintln!("\ninterrupted: every process the check started is stopped");
        std::process::exit(i32::from(workshop_core::child::INTERRUPTED));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that sleeps 30 s on any system (Windows has no `sleep`):
    /// this test binary, running only the ignored test below.
    fn sleep() -> Command {
        let mut sleep = Command::new(std::env::current_exe().expect("the test binary"));
        sleep.args(["--ignored", "--exact", "engine::procs::tests::sleeps"]);
        sleep
    }

    #[test]
    #[ignore = "the child the tests here start, not a test"]
    fn sleeps() {
        thread::sleep(Duration::from_secs(30));
    }

    #[test]
    fn a_grade_that_ends_stops_its_own_children_and_no_one_elses() {
        let theirs = Grade::begin();
        let their_sleep = Proc::spawn(sleep(), |_| {}).expect("it starts");
        let (mine, still_running) = thread::scope(|scope| {
            spawn_scoped(scope, || {
                let mine = Grade::begin();
                let my_sleep = Proc::spawn(sleep(), |_| {}).expect("it starts");
                // Started on a thread of the grade's: the grade's too.
                let on_a_thread = spawn_scoped(scope, || Proc::spawn(sleep(), |_| {}))
                    .join()
                    .expect("no panic")
                    .expect("it starts");
                drop(mine);
                (
                    [&my_sleep, &on_a_thread].map(|proc| {
                        proc.wait_timeout(Duration::from_secs(5))
                            .expect("it can be waited for")
                            .is_some()
                    }),
                    !their_sleep.exited(),
                )
            })
            .join()
            .expect("no panic")
        });
        assert_eq!(mine, [true, true], "the ended grade's children stopped");
        assert!(still_running, "the other grade's child runs on");
        drop(theirs);
        assert!(
            their_sleep
                .wait_timeout(Duration::from_secs(5))
                .expect("it can be waited for")
                .is_some()
        );
    }

    #[test]
    fn no_child_starts_outside_a_grade_or_after_it() {
        let refused = Proc::spawn(sleep(), |_| {}).err().expect("no grade");
        assert!(refused.to_string().contains("outside a grade"), "{refused}");
        // A check past its deadline, still running when its grade ended.
        let grade = Grade::begin();
        let late = spawn(|| {
            thread::sleep(Duration::from_millis(100));
            Proc::spawn(sleep(), |_| {}).err()
        });
        drop(grade);
        let refused = late.join().expect("no panic").expect("refused");
        assert_eq!(refused.to_string(), "the check is stopping");
        // The thread that began the grade is in no grade again.
        assert!(Proc::spawn(sleep(), |_| {}).is_err());
    }
}
