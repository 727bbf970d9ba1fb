//! The two changes `gen` makes to a solution's `.rs` file: gap regions become
//! `todo!()`, and the solution's crate name becomes the exercise's.

use thiserror::Error;

/// A gap found in a file: its id and the line of its `BEGIN GAP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub id: String,
    pub line: usize,
}

/// What is wrong with the markers of a file, at `line` (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{line}: {kind}")]
pub struct MarkerError {
    pub line: usize,
    pub kind: MarkerErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MarkerErrorKind {
    #[error("gap {id:?} is not in workshop.toml for {part}")]
    Unknown { id: String, part: String },
    #[error("BEGIN GAP {id} inside gap {open} (line {open_line}): gaps do not nest")]
    Nested {
        id: String,
        open: String,
        open_line: usize,
    },
    #[error("END GAP without a BEGIN GAP above it")]
    Unopened,
    #[error("BEGIN GAP {id} has no END GAP")]
    Unterminated { id: String },
    #[error("malformed gap marker: expected `// BEGIN GAP <id>` or `// END GAP`")]
    Malformed,
}

/// One line, classified.
enum Line<'a> {
    Begin(&'a str),
    End,
    Code,
}

/// Exact markers only. A comment starting with the words `BEGIN GAP` or
/// `END GAP` that is not exactly a marker is an error: ignoring it would leak
/// the solution into the exercise.
fn classify(line: &str) -> Result<Line<'_>, MarkerErrorKind> {
    let trimmed = line.trim();
    let Some(comment) = trimmed.strip_prefix("//") else {
        return Ok(Line::Code);
    };
    let words: Vec<&str> = comment.split_whitespace().collect();
    match words.as_slice() {
        ["BEGIN", "GAP", id] if trimmed == format!("// BEGIN GAP {id}") => Ok(Line::Begin(id)),
        ["END", "GAP"] if trimmed == "// END GAP" => Ok(Line::End),
        ["BEGIN" | "END", "GAP", ..] => Err(MarkerErrorKind::Malformed),
        _ => Ok(Line::Code),
    }
}

/// Replaces every gap region with `todo!("gap N: title")` at the indent of
/// its `BEGIN GAP` line. `lookup` gives a gap id's number and title, or `None`
/// when the part has no such gap. Line endings are kept as they were.
pub fn replace_gaps<'m>(
    text: &str,
    part: &str,
    lookup: impl Fn(&str) -> Option<(usize, &'m str)>,
) -> Result<(String, Vec<Marker>), MarkerError> {
    let mut out = String::with_capacity(text.len());
    let mut markers = Vec::new();
    // The gap being skipped, if any: its id and the line of its BEGIN.
    let mut open: Option<(&str, usize)> = None;

    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let fail = |kind| MarkerError { line: number, kind };
        match (classify(line).map_err(fail)?, open) {
            (Line::Begin(id), Some((open_id, open_line))) => {
                return Err(fail(MarkerErrorKind::Nested {
                    id: id.to_string(),
                    open: open_id.to_string(),
                    open_line,
                }));
            }
            (Line::Begin(id), None) => {
                let (gap_number, title) = lookup(id).ok_or_else(|| {
                    fail(MarkerErrorKind::Unknown {
                        id: id.to_string(),
                        part: part.to_string(),
                    })
                })?;
                let indent = &line[..line.len() - line.trim_start().len()];
                let ending = if line.ends_with("\r\n") {
                    "\r\n"
                } else if line.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "{indent}todo!(\"gap {gap_number}: {}\"){ending}",
                    format_literal(title)
                ));
                markers.push(Marker {
                    id: id.to_string(),
                    line: number,
                });
                open = Some((id, number));
            }
            (Line::End, Some(_)) => open = None,
            (Line::End, None) => return Err(fail(MarkerErrorKind::Unopened)),
            (Line::Code, Some(_)) => {}
            (Line::Code, None) => out.push_str(line),
        }
    }
    match open {
        Some((id, line)) => Err(MarkerError {
            line,
            kind: MarkerErrorKind::Unterminated { id: id.to_string() },
        }),
        None => Ok((out, markers)),
    }
}

/// `title` as the inside of a `todo!("…")` literal. `todo!` formats its
/// argument, so braces are doubled as well as quotes and backslashes escaped.
fn format_literal(title: &str) -> String {
    let mut literal = String::with_capacity(title.len());
    for c in title.chars() {
        match c {
            '{' => literal.push_str("{{"),
            '}' => literal.push_str("}}"),
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            c if c.is_control() => literal.extend(c.escape_default()),
            c => literal.push(c),
        }
    }
    literal
}

/// Replaces the identifier `from` with `to`, only where it stands alone:
/// `part1_solution::x` changes, `part1_solution_x` and `my_part1_solution` do
/// not.
pub fn rename_identifier(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (start, _) in text.match_indices(from) {
        let end = start + from.len();
        let alone = !text[..start].chars().next_back().is_some_and(is_ident)
            && !text[end..].chars().next().is_some_and(is_ident);
        if alone {
            out.push_str(&text[rest..start]);
            out.push_str(to);
            rest = end;
        }
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(id: &str) -> Option<(usize, &'static str)> {
        match id {
            "p.one" => Some((1, "first")),
            "p.two" => Some((7, "say \"{hi}\"")),
            _ => None,
        }
    }

    fn replace(text: &str) -> Result<String, MarkerError> {
        replace_gaps(text, "p", lookup).map(|(out, _)| out)
    }

    fn error(text: &str) -> MarkerError {
        replace(text).unwrap_err()
    }

    #[test]
    fn a_gap_becomes_todo_at_its_indent_with_its_number() {
        let solution = "\
fn f() -> u32 {
    // Add one and one.
    // BEGIN GAP p.one
    let x = 1;
    x + 1
    // END GAP
}
fn g() {
        // BEGIN GAP p.two
        println!(\"hi\");
        // END GAP
}
";
        let (exercise, markers) = replace_gaps(solution, "p", lookup).unwrap();
        assert_eq!(
            exercise,
            "\
fn f() -> u32 {
    // Add one and one.
    todo!(\"gap 1: first\")
}
fn g() {
        todo!(\"gap 7: say \\\"{{hi}}\\\"\")
}
"
        );
        let ids: Vec<_> = markers.iter().map(|m| (m.id.as_str(), m.line)).collect();
        assert_eq!(ids, [("p.one", 3), ("p.two", 9)]);
    }

    #[test]
    fn line_endings_are_kept() {
        let solution = "a\r\n  // BEGIN GAP p.one\r\n  b\r\n  // END GAP\r\nc";
        assert_eq!(
            replace(solution).unwrap(),
            "a\r\n  todo!(\"gap 1: first\")\r\nc"
        );
    }

    #[test]
    fn an_unknown_gap_is_refused() {
        let err = error("x\n// BEGIN GAP p.three\n// END GAP\n");
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "2: gap \"p.three\" is not in workshop.toml for p"
        );
    }

    #[test]
    fn gaps_do_not_nest() {
        let err = error("// BEGIN GAP p.one\n// BEGIN GAP p.two\n// END GAP\n// END GAP\n");
        assert_eq!(
            err.kind,
            MarkerErrorKind::Nested {
                id: "p.two".into(),
                open: "p.one".into(),
                open_line: 1
            }
        );
        assert_eq!(err.line, 2);
    }

    #[test]
    fn an_end_needs_a_begin() {
        let err = error("// BEGIN GAP p.one\n// END GAP\n\n// END GAP\n");
        assert_eq!((err.line, err.kind), (4, MarkerErrorKind::Unopened));
    }

    #[test]
    fn a_begin_needs_an_end() {
        let err = error("x\n  // BEGIN GAP p.one\n  y\n");
        assert_eq!(
            (err.line, err.kind),
            (2, MarkerErrorKind::Unterminated { id: "p.one".into() })
        );
    }

    #[test]
    fn near_misses_are_malformed_not_ignored() {
        for line in [
            "// BEGIN GAP",
            "// BEGIN GAP p.one extra",
            "//BEGIN GAP p.one",
            "// BEGIN  GAP p.one",
            "// END GAP p.one",
        ] {
            let err = error(&format!("{line}\n"));
            assert_eq!(err.kind, MarkerErrorKind::Malformed, "{line}");
        }
        // Prose about markers is not a marker.
        assert!(replace("// Gaps sit between `// BEGIN GAP <id>` and `// END GAP`.\n").is_ok());
    }

    #[test]
    fn the_crate_name_is_replaced_only_as_a_whole_identifier() {
        let text = "use part1_solution::x; part1_solution_x my_part1_solution (part1_solution)";
        assert_eq!(
            rename_identifier(text, "part1_solution", "part1"),
            "use part1::x; part1_solution_x my_part1_solution (part1)"
        );
    }
}
