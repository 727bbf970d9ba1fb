//! What a check says: pass or fail, why in one line, and details to show.
//!
//! A check returns a [`Checked`]: what it measured when it passed, or why it
//! failed. A `String` error converts into a failure, so a check takes the
//! engine's `Result<_, String>` with `?`: the first thing that goes wrong is
//! the reason, and nothing after it runs.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    /// One line a learner understands.
    pub reason: String,
    /// Evidence: requests, expected and actual answers, test names.
    pub details: Vec<String>,
}

impl Verdict {
    pub fn pass(reason: impl Into<String>) -> Self {
        Self {
            passed: true,
            reason: reason.into(),
            details: Vec::new(),
        }
    }

    pub fn fail(reason: impl Into<String>) -> Self {
        Self {
            passed: false,
            reason: reason.into(),
            details: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// What every check returns: its pass, said in one line (what it measured),
/// or why it failed. A pass has no details: a check that passed has nothing
/// to show but what it measured.
pub type Checked = Result<String, Failed>;

/// Why a check failed, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// One line a learner understands.
    pub reason: String,
    /// Requests, expected and actual answers, test names.
    pub details: Vec<String>,
}

impl Failed {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            details: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// A reason is a failure without details: what lets `?` take the engine's
/// `Result<_, String>` in a check.
impl From<String> for Failed {
    fn from(reason: String) -> Self {
        Self::new(reason)
    }
}

impl From<&str> for Failed {
    fn from(reason: &str) -> Self {
        Self::new(reason)
    }
}

impl From<Checked> for Verdict {
    fn from(checked: Checked) -> Self {
        match checked {
            Ok(reason) => Verdict::pass(reason),
            Err(failed) => Verdict::fail(failed.reason).with_details(failed.details),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(fails: bool) -> Checked {
        let measured: Result<&str, String> = if fails {
            Err("it broke".into())
        } else {
            Ok("1.01 s")
        };
        let took = measured?;
        Ok(format!("it took {took}"))
    }

    #[test]
    fn a_reason_fails_a_check_through_question_mark() {
        assert_eq!(Verdict::from(check(false)), Verdict::pass("it took 1.01 s"));
        assert_eq!(Verdict::from(check(true)), Verdict::fail("it broke"));
    }

    #[test]
    fn a_failures_details_reach_its_verdict() {
        let failed = Failed::new("2 wrong").with_details(vec!["GET /".into()]);
        let verdict = Verdict::from(Err(failed));
        assert_eq!(
            verdict,
            Verdict::fail("2 wrong").with_details(vec!["GET /".into()])
        );
    }
}
