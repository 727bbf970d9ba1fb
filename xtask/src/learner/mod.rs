//! The learner's loop and the instructor's preparation: `list`, `start`,
//! `watch`, `hint`, `solution`, `reset`, `doctor` and `setup`, around the
//! grader (`check`) and the progress file they share; and `home`, what
//! `cargo xtask` alone shows.
//!
//! Every command prints through [`Out`]: colour only on a terminal, NO_COLOR
//! respected, every line meaningful without colour.

pub mod check;
pub mod doctor;
pub mod hint;
pub mod home;
pub mod list;
pub mod reset;
pub mod setup;
pub mod solution;
pub mod start;
pub mod watch;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anstream::AutoStream;
use anstyle::{AnsiColor, Style};

use workshop_core::manifest::{Exercise, Part};

pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const BAD: Style = AnsiColor::Red.on_default().bold();
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

/// Standard output, coloured only where colour is wanted.
pub struct Out {
    out: AutoStream<std::io::Stdout>,
}

impl Out {
    pub fn new() -> Self {
        Self {
            out: AutoStream::auto(std::io::stdout()),
        }
    }

    /// Prints one line. Stdout fails only when it is closed (a closed pipe):
    /// then nobody is reading, so the error is ignored.
    pub fn line(&mut self, text: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{text}");
    }
}

/// A question for the learner, on the terminal: its lines and the prompt go
/// to stderr, never stdout, so that `solution part1 | less` or `> file`
/// still shows the question (on stdout it would vanish into the pipe and
/// the command would look hung); the answer is read from stdin. Only asked
/// where stdin is a terminal: the callers check.
pub struct Ask {
    err: AutoStream<std::io::Stderr>,
}

impl Ask {
    pub fn new() -> Self {
        Self {
            err: AutoStream::auto(std::io::stderr()),
        }
    }

    /// One line before the question.
    pub fn line(&mut self, text: impl std::fmt::Display) {
        let _ = writeln!(self.err, "{text}");
    }

    /// Prints `question` and reads the answer: true for y or yes.
    pub fn yes(&mut self, question: impl std::fmt::Display) -> std::io::Result<bool> {
        let _ = write!(self.err, "{question} [y/N] ");
        let _ = self.err.flush();
        let mut answer = String::new();
        std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut answer)?;
        Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
    }
}

/// The gap numbers of `part` still left in the learner's exercise.
pub fn gaps_left(root: &Path, part: &Part) -> Vec<workshop_grader::GapLeft> {
    workshop_grader::gaps_left(root, &part.exercise, part)
}

/// `12 min`: the workshop counts in whole minutes.
pub fn minutes(time: Duration) -> String {
    format!("{} min", time.as_secs() / 60)
}

/// The part's clock, said the same way by every command: `clock: 7 min of
/// 30`, the time since the part started (frozen once it passed) against
/// the sum of its exercises' minutes. See `Part::due` for the model.
pub fn clock(part: &Part, elapsed: Duration) -> String {
    format!("clock: {} of {}", minutes(elapsed), part.budget())
}

/// `due at 20 min`: when `exercise` is due on its part's clock.
pub fn due(part: &Part, exercise: &Exercise) -> String {
    format!("due at {} min", part.due(&exercise.id))
}

/// `1 file`, `2 files`.
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
