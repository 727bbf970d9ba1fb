//! Under Wine (`.ci/wine/run` sets `WORKSHOP_UNDER_WINE`), the checks that
//! Wine itself keeps from passing, each named with its evidence in
//! `.ci/wine/cannot.txt`: a solution may fail those there, and nothing
//! else. Elsewhere, none: every test that runs `check` on a solution asks
//! here, so the list is read in one place.

use std::collections::BTreeSet;

use crate::root;

/// Whether this test runs under Wine.
pub fn under_wine() -> bool {
    std::env::var_os("WORKSHOP_UNDER_WINE").is_some()
}

/// The check ids Wine is excused, or none when not under Wine.
pub fn cannot() -> BTreeSet<String> {
    if !under_wine() {
        return BTreeSet::new();
    }
    let listed = std::fs::read_to_string(root().join(".ci").join("wine").join("cannot.txt"))
        .expect(".ci/wine/cannot.txt");
    listed
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// What a `check` run that `passed` or not failed, Wine's excuses left
/// out: each `✗ <id>` line's id, or, for a run that failed without one (a
/// build that broke), a line that says so. Empty: it passed, or failed
/// only what Wine cannot run.
pub fn failed_but_for_wine(passed: bool, output: &str) -> Vec<String> {
    if passed {
        return Vec::new();
    }
    let failed: Vec<String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("✗ "))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    if failed.is_empty() {
        return vec!["(the run failed, with no check failed)".to_string()];
    }
    let cannot = cannot();
    failed
        .into_iter()
        .filter(|id| !cannot.contains(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_wine_is_excused_is_left_out() {
        let output = "✓ part2.futures.tests 1.8 s\n✗ part2.forceasync.pool 3.7 s  waited\n";
        assert!(failed_but_for_wine(true, "").is_empty());
        assert_eq!(
            failed_but_for_wine(false, "error: cannot build"),
            ["(the run failed, with no check failed)"]
        );
        let cannot = cannot();
        let left = failed_but_for_wine(false, output);
        if cannot.contains("part2.forceasync.pool") {
            assert!(left.is_empty(), "{left:?}");
        } else {
            assert_eq!(left, ["part2.forceasync.pool"]);
        }
    }
}
