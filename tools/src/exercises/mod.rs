//! `cargo xtask gen`: writes every exercise crate from its solution
//! (`workshop_core::generate` computes them), or with `--check` shows how
//! the committed ones differ.

mod sync;

use std::path::Path;
use std::process::ExitCode;

use workshop_core::backup::Backup;
use workshop_core::generate::generate;
use workshop_core::manifest::Manifest;
use workshop_core::paths::slash;

pub use sync::{check, write};

/// The command: generate, then write or check.
pub fn run(root: &Path, check_only: bool) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let files = generate(&manifest, root)?;
    if !check_only {
        let mut backup = Backup::new(root, "gen");
        for summary in write(&manifest, root, &files, &mut backup)? {
            println!(
                "{}: {} gaps, {} files",
                slash(&summary.exercise),
                summary.gaps,
                summary.files
            );
        }
        if backup.saved() > 0 {
            println!(
                "backed up {} replaced files to {}",
                backup.saved(),
                slash(backup.dir())
            );
        }
        return Ok(ExitCode::SUCCESS);
    }

    let drift = check(&manifest, root, &files)?;
    if drift.is_empty() {
        println!("exercises are up to date");
        return Ok(ExitCode::SUCCESS);
    }
    for diff in &drift.changed {
        print!("{diff}");
    }
    for path in &drift.missing {
        println!("missing: {}", slash(path));
    }
    for path in &drift.extra {
        println!("extra: {}", slash(path));
    }
    anyhow::bail!("exercises/ have drifted from solutions/: run `cargo xtask gen`")
}
