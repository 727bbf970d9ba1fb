//! The checks, one file a kind, each named as its kind: `pool` is run by
//! `pool.rs`. A file holds its scenario and its diagnosis, and says what it
//! runs (`SUBJECT`); the engine (`grader/src/engine`) holds the rest, and its
//! `numbers` every number a part's checks stand on.
//!
//! Every kind has one shape: `pub fn check(bin: &Path) -> Checked`, what it
//! measured or why it failed, and says what it needs of the machine
//! (`MACHINE`). It stops at the first thing that goes wrong
//! with `?` (a `String` error is a reason), and `run` below makes the
//! result a `Verdict`.
//!
//! The kinds are declared once, in `workshop_core::ids`; the macro below declares
//! their files and dispatches to them, so a new kind is its file and one
//! line there. See docs/authoring.md.

use std::path::Path;
use std::time::Duration;

use super::verdict::{Checked, Verdict};
use workshop_core::each_check_kind;
use workshop_core::ids::CheckKind;

/// What a check runs: it decides what the grader builds for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// The part's server binary (`webserver`, `sync_server`, …).
    Server,
    /// The part's command-line client (`client`).
    Client,
    /// The exercise's graded test file, `tests/<exercise>.rs`.
    ExerciseTests,
    /// The learner's client test, compiled against broken clients.
    ClientTest,
}

/// What a check needs of the machine while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    /// It runs side by side with the part's other checks: it measures
    /// counts, or times a busy neighbour cannot flip.
    Shared,
    /// It times milliseconds under load: it starts once the part's other
    /// checks are done, or `within` after they started at the latest (one
    /// that crawls is not waited out). See `engine::quiet`.
    Quiet { within: Duration },
}

macro_rules! checks {
    ($($variant:ident => $name:ident,)*) => {
        $(pub mod $name;)*

        /// What a check of `kind` runs.
        pub fn subject(kind: CheckKind) -> Subject {
            match kind {
                $(CheckKind::$variant => $name::SUBJECT,)*
            }
        }

        /// What a check of `kind` needs of the machine.
        pub fn machine(kind: CheckKind) -> Machine {
            match kind {
                $(CheckKind::$variant => $name::MACHINE,)*
            }
        }

        /// Runs a check of `kind` on `binary`, its subject.
        pub fn run(kind: CheckKind, binary: &Path) -> Verdict {
            let checked: Checked = match kind {
                $(CheckKind::$variant => $name::check(binary),)*
            };
            checked.into()
        }
    };
}

each_check_kind!(checks);
