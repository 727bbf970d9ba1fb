//! The exercise's graded tests (`tests/<exercise>.rs`, protected from
//! edits): each runs in a process of its own with its own deadline (see
//! `engine::libtest`), and the verdict names the first that failed.

use std::path::Path;

use crate::engine::libtest::{Failure, Outcome, run};
use crate::verdict::{Checked, Failed};

/// What the check runs: the exercise's own graded test binary.
pub const SUBJECT: super::Subject = super::Subject::ExerciseTests;
pub const MACHINE: super::Machine = super::Machine::Shared;

/// Runs the tests in `binary`; passes when all of them do.
pub fn check(binary: &Path) -> Checked {
    match run(binary, &[]).map_err(|err| format!("cannot run the tests: {err}"))? {
        Outcome::Passed(count) => Ok(format!("all {count} tests pass")),
        Outcome::Failed(failures) => {
            let reason = failures
                .first()
                .map_or_else(|| "the tests failed".to_string(), Failure::describe);
            let details = failures.iter().skip(1).map(Failure::describe).collect();
            Err(Failed::new(reason).with_details(details))
        }
    }
}
