//! Attempts a learner might make (`tools/selftest/attempts/*.toml`, one a
//! file): each is the solution with some gaps filled differently (and, for
//! a mistake no gap can hold, some code outside them changed), and the
//! verdict and reason the grader must give it. `cargo test` and `cargo
//! xtask selftest` find, apply and judge them with this same code.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::regions::fill;

/// No check may take longer than this to give its verdict, whatever the
/// learner wrote: every phase of every check has a deadline.
pub const VERDICT_WITHIN_SECS: f64 = 10.0;

/// Where the attempts are, relative to the workspace root: every `.toml`
/// in it is one.
pub const DIR: &str = "tools/selftest/attempts";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub name: String,
    pub part: String,
    /// Graded with `--release` (debug assertions off).
    #[serde(default)]
    pub release: bool,
    /// The checks that must fail; every other must pass, but for `either`.
    pub fails: Vec<String>,
    /// Checks whose verdict this attempt does not decide (the fixture says
    /// why in a comment).
    #[serde(default)]
    pub either: Vec<String>,
    /// A phrase the grader's output must contain: the reason it gives.
    pub says: String,
    /// Gap id → the code that fills it instead of the solution's.
    #[serde(default)]
    pub gaps: BTreeMap<String, String>,
    /// Code outside the gaps changed: a learner edits the whole file, and
    /// some mistakes (a permit held through a wait) live in code the
    /// exercise gives.
    #[serde(default)]
    pub outside: Vec<Outside>,
}

/// One change outside the gaps: in `file` (relative to the part's crate,
/// one that holds a gap, so that every attempt writes it afresh), the text
/// `find`, which must occur exactly once, becomes `with`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outside {
    pub file: PathBuf,
    pub find: String,
    pub with: String,
}

/// Every attempt in `root`'s attempts folder, in the order of their files'
/// names.
pub fn load(root: &Path) -> Result<Vec<Attempt>, String> {
    let dir = root.join(DIR);
    let entries =
        fs::read_dir(&dir).map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let shown = format!(
                "{DIR}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            let text =
                fs::read_to_string(path).map_err(|err| format!("cannot read {shown}: {err}"))?;
            toml::from_str::<Attempt>(&text).map_err(|err| format!("{shown}: {}", err.message()))
        })
        .collect()
}

impl Attempt {
    /// Writes the attempt into `root`'s exercise of its part: every file of
    /// the solution that holds a gap, changed outside its gaps as the
    /// attempt says, filled, renamed as the exercise.
    pub fn apply(&self, root: &Path) -> io::Result<()> {
        let solution = root.join("solutions").join(&self.part);
        let exercise = root.join("exercises").join(&self.part);
        let mut changed = 0;
        for file in rust_files(&solution)? {
            let mut text = fs::read_to_string(&file)?;
            if !text.contains("// BEGIN GAP ") {
                continue;
            }
            let relative = file.strip_prefix(&solution).unwrap_or(&file);
            for outside in self.outside.iter().filter(|edit| edit.file == relative) {
                text = outside.apply(&text)?;
                changed += 1;
            }
            let filled = fill(&text, &self.gaps);
            let renamed = filled.replace(&format!("{}_solution", self.part), &self.part);
            fs::write(exercise.join(relative), renamed)?;
        }
        if changed < self.outside.len() {
            return Err(io::Error::other(format!(
                "{}: an `outside` change names a file of {} that holds no gap",
                self.name, self.part
            )));
        }
        Ok(())
    }

    /// The arguments of `cargo xtask check` that grade it, and the
    /// environment to set.
    pub fn check_args(&self) -> (Vec<&str>, Vec<(&'static str, &'static str)>) {
        let mut args = vec![self.part.as_str()];
        let mut env = Vec::new();
        if self.release {
            args.push("--release");
            // What matters in release is that debug assertions are off; full
            // optimisation would only make CI compile every dependency for
            // minutes.
            env.push(("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"));
        }
        (args, env)
    }

    /// Whether the grader's verdict (`passed`, its `output`) is the one
    /// expected, and if not, why not.
    pub fn judge(&self, passed: bool, output: &str) -> Result<(), String> {
        if passed != self.fails.is_empty() {
            let said = if passed { "passes" } else { "fails" };
            return Err(format!("{}: it {said}, wrongly", self.name));
        }
        if !output.contains(&self.says) {
            return Err(format!(
                "{}: the output does not say {:?}",
                self.name, self.says
            ));
        }
        for line in output
            .lines()
            .filter(|line| line.starts_with('✓') || line.starts_with('✗'))
        {
            let Some(id) = line
                .split_whitespace()
                .nth(1)
                .filter(|id| id.starts_with("part"))
            else {
                continue;
            };
            // `✗ part1.webserver.contract   5.0 s  reason`
            let took = line.split_whitespace().nth(2);
            if let Some(took) = took.and_then(|took| took.parse::<f64>().ok()) {
                if took > VERDICT_WITHIN_SECS {
                    return Err(format!(
                        "{}: {id} took {took} s to give its verdict, over {VERDICT_WITHIN_SECS} s",
                        self.name
                    ));
                }
            }
            if self.either.iter().any(|either| either == id) {
                continue;
            }
            let should_fail = self.fails.iter().any(|failing| failing == id);
            if line.starts_with('✗') != should_fail {
                let wrongly = if should_fail { "passes" } else { "fails" };
                return Err(format!("{}: {id} {wrongly}, wrongly", self.name));
            }
        }
        Ok(())
    }
}

impl Outside {
    fn apply(&self, text: &str) -> io::Result<String> {
        match text.matches(&self.find).count() {
            1 => Ok(text.replacen(&self.find, &self.with, 1)),
            found => Err(io::Error::other(format!(
                "{}: the text to change is there {found} times, not once: {:?}",
                self.file.display(),
                self.find
            ))),
        }
    }
}

/// The `.rs` files under `dir`, sorted, `target/` left out.
fn rust_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "target") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outside(find: &str) -> Outside {
        Outside {
            file: PathBuf::from("src").join("retry.rs"),
            find: find.into(),
            with: "held".into(),
        }
    }

    #[test]
    fn a_change_outside_the_gaps_finds_its_text_exactly_once() {
        let text = "let permit = admit();\nsleep(wait);\n";
        assert_eq!(
            outside("sleep(wait);").apply(text).unwrap(),
            "let permit = admit();\nheld\n"
        );
        let twice = outside(";\n").apply(text).unwrap_err().to_string();
        assert!(twice.contains("2 times, not once"), "{twice}");
        let never = outside("drop(permit)").apply(text).unwrap_err().to_string();
        assert!(never.contains("0 times, not once"), "{never}");
    }
}
