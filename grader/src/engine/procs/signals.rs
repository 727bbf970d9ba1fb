//! Asking a server to stop as a service manager or a console would, and
//! reading how it ended. The one place that differs by platform.

use std::process::ExitStatus;

use super::Proc;

/// The signal `ask_to_stop` sends, as a verdict names it.
#[cfg(unix)]
pub fn signal_name() -> &'static str {
    "SIGTERM"
}

#[cfg(windows)]
pub fn signal_name() -> &'static str {
    "Ctrl-Break"
}

impl Proc {
    /// Asks the process to stop as a service manager would: SIGTERM.
    #[cfg(unix)]
    pub fn ask_to_stop(&self) -> Result<(), String> {
        let pid = libc::pid_t::try_from(self.id())
            .map_err(|_| "the server's process id does not fit a pid_t".to_string())?;
        // SAFETY: kill() only sends a signal; `pid` is our own child's, still
        // unreaped (the Proc holds it), so it cannot be another process's.
        sent(unsafe { libc::kill(pid, libc::SIGTERM) } == 0)
    }

    /// Asks the process to stop as a console would: Ctrl-Break, to the
    /// console process group it leads (`core::child::grouped`).
    #[cfg(windows)]
    pub fn ask_to_stop(&self) -> Result<(), String> {
        let sent = workshop_core::child::ask_group(self.id(), workshop_core::child::Ask::Terminate);
        sent.map_err(|err| format!("cannot send {} to the server: {err}", signal_name()))
    }
}

/// The outcome of sending the signal, with the system's reason if it failed.
#[cfg(unix)]
fn sent(ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!(
            "cannot send {} to the server: {}",
            signal_name(),
            std::io::Error::last_os_error()
        ))
    }
}

/// Whether a signal (a console event on Windows) ended the process: it did
/// not catch it.
#[cfg(unix)]
pub fn killed_by_signal(status: ExitStatus) -> bool {
    std::os::unix::process::ExitStatusExt::signal(&status).is_some()
}

#[cfg(windows)]
pub fn killed_by_signal(status: ExitStatus) -> bool {
    // STATUS_CONTROL_C_EXIT: how a console event a process does not handle
    // ends it.
    status.code() == Some(0xC000_013A_u32 as i32)
}

#[cfg(all(test, unix))]
mod tests {
    use std::process::Command;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_process_that_does_not_catch_the_signal_dies_of_it() {
        let _grade = crate::engine::procs::Grade::begin();
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let proc = Proc::spawn(sleep, |_| {}).expect("sleep starts");
        proc.ask_to_stop().expect("the signal is sent");
        let status = proc
            .wait_timeout(Duration::from_secs(5))
            .expect("it can be waited for")
            .expect("it stopped");
        assert!(killed_by_signal(status), "{status}");
        assert_eq!(signal_name(), "SIGTERM");
    }
}
