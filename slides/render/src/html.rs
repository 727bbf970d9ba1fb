//! The page: every slide as a `<section>`, one stylesheet, one small script.

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::SlidesError;
use crate::assets::{Origin, figure};
use crate::code::{hide_lines, info};
use crate::deck::Deck;
use crate::escape::escape;
use crate::fonts::{CHARSET_PATH, font_faces, uncovered};
use crate::highlight::{css, highlight};

const STYLE: &str = include_str!("deck.css");
const SCRIPT: &str = include_str!("deck.js");

/// Nothing may be fetched: not a script, a style, a font or an image. The
/// deck needs nothing, and this makes sure it never asks.
const CSP: &str = "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; \
                   script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// The whole page for `deck`.
pub fn page(
    deck: &Deck,
    path: &Path,
    base: &Path,
    warnings: &mut Vec<String>,
) -> Result<String, SlidesError> {
    let total = deck.slides.len();
    let title = escape(&deck.title);
    let mut sections = String::new();
    if let Some(warning) = lacking_glyphs(&deck.title, path, "its title")? {
        warnings.push(warning);
    }
    for slide in &deck.slides {
        let texts = std::iter::once(&slide.markdown).chain(&slide.notes);
        let text: String = texts.map(String::as_str).collect::<Vec<_>>().join("\n");
        let place = format!("slide {}", slide.number);
        if let Some(warning) = lacking_glyphs(&text, path, &place)? {
            warnings.push(warning);
        }
        let origin = Origin {
            deck: path,
            base,
            slide: slide.number,
        };
        let body = markdown(&slide.markdown, &origin, warnings)?;
        let mut class = String::from("slide");
        if slide.number == 1 {
            class.push_str(" title-slide");
        }
        for extra in &slide.classes {
            class.push(' ');
            class.push_str(extra);
        }
        sections.push_str(&format!(
            "<section class=\"{class}\" data-n=\"{n}\" aria-label=\"Slide {n} of {total}\">\n<div class=\"body\">\n{body}</div>\n<footer><span>{title}</span><span class=\"number\">{n} / {total}</span></footer>\n</section>\n",
            n = slide.number,
        ));
        // Beside the slide, not in it: the handout shows them beneath it.
        if !slide.notes.is_empty() {
            sections.push_str(&format!(
                "<aside class=\"notes\" data-n=\"{}\"><h2>Notes</h2>\n",
                slide.number
            ));
            for note in &slide.notes {
                sections.push_str(&markdown(note, &origin, warnings)?);
            }
            sections.push_str("</aside>\n");
        }
    }
    Ok(format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">
<meta name=\"generator\" content=\"workshop-slides (cargo xtask slides)\">
<title>{title}</title>
<link rel=\"icon\" href=\"data:,\">
<style>
{fonts}
{STYLE}
{code_css}
</style>
</head>
<body>
<main class=\"deck\">
{sections}</main>
<script>
{SCRIPT}
</script>
</body>
</html>
",
        fonts = font_faces(),
        code_css = css()?,
    ))
}

/// A warning when `text` (at `place` in the deck `path`) has characters the
/// embedded fonts lack: the browser would draw them in one of the
/// machine's own fonts, and the layout would depend on the machine again.
fn lacking_glyphs(text: &str, path: &Path, place: &str) -> Result<Option<String>, SlidesError> {
    let missing = uncovered(text).map_err(SlidesError::Fonts)?;
    if missing.is_empty() {
        return Ok(None);
    }
    let listed: Vec<String> = missing
        .iter()
        .map(|ch| format!("{ch} (U+{:04X})", u32::from(*ch)))
        .collect();
    Ok(Some(format!(
        "{}, {place}: the embedded fonts lack {}: add {} to {CHARSET_PATH} and run slides/render/fonts/subset.py",
        path.display(),
        listed.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
    )))
}

/// One slide's Markdown as HTML, with code highlighted, images embedded and
/// outside links opened in a new tab (the deck stays where it is).
fn markdown(
    text: &str,
    origin: &Origin<'_>,
    warnings: &mut Vec<String>,
) -> Result<String, SlidesError> {
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut image: Option<(String, String)> = None;
    for event in Parser::new_ext(text, options()) {
        match (event, code.as_mut(), image.as_mut()) {
            (Event::Start(Tag::CodeBlock(kind)), _, _) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info_string) => info(&info_string).0,
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            (Event::Text(text), Some((_, body)), _) => body.push_str(&text),
            (Event::End(TagEnd::CodeBlock), Some((lang, body)), _) => {
                let shown = if lang == "rust" {
                    hide_lines(body).0
                } else {
                    body.clone()
                };
                let class = if lang.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"language-{}\"", escape(lang))
                };
                events.push(Event::Html(CowStr::from(format!(
                    "<pre><code{class}>{}</code></pre>\n",
                    highlight(&shown, lang)?
                ))));
                code = None;
            }
            (Event::Start(Tag::Image { dest_url, .. }), _, _) => {
                image = Some((dest_url.to_string(), String::new()));
            }
            (Event::End(TagEnd::Image), _, Some((url, alt))) => {
                let html = figure(url, alt, origin, warnings)?;
                events.push(Event::Html(CowStr::from(html)));
                image = None;
            }
            (Event::Text(text) | Event::Code(text), _, Some((_, alt))) => alt.push_str(&text),
            (_, _, Some(_)) => {}
            (
                Event::Start(Tag::Link {
                    dest_url, title, ..
                }),
                _,
                _,
            ) if dest_url.starts_with("http://") || dest_url.starts_with("https://") => {
                let title = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape(&title))
                };
                events.push(Event::InlineHtml(CowStr::from(format!(
                    "<a href=\"{}\"{title} target=\"_blank\" rel=\"noopener noreferrer\">",
                    escape(&dest_url)
                ))));
            }
            (event, _, _) => events.push(event),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::parse;

    fn render(markdown: &str) -> String {
        let deck = parse(markdown, Path::new("d.md")).expect("parses");
        page(&deck, Path::new("d.md"), Path::new("."), &mut Vec::new()).expect("renders")
    }

    #[test]
    fn every_slide_is_a_section_with_its_number() {
        let html = render(
            "---\ntitle: T & co\n---\n# A\n\n---\n\n# B\n<!-- a note -->\n<!-- _class: dense -->\n",
        );
        assert_eq!(html.matches("<section class=\"slide").count(), 2);
        assert!(html.contains("<section class=\"slide dense\" data-n=\"2\""));
        assert!(html.contains("<span class=\"number\">2 / 2</span>"));
        assert!(html.contains("<title>T &amp; co</title>"));
        assert!(html.contains("<aside class=\"notes\" data-n=\"2\"><h2>Notes</h2>\n<p>a note</p>"));
    }

    #[test]
    fn code_is_highlighted_without_its_hidden_lines() {
        let html = render("```rust\n# use std::fmt;\nfn main() {}\n```\n");
        assert!(
            html.contains("<pre><code class=\"language-rust\">"),
            "{html}"
        );
        assert!(html.contains("hl-"), "{html}");
        assert!(!html.contains("std::fmt"), "{html}");
    }

    #[test]
    fn outside_links_open_a_new_tab() {
        let html = render("[docs](https://docs.rs/tokio \"tokio\") and [here](#3)\n");
        assert!(
            html.contains("<a href=\"https://docs.rs/tokio\" title=\"tokio\" target=\"_blank\" rel=\"noopener noreferrer\">docs</a>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"#3\">here</a>"), "{html}");
    }

    #[test]
    fn the_fonts_are_inline_and_a_character_they_lack_is_named() {
        let deck = parse(
            "---\ntitle: T\n---\n# A → B\n\n---\n\n# ☃\n<!-- a note: 中 -->\n",
            Path::new("d.md"),
        )
        .expect("parses");
        let mut warnings = Vec::new();
        let html = page(&deck, Path::new("d.md"), Path::new("."), &mut warnings).expect("renders");
        assert_eq!(html.matches("@font-face").count(), 4);
        assert!(html.contains("font-src data:"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("d.md, slide 2: the embedded fonts lack ☃ (U+2603), 中 (U+4E2D): add them to slides/render/fonts/charset.txt"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_page_loads_nothing_from_anywhere() {
        let html = render("# A\n\n```rust\nfn main() {}\n```\n");
        for outside in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(http",
            "<link rel=\"stylesheet",
        ] {
            assert!(!html.contains(outside), "{outside}");
        }
        assert!(html.contains("default-src 'none'"));
    }
}
