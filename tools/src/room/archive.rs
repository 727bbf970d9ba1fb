//! `room serve --offline`: the workshop as a learner starts it, in one
//! `.tar.gz` the board serves: the tracked files as they are in the working
//! tree (so an instructor's fix is served; `target/` and `.workshop/` are
//! not tracked), every crate of Cargo.lock vendored for every platform, and
//! a `.cargo/config.toml` that takes crates from there instead of crates.io.
//!
//! Made once and kept in `target/room-offline/`, with a record of what it
//! was made from (a fingerprint of every tracked file, Cargo.lock
//! included); made again, never served stale, as soon as that changes. A
//! build writes a temporary file and renames it: a failed build serves
//! nothing, neither half an archive nor a stale one.
//!
//! - `tracked`: the files (`git ls-files`) and their fingerprint;
//! - `vendor`: `cargo vendor`, and the archive's `.cargo/config.toml`;
//! - `pack`: tar, gzip and sha256 in one pass.

mod pack;
mod tracked;
mod vendor;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The archive's name, in `target/room-offline/` and in the URL.
pub const FILE_NAME: &str = "workshop.tar.gz";
/// The directory the archive unpacks to.
pub const TOP: &str = "async-workshop";
/// Bumped whenever what goes into the archive changes: an archive made by
/// an older xtask is made again.
const FORMAT: u32 = 1;
/// Builds tried in a row when the workspace changes under one.
const ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "cannot list the workshop's files with `git ls-files` ({0}): serve --offline from a git clone of the workshop"
    )]
    Git(String),
    #[error("`cargo vendor` failed: {0}")]
    Vendor(String),
    #[error("the archive's .cargo/config.toml: {0}")]
    Config(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("the workshop kept changing while its archive was made: try again when it is still")]
    Unsettled,
}

impl ArchiveError {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

/// An archive ready to serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    pub size: u64,
    /// Of the whole `.tar.gz`, hex.
    pub sha256: String,
    /// Tracked files in it.
    pub files: usize,
    /// Crates vendored in it.
    pub crates: usize,
}

/// What `workshop.json`, beside the archive, says it was made from.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    format: u32,
    fingerprint: String,
    archive: Archive,
}

/// The archive of one workspace: checked, made again when needed, opened.
pub struct Store {
    root: PathBuf,
    dir: PathBuf,
    /// The room's view token: a file holding it is never packed.
    view_token: String,
    current: Mutex<Option<Current>>,
}

struct Current {
    fingerprint: String,
    archive: Archive,
    /// When the working tree was last found to match it; never, for an
    /// archive kept from an earlier run.
    checked: Option<Instant>,
}

impl Store {
    /// The store of `root`'s archive; an archive kept from an earlier run is
    /// served again if the workspace has not changed since. No file holding
    /// `view_token`, nor any room's saved state, is ever in it.
    pub fn new(root: &Path, view_token: &str) -> Self {
        let dir = root.join("target").join("room-offline");
        let current = fs::read_to_string(dir.join("workshop.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Record>(&text).ok())
            .filter(|record| record.format == FORMAT)
            .map(|record| Current {
                fingerprint: record.fingerprint,
                archive: record.archive,
                checked: None,
            });
        Self {
            root: root.to_path_buf(),
            dir,
            view_token: view_token.to_string(),
            current: Mutex::new(current),
        }
    }

    /// Where the archive is.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The archive as the workspace is now, made again first if anything
    /// changed. A check that started after `since` is trusted (requests
    /// that arrive together check once); blocking: tokio callers go
    /// through `spawn_blocking`.
    pub fn fresh(&self, since: Instant) -> Result<Archive, ArchiveError> {
        let mut current = self.lock();
        if let Some(known) = current.as_ref().filter(|known| {
            known.checked.is_some_and(|checked| checked >= since) && self.is_there(&known.archive)
        }) {
            return Ok(known.archive.clone());
        }
        let checked = Instant::now();
        let mut files = tracked::list(&self.root)?;
        tracked::withhold(&self.root, &mut files, &self.view_token)?;
        let fingerprint = tracked::fingerprint(&self.root, &files)?;
        if let Some(known) = current
            .as_mut()
            .filter(|known| known.fingerprint == fingerprint && self.is_there(&known.archive))
        {
            known.checked = Some(checked);
            return Ok(known.archive.clone());
        }
        if current.is_some() {
            eprintln!("offline: the workshop changed since its archive was made: making it again…");
        }
        *current = None;
        let made = self.build(checked)?;
        if !self.is_there(&made.archive) {
            return Err(ArchiveError::Io {
                what: format!("{} vanished once made", self.path().display()),
                source: io::ErrorKind::NotFound.into(),
            });
        }
        let archive = made.archive.clone();
        *current = Some(made);
        Ok(archive)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Current>> {
        // A panic mid-build leaves no archive recorded: the next call builds.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the archive's file is the one recorded (its size says so:
    /// anything else made it, and it is made again).
    fn is_there(&self, archive: &Archive) -> bool {
        fs::metadata(self.path()).is_ok_and(|meta| meta.len() == archive.size)
    }

    /// Makes the archive from the workspace as it is now; the fingerprint
    /// recorded is that of the very bytes packed.
    fn build(&self, checked: Instant) -> Result<Current, ArchiveError> {
        let started = Instant::now();
        fs::create_dir_all(&self.dir).map_err(ArchiveError::io(format!(
            "cannot create {}",
            self.dir.display()
        )))?;
        pack::remove_leftovers(&self.dir);
        for _ in 0..ATTEMPTS {
            let mut files = tracked::list(&self.root)?;
            let withheld = tracked::withhold(&self.root, &mut files, &self.view_token)?;
            let vendored = vendor::ensure(&self.root, &self.dir, &files)?;
            let temp = self
                .dir
                .join(format!("{FILE_NAME}.part-{}", std::process::id()));
            let packed = pack::write(&temp, &self.root, &files, &vendored).inspect_err(|_| {
                let _ = fs::remove_file(&temp);
            })?;
            if packed.inputs != vendored.inputs {
                // Cargo.lock or a manifest changed between `cargo vendor`
                // and packing.
                let _ = fs::remove_file(&temp);
                continue;
            }
            fs::rename(&temp, self.path()).map_err(|err| {
                let _ = fs::remove_file(&temp);
                ArchiveError::Io {
                    what: format!("cannot move the archive to {}", self.path().display()),
                    source: err,
                }
            })?;
            let record = Record {
                format: FORMAT,
                fingerprint: packed.fingerprint.clone(),
                archive: packed.archive.clone(),
            };
            // Losing the record only costs a rebuild next time.
            if let Ok(text) = serde_json::to_string_pretty(&record) {
                let _ = pack::write_atomically(&self.dir.join("workshop.json"), text.as_bytes());
            }
            eprintln!(
                "offline: made {} in {:.1} s: {}, sha256 {}",
                self.path().display(),
                started.elapsed().as_secs_f64(),
                size(packed.archive.size),
                packed.archive.sha256
            );
            if let Some(warning) = tracked::withheld_warning(&withheld) {
                eprintln!("{warning}");
            }
            if let Some(warning) = tracked::changed_since_commit(&self.root, &self.view_token) {
                eprintln!("{warning}");
            }
            return Ok(Current {
                fingerprint: packed.fingerprint,
                archive: packed.archive,
                checked: Some(checked),
            });
        }
        Err(ArchiveError::Unsettled)
    }
}

/// Bytes as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `36.4 MB`.
pub fn size(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
pub(super) mod tests;
