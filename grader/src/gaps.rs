//! The gaps still left: every `todo!("gap N: …")` in the crate being graded.

use std::fs;
use std::path::{Path, PathBuf};

use workshop_core::ids::GapId;
use workshop_core::manifest::Part;

/// A gap not filled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapLeft {
    pub number: usize,
    pub id: GapId,
    pub title: String,
    /// The file, relative to the workspace root, with `/`.
    pub file: String,
    pub line: usize,
}

/// Looks for each of the part's gaps in the file the manifest puts it in.
/// A gap counts as left while its `todo!("gap N: …")` is still there.
pub fn left(root: &Path, crate_dir: &Path, part: &Part) -> Vec<GapLeft> {
    let mut left = Vec::new();
    for (number, gap) in part.gaps() {
        let relative: PathBuf = crate_dir.join(&gap.file);
        let Ok(text) = fs::read_to_string(root.join(&relative)) else {
            continue;
        };
        let needle = format!("todo!(\"gap {number}:");
        if let Some(index) = text.lines().position(|line| line.contains(&needle)) {
            left.push(GapLeft {
                number,
                id: gap.id.clone(),
                title: gap.title.clone(),
                file: relative.to_string_lossy().replace('\\', "/"),
                line: index + 1,
            });
        }
    }
    left
}
