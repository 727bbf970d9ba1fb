//! Whether the runner is already built from the sources as they are, read
//! from cargo's own dep-info file (`target/grader/debug/xtask.d`: every
//! source file of the workspace the binary was compiled from), so that a
//! warm `cargo xtask` costs no second cargo run. When in doubt, it is not
//! fresh, and cargo decides.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// True when `binary` exists and no file it was built from, nor any
/// manifest that shapes the build, is newer than it.
pub fn is_fresh(binary: &Path, root: &Path) -> bool {
    let Some(built) = modified(binary) else {
        return false;
    };
    let Ok(dep_info) = fs::read_to_string(binary.with_extension("d")) else {
        return false;
    };
    let Some(sources) = sources(&dep_info) else {
        return false;
    };
    // The workshop's own files are relative to its root (`dep-info-basedir`
    // in .cargo/config.toml): read here, in the folder it runs in.
    let sources: Vec<PathBuf> = sources.into_iter().map(|s| root.join(s)).collect();
    let manifests: BTreeSet<PathBuf> = sources.iter().filter_map(|s| manifest_of(s)).collect();
    let workspace = [
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
        root.join(".cargo").join("config.toml"),
    ];
    sources
        .iter()
        .chain(&manifests)
        .chain(&workspace)
        .all(|path| modified(path).is_some_and(|time| time <= built))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|meta| meta.modified()).ok()
}

/// The sources of a dep-info file: `<target>: <source> <source> …`, where
/// a space inside a path is written `\ `.
pub fn sources(dep_info: &str) -> Option<Vec<PathBuf>> {
    let first = dep_info.lines().next()?;
    // `: ` and not `:`: a Windows path has a colon after its drive letter.
    let (_, list) = first.split_once(": ")?;
    let mut sources = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    sources.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        sources.push(PathBuf::from(current));
    }
    (!sources.is_empty()).then_some(sources)
}

/// The `Cargo.toml` of the package that holds `source`: its features and
/// dependencies shape the build as much as its code.
fn manifest_of(source: &Path) -> Option<PathBuf> {
    source
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sources_are_split_on_unescaped_spaces() {
        let dep_info = "/w/target/debug/xtask: /w/xtask/src/main.rs /w/my\\ dir/lib.rs\n\n/w/xtask/src/main.rs:\n";
        assert_eq!(
            sources(dep_info),
            Some(vec![
                PathBuf::from("/w/xtask/src/main.rs"),
                PathBuf::from("/w/my dir/lib.rs")
            ])
        );
        assert_eq!(sources(""), None);
    }

    /// A workspace of one package, its binary and dep-info, in a temporary
    /// directory of its own.
    fn workspace(name: &str) -> PathBuf {
        let root = std::env::temp_dir()
            .join(format!("workshop-launcher-{}", std::process::id()))
            .join(name);
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("app/src")).unwrap();
        fs::create_dir_all(root.join("target/debug")).unwrap();
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "app/Cargo.toml",
            "app/src/main.rs",
        ] {
            fs::write(root.join(file), "").unwrap();
        }
        fs::create_dir_all(root.join(".cargo")).unwrap();
        fs::write(root.join(".cargo/config.toml"), "").unwrap();
        let main = root.join("app/src/main.rs");
        let binary = root.join("target/debug/app");
        fs::write(
            binary.with_extension("d"),
            format!("{}: {}\n", binary.display(), main.display()),
        )
        .unwrap();
        fs::write(&binary, "").unwrap();
        root
    }

    fn touch_later(path: &Path) {
        let later = SystemTime::now() + Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(later)
            .unwrap();
    }

    #[test]
    fn a_binary_newer_than_everything_is_fresh() {
        let root = workspace("fresh");
        assert!(is_fresh(&root.join("target/debug/app"), &root));
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_newer_source_manifest_or_lock_is_not_fresh() {
        for file in [
            "app/src/main.rs",
            "app/Cargo.toml",
            "Cargo.lock",
            ".cargo/config.toml",
        ] {
            let root = workspace(&file.replace(['/', '.'], "_"));
            touch_later(&root.join(file));
            assert!(!is_fresh(&root.join("target/debug/app"), &root), "{file}");
            let _ = fs::remove_dir_all(&root);
        }
    }

    #[test]
    fn relative_sources_are_read_in_the_folder_it_runs_in() {
        // As cargo writes them with `dep-info-basedir`: a copy of the
        // workshop is judged by its own files, not the original's.
        let root = workspace("relative");
        let binary = root.join("target/debug/app");
        fs::write(
            binary.with_extension("d"),
            "target/debug/app: app/src/main.rs\n",
        )
        .unwrap();
        fs::write(&binary, "").unwrap();
        assert!(is_fresh(&binary, &root));
        touch_later(&root.join("app/src/main.rs"));
        assert!(!is_fresh(&binary, &root));
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_missing_binary_or_source_is_not_fresh() {
        let root = workspace("missing");
        fs::remove_file(root.join("app/src/main.rs")).unwrap();
        assert!(!is_fresh(&root.join("target/debug/app"), &root));
        assert!(!is_fresh(&root.join("target/debug/nothing"), &root));
        let _ = fs::remove_dir_all(&root);
    }
}
