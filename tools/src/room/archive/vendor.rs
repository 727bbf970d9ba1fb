//! Every crate of Cargo.lock, for every platform learners bring, copied by
//! `cargo vendor` (no platform filter: a Windows laptop needs windows-sys
//! even if the instructor's Linux one never built it); and the archive's
//! `.cargo/config.toml`, which takes crates from there instead of crates.io.
//!
//! The crates go to `vendor/crates` in the archive, beside `vendor/tiny_http`
//! (patched by path in Cargo.toml, so it is no crate cargo vendor copies).
//! They are vendored again only when Cargo.lock or a manifest changes (what
//! `cargo vendor --locked` reads): a fix to a source file only packs again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::ArchiveError;
use super::tracked::{self, Fingerprint, Tracked};

/// Where the crates are in the archive, relative to its top.
pub const DIR: &str = "vendor/crates";
/// The source's name in the archive's `.cargo/config.toml`.
const SOURCE: &str = "vendored-sources";

/// The crates, vendored for one Cargo.lock and its manifests.
pub struct Vendored {
    pub dir: PathBuf,
    pub crates: usize,
    /// The fingerprint of the Cargo.lock and manifests vendored for.
    pub inputs: String,
}

/// Cargo.lock and the manifests: what the vendored crates follow from.
pub fn is_input(path: &str) -> bool {
    path == "Cargo.lock" || path == "Cargo.toml" || path.ends_with("/Cargo.toml")
}

/// The crates of Cargo.lock as it is now, in `store/vendor`, vendored
/// first if Cargo.lock or a manifest changed since.
pub fn ensure(root: &Path, store: &Path, files: &[Tracked]) -> Result<Vendored, ArchiveError> {
    let mut fingerprint = Fingerprint::new();
    for file in files.iter().filter(|file| is_input(&file.path)) {
        if let Some(bytes) = tracked::read(root, file)? {
            fingerprint.add(file, &bytes);
        }
    }
    let inputs = fingerprint.finish();
    let dir = store.join("vendor");
    // Written once the crates are all there, removed before they change.
    let marker = store.join("vendor.inputs");
    let done = fs::read_to_string(&marker).is_ok_and(|text| text.trim() == inputs);
    if !(done && dir.is_dir()) {
        let _ = fs::remove_file(&marker);
        eprintln!(
            "offline: vendoring every crate of Cargo.lock, for Linux, macOS and Windows \
             (`cargo vendor`; it downloads those not in cargo's cache yet)…"
        );
        vendor(root, &dir)?;
        // A lock with no crates from crates.io vendors nothing, not even
        // the directory.
        fs::create_dir_all(&dir)
            .map_err(ArchiveError::io(format!("cannot create {}", dir.display())))?;
        fs::write(&marker, &inputs).map_err(ArchiveError::io(format!(
            "cannot write {}",
            marker.display()
        )))?;
    }
    let crates = fs::read_dir(&dir)
        .map_err(ArchiveError::io(format!("cannot read {}", dir.display())))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .count();
    Ok(Vendored {
        dir,
        crates,
        inputs,
    })
}

fn vendor(root: &Path, dir: &Path) -> Result<(), ArchiveError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // `--locked`: the archive's Cargo.lock is the one vendored, unchanged.
    // Its advice on .cargo/config.toml (stdout) is not needed: ours is made
    // below.
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["vendor", "--locked", "--versioned-dirs"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| ArchiveError::Vendor(format!("cannot run cargo: {err}")))?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = said
        .lines()
        .filter(|line| !line.trim_start().starts_with("Vendoring"))
        .collect();
    let tail = errors[errors.len().saturating_sub(8)..].join("\n");
    Err(ArchiveError::Vendor(format!("{}\n{tail}", output.status)))
}

/// The archive's `.cargo/config.toml`: the workshop's own (its `xtask`
/// alias above all), with crates.io replaced by the vendored crates.
pub fn cargo_config(own: Option<&[u8]>) -> Result<Vec<u8>, ArchiveError> {
    let mut text = match own {
        Some(bytes) => String::from_utf8(bytes.to_vec())
            .map_err(|_| ArchiveError::Config("the workshop's is not UTF-8".into()))?,
        None => String::new(),
    };
    let table: toml::Table = text
        .parse()
        .map_err(|err| ArchiveError::Config(format!("the workshop's does not read: {err}")))?;
    if table.contains_key("source") {
        return Err(ArchiveError::Config(
            "the workshop's already has [source] tables, which the archive's would replace".into(),
        ));
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n# Added by `cargo xtask room serve --offline`: every crate of Cargo.lock\n\
         # comes from {DIR}, for every platform, so this copy of the workshop\n\
         # builds with no network and an empty cargo home.\n\
         [source.crates-io]\n\
         replace-with = \"{SOURCE}\"\n\n\
         [source.{SOURCE}]\n\
         directory = \"{DIR}\"\n"
    ));
    Ok(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use workshop_core::paths::vendored_sources;

    #[test]
    fn the_config_keeps_the_alias_and_replaces_crates_io() {
        let own = b"[alias]\n# why\nxtask = \"run --quiet --package xtask --target-dir target/grader --\"";
        let made = String::from_utf8(cargo_config(Some(own)).expect("a config")).expect("UTF-8");
        assert!(made.starts_with("[alias]\n# why\nxtask = \"run"), "{made}");
        let table: toml::Table = made.parse().expect("TOML");
        assert_eq!(
            table["alias"]["xtask"].as_str(),
            Some("run --quiet --package xtask --target-dir target/grader --")
        );
        assert_eq!(
            table["source"]["crates-io"]["replace-with"].as_str(),
            Some(SOURCE)
        );
        assert_eq!(table["source"][SOURCE]["directory"].as_str(), Some(DIR));

        let dir = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(vendored_sources(dir.path()), None);
        fs::create_dir(dir.path().join(".cargo")).expect(".cargo");
        fs::write(dir.path().join(".cargo/config.toml"), own).expect("written");
        assert_eq!(vendored_sources(dir.path()), None);
        fs::write(dir.path().join(".cargo/config.toml"), &made).expect("written");
        assert_eq!(vendored_sources(dir.path()), Some(PathBuf::from(DIR)));

        assert!(
            cargo_config(Some(made.as_bytes())).is_err(),
            "replaced twice"
        );
        assert!(cargo_config(None).is_ok());
    }
}
