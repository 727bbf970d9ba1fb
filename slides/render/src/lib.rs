//! The workshop's slides: one Markdown deck per part in, one self-contained
//! HTML file per deck out.
//!
//! A deck is plain Markdown with one slide per line that is exactly `---`
//! (outside code fences), the convention Marp and reveal.js share, so the same
//! files also present with those tools. An optional YAML front matter block
//! at the very top gives the deck its `title`. HTML comments are speaker
//! notes, as in Marp.
//!
//! The HTML needs no network at all: styles and the navigation script are
//! inline, code is highlighted here at render time, and fonts (subsets of
//! DejaVu, so a deck lays out the same on every machine) and images are
//! embedded as `data:` URLs.
//!
//! ```no_run
//! let deck = workshop_slides::render_file("slides/part2.md".as_ref())?;
//! std::fs::write("part2.html", &deck.html)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod assets;
mod code;
mod deck;
mod escape;
mod fonts;
mod highlight;
mod html;

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use code::{CodeBlock, code_blocks, hide_lines};
pub use deck::{Deck, Slide, parse};

/// Everything that can stop a deck from rendering. Each message names the
/// file, and the line where there is one.
#[derive(Debug, Error)]
pub enum SlidesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} has no slides")]
    Empty { path: PathBuf },
    #[error("{path}:{line}: the front matter opened on line 1 is never closed by a `---` line")]
    UnclosedFrontMatter { path: PathBuf, line: usize },
    #[error("{path}:{line}: {message}")]
    CodeBlock {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{path}, slide {slide}: image {url} is not a local file; the deck must work offline, so put the image under slides/assets/"
    )]
    RemoteImage {
        path: PathBuf,
        slide: usize,
        url: String,
    },
    #[error("{path}, slide {slide}: image {url}: {message}")]
    Image {
        path: PathBuf,
        slide: usize,
        url: String,
        message: String,
    },
    #[error("cannot highlight code: {0}")]
    Highlight(String),
    #[error("the embedded fonts: {0}")]
    Fonts(String),
}

/// A rendered deck.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The deck's title, from its front matter or its first heading.
    pub title: String,
    /// How many slides it has.
    pub slides: usize,
    /// The whole self-contained HTML page.
    pub html: String,
    /// What a person should know but that did not stop the rendering, such
    /// as an image not made yet, shown as a placeholder.
    pub warnings: Vec<String>,
}

/// Reads the deck at `path` and renders it. Images are looked up relative to
/// the deck's directory.
pub fn render_file(path: &Path) -> Result<Rendered, SlidesError> {
    let markdown = fs::read_to_string(path).map_err(|source| SlidesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    render(&markdown, path, base)
}

/// Renders `markdown`, named `path` in messages, with images relative to
/// `base`.
pub fn render(markdown: &str, path: &Path, base: &Path) -> Result<Rendered, SlidesError> {
    let deck = parse(markdown, path)?;
    let mut warnings = Vec::new();
    let html = html::page(&deck, path, base, &mut warnings)?;
    Ok(Rendered {
        title: deck.title.clone(),
        slides: deck.slides.len(),
        html,
        warnings,
    })
}

/// The decks in `dir`: every `*.md` file but the README, sorted by name, as
/// (name, path) pairs such as `("part2", "slides/part2.md")`.
pub fn decks_in(dir: &Path) -> Result<Vec<(String, PathBuf)>, SlidesError> {
    let entries = fs::read_dir(dir).map_err(|source| SlidesError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut decks = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| SlidesError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let is_markdown = path.extension().is_some_and(|ext| ext == "md");
        let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        if is_markdown && !name.eq_ignore_ascii_case("readme") {
            decks.push((name.to_string(), path.clone()));
        }
    }
    decks.sort();
    Ok(decks)
}
