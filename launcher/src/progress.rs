//! What the learner sees while the runner builds: nothing when there is
//! nothing to build; otherwise one line that says what is built and why,
//! then how far it is: a bar redrawn in place on a terminal, a line every
//! few seconds elsewhere (a CI log, an editor's task panel).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The bar's width, in characters.
const BAR: usize = 24;

pub struct Progress {
    /// What is built beside the runner: the crate a check will grade.
    part: Option<String>,
    started: Instant,
    announced: bool,
    terminal: bool,
    done: usize,
    total: Option<usize>,
    status: String,
    drawn: Option<Instant>,
}

impl Progress {
    /// A build still going after this is not a no-op: it is announced even
    /// before cargo says what it does (it may be resolving, or waiting).
    pub const QUIET_FOR: Duration = Duration::from_secs(2);
    /// Away from a terminal, a progress line at most this often.
    const LINE_EVERY: Duration = Duration::from_secs(10);

    pub fn new(part: Option<&str>) -> Self {
        Self {
            part: part.map(str::to_string),
            started: Instant::now(),
            announced: false,
            terminal: std::io::stderr().is_terminal(),
            done: 0,
            total: None,
            status: String::new(),
            drawn: None,
        }
    }

    /// Says, once, what is being built and why.
    pub fn announce(&mut self) {
        if self.announced {
            return;
        }
        self.announced = true;
        let what = match &self.part {
            Some(part) => {
                format!("the workshop's runner and the {part} crate it grades, with their")
            }
            None => "the workshop's runner and its".to_string(),
        };
        eprintln!(
            "cargo xtask: building {what} dependencies. This happens once, after a fresh \
             clone or an update (a minute or two on a laptop); later commands start at once."
        );
    }

    pub fn done(&mut self, done: usize) {
        self.done = done;
    }

    pub fn total(&mut self, total: usize) {
        self.total = Some(total);
    }

    pub fn status(&mut self, line: &str) {
        self.status = line.to_string();
    }

    /// Redraws the bar (terminal) or prints a line now and then.
    pub fn draw(&mut self) {
        if !self.announced {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Self::LINE_EVERY
        };
        if self.drawn.is_some_and(|drawn| drawn.elapsed() < every) {
            return;
        }
        self.drawn = Some(Instant::now());
        let line = line(self.done, self.total, &self.status, self.started.elapsed());
        let mut err = std::io::stderr().lock();
        if self.terminal {
            // \r and "erase the line": the bar is redrawn where it was.
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// The build succeeded: the bar gives way to one line, if anything was
    /// shown at all.
    pub fn finish(&mut self) {
        if !self.announced {
            return;
        }
        self.clear();
        eprintln!(
            "  the runner is built ({} s).",
            self.started.elapsed().as_secs()
        );
    }

    /// The build failed: the bar is cleared for cargo's errors.
    pub fn abandon(&mut self) {
        if self.announced {
            self.clear();
        }
    }

    fn clear(&self) {
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `  [########----------------]  52/156 crates  Compiling tokio v1.54.1`.
pub fn line(done: usize, total: Option<usize>, status: &str, took: Duration) -> String {
    let status: String = status.chars().take(40).collect();
    match total {
        Some(total) if total > 0 => {
            let done = done.min(total);
            let filled = BAR * done / total;
            format!(
                "  [{}{}] {done:>4}/{total} crates  {status}",
                "#".repeat(filled),
                "-".repeat(BAR - filled)
            )
        }
        _ => format!("  {done} crates built ({} s)  {status}", took.as_secs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_crates_done() {
        let half = line(78, Some(156), "Compiling tokio v1.54.1", Duration::ZERO);
        assert_eq!(
            half,
            "  [############------------]   78/156 crates  Compiling tokio v1.54.1"
        );
        let over = line(170, Some(156), "", Duration::ZERO);
        assert!(
            over.contains("[########################]  156/156"),
            "{over}"
        );
    }

    #[test]
    fn without_a_total_it_counts() {
        let counted = line(12, None, "Downloading crates ...", Duration::from_secs(3));
        assert_eq!(counted, "  12 crates built (3 s)  Downloading crates ...");
    }
}
