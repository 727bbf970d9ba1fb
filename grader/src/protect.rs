//! Graded tests are protected: a learner who edits one (to make it pass,
//! say) is told so, the original is put back for grading, and their edited
//! copy is kept in a backup. Nothing is lost, nothing is graded on the edit.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use workshop_core::backup::Backup;
use workshop_core::generate::Files;
use workshop_core::manifest::Part;
use workshop_core::paths::slash;

/// What was put back, and where the learner's copies are.
#[derive(Debug, Default)]
pub struct Restored {
    pub files: Vec<PathBuf>,
    pub backup: Option<PathBuf>,
}

/// The graded tests of `part`: the generated test files that have no gap,
/// so the learner has nothing to write in them.
pub fn graded_tests<'a>(
    part: &'a Part,
    generated: &'a Files,
) -> impl Iterator<Item = (&'a PathBuf, &'a String)> {
    let tests_dir = part.exercise.join("tests");
    generated
        .iter()
        .filter(move |(path, text)| path.starts_with(&tests_dir) && !text.contains("todo!(\"gap "))
}

/// Puts back every graded test of `part` that differs from the original.
pub fn restore(root: &Path, part: &Part, generated: &Files) -> io::Result<Restored> {
    let mut restored = Restored::default();
    let mut backup = Backup::new(root, "check");
    for (path, original) in graded_tests(part, generated) {
        let full = root.join(path);
        let on_disk = fs::read(&full).ok();
        if on_disk
            .as_deref()
            .is_some_and(|on_disk| same_text(on_disk, original.as_bytes()))
        {
            continue;
        }
        if on_disk.is_some() {
            backup.save(path)?;
        }
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, original)?;
        restored.files.push(path.clone());
    }
    if backup.saved() > 0 {
        restored.backup = Some(backup.dir().to_path_buf());
    }
    Ok(restored)
}

/// The same text, whatever the line endings: an editor on Windows, or git
/// with `core.autocrlf`, may save a file with CRLF that nobody changed.
fn same_text(a: &[u8], b: &[u8]) -> bool {
    let lf = |text: &[u8]| {
        let mut out = Vec::with_capacity(text.len());
        for (i, &byte) in text.iter().enumerate() {
            if !(byte == b'\r' && text.get(i + 1) == Some(&b'\n')) {
                out.push(byte);
            }
        }
        out
    };
    a == b || lf(a) == lf(b)
}

/// One line per restored file, for the report.
pub fn describe(restored: &Restored) -> Vec<String> {
    restored
        .files
        .iter()
        .map(|file| match &restored.backup {
            Some(dir) => format!(
                "{} is a graded test and was changed: the original is back, and your copy is in {}",
                slash(file),
                slash(&dir.join(file))
            ),
            None => format!(
                "{} is a graded test and was missing: it is back",
                slash(file)
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::same_text;

    #[test]
    fn a_file_saved_with_crlf_is_the_same_text() {
        let lf = b"fn main() {\n    run();\n}\n";
        assert!(same_text(b"fn main() {\r\n    run();\r\n}\r\n", lf));
        assert!(same_text(lf, lf));
        assert!(!same_text(b"fn main() {\r\n    cheat();\r\n}\r\n", lf));
        // A carriage return on its own is a change, not a line ending.
        assert!(!same_text(b"fn main() {\r    run();\n}\n", lf));
    }
}
