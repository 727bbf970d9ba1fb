//! Stopping a child process: asked first, so that it can stop what it
//! started; killed, with everything in its group or job, if it has not
//! stopped within its grace. `watch` stops a check this way, `selftest` a
//! graded copy, and `cargo xtask slides`/`bench`/`serve` the binary they run.

use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::{ChildWrapper, CommandWrap};

/// The exit code of a program stopped by Ctrl-C: 128 + SIGINT, as a shell
/// reports it. Everything the runner starts and stops exits with it.
pub const INTERRUPTED: u8 = 130;

/// `command`, to be started in a group of its own, so that stopping it
/// stops everything it started: a process group that it leads (Unix), or a
/// job object and a console process group (Windows: the job is what a kill
/// ends whole; the process group is what Ctrl-Break can be sent to, as
/// `GenerateConsoleCtrlEvent` reaches only a group's leader and the
/// processes it started).
pub fn grouped(command: Command) -> CommandWrap {
    let mut wrapped = CommandWrap::from(command);
    #[cfg(unix)]
    wrapped.wrap(process_wrap::std::ProcessGroup::leader());
    #[cfg(windows)]
    {
        use windows::Win32::System::Threading::CREATE_NEW_PROCESS_GROUP;
        wrapped.wrap(process_wrap::std::JobObject);
        wrapped.wrap(process_wrap::std::CreationFlags(CREATE_NEW_PROCESS_GROUP));
    }
    wrapped
}

/// How a child is asked to stop before it is killed (Unix; on Windows both
/// are Ctrl-Break, the one console event another group can be sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// SIGINT: what Ctrl-C sends.
    Interrupt,
    /// SIGTERM: what `kill` sends.
    Terminate,
}

/// Asks `child` to stop, waits up to `grace`, then kills it. Already gone is
/// fine: all that matters is that nothing runs afterwards.
pub fn stop(child: &mut dyn ChildWrapper, ask: Ask, grace: Duration) {
    if send(child, ask) {
        wait_within(child, grace);
    }
    kill(child);
}

/// Waits for `child` to exit, `within` at most: its status, or `None` if
/// it is still running then (or cannot be waited for).
pub fn wait_within(child: &mut dyn ChildWrapper, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

/// Kills `child` at once, with everything in its group or job, and reaps
/// it. Already gone is fine.
pub fn kill(child: &mut dyn ChildWrapper) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends `ask` to `child`, started by [`grouped`]; whether it could be sent.
pub fn send(child: &dyn ChildWrapper, ask: Ask) -> bool {
    #[cfg(unix)]
    {
        child.signal(signal_of(ask)).is_ok()
    }
    #[cfg(windows)]
    {
        ask_group(child.id(), ask).is_ok()
    }
}

/// Asks the group that `leader` leads (started by [`grouped`]) to stop, as
/// a terminal would. Unix: `ask`'s signal to the whole process group.
/// Windows: Ctrl-Break, whatever `ask` is: Ctrl-C cannot be sent to
/// another console group, and Ctrl-Break is what tokio's `ctrl_break` and
/// the ctrlc crate hear there.
pub fn ask_group(leader: u32, ask: Ask) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let pid = libc::pid_t::try_from(leader).map_err(std::io::Error::other)?;
        // SAFETY: kill() only sends a signal; a negative pid names the
        // group that our own child leads.
        match unsafe { libc::kill(-pid, signal_of(ask)) } {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        }
    }
    #[cfg(windows)]
    {
        use windows::Win32::System::Console::{CTRL_BREAK_EVENT, GenerateConsoleCtrlEvent};
        let _ = ask;
        // SAFETY: sends a console event to a process group; nothing shared.
        unsafe { GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, leader) }.map_err(std::io::Error::from)
    }
}

#[cfg(unix)]
fn signal_of(ask: Ask) -> libc::c_int {
    match ask {
        Ask::Interrupt => libc::SIGINT,
        Ask::Terminate => libc::SIGTERM,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn a_child_that_ignores_the_ask_is_killed_after_its_grace() {
        // `trap '' TERM`: the shell ignores SIGTERM (and so does the sleep
        // it starts), so only the kill ends it. It says when the trap is set:
        // a signal sent before that would end it at once.
        let mut command = Command::new("sh");
        command
            .args(["-c", "trap '' TERM; echo ready; sleep 30"])
            .stdout(Stdio::piped());
        let mut child = grouped(command).spawn().expect("sh starts");
        let mut ready = String::new();
        let stdout = child.stdout().take().expect("its stdout");
        BufReader::new(stdout)
            .read_line(&mut ready)
            .expect("sh says ready");
        assert_eq!(ready, "ready\n");
        let started = Instant::now();
        stop(child.as_mut(), Ask::Terminate, Duration::from_millis(300));
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert!(matches!(child.try_wait(), Ok(Some(_))));
    }

    #[test]
    fn a_child_that_stops_when_asked_is_not_waited_for() {
        let mut child = CommandWrap::with_new("sleep", |command| {
            command.arg("30");
        })
        .spawn()
        .expect("sleep starts");
        let started = Instant::now();
        // SIGTERM, not SIGINT: a shell without job control starts its
        // background commands with SIGINT ignored, and `sleep` inherits
        // that (a `.ci/run &` waited out the grace here).
        stop(child.as_mut(), Ask::Terminate, Duration::from_secs(20));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
