//! What selftest prints: a line per step as it goes, then per gap the
//! mutants, caught, missed (each with its diff) and the mutation score.

use std::time::Duration;

use super::mutants::Mutant;

/// What became of one mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Some check failed: these.
    Caught(Vec<String>),
    /// Every check passed, and the mutant is listed as equivalent: why.
    Equivalent(String),
    /// Every check passed: the grader cannot tell it from the solution.
    Missed,
    /// Only timed checks failed, and only once in two gradings: these. As
    /// good as missed: a learner's code like it may pass.
    Flaky(Vec<String>),
    /// It does not compile: no check had anything to say.
    Unviable,
}

#[derive(Debug, Clone)]
pub struct Tried {
    pub mutant: Mutant,
    pub outcome: Outcome,
    /// The mutant as a unified diff against the solution.
    pub diff: String,
    pub took: Duration,
}

/// A part's mutants, gap by gap (gap id, what became of its mutants).
pub type ByGap = Vec<(String, Vec<Tried>)>;

/// One gap's counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub mutants: usize,
    pub caught: usize,
    pub missed: usize,
    pub equivalent: usize,
    pub unviable: usize,
}

impl Counts {
    pub fn of<'t>(tried: impl IntoIterator<Item = &'t Tried>) -> Counts {
        let mut counts = Counts::default();
        for one in tried {
            counts.mutants += 1;
            match one.outcome {
                Outcome::Caught(_) => counts.caught += 1,
                Outcome::Missed | Outcome::Flaky(_) => counts.missed += 1,
                Outcome::Equivalent(_) => counts.equivalent += 1,
                Outcome::Unviable => counts.unviable += 1,
            }
        }
        counts
    }

    /// Caught over the mutants that can be caught (neither equivalent nor
    /// unviable); `None` when there are none.
    pub fn score(&self) -> Option<f64> {
        let catchable = self.caught + self.missed;
        (catchable > 0).then(|| 100.0 * self.caught as f64 / catchable as f64)
    }

    fn add(&mut self, other: Counts) {
        self.mutants += other.mutants;
        self.caught += other.caught;
        self.missed += other.missed;
        self.equivalent += other.equivalent;
        self.unviable += other.unviable;
    }
}

/// A line for a mutant just tried.
pub fn progress(index: usize, total: usize, tried: &Tried) {
    let what = match &tried.outcome {
        Outcome::Caught(by) if by.is_empty() => {
            "caught (the check failed, naming no check)".to_string()
        }
        Outcome::Caught(by) => format!("caught by {}", by.join(", ")),
        Outcome::Equivalent(_) => "missed, listed as equivalent".to_string(),
        Outcome::Missed => "MISSED".to_string(),
        Outcome::Flaky(by) => format!("MISSED: {} failed once, then passed", by.join(", ")),
        Outcome::Unviable => "unviable (does not compile)".to_string(),
    };
    println!(
        "  [{index}/{total}] {} {}: {what} ({:.1} s)",
        tried.mutant.gap,
        tried.mutant.name,
        tried.took.as_secs_f64()
    );
}

/// The table: one row per gap (in the order given), then the total; a
/// Markdown table, so it pastes into the README as it is.
pub fn table(gaps: &[(String, Vec<Tried>)]) -> String {
    let mut out = String::from(
        "| gap | mutants | caught | missed | equivalent | unviable | score |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut total = Counts::default();
    for (gap, tried) in gaps {
        let counts = Counts::of(tried);
        total.add(counts);
        out.push_str(&row(gap, counts));
    }
    out.push_str(&row("**total**", total));
    out
}

fn row(name: &str, counts: Counts) -> String {
    let score = counts
        .score()
        .map_or_else(|| "n/a".to_string(), |score| format!("{score:.0} %"));
    format!(
        "| {name} | {} | {} | {} | {} | {} | {score} |\n",
        counts.mutants, counts.caught, counts.missed, counts.equivalent, counts.unviable
    )
}

/// Every missed mutant with its diff, then the equivalent ones with why.
pub fn missed(gaps: &[(String, Vec<Tried>)]) -> String {
    let mut out = String::new();
    for (gap, tried) in gaps {
        for one in tried {
            match &one.outcome {
                Outcome::Missed => {
                    out.push_str(&format!("MISSED {gap} {}\n{}\n", one.mutant.name, one.diff));
                }
                Outcome::Flaky(by) => {
                    out.push_str(&format!(
                        "MISSED {gap} {} ({} failed once, then passed)\n{}\n",
                        one.mutant.name,
                        by.join(", "),
                        one.diff
                    ));
                }
                Outcome::Equivalent(reason) => {
                    out.push_str(&format!("equivalent {gap} {}: {reason}\n", one.mutant.name));
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selftest::mutants::Change;

    fn tried(gap: &str, outcome: Outcome) -> Tried {
        Tried {
            mutant: Mutant {
                gap: gap.into(),
                name: "1:1: replace x with y".into(),
                file: "src/a.rs".into(),
                change: Change::Region {
                    code: "y".into(),
                    compiles: true,
                },
            },
            outcome,
            diff: "-x\n+y\n".into(),
            took: Duration::ZERO,
        }
    }

    #[test]
    fn the_score_leaves_out_equivalent_and_unviable_mutants() {
        let gaps = vec![
            (
                "p.a".to_string(),
                vec![
                    tried("p.a", Outcome::Caught(vec!["p.a.tests".into()])),
                    tried("p.a", Outcome::Missed),
                    tried("p.a", Outcome::Unviable),
                    tried("p.a", Outcome::Equivalent("same".into())),
                ],
            ),
            ("p.b".to_string(), vec![tried("p.b", Outcome::Unviable)]),
        ];
        let table = table(&gaps);
        assert!(
            table.contains("| p.a | 4 | 1 | 1 | 1 | 1 | 50 % |"),
            "{table}"
        );
        assert!(
            table.contains("| p.b | 1 | 0 | 0 | 0 | 1 | n/a |"),
            "{table}"
        );
        assert!(
            table.contains("| **total** | 5 | 1 | 1 | 1 | 2 | 50 % |"),
            "{table}"
        );
        let missed = missed(&gaps);
        assert!(
            missed.contains("MISSED p.a 1:1: replace x with y\n-x\n+y\n"),
            "{missed}"
        );
        assert!(
            missed.contains("equivalent p.a 1:1: replace x with y: same"),
            "{missed}"
        );
    }
}
