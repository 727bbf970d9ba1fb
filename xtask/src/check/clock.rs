//! The part's clock: it starts at the first check of a part, and the summary
//! shows the time spent against the minutes the manifest gives it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn file(root: &Path, part: &str) -> PathBuf {
    root.join(".workshop").join("clock").join(part)
}

/// Time since the part's clock started, starting it now if it had not.
/// A clock that cannot be read or written is no reason to fail a check.
pub fn elapsed(root: &Path, part: &str) -> Duration {
    let path = file(root, part);
    let started = fs::read_to_string(&path)
        .ok()
        .and_then(|text| humantime::parse_rfc3339(text.trim()).ok());
    match started {
        Some(started) => SystemTime::now()
            .duration_since(started)
            .unwrap_or_default(),
        None => {
            if let Some(dir) = path.parent() {
                let _ = fs::create_dir_all(dir);
            }
            let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
            let _ = fs::write(&path, format!("{now}\n"));
            Duration::ZERO
        }
    }
}
