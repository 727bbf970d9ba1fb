//! A clean stop: on Ctrl-C or SIGTERM, stop accepting connections, let the
//! requests in flight finish (for a while), stop the background tasks, and
//! exit 0.
//!
//! SIGTERM is what `kill`, systemd, Docker and Kubernetes send to ask a
//! process to stop; without a handler, the process dies on the spot, with
//! every request in flight. The order matters: the server drains first,
//! since its requests may still need the background tasks; the background
//! tasks stop last.

use std::io;
use std::net::TcpListener;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The signals that ask this server to stop, listened for from the moment
/// they are made: one that arrives before the first `recv` is not lost.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

impl StopSignals {
    /// Starts listening. Must be called inside the runtime.
    #[cfg(unix)]
    pub fn listen() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Starts listening. Must be called inside the runtime.
    #[cfg(windows)]
    pub fn listen() -> io::Result<Self> {
        use tokio::signal::windows;
        Ok(Self {
            ctrl_c: windows::ctrl_c()?,
            ctrl_break: windows::ctrl_break()?,
        })
    }

    /// Waits for the first of them, and says which it was.
    #[cfg(unix)]
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }

    /// Waits for the first of them, and says which it was.
    #[cfg(windows)]
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.ctrl_c.recv() => "Ctrl-C",
            _ = self.ctrl_break.recv() => "Ctrl-Break",
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled; then stops
/// accepting, and gives the requests in flight `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    stop: CancellationToken,
    grace: Duration,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    // Once `stop` is cancelled, axum closes the listener (new connections
    // are refused) and tells every connection to close once its request is
    // answered; this future completes when the last one has.
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(stop.clone().cancelled_owned())
        .into_future();
    let mut server = pin!(server);
    tokio::select! {
        // Before any signal, it only ends on an error.
        served = &mut server => return served,
        () = stop.cancelled() => {}
    }
    // The signal came. Returning now would not wait for the requests in
    // flight: their connections run on tasks that end with the runtime,
    // when `main` returns. Wait for `server` instead, but no longer than
    // `grace` (`tokio::time::timeout`): a request that never ends must not
    // keep the process alive forever. Say so on stderr if the grace is over.
    todo!("gap 4: after the signal, let the requests in flight finish, within the grace")
}

/// The server's background tasks, and what tells them to stop.
#[derive(Debug, Default)]
pub struct Background {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Background {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task(stop)`, a task that must return once `stop` is
    /// cancelled.
    pub fn spawn<F, Task>(&self, task: F)
    where
        F: FnOnce(CancellationToken) -> Task,
        Task: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task(self.stop.clone()));
    }

    /// Tells every task to stop and waits for them, at most `grace`: a
    /// spawned task is not waited for by anyone, and the runtime drops it
    /// wherever it is when `main` returns. True if they all finished.
    pub async fn stop(self, grace: Duration) -> bool {
        // Cancel `self.stop`, close `self.tasks` (no more tasks: `wait` can
        // then end) and wait for them with `self.tasks.wait()`, under
        // `tokio::time::timeout(grace, …)`.
        todo!("gap 5: tell the background tasks to stop, and wait for them within the grace")
    }
}
