//! The workshop's files: what git tracks, as the working tree has it, and a
//! fingerprint of all of it. Every byte is hashed on every check: 300 small
//! files, a few milliseconds, and no edit can hide behind an unchanged
//! size and modification time.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{ArchiveError, FORMAT, hex};

/// A file git tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// Relative to the root, with `/`, as git writes it.
    pub path: String,
    pub executable: bool,
}

/// Every file git tracks, in git's order. Submodules are skipped; a
/// symbolic link is packed as the file it points to (Windows unpacks no
/// links).
pub fn list(root: &Path) -> Result<Vec<Tracked>, ArchiveError> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--stage"])
        .output()
        .map_err(|err| ArchiveError::Git(err.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(ArchiveError::Git(said.trim().to_string()));
    }
    parse(&output.stdout)
}

/// `<mode> <object> <stage>\t<path>\0`, once per path (a conflict lists a
/// path once per stage).
fn parse(listing: &[u8]) -> Result<Vec<Tracked>, ArchiveError> {
    let mut files = BTreeMap::new();
    for record in listing.split(|byte| *byte == 0).filter(|r| !r.is_empty()) {
        let record = std::str::from_utf8(record)
            .map_err(|_| ArchiveError::Git("a tracked path is not UTF-8".into()))?;
        let (meta, path) = record
            .split_once('\t')
            .ok_or_else(|| ArchiveError::Git(format!("unexpected line {record:?}")))?;
        let mode = meta.split(' ').next().unwrap_or_default();
        if mode == "160000" {
            continue;
        }
        files.entry(path.to_string()).or_insert(Tracked {
            path: path.to_string(),
            executable: mode == "100755",
        });
    }
    Ok(files.into_values().collect())
}

/// A file's bytes as the working tree has them; `None` if it was deleted
/// (the workshop as it is now has no such file).
pub fn read(root: &Path, file: &Tracked) -> Result<Option<Vec<u8>>, ArchiveError> {
    match fs::read(root.join(&file.path)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(ArchiveError::Io {
            what: format!("cannot read {}", file.path),
            source: err,
        }),
    }
}

/// Whether `bytes` hold what no learner may ever get: the room's view
/// token (it shows everyone's names and reasons), or a room's saved state
/// (`room serve --state`: both tokens and the board), this room's or an
/// older one's.
pub fn holds_secrets(bytes: &[u8], view_token: &str) -> bool {
    let token = view_token.as_bytes();
    if !token.is_empty() && bytes.windows(token.len()).any(|window| window == token) {
        return true;
    }
    // A saved room is JSON with both tokens (`state_file::Saved`).
    serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|value| value.get("view_token").is_some() && value.get("join_token").is_some())
}

/// Takes out of `files` those that hold secrets (`holds_secrets`): they
/// are never packed, whatever git tracks. Their paths, to say so.
pub fn withhold(
    root: &Path,
    files: &mut Vec<Tracked>,
    view_token: &str,
) -> Result<Vec<String>, ArchiveError> {
    let mut withheld = Vec::new();
    let mut kept = Vec::with_capacity(files.len());
    for file in files.drain(..) {
        match read(root, &file)? {
            Some(bytes) if holds_secrets(&bytes, view_token) => withheld.push(file.path),
            _ => kept.push(file),
        }
    }
    *files = kept;
    Ok(withheld)
}

/// The warning for files withheld: which, why, and what to do instead.
pub fn withheld_warning(paths: &[String]) -> Option<String> {
    let (holds, is, them) = if paths.len() == 1 {
        ("holds", "is", "it")
    } else {
        ("hold", "are", "them")
    };
    (!paths.is_empty()).then(|| {
        format!(
            "offline: warning: {} {holds} the room's view token or a saved room, and {is} never \
             served: keep --state outside the workshop (e.g. --state ~/room.json), and \
             `git rm --cached` {them} if tracked.",
            some(paths)
        )
    })
}

/// A hash of the paths, modes and contents of the files, in order.
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn new() -> Self {
        let mut hash = Sha256::new();
        hash.update(FORMAT.to_le_bytes());
        Self(hash)
    }

    pub fn add(&mut self, file: &Tracked, bytes: &[u8]) {
        // Lengths first: no two listings hash the same bytes.
        self.0.update((file.path.len() as u64).to_le_bytes());
        self.0.update(file.path.as_bytes());
        self.0.update([u8::from(file.executable)]);
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// The fingerprint of the working tree now.
pub fn fingerprint(root: &Path, files: &[Tracked]) -> Result<String, ArchiveError> {
    let mut fingerprint = Fingerprint::new();
    for file in files {
        if let Some(bytes) = read(root, file)? {
            fingerprint.add(file, &bytes);
        }
    }
    Ok(fingerprint.finish())
}

/// A warning when the working tree is not the last commit: tracked files
/// are served as they are, which is what an instructor's fix needs, and
/// not what a learner should start from if the instructor solved the
/// exercises in this clone; files git does not track are not served at all.
pub fn changed_since_commit(root: &Path, view_token: &str) -> Option<String> {
    let git = |args: &[&str]| -> Option<Vec<String>> {
        let output = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()?;
        output.status.success().then(|| {
            String::from_utf8_lossy(&output.stdout)
                .split('\0')
                .filter(|path| !path.is_empty())
                .map(str::to_string)
                .collect()
        })
    };
    let changed = git(&["diff", "--name-only", "-z", "HEAD", "--"]).unwrap_or_default();
    let mut untracked =
        git(&["ls-files", "-z", "--others", "--exclude-standard"]).unwrap_or_default();
    // A file that holds the room's secrets is never to be added: it is
    // named apart, with what to do instead (issue 26: `room.json`, the
    // state file, was suggested for `git add`).
    let secret: Vec<String> = untracked
        .iter()
        .filter(|path| untracked_holds_secrets(&root.join(path), view_token))
        .cloned()
        .collect();
    untracked.retain(|path| !secret.contains(path));
    let mut said = Vec::new();
    if !changed.is_empty() {
        let exercises = if changed.iter().any(|path| path.starts_with("exercises/")) {
            " (learners start from these exercises as they are: to serve them pristine, \
             `git stash` and start the board again)"
        } else {
            ""
        };
        said.push(format!(
            "{} from the last commit, and the archive has the working tree's: {}{exercises}",
            counted(
                changed.len(),
                "tracked file differs",
                "tracked files differ"
            ),
            some(&changed)
        ));
    }
    if !untracked.is_empty() {
        said.push(format!(
            "{} not tracked, and not served: {} (`git add` one to serve it)",
            counted(untracked.len(), "file is", "files are"),
            some(&untracked)
        ));
    }
    let mut lines: Vec<String> = Vec::new();
    if !said.is_empty() {
        lines.push(format!("offline: warning: {}.", said.join("; ")));
    }
    lines.extend(withheld_warning(&secret));
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// An untracked file small enough to be a room's state, holding secrets.
fn untracked_holds_secrets(path: &Path, view_token: &str) -> bool {
    // A saved room of 500 learners is well under this; a video is not read.
    const LARGEST: u64 = 16 << 20;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= LARGEST)
        && fs::read(path).is_ok_and(|bytes| holds_secrets(&bytes, view_token))
}

/// `1 file is`, `3 files are`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first few paths, and how many more.
fn some(paths: &[String]) -> String {
    let mut shown = paths.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > 5 {
        shown.push_str(&format!(" and {} more", paths.len() - 5));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_reads_modes_and_skips_submodules_and_repeats() {
        let listing = [
            "100644 aaaa 0\tREADME.md",
            "100755 bbbb 0\t.ci/run",
            "160000 cccc 0\tsub",
            "100644 dddd 1\tboth.rs",
            "100644 eeee 2\tboth.rs",
        ]
        .map(|record| format!("{record}\0"))
        .concat();
        let files = parse(listing.as_bytes()).expect("a listing");
        let seen: Vec<(&str, bool)> = files
            .iter()
            .map(|file| (file.path.as_str(), file.executable))
            .collect();
        assert_eq!(
            seen,
            [(".ci/run", true), ("README.md", false), ("both.rs", false)]
        );
    }

    #[test]
    fn the_view_token_or_a_saved_room_is_a_secret() {
        let token = "5f0c2a9d";
        assert!(holds_secrets(b"view: http://x/?view=5f0c2a9d", token));
        let saved =
            br#"{"format_version":1,"join_token":"k7mp","view_token":"0000","learners":[]}"#;
        assert!(holds_secrets(saved, token), "an older room's state");
        assert!(!holds_secrets(
            b"join: cargo xtask room join http://x --token k7mp",
            token
        ));
        assert!(!holds_secrets(br#"{"view_token_doc": 1}"#, token));
        assert!(!holds_secrets(b"", token));
    }

    #[test]
    fn the_fingerprint_sees_a_path_a_mode_or_a_byte() {
        let file = |path: &str, executable| Tracked {
            path: path.into(),
            executable,
        };
        let of = |files: &[(Tracked, &[u8])]| {
            let mut fingerprint = Fingerprint::new();
            for (file, bytes) in files {
                fingerprint.add(file, bytes);
            }
            fingerprint.finish()
        };
        let base = of(&[(file("a", false), b"xy"), (file("b", false), b"z")]);
        assert_eq!(
            base,
            of(&[(file("a", false), b"xy"), (file("b", false), b"z")])
        );
        for other in [
            of(&[(file("a", false), b"xy"), (file("c", false), b"z")]),
            of(&[(file("a", true), b"xy"), (file("b", false), b"z")]),
            of(&[(file("a", false), b"xz"), (file("b", false), b"z")]),
            of(&[(file("a", false), b"x"), (file("b", false), b"yz")]),
        ] {
            assert_ne!(base, other);
        }
    }
}
