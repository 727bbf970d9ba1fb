//! What cargo says as it builds, read by hand: no dependencies, since the
//! launcher (which has none) builds this first on a fresh clone. The
//! launcher shows the runner's build with it, the grader a part's: the
//! crates done, each package once, against the packages the build needs
//! (`cargo tree`), and the one failure that is not the code's, a program
//! still running that Windows will not let the build replace.
//!
//! Cargo's JSON messages are one object a line, written compactly, and
//! only three of their fields are read here (`reason`, `package_id`,
//! `fresh`, and a build script's `kind`); a caller that needs more (the
//! grader's executables and compiler errors) parses the line itself.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// A crate built, from one of cargo's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateDone {
    /// Cargo's package id: the same package twice is one crate.
    pub package: String,
    /// Already built: found fresh, not compiled.
    pub fresh: bool,
}

/// The crate a `compiler-artifact` message says is built, if the line is
/// one. A build script's compile is not a crate.
pub fn crate_done(line: &str) -> Option<CrateDone> {
    if !line.contains(r#""reason":"compiler-artifact""#)
        || line.contains(r#""kind":["custom-build"]"#)
    {
        return None;
    }
    Some(CrateDone {
        package: field(line, "package_id")?,
        fresh: line.contains(r#""fresh":true"#),
    })
}

/// Whether the build succeeded, if the line is its `build-finished`.
pub fn build_finished(line: &str) -> Option<bool> {
    line.contains(r#""reason":"build-finished""#)
        .then(|| line.contains(r#""success":true"#))
}

/// The string value of `"name":"…"` (package ids hold no escaped quotes).
fn field(line: &str, name: &str) -> Option<String> {
    let key = format!(r#""{name}":""#);
    let start = line.find(&key)? + key.len();
    let end = line[start..].find('"')?;
    Some(line[start..start + end].to_string())
}

/// `cargo tree` of `packages` along `edges` (`normal,build`, and `dev`
/// where tests are built): every package the build needs, a line each, as
/// many times as it is needed; [`unique_packages`] counts them.
pub fn tree(cargo: &OsStr, packages: &[&str], edges: &str) -> Command {
    let mut command = Command::new(cargo);
    command.arg("tree");
    for package in packages {
        command.args(["--package", package]);
    }
    command
        .args(["--edges", edges])
        .args(["--prefix", "none", "--format", "{p}"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The packages in `cargo tree`'s output, each once: it lists a package
/// again wherever it is needed, marked `(*)`.
pub fn unique_packages(tree: &str) -> usize {
    tree.lines()
        .map(|line| line.trim_end_matches(" (*)").trim())
        .filter(|line| !line.is_empty())
        .collect::<HashSet<_>>()
        .len()
}

/// Whether a line of cargo's or the linker's says a program could not be
/// written because it is running: Windows keeps a running program's file
/// from being replaced (the MSVC linker's `LNK1104`, the GNU one's
/// "Permission denied", cargo's os errors 5 and 32 when it copies the
/// binary into place, said in full: a bare "os error 5" is an I/O error on
/// Linux).
pub fn still_running(line: &str) -> bool {
    const LOCKED: [&str; 4] = [
        "LNK1104",
        "Access is denied. (os error 5)",
        "being used by another process. (os error 32)",
        "Permission denied: cannot open output file",
    ];
    LOCKED.iter().any(|sign| line.contains(sign))
}

/// How far a build is: the crates done, each package once, how many of
/// them were compiled (not fresh), and, once counted, how many it needs.
#[derive(Debug, Default)]
pub struct Progress {
    done: HashSet<String>,
    compiled: HashSet<String>,
    total: Option<usize>,
}

impl Progress {
    /// Counts a crate done; whether it is one not seen before.
    pub fn record(&mut self, crate_done: CrateDone) -> bool {
        if !crate_done.fresh {
            self.compiled.insert(crate_done.package.clone());
        }
        self.done.insert(crate_done.package)
    }

    /// Crates done so far.
    pub fn done(&self) -> usize {
        self.done.len()
    }

    /// Of those, the crates compiled rather than found fresh.
    pub fn compiled(&self) -> usize {
        self.compiled.len()
    }

    /// How many the build needs, once counted: never fewer than are done
    /// (a count that missed one would end the bar early).
    pub fn total(&self) -> Option<usize> {
        self.total.map(|total| total.max(self.done()))
    }

    pub fn set_total(&mut self, total: usize) {
        self.total = Some(total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_done_is_read_from_cargos_json() {
        let line = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1","target":{"kind":["lib"],"name":"tokio"},"fresh":false}"#;
        assert_eq!(
            crate_done(line),
            Some(CrateDone {
                package: "registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1"
                    .to_string(),
                fresh: false
            })
        );
        let fresh = line.replace(r#""fresh":false"#, r#""fresh":true"#);
        assert!(matches!(
            crate_done(&fresh),
            Some(CrateDone { fresh: true, .. })
        ));
    }

    #[test]
    fn a_build_script_is_not_a_crate() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/rates#0.1.0","target":{"kind":["custom-build"]},"fresh":false}"#;
        assert_eq!(crate_done(line), None);
    }

    #[test]
    fn the_end_says_whether_it_built() {
        assert_eq!(
            build_finished(r#"{"reason":"build-finished","success":false}"#),
            Some(false)
        );
        assert_eq!(
            build_finished(r#"{"reason":"build-finished","success":true}"#),
            Some(true)
        );
        assert_eq!(
            build_finished(r#"{"reason":"compiler-message","message":{}}"#),
            None
        );
    }

    #[test]
    fn each_package_counts_once() {
        let tree = "xtask v0.1.0 (/w/xtask)\nanyhow v1.0.100\nclap v4.6.0\nanyhow v1.0.100 (*)\n\n";
        assert_eq!(unique_packages(tree), 3);
    }

    #[test]
    fn a_program_still_running_on_windows_is_told_apart() {
        assert!(still_running("  Access is denied. (os error 5)"));
        assert!(still_running(
            "LINK : fatal error LNK1104: cannot open file 'xtask.exe'"
        ));
        assert!(still_running(
            "being used by another process. (os error 32)"
        ));
        assert!(!still_running("error[E0433]: cannot find crate"));
        assert!(!still_running("Input/output error (os error 5)"));
    }

    #[test]
    fn progress_counts_each_package_once_and_the_compiled_apart() {
        let mut progress = Progress::default();
        let tokio = |fresh| CrateDone {
            package: "tokio".into(),
            fresh,
        };
        assert!(progress.record(tokio(false)));
        assert!(!progress.record(tokio(false)), "the same package again");
        assert!(progress.record(CrateDone {
            package: "serde".into(),
            fresh: true
        }));
        assert_eq!((progress.done(), progress.compiled()), (2, 1));
        assert_eq!(progress.total(), None);
        progress.set_total(1);
        assert_eq!(progress.total(), Some(2), "never fewer than done");
    }
}
