//! Paths as a user types them, and the one place the grader builds.

use std::fs;
use std::path::{Path, PathBuf};

/// A relative path as a user types it, with `/` on every system.
pub fn slash(path: &Path) -> String {
    let parts: Vec<_> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Where the grader builds: its own target directory, so an editor's
/// rust-analyzer, busy in `target/`, never holds the lock the grader waits on.
/// The runner itself is built there too (the `xtask` alias), and so are the
/// binaries `serve`, `slides`, `bench` and the tools run: one build of the
/// dependencies. `WORKSHOP_GRADER_TARGET_DIR` moves it (the tests do).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("WORKSHOP_GRADER_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("grader"))
}

/// Where `.cargo/config.toml` has cargo take crates.io's crates from, when
/// it replaces crates.io with a directory: `vendor/crates` in an unpacked
/// archive. `doctor` reads it; the offline archive writes it.
pub fn vendored_sources(root: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(root.join(".cargo").join("config.toml")).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let sources = table.get("source")?;
    let name = sources.get("crates-io")?.get("replace-with")?.as_str()?;
    let directory = sources.get(name)?.get("directory")?.as_str()?;
    Some(PathBuf::from(directory))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_joins_with_forward_slashes() {
        let path: PathBuf = ["exercises", "part1", "src", "lib.rs"].iter().collect();
        assert_eq!(slash(&path), "exercises/part1/src/lib.rs");
    }
}
