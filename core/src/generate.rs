//! Derives every exercise crate from its solution (`cargo xtask gen`
//! writes what this computes; `check` and `reset` compare with it).
//!
//! The solution is the single source: an exercise is its solution with each
//! gap region replaced by `todo!()` and the `-solution`/`_solution` names
//! shortened. [`generate`] computes all of it in memory; `gen`'s writer
//! (in the tools package) then compares it with the disk, so the transformation is testable
//! without touching any file.

mod cargo_toml;
mod rust;

use crate::paths::slash;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::manifest::{Gap, Manifest, Part};
use cargo_toml::CargoTomlError;
use rust::MarkerError;
// `cargo xtask solution` names the solution's code as the exercise does.
pub use rust::rename_identifier;

/// Generated files: path relative to the workspace root → contents.
pub type Files = BTreeMap<PathBuf, String>;

/// Paths in these errors are relative to the workspace root, as a user would
/// type them.
#[derive(Debug, Error)]
pub enum GenError {
    #[error("cannot {action} {}: {cause}", slash(path))]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: io::Error,
    },
    #[error("{}: not UTF-8 text: gen copies text files only", slash(path))]
    NotText { path: PathBuf },
    #[error(
        "{}: neither a file nor a directory (gen does not follow symlinks)",
        slash(path)
    )]
    NotAFile { path: PathBuf },
    #[error(
        "{}: no such directory, but workshop.toml names it as the solution of {part}",
        slash(path)
    )]
    NoSolution { path: PathBuf, part: String },
    #[error("{}:{cause}", slash(path))]
    Marker { path: PathBuf, cause: MarkerError },
    #[error(
        "{}:{line}: gap {id} appears a second time (first at {first})",
        slash(path)
    )]
    Duplicate {
        path: PathBuf,
        line: usize,
        id: String,
        first: String,
    },
    #[error(
        "{}:{line}: gap {id} is here, but workshop.toml puts it in {}",
        slash(path),
        slash(expected)
    )]
    WrongFile {
        path: PathBuf,
        line: usize,
        id: String,
        expected: PathBuf,
    },
    #[error("gap {id} has no `// BEGIN GAP {id}` in {}", slash(path))]
    MissingMarker { id: String, path: PathBuf },
    #[error(
        "gap {id} is in {}, says workshop.toml, but there is no such file",
        slash(path)
    )]
    MissingFile { id: String, path: PathBuf },
    #[error("{}: {cause}", slash(path))]
    CargoToml {
        path: PathBuf,
        cause: CargoTomlError,
    },
}

/// Every exercise file of every part, generated from the solutions under
/// `root`, with every gap marker checked against the manifest.
pub fn generate(manifest: &Manifest, root: &Path) -> Result<Files, GenError> {
    let mut files = Files::new();
    for part in &manifest.parts {
        files.extend(generate_part(part, root)?);
    }
    Ok(files)
}

fn generate_part(part: &Part, root: &Path) -> Result<Files, GenError> {
    if !root.join(&part.solution).is_dir() {
        return Err(GenError::NoSolution {
            path: part.solution.clone(),
            part: part.id.to_string(),
        });
    }
    let numbered: HashMap<&str, (usize, &Gap)> = part
        .gaps()
        .map(|(n, gap)| (gap.id.as_str(), (n, gap)))
        .collect();
    // Where each gap was found, to catch one found twice.
    let mut found: HashMap<String, String> = HashMap::new();
    let mut files = Files::new();

    for relative in walk(root, &part.solution)? {
        let source = part.solution.join(&relative);
        let text = read_text(&root.join(&source), &source)?;
        let output = if relative == Path::new("Cargo.toml") {
            cargo_toml::transform(&text, &part.id, &slash(&source)).map_err(|cause| {
                GenError::CargoToml {
                    path: source.clone(),
                    cause,
                }
            })?
        } else if relative.extension().is_some_and(|ext| ext == "rs") {
            let lookup = |id: &str| numbered.get(id).map(|(n, gap)| (*n, gap.title.as_str()));
            let (replaced, markers) =
                rust::replace_gaps(&text, &part.id, lookup).map_err(|cause| GenError::Marker {
                    path: source.clone(),
                    cause,
                })?;
            for marker in markers {
                let Some((_, gap)) = numbered.get(marker.id.as_str()) else {
                    continue; // replace_gaps has already refused unknown ids
                };
                if normal(&gap.file) != relative {
                    return Err(GenError::WrongFile {
                        path: source,
                        line: marker.line,
                        id: marker.id,
                        expected: gap.file.clone(),
                    });
                }
                let here = format!("{}:{}", slash(&source), marker.line);
                if let Some(first) = found.insert(marker.id.clone(), here) {
                    return Err(GenError::Duplicate {
                        path: source,
                        line: marker.line,
                        id: marker.id,
                        first,
                    });
                }
            }
            // Solutions name their library `<part>_solution`: two libraries
            // with one name in a workspace collide.
            rust::rename_identifier(&replaced, &format!("{}_solution", part.id), &part.id)
        } else {
            text
        };
        files.insert(part.exercise.join(&relative), output);
    }

    for (_, gap) in part.gaps() {
        if !found.contains_key(gap.id.as_str()) {
            let path = part.solution.join(&gap.file);
            let id = gap.id.to_string();
            return Err(if root.join(&path).is_file() {
                GenError::MissingMarker { id, path }
            } else {
                GenError::MissingFile { id, path }
            });
        }
    }
    Ok(files)
}

/// The files under `dir` (relative to `root`) that belong to a crate's
/// source, relative to `dir` and sorted. Build output, lock files, hidden
/// files and editor leftovers are not source.
pub fn walk(root: &Path, dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    let mut files = Vec::new();
    walk_into(root, dir, Path::new(""), &mut files)?;
    files.sort();
    Ok(files)
}

fn walk_into(
    root: &Path,
    dir: &Path,
    relative: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<(), GenError> {
    let shown = dir.join(relative);
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| GenError::Io {
            action: "read",
            path,
            cause,
        }
    };
    let entries = fs::read_dir(root.join(&shown)).map_err(io_error(&shown))?;
    for entry in entries {
        let entry = entry.map_err(io_error(&shown))?;
        let name = entry.file_name();
        let at_top = relative.as_os_str().is_empty();
        if is_ignored(&name.to_string_lossy()) || (at_top && name == "target") {
            continue;
        }
        let path = relative.join(&name);
        let kind = entry.file_type().map_err(io_error(&dir.join(&path)))?;
        if kind.is_dir() {
            walk_into(root, dir, &path, files)?;
        } else if kind.is_file() {
            files.push(path);
        } else {
            return Err(GenError::NotAFile {
                path: dir.join(path),
            });
        }
    }
    Ok(())
}

fn is_ignored(name: &str) -> bool {
    name == "Cargo.lock"
        || name.starts_with('.')
        || name.ends_with('~')
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
}

fn read_text(path: &Path, shown: &Path) -> Result<String, GenError> {
    let bytes = fs::read(path).map_err(|cause| GenError::Io {
        action: "read",
        path: shown.to_path_buf(),
        cause,
    })?;
    String::from_utf8(bytes).map_err(|_| GenError::NotText {
        path: shown.to_path_buf(),
    })
}

/// `./src/lib.rs` and `src/lib.rs` are the same file.
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
format_version = 1

[[parts]]
id = "p1"
title = "P"
solution = "solutions/p1"
exercise = "exercises/p1"
server = "web"

[[parts.exercises]]
id = "p1.a"
title = "A"

[[parts.exercises.gaps]]
id = "p1.a.one"
title = "do one"
file = "src/lib.rs"

[[parts.exercises.gaps]]
id = "p1.a.two"
title = "do two"
file = "src/two.rs"
"#;

    const LIB: &str = "\
pub mod two;
pub fn one() -> u32 {
    // BEGIN GAP p1.a.one
    1
    // END GAP
}
";
    const TWO: &str = "\
pub fn two() -> u32 {
    // BEGIN GAP p1.a.two
    p1_solution::one() + 1
    // END GAP
}
";

    /// A workspace root in a temporary directory with the files given.
    fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn solution(lib: &str, two: &str) -> tempfile::TempDir {
        workspace(&[
            (
                "solutions/p1/Cargo.toml",
                "[package]\nname = \"p1-solution\"\n",
            ),
            ("solutions/p1/src/lib.rs", lib),
            ("solutions/p1/src/two.rs", two),
            ("solutions/p1/README.md", "p1_solution stays here\n"),
            ("solutions/p1/Cargo.lock", "skipped"),
            ("solutions/p1/.lib.rs.swp", "skipped"),
            ("solutions/p1/target/debug/x", "skipped"),
        ])
    }

    fn run_generate(root: &tempfile::TempDir) -> Result<Files, GenError> {
        let manifest = Manifest::parse(MANIFEST, Path::new("workshop.toml")).unwrap();
        generate(&manifest, root.path())
    }

    #[test]
    fn every_source_file_is_generated_and_numbered_across_the_part() {
        let files = run_generate(&solution(LIB, TWO)).unwrap();
        // Compared as paths, component by component: on Windows the part's
        // folder (`exercises/p1`, as workshop.toml writes it) and the files
        // below it (`src\lib.rs`) are joined with different separators.
        let paths: Vec<&Path> = files.keys().map(PathBuf::as_path).collect();
        assert_eq!(
            paths,
            [
                "exercises/p1/Cargo.toml",
                "exercises/p1/README.md",
                "exercises/p1/src/lib.rs",
                "exercises/p1/src/two.rs"
            ]
            .map(Path::new)
        );
        assert_eq!(
            files[Path::new("exercises/p1/src/two.rs")],
            "pub fn two() -> u32 {\n    todo!(\"gap 2: do two\")\n}\n"
        );
        assert!(files[Path::new("exercises/p1/src/lib.rs")].contains("todo!(\"gap 1: do one\")"));
        assert_eq!(
            files[Path::new("exercises/p1/README.md")],
            "p1_solution stays here\n",
            "only .rs files are renamed"
        );
        assert!(files[Path::new("exercises/p1/Cargo.toml")].contains("name = \"p1\""));
    }

    #[test]
    fn the_crate_is_renamed_outside_gaps_too() {
        let lib = format!("{LIB}pub use p1_solution::two as again;\n");
        let files = run_generate(&solution(&lib, TWO)).unwrap();
        assert!(
            files[Path::new("exercises/p1/src/lib.rs")].ends_with("pub use p1::two as again;\n")
        );
    }

    fn error(lib: &str, two: &str) -> String {
        run_generate(&solution(lib, two)).unwrap_err().to_string()
    }

    #[test]
    fn a_gap_in_the_wrong_file_is_refused() {
        let two = TWO.replace("p1.a.two", "p1.a.one");
        let lib = LIB.replace("p1.a.one", "p1.a.two");
        assert_eq!(
            error(&lib, &two),
            "solutions/p1/src/lib.rs:3: gap p1.a.two is here, but workshop.toml puts it in src/two.rs"
        );
    }

    #[test]
    fn a_gap_found_twice_is_refused() {
        let lib = format!("{LIB}fn again() {{\n    // BEGIN GAP p1.a.one\n    // END GAP\n}}\n");
        assert_eq!(
            error(&lib, TWO),
            "solutions/p1/src/lib.rs:8: gap p1.a.one appears a second time (first at solutions/p1/src/lib.rs:3)"
        );
    }

    #[test]
    fn a_missing_gap_is_refused() {
        let two = "pub fn two() -> u32 { 2 }\n";
        assert_eq!(
            error(LIB, two),
            "gap p1.a.two has no `// BEGIN GAP p1.a.two` in solutions/p1/src/two.rs"
        );
    }

    #[test]
    fn a_gap_in_a_missing_file_is_refused() {
        let root = workspace(&[
            (
                "solutions/p1/Cargo.toml",
                "[package]\nname = \"p1-solution\"\n",
            ),
            ("solutions/p1/src/lib.rs", LIB),
        ]);
        assert_eq!(
            run_generate(&root).unwrap_err().to_string(),
            "gap p1.a.two is in solutions/p1/src/two.rs, says workshop.toml, but there is no such file"
        );
    }

    #[test]
    fn marker_errors_cite_path_and_line() {
        let two = TWO.replace("    // END GAP\n", "");
        assert_eq!(
            error(LIB, &two),
            "solutions/p1/src/two.rs:2: BEGIN GAP p1.a.two has no END GAP"
        );
        let lib = LIB.replace("p1.a.one", "p1.a.zero");
        assert_eq!(
            error(&lib, TWO),
            "solutions/p1/src/lib.rs:3: gap \"p1.a.zero\" is not in workshop.toml for p1"
        );
    }

    #[test]
    fn a_missing_solution_is_named() {
        let root = workspace(&[("elsewhere/x", "")]);
        assert_eq!(
            run_generate(&root).unwrap_err().to_string(),
            "solutions/p1: no such directory, but workshop.toml names it as the solution of p1"
        );
    }
}
