//! Splitting a Markdown deck into slides, its front matter and its notes.

use std::path::{Path, PathBuf};

use crate::SlidesError;

/// A parsed deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deck {
    /// The `title` of the front matter, or else the first heading.
    pub title: String,
    pub slides: Vec<Slide>,
    /// The file, for messages.
    pub path: PathBuf,
}

/// One slide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slide {
    /// 1-based, as shown on screen and in the URL.
    pub number: usize,
    /// The line of the file where the slide's first line is, 1-based.
    pub line: usize,
    /// The slide's Markdown. Speaker-note lines are blanked, not removed, so
    /// that a line here is the same line in the file.
    pub markdown: String,
    /// The speaker notes: the HTML comments of the slide, as Markdown.
    pub notes: Vec<String>,
    /// Classes from Marp's `<!-- _class: dense -->` directive.
    pub classes: Vec<String>,
}

impl Slide {
    /// The text of the slide's first heading, if any.
    pub fn title(&self) -> Option<String> {
        let mut fences = Fences::default();
        self.markdown
            .lines()
            .filter(|line| !fences.feed(line))
            .map(str::trim)
            .find(|line| {
                let text = line.trim_start_matches('#');
                text.len() < line.len() && (text.is_empty() || text.starts_with(' '))
            })
            .map(|line| line.trim_start_matches('#').trim().to_string())
    }
}

/// A line that opens or closes a code fence: its character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|&c| c == '`' || c == '~')?;
    let len = rest.chars().take_while(|&c| c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Tracks whether a line is inside a fenced code block.
#[derive(Default)]
struct Fences {
    open: Option<(char, usize)>,
}

impl Fences {
    /// Feeds one line; says whether it belongs to a fence (its markers included).
    fn feed(&mut self, line: &str) -> bool {
        match (self.open, fence(line)) {
            (None, Some(found)) => {
                self.open = Some(found);
                true
            }
            (Some((ch, len)), Some((c, l))) if c == ch && l >= len && closes(line, c) => {
                self.open = None;
                true
            }
            (Some(_), _) => true,
            (None, None) => false,
        }
    }
}

/// A closing fence has nothing after its marker but spaces.
fn closes(line: &str, ch: char) -> bool {
    line.trim().chars().all(|c| c == ch)
}

/// A slide separator: a line that is exactly `---`.
fn is_separator(line: &str) -> bool {
    line.trim_end_matches('\r') == "---"
}

/// Marp's directives, which are HTML comments too but no speaker notes.
const MARP_DIRECTIVES: &[&str] = &[
    "theme",
    "style",
    "headingDivider",
    "size",
    "math",
    "title",
    "description",
    "author",
    "image",
    "keywords",
    "url",
    "lang",
    "marp",
    "paginate",
    "header",
    "footer",
    "class",
    "backgroundColor",
    "backgroundImage",
    "backgroundPosition",
    "backgroundRepeat",
    "backgroundSize",
    "color",
    "transition",
];

fn is_directive(comment: &str) -> bool {
    let comment = comment.trim();
    if comment.lines().count() != 1 {
        return false;
    }
    comment.split_once(':').is_some_and(|(key, _)| {
        let key = key.trim().trim_start_matches('_');
        MARP_DIRECTIVES.contains(&key)
    })
}

/// Parses `markdown`, named `path` in messages.
pub fn parse(markdown: &str, path: &Path) -> Result<Deck, SlidesError> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut title = None;
    let mut start = 0;
    if lines.first().is_some_and(|line| is_separator(line)) {
        let close = lines
            .iter()
            .skip(1)
            .position(|line| is_separator(line))
            .ok_or_else(|| SlidesError::UnclosedFrontMatter {
                path: path.to_path_buf(),
                line: 1,
            })?;
        title = lines[1..=close].iter().find_map(|line| {
            line.strip_prefix("title:")
                .map(|value| value.trim().trim_matches(['"', '\'']).to_string())
        });
        start = close + 2;
    }

    let mut slides = Vec::new();
    let mut current = SlideBuilder::new(start + 1);
    let mut fences = Fences::default();
    let mut comment: Option<String> = None;
    for (index, &line) in lines.iter().enumerate().skip(start) {
        let in_fence = comment.is_none() && fences.feed(line);
        if let Some(text) = comment.as_mut() {
            // Inside a comment: everything up to `-->` is notes.
            match line.split_once("-->") {
                Some((before, _)) => {
                    text.push_str(before);
                    let done = comment.take().unwrap_or_default();
                    current.note(&done);
                }
                None => {
                    text.push_str(line);
                    text.push('\n');
                }
            }
            current.blank();
        } else if !in_fence && is_separator(line) {
            slides.push(current.finish(slides.len() + 1));
            current = SlideBuilder::new(index + 2);
        } else if let Some(rest) = line.trim_start().strip_prefix("<!--").filter(|_| !in_fence) {
            match rest.split_once("-->") {
                Some((text, _)) => current.note(text),
                None => comment = Some(format!("{rest}\n")),
            }
            current.blank();
        } else {
            current.push(line);
        }
    }
    if let Some(text) = comment {
        current.note(&text);
    }
    slides.push(current.finish(slides.len() + 1));
    // A separator at the very end leaves an empty last slide: drop it, and
    // any other slide with nothing on it.
    slides.retain(|slide| !slide.markdown.trim().is_empty());
    for (index, slide) in slides.iter_mut().enumerate() {
        slide.number = index + 1;
    }
    if slides.is_empty() {
        return Err(SlidesError::Empty {
            path: path.to_path_buf(),
        });
    }
    let title = title
        .filter(|title| !title.is_empty())
        .or_else(|| slides.iter().find_map(Slide::title))
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    Ok(Deck {
        title,
        slides,
        path: path.to_path_buf(),
    })
}

struct SlideBuilder {
    line: usize,
    markdown: String,
    notes: Vec<String>,
    classes: Vec<String>,
}

impl SlideBuilder {
    fn new(line: usize) -> Self {
        Self {
            line,
            markdown: String::new(),
            notes: Vec::new(),
            classes: Vec::new(),
        }
    }

    fn push(&mut self, line: &str) {
        self.markdown.push_str(line.trim_end_matches('\r'));
        self.markdown.push('\n');
    }

    fn blank(&mut self) {
        self.markdown.push('\n');
    }

    fn note(&mut self, text: &str) {
        if let Some(classes) = text.trim().strip_prefix("_class:") {
            let classes = classes.split_whitespace().filter(|class| {
                class
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
            self.classes.extend(classes.map(str::to_string));
        } else if !is_directive(text) && !text.trim().is_empty() {
            self.notes.push(dedent(text));
        }
    }

    fn finish(self, number: usize) -> Slide {
        Slide {
            number,
            line: self.line,
            markdown: self.markdown,
            notes: self.notes,
            classes: self.classes,
        }
    }
}

/// Removes the indentation common to every non-blank line.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck(markdown: &str) -> Deck {
        parse(markdown, Path::new("deck.md")).expect("the deck parses")
    }

    #[test]
    fn splits_on_separator_lines_outside_fences() {
        let deck = deck(
            "# One\n\n---\n\n```rust\n# hidden\n```\n# Two\n\n```text\n---\n```\n\n---\n#[not a title]\n# Three\n",
        );
        let titles: Vec<_> = deck.slides.iter().filter_map(Slide::title).collect();
        assert_eq!(titles, ["One", "Two", "Three"]);
        assert!(deck.slides[1].markdown.contains("```text\n---\n```"));
        assert_eq!(deck.slides[0].line, 1);
        assert_eq!(deck.slides[1].line, 4);
        assert_eq!(deck.slides[2].line, 15);
        assert_eq!(deck.title, "One");
    }

    #[test]
    fn a_longer_fence_is_closed_only_by_as_long_a_fence() {
        let deck = deck("````md\n```\n---\n```\n````\n---\n# B\n");
        assert_eq!(deck.slides.len(), 2);
    }

    #[test]
    fn front_matter_gives_the_title_and_is_no_slide() {
        let deck = deck("---\nmarp: true\ntitle: \"Part 2\"\n---\n\n# Content\n\n---\n\n# Next\n");
        assert_eq!(deck.title, "Part 2");
        assert_eq!(deck.slides.len(), 2);
        assert_eq!(deck.slides[0].line, 5);
        assert_eq!(deck.slides[0].number, 1);
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let err = parse("---\ntitle: x\n# A\n", Path::new("d.md")).unwrap_err();
        assert!(err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn comments_are_notes_and_keep_line_numbers() {
        let deck = deck(
            "# A\n<!-- say hello -->\ntext\n<!--\n  first\n  second\n-->\n```rust\n<!-- code -->\n```\n<!-- _class: lead -->\n",
        );
        let slide = &deck.slides[0];
        assert_eq!(slide.notes, ["say hello", "first\nsecond"]);
        assert_eq!(slide.classes, ["lead"]);
        assert_eq!(slide.markdown.lines().count(), 11);
        assert_eq!(slide.markdown.lines().nth(2), Some("text"));
        assert!(slide.markdown.contains("<!-- code -->"));
    }

    #[test]
    fn an_empty_deck_is_an_error() {
        let err = parse("\n---\n\n", Path::new("d.md")).unwrap_err();
        assert!(matches!(err, SlidesError::Empty { .. }), "{err}");
    }
}
