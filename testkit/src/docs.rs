//! The docs' command examples, as the tests read them: each ```` ```sh ````
//! block of a Markdown file, its commands, and under each command the
//! lines it prints (`# ` lines; a `# ` line ending in `:` is prose, such
//! as `# in another terminal:`). `xtask/tests/docs.rs` runs them;
//! `tools/tests/room_offline.rs` checks the offline lines against its run.

use std::fs;

use regex::Regex;

use crate::root;

/// One ```` ```sh ```` block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The file, relative to the workspace root, and the fence's line.
    pub file: String,
    pub line: usize,
    pub steps: Vec<Step>,
}

/// A command of a block, and the lines the docs say it prints.
#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    /// Without its trailing `# comment`, spaces collapsed.
    pub command: String,
    pub prints: Vec<String>,
}

/// Every ```` ```sh ```` block of `file` (relative to the workspace root).
pub fn blocks(file: &str) -> Vec<Block> {
    let text = fs::read_to_string(root().join(file))
        .unwrap_or_else(|err| panic!("cannot read {file}: {err}"));
    parse(file, &text)
}

/// The blocks of `text`, read as `file`.
pub fn parse(file: &str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        match &mut open {
            None => {
                if trimmed.starts_with("```sh") {
                    open = Some(Block {
                        file: file.to_string(),
                        line: number,
                        steps: Vec::new(),
                    });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") {
                    blocks.extend(open.take());
                } else if let Some(printed) = trimmed.strip_prefix('#') {
                    let printed = printed.trim();
                    if printed.ends_with(':') || printed.is_empty() {
                        continue;
                    }
                    if let Some(step) = block.steps.last_mut() {
                        step.prints.push(printed.to_string());
                    }
                } else if !trimmed.is_empty() {
                    block.steps.push(Step {
                        line: number,
                        command: command_of(trimmed),
                        prints: Vec::new(),
                    });
                }
            }
        }
    }
    blocks
}

/// A command line without its comment (` # …` after the command, outside
/// quotes), spaces collapsed.
fn command_of(line: &str) -> String {
    let mut quoted = false;
    let mut end = line.len();
    let bytes = line.as_bytes();
    for (at, byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'#' if !quoted && at > 0 && bytes[at - 1] == b' ' => {
                end = at;
                break;
            }
            _ => {}
        }
    }
    line[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words of a command, as a shell splits them (double quotes only).
pub fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in command.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// Whether `actual`, a line a command printed, is the line the docs show
/// as `shown`: `…` stands for anything, and the docs' example values for
/// any of their kind (the address 192.168.1.10, the join token
/// k7mp-x3rf-q9tw, a view token 5f0c2a…); `ports` maps the docs' ports to
/// those the run used.
pub fn shows(shown: &str, actual: &str, ports: &[(u16, u16)]) -> bool {
    let mut shown = shown.trim().to_string();
    for (doc, real) in ports {
        shown = shown.replace(&format!(":{doc}"), &format!(":{real}"));
    }
    let mut pattern = regex::escape(&shown);
    for (example, any) in [
        ("192\\.168\\.1\\.10", "[0-9]+(?:\\.[0-9]+){3}"),
        ("k7mp\\-x3rf\\-q9tw", "[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}"),
        ("5f0c2a…", "[0-9a-f]+"),
        ("…", ".*?"),
    ] {
        pattern = pattern.replace(example, any);
    }
    Regex::new(&format!("^{pattern}$"))
        .unwrap_or_else(|err| panic!("{shown:?} makes no pattern: {err}"))
        .is_match(actual.trim())
}

/// The lines of `shown` not found in `output`, each after the one before.
pub fn missing(shown: &[String], output: &str, ports: &[(u16, u16)]) -> Vec<String> {
    let lines: Vec<&str> = output.lines().collect();
    let mut from = 0;
    let mut missing = Vec::new();
    for line in shown {
        match lines[from..]
            .iter()
            .position(|actual| shows(line, actual, ports))
        {
            Some(at) => from += at + 1,
            None => missing.push(line.clone()),
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_commands_and_what_they_print() {
        let text = "text\n```sh\ncargo xtask serve part2   # a comment\n# listening on x\n\
                    # in another terminal:\ncurl \"http://a#b\"\n# GBP 88.4\n```\n```rust\nx\n```\n";
        let blocks = parse("a.md", text);
        assert_eq!(blocks.len(), 1);
        let steps = &blocks[0].steps;
        assert_eq!(steps[0].command, "cargo xtask serve part2");
        assert_eq!(steps[0].prints, ["listening on x"]);
        assert_eq!(steps[1].command, "curl \"http://a#b\"");
        assert_eq!(steps[1].prints, ["GBP 88.4"]);
        assert_eq!(
            words("curl -fo a \"http://x y\""),
            ["curl", "-fo", "a", "http://x y"]
        );
    }

    #[test]
    fn examples_stand_for_any_of_their_kind() {
        let join = "join: cargo xtask room join http://192.168.1.10:8099 --token k7mp-x3rf-q9tw";
        let real = "join: cargo xtask room join http://10.0.0.7:41234 --token ab2c-defg-hjk3";
        assert!(shows(join, real, &[(8099, 41234)]));
        assert!(!shows(join, real, &[]), "the port is mapped, not any");
        assert!(shows(
            "view: http://192.168.1.10:8099/?view=5f0c2a…",
            "view: http://10.0.0.7:1/?view=0a9f",
            &[(8099, 1)]
        ));
        assert!(shows(
            "archive: … MB, sha256 … (… files, … crates)",
            "archive: 45.0 MB, sha256 0fcd (310 files, 285 crates)",
            &[]
        ));
        assert!(!shows("GBP 88.4", "GBP 88.40", &[]));
        assert_eq!(missing(&["b".into(), "a".into()], "a\nb\n", &[]), ["a"]);
    }
}
