//! `cargo xtask watch partN`: checks the part again on every save.
//!
//! Saves are caught by the system's file events (notify), gathered until
//! 300 ms pass without one (an editor's save is several events), and
//! filtered: reading a file, build output and editors' temporary files are
//! not saves. Where file events do not
//! arrive (network drives, some containers) `--poll` looks every second.
//!
//! The check runs as a child process, so a crash while grading never ends
//! the watch. A save while a check runs stops that check and starts a fresh
//! one: the answer that matters is the one about the latest code. Ctrl-C
//! stops the check too, and everything it started: the child runs in a
//! process group of its own, gets Ctrl-C to stop its own children, and is
//! killed if it has not stopped within a few seconds.
//!
//! On a terminal, keys work while it waits (`keys`): h, s, r and l run
//! `hint`, `solution`, `reset` and `list` for the part, c checks now, q
//! quits. Piped or in CI there are no keys, and nothing else changes.

mod keys;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use workshop_core::child::{self, Ask};

use anyhow::{Context, anyhow};
use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use process_wrap::std::ChildWrapper;

use super::{BOLD, DIM, Out};
use crate::progress::{Last, Progress};
use keys::Key;
use workshop_core::generate;
use workshop_core::manifest::{self, Exercise, Manifest, Part};
use workshop_core::paths::slash;

/// What `cargo xtask watch --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Runs `cargo xtask check partN`, then again each time you save a file of the \
    exercise (or workshop.toml). A save during a check starts it afresh. Build \
    output and editors' temporary files are ignored. If saving starts no check \
    (network drives, WSL's /mnt/c, some containers), add --poll: it looks for \
    changes every second instead. In a terminal, while it waits: h the next \
    hint, s the solution, r reset the exercise, l the list, c check now, q quit. \
    Ctrl-C stops the watch and the check.";

/// Which part to watch.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask watch part2\n         cargo xtask watch part2 --poll")]
pub struct WatchArgs {
    /// The part, e.g. part2.
    part: String,
    /// Look for changes every second, for file systems whose events do not arrive.
    #[arg(long)]
    poll: bool,
}

/// Events closer together than this are one save.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// A save still settling after this is checked anyway: a file written
/// without pause must not hold the check back for ever.
const MAX_SETTLE: Duration = Duration::from_secs(2);
/// How often `--poll` looks.
const POLL: Duration = Duration::from_secs(1);
/// How long a check may take to stop its own children before it is killed.
#[cfg_attr(not(unix), allow(dead_code, reason = "Windows kills the job at once"))]
const GRACE: Duration = Duration::from_secs(3);

type Child = Arc<Mutex<Option<Box<dyn ChildWrapper>>>>;

pub fn run(root: &Path, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    // Absolute, so that event paths compare and the child finds the root.
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot find {}", root.display()))?;
    let exercise = root.join(&part.exercise);
    anyhow::ensure!(
        exercise.is_dir(),
        "{} is missing: `cargo xtask reset {} --yes` brings it back",
        slash(&part.exercise),
        part.id
    );
    // A check puts graded tests back if they were edited: that write must
    // not count as a save, or it would restart the check that made it.
    let generated = generate::generate(&manifest, &root)?;
    let graded: Vec<PathBuf> = generated
        .iter()
        .filter(|(path, text)| {
            path.starts_with(part.exercise.join("tests")) && !text.contains("todo!(\"gap ")
        })
        .map(|(path, _)| root.join(path))
        .collect();

    let (sender, events) = mpsc::channel();
    let _watcher = watch(&root, &exercise, args.poll, sender).map_err(|err| {
        if args.poll {
            anyhow!("cannot poll files here ({err})")
        } else {
            anyhow!(
                "cannot watch files here ({err}): try `cargo xtask watch {} --poll`",
                part.id
            )
        }
    })?;
    let saves = Saves {
        events,
        manifest: root.join(manifest::FILE_NAME),
        exercise: exercise.clone(),
        graded,
        root: root.clone(),
    };

    let child: Child = Arc::new(Mutex::new(None));
    let on_interrupt = Arc::clone(&child);
    ctrlc::set_handler(move || {
        // SIGTERM may come while keys are read: the terminal goes back first.
        keys::restore();
        interrupted(&on_interrupt);
    })
    .context("cannot watch for Ctrl-C")?;
    let mut keys_on = keys::available();

    let mut out = Out::new();
    let exe = std::env::current_exe().context("cannot find xtask's own executable")?;
    let shown = slash(&part.exercise);
    let mut cause = String::from("first run");
    let mut run = 0;
    loop {
        run += 1;
        if std::io::stdout().is_terminal() {
            // Clear the screen and the scrollback: each run stands alone.
            // Straight to stdout: anstream would strip it under NO_COLOR,
            // and clearing is not colour.
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(b"\x1b[2J\x1b[3J\x1b[H");
            let _ = stdout.flush();
        }
        out.line(format!(
            "{BOLD}watch{BOLD:#}: run {run} of `cargo xtask check {}` ({cause}); Ctrl-C stops",
            part.id
        ));
        start(&child, &exe, &root, &part.id)?;
        // While the check runs, look for saves and for its end in turn.
        let saved = loop {
            if let Some(saved) = saves.next(Some(Duration::from_millis(100)))? {
                if let Some(mut check) = lock(&child).take() {
                    stop(&mut check);
                }
                break Some(saved);
            }
            let mut running = lock(&child);
            let done = running
                .as_mut()
                .is_none_or(|check| !matches!(check.try_wait(), Ok(None)));
            if done {
                running.take();
                break None;
            }
        };
        cause = match saved {
            Some(saved) => saved,
            None => {
                let how = if args.poll {
                    " (looking every second)"
                } else {
                    ""
                };
                out.line(format!(
                    "{DIM}watch: waiting for you to save a file in {shown}{how}; Ctrl-C stops{DIM:#}"
                ));
                let waiting = Waiting {
                    saves: &saves,
                    exe: &exe,
                    root: &root,
                    part,
                    child: &child,
                };
                match waiting.wait(&mut out, &mut keys_on)? {
                    Wake::Saved(saved) => saved,
                    Wake::CheckNow => "you pressed c".into(),
                    Wake::Quit => {
                        out.line("watch stopped (q): no check is left running");
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        };
    }
}

/// Stops the check if one runs, and exits as Ctrl-C does.
fn interrupted(child: &Child) -> ! {
    // The lock is kept until exit: no new check can start meanwhile.
    let mut running = lock(child);
    if let Some(mut check) = running.take() {
        stop(&mut check);
    }
    eprintln!("\nwatch stopped: no check is left running");
    std::process::exit(i32::from(workshop_core::child::INTERRUPTED));
}

/// What ends a wait.
enum Wake {
    Saved(String),
    CheckNow,
    Quit,
}

/// What comes first while keys are read.
enum Input {
    Key(Key),
    Saved(String),
}

/// Waiting for a save, with keys when there is a terminal.
struct Waiting<'a> {
    saves: &'a Saves,
    exe: &'a Path,
    root: &'a Path,
    part: &'a Part,
    child: &'a Child,
}

/// How often a wait looks for a key, and for a save.
const KEY_POLL: Duration = Duration::from_millis(50);

impl Waiting<'_> {
    fn wait(&self, out: &mut Out, keys_on: &mut bool) -> anyhow::Result<Wake> {
        loop {
            if !*keys_on {
                if let Some(saved) = self.saves.next(None)? {
                    return Ok(Wake::Saved(saved));
                }
                continue;
            }
            out.line(format!("{DIM}{}{DIM:#}", keys::LINE));
            let key = match self.next_key()? {
                Some(Input::Key(key)) => key,
                Some(Input::Saved(saved)) => return Ok(Wake::Saved(saved)),
                None => {
                    // Raw mode could not be had: no keys from now on.
                    *keys_on = false;
                    continue;
                }
            };
            let part = self.part.id.as_str();
            match key {
                Key::Quit => return Ok(Wake::Quit),
                Key::Check => return Ok(Wake::CheckNow),
                Key::Interrupt => interrupted(self.child),
                Key::Hint => self.run(out, &["hint", part]),
                Key::List => self.run(out, &["list", part]),
                Key::Solution => match self.current().and_then(|e| e.gaps.first()) {
                    Some(gap) => self.run(out, &["solution", part, &slash(&gap.file)]),
                    None => self.run(out, &["solution", part]),
                },
                Key::Reset => match self.current() {
                    Some(exercise) => self.run(out, &["reset", part, exercise.id.as_str()]),
                    None => out.line("Every exercise of the part passes: nothing to reset."),
                },
            }
        }
    }

    /// The next key, or a save if one comes first, with the terminal in
    /// raw mode meanwhile (and as it was again on return). `None` when raw
    /// mode cannot be had.
    fn next_key(&self) -> anyhow::Result<Option<Input>> {
        let Ok(_raw) = keys::RawMode::on() else {
            return Ok(None);
        };
        loop {
            if let Some(saved) = self.saves.next(Some(KEY_POLL))? {
                return Ok(Some(Input::Saved(saved)));
            }
            if let Some(key) = keys::next(KEY_POLL)? {
                return Ok(Some(Input::Key(key)));
            }
        }
    }

    /// Runs `cargo xtask <args>` for a key, on the terminal as it is (raw
    /// mode is off): reset and solution ask their own questions on it.
    fn run(&self, out: &mut Out, args: &[&str]) {
        out.line(format!(
            "{BOLD}watch{BOLD:#}: cargo xtask {}",
            args.join(" ")
        ));
        let status = Command::new(self.exe)
            .arg("--root")
            .arg(self.root)
            .args(args)
            .current_dir(self.root)
            .status();
        if let Err(err) = status {
            out.line(format!("cannot run {}: {err}", self.exe.display()));
        }
    }

    /// The exercise being worked on: the first with a gap left, else the
    /// first whose checks did not all pass at the last check.
    fn current(&self) -> Option<&Exercise> {
        let left = super::gaps_left(self.root, self.part);
        let progress = Progress::load(self.root);
        let part = self.part;
        part.exercises
            .iter()
            .find(|exercise| {
                part.gap_numbers(exercise)
                    .any(|n| left.iter().any(|gap| gap.number == n))
            })
            .or_else(|| {
                part.exercises.iter().find(|exercise| {
                    exercise
                        .check_ids()
                        .any(|id| progress.last(&id.to_string()) != Some(Last::Pass))
                })
            })
    }
}

/// Watches the exercise (recursively) and the manifest; events go to `to`.
fn watch(
    root: &Path,
    exercise: &Path,
    poll: bool,
    to: mpsc::Sender<notify::Result<Event>>,
) -> notify::Result<Watching> {
    let config = notify::Config::default().with_poll_interval(POLL);
    let mut watcher = if poll {
        Watching::Poll(PollWatcher::new(to, config)?)
    } else {
        Watching::Native(RecommendedWatcher::new(to, config)?)
    };
    let watcher_ref: &mut dyn Watcher = match &mut watcher {
        Watching::Poll(poll) => poll,
        Watching::Native(native) => native,
    };
    watcher_ref.watch(exercise, RecursiveMode::Recursive)?;
    // The root on its own, not recursively: for workshop.toml, which an
    // editor may replace rather than rewrite.
    watcher_ref.watch(root, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// The watcher, kept alive while watching.
enum Watching {
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

/// File events, turned into saves.
struct Saves {
    events: Receiver<notify::Result<Event>>,
    manifest: PathBuf,
    exercise: PathBuf,
    graded: Vec<PathBuf>,
    root: PathBuf,
}

const STOPPED: &str = "the file watcher stopped: start `cargo xtask watch` again";

impl Saves {
    /// The next save, waiting at most `timeout` (`None`: for ever) for it to
    /// begin: what changed, as the learner reads it. An editor's save is
    /// several events (a temporary file, a rename, a write): they are one
    /// save once DEBOUNCE passes without another.
    fn next(&self, timeout: Option<Duration>) -> anyhow::Result<Option<String>> {
        let event = match timeout {
            Some(timeout) => match self.events.recv_timeout(timeout) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!(STOPPED),
            },
            None => self.events.recv().map_err(|_| anyhow!(STOPPED))?,
        };
        let Some(saved) = self.describe(&event) else {
            return Ok(None);
        };
        let cap = Instant::now() + MAX_SETTLE;
        let mut quiet_until = Instant::now() + DEBOUNCE;
        loop {
            let now = Instant::now();
            let Some(left) = quiet_until.min(cap).checked_duration_since(now) else {
                break;
            };
            match self.events.recv_timeout(left) {
                Ok(event) if self.describe(&event).is_some() => {
                    quiet_until = Instant::now() + DEBOUNCE;
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!(STOPPED),
            }
        }
        Ok(Some(saved))
    }

    /// `exercises/part2/src/forceasync.rs changed` if the event is a save.
    /// Opening or reading a file is not (cargo and the check read them all);
    /// lost events count as a save: checking once too often beats missing one.
    fn describe(&self, event: &notify::Result<Event>) -> Option<String> {
        let Ok(event) = event else {
            return Some("file events were lost".into());
        };
        if event.need_rescan() {
            return Some("file events were lost".into());
        }
        let changes = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
        );
        if !changes {
            return None;
        }
        let path = event.paths.iter().find(|path| self.relevant(path))?;
        let shown = path.strip_prefix(&self.root).unwrap_or(path);
        Some(format!("{} changed", slash(shown)))
    }

    fn relevant(&self, path: &Path) -> bool {
        if path == self.manifest {
            return true;
        }
        let Ok(inside) = path.strip_prefix(&self.exercise) else {
            return false;
        };
        // A directory changes when its entries do, and each entry that
        // changes has an event of its own: the directory's is not a save.
        !is_noise(inside) && !path.is_dir() && !self.graded.iter().any(|graded| graded == path)
    }
}

/// Build output, version control and editors' temporary files: vim's swap
/// files and its `4913` probe, backups ending in `~`, emacs's `#autosave#`
/// and `.#lock`, JetBrains' `___jb_tmp___`, anything hidden or `.tmp`.
pub fn is_noise(relative: &Path) -> bool {
    let mut names = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy());
    if names.any(|name| name == "target" || name == ".git") {
        return true;
    }
    let Some(name) = relative.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    name.starts_with('.')
        || name.ends_with('~')
        || name == "4913"
        || (name.starts_with('#') && name.ends_with('#'))
        || name.contains("___jb_")
        || [".swp", ".swx", ".swo", ".tmp", ".bak"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Starts `xtask check <part>` in a process group of its own.
fn start(child: &Child, exe: &Path, root: &Path, part: &str) -> anyhow::Result<()> {
    let mut command = Command::new(exe);
    command
        .arg("--root")
        .arg(root)
        .args(["check", part])
        .current_dir(root)
        .stdin(Stdio::null());
    let mut running = lock(child);
    *running = Some(
        child::grouped(command)
            .spawn()
            .with_context(|| format!("cannot run {}", exe.display()))?,
    );
    Ok(())
}

/// Stops a check: Ctrl-C first, so that it stops what it started (each in
/// a group of its own), then a kill of its whole group.
fn stop(check: &mut Box<dyn ChildWrapper>) {
    child::stop(check.as_mut(), Ask::Interrupt, GRACE);
}

/// A poisoned lock only means a thread panicked holding it; the child
/// handle inside is still good, and must still be stopped.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_leftovers_and_build_output_are_not_saves() {
        for noise in [
            "target/debug/x",
            "src/.forceasync.rs.swp",
            "src/forceasync.rs~",
            "src/4913",
            "src/#forceasync.rs#",
            "src/.#forceasync.rs",
            "src/forceasync.rs.tmp",
            "src/forceasync.rs___jb_tmp___",
            ".git/index",
        ] {
            assert!(is_noise(Path::new(noise)), "{noise}");
        }
        for save in ["src/forceasync.rs", "Cargo.toml", "tests/x.rs", "src/new"] {
            assert!(!is_noise(Path::new(save)), "{save}");
        }
    }
}
