//! Bringing the disk in line with the generated files, or only comparing.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use workshop_core::backup::Backup;
use workshop_core::generate::{Files, GenError, walk};
use workshop_core::manifest::{Manifest, Part};
use workshop_core::paths::slash;

/// What `write` did for one part.
#[derive(Debug)]
pub struct Summary {
    pub exercise: PathBuf,
    pub gaps: usize,
    pub files: usize,
}

/// How the exercises on disk differ from the generated ones.
#[derive(Debug, Default)]
pub struct Drift {
    /// A unified diff per file whose contents differ, on disk → generated.
    pub changed: Vec<String>,
    /// Generated files that are not on disk.
    pub missing: Vec<PathBuf>,
    /// Files on disk that generation does not produce.
    pub extra: Vec<PathBuf>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Writes the generated files and deletes the other files of the exercise
/// directories. A file that is already right is not rewritten, so cargo does
/// not rebuild for nothing; a file that is replaced or deleted is first saved
/// in `backup`, in case it held a learner's work.
pub fn write(
    manifest: &Manifest,
    root: &Path,
    files: &Files,
    backup: &mut Backup,
) -> Result<Vec<Summary>, GenError> {
    for (path, text) in files {
        let full = root.join(path);
        if fs::read_to_string(&full).is_ok_and(|old| old == *text) {
            continue;
        }
        if full.exists() {
            backup.save(path).map_err(io_error("back up", path))?;
        }
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).map_err(io_error("create", path))?;
        }
        fs::write(&full, text).map_err(io_error("write", path))?;
    }
    let mut summaries = Vec::new();
    for part in &manifest.parts {
        for path in extra_files(part, root, files)? {
            backup.save(&path).map_err(io_error("back up", &path))?;
            fs::remove_file(root.join(&path)).map_err(io_error("delete", &path))?;
            remove_empty_dirs(root, &path, &part.exercise);
        }
        summaries.push(Summary {
            exercise: part.exercise.clone(),
            gaps: part.gaps().count(),
            files: files
                .keys()
                .filter(|p| p.starts_with(&part.exercise))
                .count(),
        });
    }
    Ok(summaries)
}

/// Compares the generated files with the disk, writing nothing.
pub fn check(manifest: &Manifest, root: &Path, files: &Files) -> Result<Drift, GenError> {
    let mut drift = Drift::default();
    for (path, expected) in files {
        let on_disk = match fs::read(root.join(path)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                drift.missing.push(path.clone());
                continue;
            }
            Err(err) => return Err(io_error("read", path)(err)),
        };
        if on_disk != *expected {
            let shown = slash(path);
            let diff = TextDiff::from_lines(&on_disk, expected)
                .unified_diff()
                .header(
                    &format!("{shown} (on disk)"),
                    &format!("{shown} (generated)"),
                )
                .to_string();
            drift.changed.push(diff);
        }
    }
    for part in &manifest.parts {
        drift.extra.extend(extra_files(part, root, files)?);
    }
    Ok(drift)
}

/// Files under the part's exercise directory that generation does not
/// produce. `walk` skips `target/`, so build output is never touched.
fn extra_files(part: &Part, root: &Path, files: &Files) -> Result<Vec<PathBuf>, GenError> {
    if !root.join(&part.exercise).is_dir() {
        return Ok(Vec::new());
    }
    Ok(walk(root, &part.exercise)?
        .into_iter()
        .map(|relative| part.exercise.join(relative))
        .filter(|path| !files.contains_key(path))
        .collect())
}

/// Removes the directories a deletion left empty, up to `stop`.
fn remove_empty_dirs(root: &Path, deleted: &Path, stop: &Path) {
    let mut dir = deleted.parent();
    while let Some(current) = dir {
        // `remove_dir` fails on a directory that is not empty: that ends it.
        if current == stop
            || !current.starts_with(stop)
            || fs::remove_dir(root.join(current)).is_err()
        {
            break;
        }
        dir = current.parent();
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> GenError {
    let path = path.to_path_buf();
    move |cause| GenError::Io {
        action,
        path,
        cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One part with no exercises: the sync reads no more of it.
    const MANIFEST: &str = r#"format_version = 1
parts = [{ id = "p1", title = "P", solution = "solutions/p1", exercise = "exercises/p1", server = "web", exercises = [] }]
"#;

    fn setup() -> (tempfile::TempDir, Manifest, Files) {
        let root = tempfile::tempdir().unwrap();
        let manifest = Manifest::parse(MANIFEST, Path::new("workshop.toml")).unwrap();
        let files = Files::from([
            (
                PathBuf::from("exercises/p1/a.txt"),
                "one\ntwo\n".to_string(),
            ),
            (
                PathBuf::from("exercises/p1/src/b.rs"),
                "fn b() {}\n".to_string(),
            ),
        ]);
        (root, manifest, files)
    }

    #[test]
    fn write_then_check_finds_no_drift() {
        let (root, manifest, files) = setup();
        let summaries = write(
            &manifest,
            root.path(),
            &files,
            &mut Backup::new(root.path(), "gen"),
        )
        .unwrap();
        assert_eq!(summaries[0].files, 2);
        assert!(check(&manifest, root.path(), &files).unwrap().is_empty());
    }

    #[test]
    fn check_reports_changed_missing_and_extra_files() {
        let (root, manifest, files) = setup();
        write(
            &manifest,
            root.path(),
            &files,
            &mut Backup::new(root.path(), "gen"),
        )
        .unwrap();
        let exercise = root.path().join("exercises/p1");
        fs::write(exercise.join("a.txt"), "one\nTWO\n").unwrap();
        fs::remove_file(exercise.join("src/b.rs")).unwrap();
        fs::create_dir_all(exercise.join("notes")).unwrap();
        fs::write(exercise.join("notes/c.md"), "extra").unwrap();
        fs::create_dir_all(exercise.join("target")).unwrap();
        fs::write(exercise.join("target/build"), "ignored").unwrap();

        let drift = check(&manifest, root.path(), &files).unwrap();
        assert_eq!(drift.changed.len(), 1);
        assert!(drift.changed[0].contains("--- exercises/p1/a.txt (on disk)"));
        assert!(
            drift.changed[0].contains("\n-TWO\n+two\n"),
            "{}",
            drift.changed[0]
        );
        assert_eq!(drift.missing, [PathBuf::from("exercises/p1/src/b.rs")]);
        assert_eq!(drift.extra, [PathBuf::from("exercises/p1/notes/c.md")]);

        let mut backup = Backup::new(root.path(), "gen");
        write(&manifest, root.path(), &files, &mut backup).unwrap();
        assert!(check(&manifest, root.path(), &files).unwrap().is_empty());
        assert!(!exercise.join("notes").exists(), "emptied directories go");
        // The edited file and the deleted one are kept, as they were.
        assert_eq!(backup.saved(), 2);
        let saved = root.path().join(backup.dir());
        assert_eq!(
            fs::read_to_string(saved.join("exercises/p1/a.txt")).unwrap(),
            "one\nTWO\n"
        );
        assert_eq!(
            fs::read_to_string(saved.join("exercises/p1/notes/c.md")).unwrap(),
            "extra"
        );
        assert!(
            exercise.join("target/build").exists(),
            "target/ is never touched"
        );
    }
}
