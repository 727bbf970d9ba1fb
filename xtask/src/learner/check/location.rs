//! Where a failing check points in the code, so that an editor can jump
//! there: the panic the verdict names, else the exercise's first gap.

use workshop_core::manifest::Part;
use workshop_core::paths::slash;
use workshop_grader::{CheckResult, Report, Whose};

/// A place in a file: relative to the workspace root, with `/`; 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

/// Where to look for why `check` fails, in order:
/// 1. a `file:line:col` of the graded crate in its reason (a panic's place:
///    a gap's `todo!()`, or an `unwrap()` of the learner's);
/// 2. the first gap of its exercise still left;
/// 3. the file of its exercise's first gap, at line 1 (gaps filled, but
///    the answers are wrong: the code is there).
///
/// `None` for a check that passes, or an exercise without gaps.
pub fn of_check(
    part: &Part,
    whose: Whose,
    report: &Report,
    check: &CheckResult,
) -> Option<Location> {
    if check.verdict.passed {
        return None;
    }
    let crate_dir = slash(whose.crate_dir(part));
    if let Some(found) = named_in(&check.verdict.reason, &crate_dir) {
        return Some(found);
    }
    let exercise = part
        .exercises
        .iter()
        .find(|exercise| exercise.id == check.id.exercise)?;
    let own = |id: &workshop_core::ids::GapId| exercise.gaps.iter().any(|gap| gap.id == *id);
    if let Some(gap) = report.gaps.iter().find(|gap| own(&gap.id)) {
        return Some(Location {
            file: gap.file.clone(),
            line: gap.line,
        });
    }
    let first = exercise.gaps.first()?;
    Some(Location {
        file: slash(&whose.crate_dir(part).join(&first.file)),
        line: 1,
    })
}

/// Where rustc puts a compiler error: its first `--> file:line:col`
/// (colour or not), the file relative to the workspace as cargo gives it.
pub fn of_error(error: &str) -> Option<Location> {
    let plain = anstream::adapter::strip_str(error).to_string();
    let (_, rest) = plain.split_once("--> ")?;
    let place = rest.split_whitespace().next()?;
    // `file:line:col`, and a Windows path may hold a colon of its own.
    let mut pieces = place.rsplitn(3, ':');
    let _col = pieces.next()?;
    let line = pieces.next()?.parse().ok()?;
    let file = pieces.next()?.replace('\\', "/");
    Some(Location { file, line })
}

/// The first `<crate_dir>/…:line[:col]` in `text`.
fn named_in(text: &str, crate_dir: &str) -> Option<Location> {
    let prefix = format!("{crate_dir}/");
    text.match_indices(&prefix).find_map(|(start, _)| {
        let rest = &text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | ';' | '`' | '\''))
            .unwrap_or(rest.len());
        let mut pieces = rest[..end].split(':');
        let file = pieces.next()?;
        let line = pieces.next()?.parse().ok()?;
        Some(Location {
            file: file.to_string(),
            line,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiler_error_is_where_rustc_puts_it() {
        let error = "\x1b[1merror[E0599]\x1b[0m: no method named `sned` found\n  \x1b[34m-->\x1b[0m exercises/part1/src/client.rs:92:14\n   |";
        assert_eq!(
            of_error(error),
            Some(Location {
                file: "exercises/part1/src/client.rs".into(),
                line: 92
            })
        );
        assert_eq!(
            of_error("error: x\n --> C:\\w\\exercises\\part1\\src\\a.rs:3:1"),
            Some(Location {
                file: "C:/w/exercises/part1/src/a.rs".into(),
                line: 3
            })
        );
        assert_eq!(of_error("error: linking failed"), None);
    }

    #[test]
    fn a_panic_named_in_the_reason_is_the_place() {
        let reason = "gap 5 is not filled yet: answer GET /convert/{currency}/{amount} \
                      (exercises/part1/src/server.rs:64:5)";
        assert_eq!(
            named_in(reason, "exercises/part1"),
            Some(Location {
                file: "exercises/part1/src/server.rs".into(),
                line: 64
            })
        );
        assert_eq!(
            named_in(
                "panicked at exercises/part2/src/futures.rs:12: boom",
                "exercises/part2"
            ),
            Some(Location {
                file: "exercises/part2/src/futures.rs".into(),
                line: 12
            })
        );
        // Another crate's file, or no line: not a place in the learner's code.
        assert_eq!(
            named_in("(solutions/part1/src/a.rs:3:1)", "exercises/part1"),
            None
        );
        assert_eq!(
            named_in("see exercises/part1/src/a.rs", "exercises/part1"),
            None
        );
    }
}
