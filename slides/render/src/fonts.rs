//! The fonts every deck carries inside it: DejaVu Sans and DejaVu Sans Mono,
//! regular and bold, cut down to the characters in `fonts/charset.txt`.
//!
//! Why: a deck laid out with one machine's fonts overflows on another's
//! (Liberation, Segoe UI, SF Mono… all have other widths). With its own
//! fonts, a deck lays out the same wherever it is shown, and the browser
//! test's measurements hold on the presenter's laptop. The subsets are made
//! once, by `fonts/subset.py`, and committed; about 50 KB for all four.

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use base64::Engine;

/// The families the stylesheet names.
pub const SANS: &str = "Deck Sans";
pub const MONO: &str = "Deck Mono";

/// One embedded face: its family, its weight, its WOFF2 bytes.
struct Face {
    family: &'static str,
    weight: u16,
    woff2: &'static [u8],
}

const FACES: &[Face] = &[
    Face {
        family: SANS,
        weight: 400,
        woff2: include_bytes!("../fonts/DejaVuSans.woff2"),
    },
    Face {
        family: SANS,
        weight: 700,
        woff2: include_bytes!("../fonts/DejaVuSans-Bold.woff2"),
    },
    Face {
        family: MONO,
        weight: 400,
        woff2: include_bytes!("../fonts/DejaVuSansMono.woff2"),
    },
    Face {
        family: MONO,
        weight: 700,
        woff2: include_bytes!("../fonts/DejaVuSansMono-Bold.woff2"),
    },
];

/// Where an author adds a character, named in the warning.
pub const CHARSET_PATH: &str = "slides/render/fonts/charset.txt";
const CHARSET: &str = include_str!("../fonts/charset.txt");

static COVERED: LazyLock<Result<Vec<RangeInclusive<u32>>, String>> =
    LazyLock::new(|| parse_charset(CHARSET));

/// The `@font-face` rules, each font inline as a `data:` URL. Italic is
/// left to the browser, which slants the upright face: same widths, so the
/// same layout, for two faces fewer.
pub fn font_faces() -> String {
    let mut css = String::new();
    for face in FACES {
        let data = base64::engine::general_purpose::STANDARD.encode(face.woff2);
        css.push_str(&format!(
            "@font-face {{ font-family: \"{}\"; font-weight: {}; font-style: normal; \
             font-display: block; src: url(data:font/woff2;base64,{data}) format(\"woff2\"); }}\n",
            face.family, face.weight
        ));
    }
    css
}

/// The characters of `text` that the embedded fonts lack, each once, in
/// order. Line breaks and tabs are layout, not glyphs.
pub fn uncovered(text: &str) -> Result<Vec<char>, String> {
    let covered = COVERED.as_ref().map_err(Clone::clone)?;
    let mut missing = Vec::new();
    for ch in text.chars() {
        let known = matches!(ch, '\n' | '\r' | '\t')
            || covered.iter().any(|range| range.contains(&u32::from(ch)));
        if !known && !missing.contains(&ch) {
            missing.push(ch);
        }
    }
    Ok(missing)
}

/// `charset.txt`: code points in hex, alone or as `FIRST-LAST`, `#` to the
/// end of a line is a comment. `subset.py` reads the same format.
fn parse_charset(text: &str) -> Result<Vec<RangeInclusive<u32>>, String> {
    let mut ranges = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        for item in line.split_whitespace() {
            let (first, last) = item.split_once('-').unwrap_or((item, item));
            let point = |hex: &str| {
                u32::from_str_radix(hex, 16).map_err(|_| {
                    format!(
                        "{CHARSET_PATH}:{}: {item:?} is not a code point or a range",
                        index + 1
                    )
                })
            };
            ranges.push(point(first)?..=point(last)?);
        }
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_parses_and_covers_ascii() {
        let ranges = parse_charset(CHARSET).expect("charset.txt parses");
        assert!(!ranges.is_empty());
        let ascii: String = (' '..='~').collect();
        assert_eq!(uncovered(&ascii), Ok(vec![]));
    }

    #[test]
    fn a_character_outside_the_charset_is_named_once() {
        assert_eq!(uncovered("L = λ W\n→ ☃ and ☃\t中"), Ok(vec!['☃', '中']));
    }

    #[test]
    fn a_bad_line_says_where() {
        let err = parse_charset("0020-007E\n# fine\n00ZZ # no\n").unwrap_err();
        assert!(
            err.ends_with("charset.txt:3: \"00ZZ\" is not a code point or a range"),
            "{err}"
        );
    }

    #[test]
    fn every_face_is_woff2_and_inline() {
        let css = font_faces();
        assert_eq!(css.matches("@font-face").count(), FACES.len());
        for face in FACES {
            assert!(
                face.woff2.starts_with(b"wOF2"),
                "{} {}",
                face.family,
                face.weight
            );
        }
        assert!(!css.contains("url(\"") && !css.contains("url('") && !css.contains("url(http"));
    }
}
