//! Grading a test: part 1's learner writes the client's test, and a test is
//! good when it can fail. It is compiled against `part1-mutants` and run
//! once with the real client, which it must pass, and once per mutant, a
//! client with a bug, each of which it must catch.

use std::path::Path;

use part1_mutants::Mutant;

use super::Subject;
use crate::engine::libtest::{DEADLINE, Outcome, run};
use crate::verdict::Verdict;

pub const SUBJECT: Subject = Subject::ClientTest;

pub fn check(binary: &Path) -> Verdict {
    match run(binary, &[]) {
        Ok(Outcome::Passed(0)) => {
            return Verdict::fail("the test file has no #[tokio::test] left: nothing was tested");
        }
        Ok(Outcome::Passed(_)) => {}
        Ok(Outcome::Failed(failures)) if failures.iter().any(|failure| failure.hung) => {
            return Verdict::fail(timed_out());
        }
        Ok(Outcome::Failed(failures)) => {
            let why = failures
                .first()
                .map_or("it failed".to_string(), |failure| failure.why.clone());
            return Verdict::fail(format!("your test fails against a correct client: {why}"));
        }
        Err(err) => return Verdict::fail(format!("cannot run your test: {err}")),
    }

    let mut survivors = Vec::new();
    for mutant in Mutant::ALL {
        match run(binary, &[("WORKSHOP_MUTANT", mutant.name())]) {
            Ok(Outcome::Passed(_)) => survivors.push(mutant),
            Ok(Outcome::Failed(failures)) if failures.iter().any(|failure| failure.hung) => {
                return Verdict::fail(timed_out());
            }
            Ok(Outcome::Failed(_)) => {}
            Err(err) => return Verdict::fail(format!("cannot run your test: {err}")),
        }
    }
    if survivors.is_empty() {
        return Verdict::pass(format!(
            "passes with a correct client and catches all {} broken ones",
            Mutant::ALL.len()
        ));
    }
    let details = survivors
        .iter()
        .map(|mutant| format!("it passes with a client that {}", mutant.description()))
        .collect();
    Verdict::fail(format!(
        "your test cannot fail: it passes against {} of {} broken clients. Assert on the \
         whole answer, and on an error",
        survivors.len(),
        Mutant::ALL.len()
    ))
    .with_details(details)
}

fn timed_out() -> String {
    format!(
        "your test did not finish within {} s: does it await something that never comes?",
        DEADLINE.as_secs()
    )
}
