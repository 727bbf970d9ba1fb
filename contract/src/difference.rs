//! A wrong answer, shown so that the difference can be seen. Most are plain
//! (`GBP 88.4` against `GBP 88.40`); some differ only in what a terminal
//! does not show: a trailing newline, a `\r`, a tab, a non-breaking space.
//! Those are shown quoted, with escapes, and the difference is named.

/// `request`, then what was expected and what came, one under the other.
pub fn mismatch(request: &str, expected: &str, actual: &str) -> String {
    match invisible(expected, actual) {
        Some(named) => format!(
            "{request}\n  expected: {}\n  actual:   {}\n  (they differ by {named})",
            quoted(expected),
            quoted(actual)
        ),
        None => format!("{request}\n  expected: {expected}\n  actual:   {actual}"),
    }
}

/// When `expected` and `actual` differ only in characters that cannot be
/// seen, what differs, in words: `a trailing newline`.
pub fn invisible(expected: &str, actual: &str) -> Option<String> {
    if expected == actual || visible(expected) != visible(actual) {
        return None;
    }
    let same = expected
        .chars()
        .zip(actual.chars())
        .take_while(|(e, a)| e == a)
        .count();
    let expected_rest: Vec<char> = expected.chars().skip(same).collect();
    let actual_rest: Vec<char> = actual.chars().skip(same).collect();
    // Where one extra character is: the end, the start, or between.
    let place = |rest: &[char]| {
        if rest.len() == 1 {
            "a trailing"
        } else if same == 0 {
            "a leading"
        } else {
            "an extra"
        }
    };
    Some(match (expected_rest.first(), actual_rest.first()) {
        (None, Some(extra)) => format!("{} {}", place(&actual_rest), name(*extra)),
        (Some(missing), None) => format!("a missing {}", name(*missing)),
        (Some(_), Some(extra)) if actual_rest[1..] == expected_rest[..] => {
            format!("{} {}", place(&actual_rest), name(*extra))
        }
        (Some(missing), Some(_)) if expected_rest[1..] == actual_rest[..] => {
            format!("a missing {}", name(*missing))
        }
        (Some(e), Some(a)) => format!("{} where {} was expected", a_(name(*a)), a_(name(*e))),
        (None, None) => return None,
    })
}

/// `a tab`, `an invisible character`.
fn a_(noun: String) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// What a reader sees: invisible characters gone, every kind of blank one
/// space, no blanks at the ends.
fn visible(text: &str) -> String {
    let mut seen = String::new();
    for c in text.chars().filter(|c| !zero_width(*c)) {
        if c.is_whitespace() {
            if !seen.ends_with(' ') {
                seen.push(' ');
            }
        } else {
            seen.push(c);
        }
    }
    seen.trim().to_string()
}

fn zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    ) || (c.is_control() && !c.is_whitespace())
}

/// A character as a sentence names it.
fn name(c: char) -> String {
    match c {
        '\n' => "newline".into(),
        '\r' => "carriage return (\\r)".into(),
        '\t' => "tab".into(),
        ' ' => "space".into(),
        '\u{a0}' => "non-breaking space (U+00A0)".into(),
        '\u{200b}' => "zero-width space (U+200B)".into(),
        '\u{feff}' => "byte-order mark (U+FEFF)".into(),
        other => format!("invisible character (U+{:04X})", u32::from(other)),
    }
}

/// `"GBP 88.4\n"`: quoted, every invisible character escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if zero_width(c) || (c.is_whitespace() && c != ' ') => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visible_difference_is_shown_as_it_is() {
        assert_eq!(invisible("200 GBP 88.4", "200 GBP 88.40"), None);
        assert_eq!(
            mismatch("GET /convert/GBP/100", "200 GBP 88.4", "200 GBP 88.40"),
            "GET /convert/GBP/100\n  expected: 200 GBP 88.4\n  actual:   200 GBP 88.40"
        );
    }

    #[test]
    fn invisible_differences_are_named() {
        let cases = [
            ("200 GBP 88.4\n", "a trailing newline"),
            ("200 GBP 88.4\r\n", "an extra carriage return (\\r)"),
            ("200 GBP\t88.4", "a tab where a space was expected"),
            (
                "200 GBP\u{a0}88.4",
                "a non-breaking space (U+00A0) where a space was expected",
            ),
            ("200 GBP 88.4 ", "a trailing space"),
            ("200 \u{feff}GBP 88.4", "an extra byte-order mark (U+FEFF)"),
            ("200 GBP  88.4", "an extra space"),
            ("200 GBP88.4\u{200b}", ""),
        ];
        for (actual, named) in cases {
            let found = invisible("200 GBP 88.4", actual);
            if named.is_empty() {
                assert_eq!(found, None, "{actual:?} differs visibly");
            } else {
                assert_eq!(found.as_deref(), Some(named), "{actual:?}");
            }
        }
        assert_eq!(
            invisible("200 GBP 88.4\n", "200 GBP 88.4").as_deref(),
            Some("a missing newline")
        );
    }

    #[test]
    fn an_invisible_difference_is_shown_quoted_with_escapes() {
        assert_eq!(
            mismatch("GET /x", "200 GBP 88.4", "200 GBP\u{a0}88.4\n"),
            "GET /x\n  expected: \"200 GBP 88.4\"\n  actual:   \"200 GBP\\u{a0}88.4\\n\"\n  \
             (they differ by a non-breaking space (U+00A0) where a space was expected)"
        );
    }
}
