//! Grading a test: part 1's learner writes the client's test, and a test is
//! good when it can fail. It is compiled against `part1-mutants` and run
//! once with the real client, which it must pass, and once per mutant, a
//! client with a bug, each of which it must catch.

use std::path::Path;

use part1_mutants::Mutant;

use super::{Machine, Subject};
use crate::engine::libtest::{DEADLINE, Outcome, run};
use crate::verdict::{Checked, Failed};

pub const SUBJECT: Subject = Subject::ClientTest;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(binary: &Path) -> Checked {
    match run_test(binary, &[])? {
        Outcome::Passed(0) => {
            return Err("the test file has no #[tokio::test] left: nothing was tested".into());
        }
        Outcome::Passed(_) => {}
        Outcome::Failed(failures) => {
            let why = failures
                .first()
                .map_or("it failed".to_string(), |failure| failure.why.clone());
            return Err(format!("your test fails against a correct client: {why}").into());
        }
    }

    let mut survivors = Vec::new();
    for mutant in Mutant::ALL {
        if let Outcome::Passed(_) = run_test(binary, &[("WORKSHOP_MUTANT", mutant.name())])? {
            survivors.push(mutant);
        }
    }
    if survivors.is_empty() {
        return Ok(format!(
            "passes with a correct client and catches all {} broken ones",
            Mutant::ALL.len()
        ));
    }
    let details = survivors
        .iter()
        .map(|mutant| format!("it passes with a client that {}", mutant.description()))
        .collect();
    Err(Failed::new(format!(
        "your test cannot fail: it passes against {} of {} broken clients. Assert on the \
         whole answer, and on an error",
        survivors.len(),
        Mutant::ALL.len()
    ))
    .with_details(details))
}

/// Runs the learner's test with `env` (a mutant's name, or none for the
/// real client). A test that hangs, or that cannot run, fails the check
/// whatever client it ran against: that is the `Err`.
fn run_test(binary: &Path, env: &[(&str, &str)]) -> Result<Outcome, String> {
    let outcome = run(binary, env).map_err(|err| format!("cannot run your test: {err}"))?;
    let hung = match &outcome {
        Outcome::Failed(failures) => failures.iter().any(|failure| failure.hung),
        Outcome::Passed(_) => false,
    };
    if hung {
        return Err(format!(
            "your test did not finish within {} s: does it await something that never comes?",
            DEADLINE.as_secs()
        ));
    }
    Ok(outcome)
}
