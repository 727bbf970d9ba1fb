//! Stopping a child process: asked first, so that it can stop what it
//! started; killed, with everything in its group or job, if it has not
//! stopped within its grace. `watch` stops a check this way, `selftest` a
//! graded copy, and `cargo xtask slides`/`bench`/`serve` the binary they run.

use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::ChildWrapper;

/// How a child is asked to stop before it is killed (Unix; Windows has no
/// such signal to send a child, so there it is killed at once).
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
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    kill(child);
}

/// Kills `child` at once, with everything in its group or job, and reaps
/// it. Already gone is fine.
pub fn kill(child: &mut dyn ChildWrapper) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends `ask` to `child`; whether it could be sent.
pub fn send(child: &dyn ChildWrapper, ask: Ask) -> bool {
    #[cfg(unix)]
    {
        let signal = match ask {
            Ask::Interrupt => libc::SIGINT,
            Ask::Terminate => libc::SIGTERM,
        };
        child.signal(signal).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = (child, ask);
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use process_wrap::std::{CommandWrap, ProcessGroup};

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
        let mut wrap = CommandWrap::from(command);
        wrap.wrap(ProcessGroup::leader());
        let mut child = wrap.spawn().expect("sh starts");
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
        stop(child.as_mut(), Ask::Interrupt, Duration::from_secs(20));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
