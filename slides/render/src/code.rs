//! The code blocks of a deck, and rustdoc's conventions for them.
//!
//! The info string is read as rustdoc and mdBook read it: ```` ```rust ````,
//! ```` ```rust,no_run ````, ```` ```rust,ignore ```` or
//! ```` ```rust,compile_fail ````. Whatever follows the first space is free
//! text; an `ignore` block must use it to say why it cannot compile, e.g.
//! ```` ```rust,ignore (reason: a fragment of a match) ````, and a
//! `compile_fail` block to say what rustc must fail with, e.g.
//! ```` ```rust,compile_fail (future cannot be sent between threads safely) ````:
//! a block that fails for another reason (a typo) proves nothing.
//!
//! In a Rust block, a line that starts with `# ` (or is just `#`) is
//! compiled but not shown, so a slide can hide its `use` lines and
//! wrappers; `##` shows a literal `#`.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

use crate::SlidesError;
use crate::deck::Deck;

/// The attributes a block may carry after its language.
const ATTRIBUTES: &[&str] = &["ignore", "no_run", "compile_fail"];

/// One fenced code block of a deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The slide it is on, 1-based.
    pub slide: usize,
    /// The line of the deck where its opening fence is, 1-based.
    pub line: usize,
    /// `rust`, `console`, … (lower case; empty when none is given).
    pub lang: String,
    /// What follows the language, comma-separated: `ignore`, `no_run`,
    /// `compile_fail`.
    pub attributes: Vec<String>,
    /// The free text after the attributes: for `ignore`, the reason; for
    /// `compile_fail`, a piece of the error rustc must give.
    pub reason: Option<String>,
    /// The code as written, hidden lines included.
    pub code: String,
}

impl CodeBlock {
    pub fn is_rust(&self) -> bool {
        self.lang == "rust"
    }

    /// Marked `ignore`: not compiled.
    pub fn is_ignored(&self) -> bool {
        self.attributes.iter().any(|attr| attr == "ignore")
    }

    /// Marked `compile_fail`: compiled, and must fail with the error its
    /// free text quotes.
    pub fn compile_fail(&self) -> Option<&str> {
        self.attributes
            .iter()
            .any(|attr| attr == "compile_fail")
            .then(|| self.reason.as_deref().unwrap_or_default())
    }

    /// The code to compile: hidden lines revealed.
    pub fn source(&self) -> String {
        hide_lines(&self.code).1
    }

    /// The code to show: hidden lines removed.
    pub fn shown(&self) -> String {
        hide_lines(&self.code).0
    }
}

/// Splits a Rust block by rustdoc's rule into (shown, compiled).
pub fn hide_lines(code: &str) -> (String, String) {
    let mut shown = String::new();
    let mut compiled = String::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if trimmed == "#" {
            compiled.push('\n');
        } else if let Some(rest) = trimmed.strip_prefix("# ") {
            compiled.push_str(indent);
            compiled.push_str(rest);
            compiled.push('\n');
        } else if let Some(rest) = trimmed.strip_prefix("##") {
            let line = format!("{indent}#{rest}\n");
            shown.push_str(&line);
            compiled.push_str(&line);
        } else {
            shown.push_str(line);
            shown.push('\n');
            compiled.push_str(line);
            compiled.push('\n');
        }
    }
    (shown, compiled)
}

/// Reads an info string: (language, attributes, free text).
pub(crate) fn info(info: &str) -> (String, Vec<String>, Option<String>) {
    let info = info.trim();
    let (head, rest) = info.split_once(char::is_whitespace).unwrap_or((info, ""));
    let mut parts = head
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty());
    let lang = parts.next().unwrap_or("").to_ascii_lowercase();
    let attributes = parts.map(str::to_string).collect();
    let reason = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let reason = reason.strip_prefix("reason:").unwrap_or(reason).trim();
    let reason = (!reason.is_empty()).then(|| reason.to_string());
    (lang, attributes, reason)
}

/// Every fenced code block of `deck`, checked: known attributes only, and
/// every `ignore` with its reason.
pub fn code_blocks(deck: &Deck) -> Result<Vec<CodeBlock>, SlidesError> {
    let mut blocks = Vec::new();
    for slide in &deck.slides {
        let mut open: Option<CodeBlock> = None;
        for (event, range) in Parser::new(&slide.markdown).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info_string))) => {
                    let line = slide.line + slide.markdown[..range.start].matches('\n').count();
                    let (lang, attributes, reason) = info(&info_string);
                    let error = |message: String| SlidesError::CodeBlock {
                        path: deck.path.clone(),
                        line,
                        message,
                    };
                    if let Some(unknown) = attributes
                        .iter()
                        .find(|attr| !ATTRIBUTES.contains(&attr.as_str()))
                    {
                        return Err(error(format!(
                            "unknown code block attribute `{unknown}`: use {}",
                            ATTRIBUTES.join(" or ")
                        )));
                    }
                    if attributes.iter().any(|attr| attr == "ignore") && reason.is_none() {
                        return Err(error(format!(
                            "```{lang},ignore needs a reason: ```{lang},ignore (reason: why it cannot compile)"
                        )));
                    }
                    if attributes.iter().any(|attr| attr == "compile_fail") && reason.is_none() {
                        return Err(error(format!(
                            "```{lang},compile_fail needs the error it must fail with: \
                             ```{lang},compile_fail (a piece of rustc's message)"
                        )));
                    }
                    open = Some(CodeBlock {
                        slide: slide.number,
                        line,
                        lang,
                        attributes,
                        reason,
                        code: String::new(),
                    });
                }
                Event::Text(text) => {
                    if let Some(block) = open.as_mut() {
                        block.code.push_str(&text);
                    }
                }
                Event::End(pulldown_cmark::TagEnd::CodeBlock) => {
                    blocks.extend(open.take());
                }
                _ => {}
            }
        }
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::deck::parse;

    #[test]
    fn reads_info_strings_like_rustdoc() {
        assert_eq!(info("rust"), ("rust".into(), vec![], None));
        assert_eq!(
            info("rust,no_run"),
            ("rust".into(), vec!["no_run".into()], None)
        );
        assert_eq!(
            info("rust,ignore (reason: a fragment)"),
            (
                "rust".into(),
                vec!["ignore".into()],
                Some("a fragment".into())
            )
        );
        assert_eq!(info(""), (String::new(), vec![], None));
    }

    #[test]
    fn hidden_lines_compile_but_do_not_show() {
        let (shown, compiled) = hide_lines(
            "# use std::fmt;\n    # let x = 1;\n#\nlet y = 2;\n##[derive(Debug)]\n#[test]\n",
        );
        assert_eq!(shown, "let y = 2;\n#[derive(Debug)]\n#[test]\n");
        assert_eq!(
            compiled,
            "use std::fmt;\n    let x = 1;\n\nlet y = 2;\n#[derive(Debug)]\n#[test]\n"
        );
    }

    #[test]
    fn finds_blocks_with_their_slide_and_line() {
        let deck = parse(
            "# A\n\n```rust\nfn a() {}\n```\n\n---\n\n# B\n\n```console\n$ ls\n```\n\n```rust,ignore (reason: a fragment)\nx\n```\n",
            Path::new("d.md"),
        )
        .expect("parses");
        let blocks = code_blocks(&deck).expect("valid blocks");
        let found: Vec<_> = blocks
            .iter()
            .map(|b| (b.slide, b.line, b.lang.as_str(), b.is_ignored()))
            .collect();
        assert_eq!(
            found,
            [
                (1, 3, "rust", false),
                (2, 11, "console", false),
                (2, 15, "rust", true)
            ]
        );
        assert_eq!(blocks[0].code, "fn a() {}\n");
    }

    #[test]
    fn an_ignore_without_a_reason_is_an_error() {
        let deck = parse("# A\n\n```rust,ignore\nx\n```\n", Path::new("d.md")).expect("parses");
        let err = code_blocks(&deck).unwrap_err().to_string();
        assert!(
            err.starts_with("d.md:3: ") && err.contains("needs a reason"),
            "{err}"
        );
    }

    #[test]
    fn a_compile_fail_says_what_it_must_fail_with() {
        let deck = parse(
            "```rust,compile_fail (cannot be sent between threads)\nx\n```\n\n```rust\ny\n```\n",
            Path::new("d.md"),
        )
        .expect("parses");
        let blocks = code_blocks(&deck).expect("valid blocks");
        assert_eq!(
            blocks[0].compile_fail(),
            Some("cannot be sent between threads")
        );
        assert!(!blocks[0].is_ignored());
        assert_eq!(blocks[1].compile_fail(), None);

        let deck = parse("```rust,compile_fail\nx\n```\n", Path::new("d.md")).expect("parses");
        let err = code_blocks(&deck).unwrap_err().to_string();
        assert!(
            err.starts_with("d.md:1: ") && err.contains("needs the error it must fail with"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_attribute_is_an_error() {
        let deck = parse("```rust,ignroe (x)\nx\n```\n", Path::new("d.md")).expect("parses");
        let err = code_blocks(&deck).unwrap_err().to_string();
        assert!(
            err.contains("unknown code block attribute `ignroe`"),
            "{err}"
        );
    }
}
