//! Nothing the workshop's tools replace is lost: before a file is overwritten
//! or deleted, it is copied into a timestamped folder under
//! `.workshop/backups/` (git-ignored), at the same relative path.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One backup folder, created on first use.
#[derive(Debug)]
pub struct Backup {
    root: PathBuf,
    /// Relative to the workspace root, e.g. `.workshop/backups/gen-2026-…`.
    dir: PathBuf,
    saved: usize,
}

impl Backup {
    /// A backup for `action` (e.g. `gen`, `reset`) in the workspace at `root`.
    pub fn new(root: &Path, action: &str) -> Self {
        // RFC 3339 without the colons, which Windows forbids in file names.
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
            .to_string()
            .replace(':', "-");
        Self {
            root: root.to_path_buf(),
            dir: Path::new(".workshop/backups").join(format!("{action}-{stamp}")),
            saved: 0,
        }
    }

    /// Copies `relative` (a path under the root) into the backup, byte for byte.
    pub fn save(&mut self, relative: &Path) -> io::Result<()> {
        if self.saved == 0 {
            self.claim()?;
        }
        let target = self.root.join(&self.dir).join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(self.root.join(relative), target)?;
        self.saved += 1;
        Ok(())
    }

    /// Creates the folder, which must be new: two backups in the same second
    /// (two resets in a row) would otherwise share it, and the second would
    /// overwrite the first one's copies. `-2`, `-3`… tell them apart.
    fn claim(&mut self) -> io::Result<()> {
        let base = self.dir.clone();
        let name = base
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        fs::create_dir_all(self.root.join(base.parent().unwrap_or(Path::new(""))))?;
        for n in 2.. {
            match fs::create_dir(self.root.join(&self.dir)) {
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    self.dir = base.with_file_name(format!("{name}-{n}"));
                }
                result => return result,
            }
        }
        Ok(())
    }

    /// How many files were saved.
    pub fn saved(&self) -> usize {
        self.saved
    }

    /// Where they are, relative to the workspace root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_a_byte_identical_copy_at_the_same_relative_path() {
        let root = tempfile::tempdir().unwrap();
        let file = Path::new("exercises/p1/src/lib.rs");
        fs::create_dir_all(root.path().join("exercises/p1/src")).unwrap();
        let bytes = b"fn main() {}\r\n\xff not utf-8";
        fs::write(root.path().join(file), bytes).unwrap();

        let mut backup = Backup::new(root.path(), "gen");
        backup.save(file).unwrap();
        assert_eq!(backup.saved(), 1);
        assert!(backup.dir().starts_with(".workshop/backups"));
        let copy = fs::read(root.path().join(backup.dir()).join(file)).unwrap();
        assert_eq!(copy, bytes);
    }

    #[test]
    fn two_backups_in_the_same_second_keep_both_copies() {
        let root = tempfile::tempdir().unwrap();
        let file = Path::new("a.rs");
        fs::write(root.path().join(file), "first").unwrap();
        let mut first = Backup::new(root.path(), "reset");
        first.save(file).unwrap();
        fs::write(root.path().join(file), "second").unwrap();
        let mut second = Backup::new(root.path(), "reset");
        second.save(file).unwrap();
        assert_ne!(first.dir(), second.dir());
        let read = |backup: &Backup| fs::read_to_string(root.path().join(backup.dir()).join(file));
        assert_eq!(read(&first).unwrap(), "first");
        assert_eq!(read(&second).unwrap(), "second");
    }
}
