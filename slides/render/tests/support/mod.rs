//! What the integration tests share: where the decks and the target
//! directory are, the DevTools client, the font sets.

#![allow(dead_code, reason = "each test uses part of it")]

pub mod fonts;

use std::env;
use std::path::PathBuf;

/// `slides/`, where the decks are.
pub fn slides_dir() -> PathBuf {
    // At run time (cargo runs a test in its package's folder), never where
    // it was built: a workshop moved or copied tests its own decks.
    let here = env::current_dir().expect("a current folder");
    here.parent().unwrap_or(&here).to_path_buf()
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let slides = slides_dir();
    slides.parent().unwrap_or(&slides).to_path_buf()
}

/// The decks: `(part1, slides/part1.md)`, …
pub fn decks() -> Vec<(String, PathBuf)> {
    let decks = workshop_slides::decks_in(&slides_dir()).unwrap_or_else(|err| panic!("{err}"));
    assert!(!decks.is_empty(), "no decks in {}", slides_dir().display());
    decks
}

/// cargo's target directory: `CARGO_TARGET_DIR`, or else the one this test
/// binary was built in (`<target>/debug/deps/<test>`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| workspace_root().join("target"))
}
