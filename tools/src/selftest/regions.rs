//! Gap regions in a solution's source: where each gap's code is, and the
//! same file with some gaps' code replaced.
//!
//! The grader's tests (`tools/tests/grader.rs`) fill attempts with it, through
//! `selftest::attempts`, exactly as `cargo xtask selftest` does. `gen`
//! checks the markers themselves.

use std::collections::BTreeMap;

const BEGIN: &str = "// BEGIN GAP ";
const END: &str = "// END GAP";

/// One gap's code: the lines strictly between its markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub id: String,
    /// The 1-based line of `// BEGIN GAP <id>`.
    pub begin: usize,
    /// The 1-based line of `// END GAP`.
    pub end: usize,
}

impl Region {
    /// The 1-based lines of the gap's code.
    pub fn lines(&self) -> std::ops::RangeInclusive<usize> {
        self.begin + 1..=self.end - 1
    }

    /// The gap's code as it stands in `text`, line endings included.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        let start = line_start(text, self.begin + 1);
        let end = line_start(text, self.end);
        &text[start..end]
    }
}

/// Every gap region of `text`, in order. Malformed markers are `gen`'s
/// business: an unterminated region is left out here.
pub fn regions(text: &str) -> Vec<Region> {
    let mut found = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(id) = trimmed.strip_prefix(BEGIN) {
            open = Some((id.to_string(), index + 1));
        } else if trimmed == END {
            if let Some((id, begin)) = open.take() {
                found.push(Region {
                    id,
                    begin,
                    end: index + 1,
                });
            }
        }
    }
    found
}

/// The byte offset where 1-based `line` starts (the length of `text` past
/// its last line).
pub fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(index, _)| index + 1)
}

/// `text` with `region`'s code replaced by `code`, indented like its
/// `BEGIN GAP` line. The markers stay.
pub fn replace(text: &str, region: &Region, code: &str) -> String {
    let marker = &text[line_start(text, region.begin)..line_start(text, region.begin + 1)];
    let indent = &marker[..marker.len() - marker.trim_start().len()];
    let mut out = String::with_capacity(text.len() + code.len());
    out.push_str(&text[..line_start(text, region.begin + 1)]);
    for line in code.trim().lines() {
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&text[line_start(text, region.end)..]);
    out
}

/// `text` as a learner who filled it would have it: the gaps named in
/// `overrides` hold their override, the others the solution's code, and
/// no markers are left.
pub fn fill(text: &str, overrides: &BTreeMap<String, String>) -> String {
    let mut filled = text.to_string();
    // From the last region up, so the lines of the earlier ones stay put.
    for region in regions(text).iter().rev() {
        if let Some(code) = overrides.get(&region.id) {
            filled = replace(&filled, region, code);
        }
    }
    filled
        .split_inclusive('\n')
        .filter(|line| {
            let trimmed = line.trim();
            !trimmed.starts_with(BEGIN) && trimmed != END
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "fn f() -> u32 {
    // BEGIN GAP p.one
    1
    // END GAP
}

fn g() -> u32 {
    // BEGIN GAP p.two
    let two = 2;
    two
    // END GAP
}
";

    #[test]
    fn regions_are_found_with_their_lines_and_text() {
        let found = regions(TEXT);
        assert_eq!(
            found,
            [
                Region {
                    id: "p.one".into(),
                    begin: 2,
                    end: 4
                },
                Region {
                    id: "p.two".into(),
                    begin: 8,
                    end: 11
                },
            ]
        );
        assert_eq!(found[0].text(TEXT), "    1\n");
        assert_eq!(found[1].text(TEXT), "    let two = 2;\n    two\n");
        assert_eq!(found[1].lines(), 9..=10);
    }

    #[test]
    fn replace_keeps_the_markers_and_indents_the_code() {
        let replaced = replace(TEXT, &regions(TEXT)[1], "\n3\n\n+ 0\n");
        assert!(
            replaced.contains("    // BEGIN GAP p.two\n    3\n\n    + 0\n    // END GAP\n}\n"),
            "{replaced}"
        );
        assert!(replaced.starts_with("fn f() -> u32 {\n    // BEGIN GAP p.one\n    1\n"));
    }

    #[test]
    fn fill_replaces_the_gaps_named_and_drops_every_marker() {
        let overrides = BTreeMap::from([("p.two".to_string(), "3".to_string())]);
        assert_eq!(
            fill(TEXT, &overrides),
            "fn f() -> u32 {\n    1\n}\n\nfn g() -> u32 {\n    3\n}\n"
        );
    }

    #[test]
    fn line_starts_count_from_one() {
        assert_eq!(line_start("a\nb\n", 1), 0);
        assert_eq!(line_start("a\nb\n", 2), 2);
        assert_eq!(line_start("a\nb\n", 3), 4);
        assert_eq!(line_start("a\nb\n", 9), 4);
    }
}
