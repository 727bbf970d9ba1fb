//! The real root, a copy of the workspace to break things in, the
//! workshop's binaries, and running `cargo xtask check`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::CommandWrap;
use workshop_core::child;

/// The workspace the tests run in, found at run time (cargo runs each test
/// in its package's folder), never where they were built: a workshop moved
/// or copied tests itself.
pub fn root() -> PathBuf {
    let here = std::env::current_dir().expect("a current folder");
    workshop_core::manifest::root_above(&here).expect("the tests run inside the workshop")
}

/// One grader target directory for every test and copy: dependencies build
/// once. Windows' tests (under Wine, in CI) have one of their own: CI
/// builds it ahead, beside the Linux tests, and a shared one would make
/// each side's cargo wait for the other's lock.
pub fn grader_target() -> PathBuf {
    let name = if cfg!(windows) {
        "grader-tests-windows"
    } else {
        "grader-tests"
    };
    root().join("target").join(name)
}

/// A binary of the workspace, as `cargo test` built it for this run: the
/// learner's runner (`xtask`) or the instructor's and author's tools
/// (`workshop-tools`). Each package's tests may run the other's binary,
/// which `cargo test` at the root builds beside theirs.
pub fn exe(name: &str) -> PathBuf {
    let this = std::env::current_exe().expect("the test knows where it is");
    // target/<profile>/deps/<test>-<hash>: the binaries are in <profile>.
    let dir = this
        .parent()
        .and_then(Path::parent)
        .expect("a test runs from target/<profile>/deps");
    let exe = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.is_file(),
        "{} is not built: run `cargo test` at the workspace's root, which builds it",
        exe.display()
    );
    exe
}

/// The learner's runner, `cargo xtask`.
pub fn runner() -> PathBuf {
    exe("xtask")
}

/// The instructor's and author's tools (`room serve`, `selftest`, `gen`).
pub fn tools() -> PathBuf {
    exe("workshop-tools")
}

/// `cargo xtask --root <root> <args>`, without colour (whatever the
/// terminal asks for), ready to run.
pub fn xtask_command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(runner());
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    command
}

/// `cargo xtask --root <root> check <args>`, without colour, building where
/// the other tests build, ready to run.
pub fn check_command(root: &Path, args: &[&str]) -> Command {
    let mut command = xtask_command(root, &["check"]);
    command
        .args(args)
        .env("WORKSHOP_GRADER_TARGET_DIR", grader_target());
    command
}

/// Runs a check; whether it passed, and everything it printed.
pub fn check(root: &Path, args: &[&str]) -> (bool, String) {
    check_with(root, args, &[])
}

/// The same, with `env` set for xtask and the builds it runs.
pub fn check_with(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    run(check_command(root, args).envs(env.iter().copied()))
}

/// The longest one command of the tests may run. A grade takes seconds
/// warm, a cold build minutes; past this the command is stuck (a grade
/// under Wine once hung idle, and held CI until its own limit), and it is
/// killed with everything it started, and fails with a reason.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(20 * 60);

/// How long a command's output may take to reach its end once the command
/// has: its pipes close with it and what it started.
const OUTPUT_AFTER: Duration = Duration::from_secs(10);

/// Runs `command` to its end, `COMMAND_LIMIT` at most: whether it
/// succeeded, and its stdout then its stderr.
pub fn run(command: &mut Command) -> (bool, String) {
    run_within(command, COMMAND_LIMIT)
}

/// `command`, to be started so that a stuck run can be stopped: on Unix in
/// a process group of its own, killed whole. On Windows as it is: the
/// runner puts every server it starts in a job of its own, and under Wine a
/// job inside the runner's failed to start a graded test once in CI
/// ("Internal error", os error 1359). There a kill stops the command's own
/// process, and its output is not waited for past `OUTPUT_AFTER`.
fn stoppable(command: Command) -> CommandWrap {
    #[cfg(unix)]
    {
        child::grouped(command)
    }
    #[cfg(not(unix))]
    {
        CommandWrap::from(command)
    }
}

/// Runs `command` to its end, `within` at most, stopped whole past it (see
/// [`stoppable`]): whether it succeeded, and its stdout then its stderr, then, if it
/// was stopped, a line that says so. `command` is used up (left as a
/// placeholder).
pub fn run_within(command: &mut Command, within: Duration) -> (bool, String) {
    let shown = format!("{command:?}");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let taken = std::mem::replace(command, Command::new(&shown));
    let mut child = stoppable(taken)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {shown}: {err}"));
    // Each pipe read to its end on a thread of its own, sent here whole.
    let (sender, outputs) = mpsc::channel::<(usize, Vec<u8>)>();
    let read = |index: usize, pipe: Option<Box<dyn Read + Send>>| {
        let sender = sender.clone();
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = sender.send((index, bytes));
        });
    };
    read(0, child.stdout().take().map(|pipe| Box::new(pipe) as _));
    read(1, child.stderr().take().map(|pipe| Box::new(pipe) as _));
    let status = child::wait_within(&mut *child, within);
    // Killed or not, what it started goes (see `stoppable`): a server left
    // running would hold its pipes open.
    child::kill(&mut *child);
    // Its pipes end with it, but where something it started outlives it
    // (Windows) and holds them, the output is given up on, not waited for.
    let mut texts = [Vec::new(), Vec::new()];
    let drained = Instant::now() + OUTPUT_AFTER;
    for _ in 0..texts.len() {
        let left = drained.saturating_duration_since(Instant::now());
        match outputs.recv_timeout(left) {
            Ok((index, bytes)) => texts[index] = bytes,
            Err(_) => break,
        }
    }
    let [stdout, stderr] = texts.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let mut output = format!("{stdout}{stderr}");
    if status.is_none() {
        output.push_str(&format!(
            "\n!!! {shown} did not end within {} s: killed{}\n",
            within.as_secs(),
            if cfg!(unix) {
                ", with all it started"
            } else {
                ""
            }
        ));
    }
    (status.is_some_and(|status| status.success()), output)
}

/// A copy of the workspace (without target/ and .git/), one per `name`,
/// shared by the tests of one binary one at a time, with pristine exercises
/// each time. Two names are two copies, which may be graded at once: their
/// packages are not the same packages to cargo, so they build side by side
/// in the one grader target directory (only a bin of the same name, built
/// from both, would be linked over the other's).
pub fn workspace(name: &str) -> MutexGuard<'static, PathBuf> {
    static COPIES: Mutex<BTreeMap<String, &'static Mutex<PathBuf>>> = Mutex::new(BTreeMap::new());
    let copy: &'static Mutex<PathBuf> = COPIES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(name.to_string())
        .or_insert_with(|| {
            // Outside any target directory: cargo does not watch the mtimes
            // of sources that sit inside one, and would grade stale builds.
            let dir = std::env::temp_dir()
                .join(format!("async-workshop-tests-{}", std::process::id()))
                .join(name);
            let _ = fs::remove_dir_all(&dir);
            copy_tree(&root(), &dir);
            // One copy per name for the whole run: leaked once, on purpose.
            Box::leak(Box::new(Mutex::new(dir)))
        });
    let guard = copy.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = fs::remove_dir_all(guard.join("exercises"));
    let _ = fs::remove_dir_all(guard.join(".workshop"));
    copy_tree(&root().join("exercises"), &guard.join("exercises"));
    guard
}

/// The workshop's sources, without build output, the repository or a
/// learner's progress.
pub fn copy_tree(from: &Path, to: &Path) {
    copy(from, to, &[".git", "target", ".workshop"], false);
}

/// Everything, `target/` and `.workshop/` included, each file with its time
/// of change: a workshop copied as a learner copies a built one (a backup,
/// a USB stick), which cargo finds as fresh as the original.
pub fn copy_as_is(from: &Path, to: &Path) {
    copy(from, to, &[], true);
}

fn copy(from: &Path, to: &Path, skip: &[&str], keep_times: bool) {
    fs::create_dir_all(to).expect("a directory for the copy");
    for entry in fs::read_dir(from).expect("the tree is readable") {
        let entry = entry.expect("an entry");
        let name = entry.file_name();
        if skip.contains(&name.to_str().unwrap_or("")) {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().expect("a file type");
        if file_type.is_dir() {
            copy(&path, &to.join(&name), skip, keep_times);
        } else if file_type.is_file() {
            let copied = to.join(&name);
            if keep_times {
                fs::copy(&path, &copied).expect("a file copied");
                let modified = entry.metadata().and_then(|m| m.modified()).expect("a time");
                fs::File::options()
                    .write(true)
                    .open(&copied)
                    .and_then(|file| file.set_modified(modified))
                    .expect("the time kept");
            } else {
                // Written anew, so the copy's time is now on every system:
                // `fs::copy` keeps the original's time on Windows, where
                // cargo took pristine exercises put back over an attempt
                // for fresh, and graded the attempt's stale build.
                fs::write(&copied, fs::read(&path).expect("a file read")).expect("a file copied");
            }
        }
    }
}

/// Processes working in, or naming, `dir`: what a test that stops
/// something checks is gone (Linux: read from /proc).
#[cfg(target_os = "linux")]
pub fn processes_in(dir: &Path) -> Vec<String> {
    let dir = dir.canonicalize().expect("the directory exists");
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cwd = fs::read_link(entry.path().join("cwd")).unwrap_or_default();
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cwd.starts_with(&dir) || cmdline.contains(&needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test binary, listing its tests: a program there is on every
    /// platform, Wine included (where no path baked in at build time is).
    #[test]
    fn a_command_that_ends_is_run_to_its_end() {
        let this = std::env::current_exe().expect("the test binary");
        let (passed, said) = run(Command::new(this).args(["--list", "--format", "terse"]));
        assert!(passed, "{said}");
        assert!(
            said.contains("a_command_that_ends_is_run_to_its_end: test"),
            "{said}"
        );
    }

    /// A stuck command is stopped at its limit, with what it started: the
    /// `sleep` its shell left behind would hold the pipes open.
    #[cfg(unix)]
    #[test]
    fn a_stuck_command_is_killed_with_all_it_started() {
        let started = Instant::now();
        let (passed, said) = run_within(
            Command::new("sh").args(["-c", "echo began; sleep 60 & sleep 60"]),
            Duration::from_secs(1),
        );
        assert!(!passed, "{said}");
        assert!(said.starts_with("began\n"), "{said}");
        assert!(said.contains("did not end within 1 s: killed"), "{said}");
        assert!(started.elapsed() < Duration::from_secs(10), "{said}");
    }
}
