//! Syntax highlighting at render time, so the page needs no script for it.
//!
//! syntect tags each token with classes (`hl-keyword`, `hl-string`, …), and
//! one stylesheet, made from a light theme, colours them.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::SlidesError;
use crate::escape::escape;

const CLASSES: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Dark on light: the most legible on a projector in a lit room.
const THEME: &str = "InspiredGitHub";

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The stylesheet for the highlighted code.
pub fn css() -> Result<String, SlidesError> {
    let themes = ThemeSet::load_defaults();
    let theme = themes
        .themes
        .get(THEME)
        .ok_or_else(|| SlidesError::Highlight(format!("syntect has no theme {THEME}")))?;
    css_for_theme_with_class_style(theme, CLASSES)
        .map_err(|err| SlidesError::Highlight(err.to_string()))
}

fn syntax(lang: &str) -> Option<&'static SyntaxReference> {
    let token = match lang {
        "sh" | "shell" | "bash" | "zsh" => "bash",
        "" | "text" | "plain" | "console" => return None,
        other => other,
    };
    SYNTAXES.find_syntax_by_token(token)
}

fn classed(code: &str, syntax: &SyntaxReference) -> Result<String, SlidesError> {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASSES);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .map_err(|err| SlidesError::Highlight(err.to_string()))?;
    }
    let html = generator.finalize();
    Ok(if syntax.name == "Rust" {
        newer_keywords(&html)
    } else {
        html
    })
}

/// Keywords younger than syntect's Rust grammar (2018 edition and later),
/// with the classes of their elders: `async` and `dyn` like `fn`, `await`
/// like `if`. Bat's grammars (two-face) do no better.
const NEWER_KEYWORDS: &[(&str, &str)] = &[
    ("async", "hl-storage hl-type hl-rust"),
    ("dyn", "hl-storage hl-type hl-rust"),
    ("await", "hl-keyword hl-control hl-rust"),
];

/// Marks [`NEWER_KEYWORDS`] in syntect's HTML, wherever they stand as
/// whole words outside strings and comments.
fn newer_keywords(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    // For each open span: whether it is (inside) a string or a comment.
    let mut quiet: Vec<bool> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |end| end + 1);
            let tag = &rest[..end];
            if tag.starts_with("</") {
                quiet.pop();
            } else {
                let inside = quiet.last().copied().unwrap_or(false);
                quiet.push(inside || tag.contains("hl-string") || tag.contains("hl-comment"));
            }
            out.push_str(tag);
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..end];
        if quiet.last().copied().unwrap_or(false) {
            out.push_str(text);
        } else {
            mark_words(text, &mut out);
        }
        rest = &rest[end..];
    }
    out
}

fn mark_words(text: &str, out: &mut String) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = 0;
    for (index, ch) in text.char_indices() {
        let at_word = is_word(ch) && (index == 0 || !text[..index].ends_with(is_word));
        if !at_word {
            continue;
        }
        let len = text[index..]
            .find(|c: char| !is_word(c))
            .unwrap_or(text.len() - index);
        let word = &text[index..index + len];
        if let Some((_, class)) = NEWER_KEYWORDS.iter().find(|(keyword, _)| *keyword == word) {
            out.push_str(&text[start..index]);
            out.push_str(&format!("<span class=\"{class}\">{word}</span>"));
            start = index + len;
        }
    }
    out.push_str(&text[start..]);
}

/// `code` as the inside of a `<pre><code>`: highlighted when `lang` is
/// known, escaped otherwise. A `console` block is a terminal session: lines
/// that start with `$ ` are commands, highlighted as shell, the rest output.
pub fn highlight(code: &str, lang: &str) -> Result<String, SlidesError> {
    if lang == "console" {
        return console(code);
    }
    match syntax(lang) {
        Some(syntax) => classed(code, syntax),
        None => Ok(escape(code)),
    }
}

fn console(code: &str) -> Result<String, SlidesError> {
    let shell = syntax("bash");
    let mut html = String::new();
    for line in LinesWithEndings::from(code) {
        match (line.strip_prefix("$ "), shell) {
            (Some(command), Some(shell)) => {
                html.push_str("<span class=\"prompt\">$ </span>");
                html.push_str(&classed(command, shell)?);
            }
            _ => {
                html.push_str("<span class=\"output\">");
                html.push_str(&escape(line));
                html.push_str("</span>");
            }
        }
    }
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_is_highlighted_with_classes() {
        let html = highlight("fn main() { let s = \"<hi>\"; }\n", "rust").expect("highlights");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("&lt;hi&gt;"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn async_await_and_dyn_are_keywords_outside_strings_and_comments() {
        let html = highlight(
            "async fn f(x: &dyn Fn()) { g.await; let s = \"async\"; } // await\n",
            "rust",
        )
        .expect("highlights");
        assert!(
            html.contains("<span class=\"hl-storage hl-type hl-rust\">async</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-storage hl-type hl-rust\">dyn</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-keyword hl-control hl-rust\">await</span>"),
            "{html}"
        );
        assert_eq!(html.matches(">async</span>").count(), 1, "{html}");
        assert_eq!(html.matches(">await</span>").count(), 1, "{html}");
        assert!(!html.contains("asyncfn"), "{html}");
    }

    #[test]
    fn words_that_contain_keywords_stay_plain() {
        let mut out = String::new();
        mark_words("awaited dyn_x my_async async", &mut out);
        assert_eq!(
            out,
            "awaited dyn_x my_async <span class=\"hl-storage hl-type hl-rust\">async</span>"
        );
    }

    #[test]
    fn unknown_languages_are_escaped_text() {
        assert_eq!(highlight("a < b\n", "text").expect("plain"), "a &lt; b\n");
        assert_eq!(highlight("x\n", "nonesuch").expect("plain"), "x\n");
    }

    #[test]
    fn console_prompts_are_marked() {
        let html = highlight("$ curl http://x/\nGBP 88.4\n", "console").expect("highlights");
        assert!(
            html.starts_with("<span class=\"prompt\">$ </span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"output\">GBP 88.4\n</span>"),
            "{html}"
        );
    }

    #[test]
    fn the_stylesheet_colours_the_classes() {
        let css = css().expect("a stylesheet");
        assert!(css.contains(".hl-"), "{css}");
    }
}
