//! A check's reason, made fit to leave the laptop. Reasons can name files:
//! a `todo!()` reads `gap 2 is not filled yet: … (src/futures.rs:60:5)`, a
//! panic `your code panicked at src/main.rs:1:1: boom`, an I/O error may
//! quote an absolute path with the learner's user name in it. The room gets
//! none of that:
//!
//! - the workspace, home and temporary directories are cut out wherever
//!   they appear;
//! - a file location (a path whose last part has an extension, or anything
//!   with a `:line`) in parentheses is dropped with them, elsewhere it
//!   becomes `…`;
//! - URLs and URL paths stay (`/health`, `/convert/GBP/100`), as do numbers
//!   (`GBP 88.4`) and bare file names (`Cargo.toml`);
//! - one line, at most `MAX_REASON` characters.

use super::wire::MAX_REASON;

const CUT: &str = "…";

/// `reason` without file locations or any of `local_dirs`.
pub fn reason(reason: &str, local_dirs: &[String]) -> String {
    let line: String = reason
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = cut_dirs(&line, local_dirs);
    let mut words: Vec<String> = Vec::new();
    for word in line.split_whitespace() {
        match scrub_word(word) {
            Word::Keep(word) => words.push(word),
            // `(src/x.rs:1:2):` leaves its `:` to the word before.
            Word::Drop(rest) => match words.last_mut() {
                Some(last) => last.push_str(&rest),
                None if !rest.is_empty() => words.push(rest),
                None => {}
            },
        }
    }
    shorten(&words.join(" "))
}

/// Every occurrence of a local directory, longest first (the workspace is
/// usually inside home), in both slash styles.
fn cut_dirs(line: &str, local_dirs: &[String]) -> String {
    let mut dirs: Vec<String> = local_dirs
        .iter()
        .flat_map(|dir| {
            let dir = dir.trim_end_matches(['/', '\\']);
            [
                dir.to_string(),
                dir.replace('\\', "/"),
                dir.replace('/', "\\"),
            ]
        })
        // `/` or `C:` alone would cut every slash.
        .filter(|dir| dir.chars().count() >= 4)
        .collect();
    dirs.sort_by_key(|dir| std::cmp::Reverse(dir.len()));
    dirs.dedup();
    let mut line = line.to_string();
    for dir in &dirs {
        line = line.replace(dir.as_str(), CUT);
    }
    line
}

enum Word {
    Keep(String),
    /// Dropped; what followed its closing parenthesis.
    Drop(String),
}

fn scrub_word(word: &str) -> Word {
    let core = word.trim_start_matches(['(', '[', '{', '"', '\'', '`', '<']);
    let lead = &word[..word.len() - core.len()];
    let core = core.trim_end_matches([
        ')', ']', '}', '"', '\'', '`', '>', ',', '.', ';', ':', '!', '?',
    ]);
    let trail = &word[lead.len() + core.len()..];
    if !is_location(core) {
        return Word::Keep(word.to_string());
    }
    match (lead.strip_suffix('('), trail.strip_prefix(')')) {
        (Some(""), Some(rest)) => Word::Drop(rest.to_string()),
        _ => Word::Keep(format!("{lead}{CUT}{trail}")),
    }
}

/// A file or directory on this machine, as opposed to a URL or a number.
fn is_location(core: &str) -> bool {
    if core.contains("://") {
        return false;
    }
    // What is left of a local directory cut out.
    if core.starts_with(&format!("{CUT}/")) || core.starts_with(&format!("{CUT}\\")) {
        return true;
    }
    // `src/x.rs:60:5` → `src/x.rs`, and it had a line.
    let mut path = core;
    let mut has_line = false;
    for _ in 0..2 {
        if let Some((before, number)) = path.rsplit_once(':') {
            if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
                path = before;
                has_line = true;
            }
        }
    }
    let last = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let has_extension = last.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=6).contains(&ext.len())
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            && ext.bytes().any(|b| b.is_ascii_alphabetic())
    });
    let has_separator = path.contains(['/', '\\']);
    has_extension && (has_separator || has_line)
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_REASON {
        return text.to_string();
    }
    let mut short: String = text.chars().take(MAX_REASON - 1).collect();
    short.push_str(CUT);
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> String {
        reason(
            text,
            &["/home/ada/async-workshop".into(), "/home/ada".into()],
        )
    }

    #[test]
    fn a_gap_keeps_its_words_and_loses_its_location() {
        assert_eq!(
            scrub("gap 2 is not filled yet: read the JSON body as Rates (src/futures.rs:60:5)"),
            "gap 2 is not filled yet: read the JSON body as Rates"
        );
        assert_eq!(
            scrub("the stack overflowed (src/lib.rs:3:1): a function that calls itself forever?"),
            "the stack overflowed: a function that calls itself forever?"
        );
    }

    #[test]
    fn locations_outside_parentheses_become_an_ellipsis() {
        assert_eq!(
            scrub("your code panicked at src/main.rs:1:1: boom"),
            "your code panicked at …: boom"
        );
        assert_eq!(scrub("panicked at main.rs:12: boom"), "panicked at …: boom");
        assert_eq!(
            scrub(r"cannot open C:\Users\ada\ws\exercises\part1\src\client.rs"),
            "cannot open …"
        );
    }

    #[test]
    fn local_directories_are_cut_wherever_they_are() {
        assert_eq!(
            scrub("cannot run /home/ada/async-workshop/target/grader/debug/webserver: gone"),
            "cannot run …: gone"
        );
        assert_eq!(
            scrub("no access to /home/ada, sorry"),
            "no access to …, sorry"
        );
        assert_eq!(
            reason(r"in C:\Users\ada\ws\target", &[r"C:\Users\ada".into()]),
            "in …"
        );
    }

    #[test]
    fn urls_numbers_and_file_names_stay() {
        for kept in [
            "GET /convert/GBP/100 answered 500, expected GBP 88.4",
            "/health took 912 ms meanwhile",
            "GET /convert/USD/1.25 answered USD 1.5 instead of USD 1.52",
            "http://127.0.0.1:4242/latest did not answer",
            "content type text/plain expected",
            "Cargo.toml is missing a dependency",
            "25 of 25 simultaneous conversions failed: 1.0 s",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }

    #[test]
    fn one_line_of_bounded_length() {
        assert_eq!(scrub("first\nsecond"), "first");
        assert_eq!(scrub("a\tb\u{1b}[31mc"), "a b [31mc");
        let long = scrub(&"word ".repeat(200));
        assert_eq!(long.chars().count(), MAX_REASON);
        assert!(long.ends_with('…'));
    }
}
