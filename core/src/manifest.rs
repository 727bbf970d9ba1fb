//! `workshop.toml`: the parts, their exercises and the gaps learners fill.
//!
//! Loading checks more than the syntax: the format version, that every id is
//! used once, and that paths stay inside the workspace (`gen` deletes files
//! under an exercise directory, so that path must never point elsewhere).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

pub use crate::ids::{CheckId, CheckKind, ExerciseId, GapId, PartId};

/// The only `format_version` this xtask reads.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest's file name, at the workspace root.
pub const FILE_NAME: &str = "workshop.toml";

/// The variable through which the launcher tells the runner, and the runner
/// the tools, which workshop cargo was run in.
pub const ROOT_VAR: &str = "WORKSHOP_ROOT";

/// The workshop this process runs in, found at run time and never from where
/// it was built: a folder moved, renamed or copied with its `target/` acts
/// on itself. In order: what the launcher said (`WORKSHOP_ROOT`, from what
/// cargo told it), the current folder or one above it that holds
/// `workshop.toml`, then the folders above this program.
pub fn find_root() -> Option<PathBuf> {
    let said = std::env::var_os(ROOT_VAR).map(PathBuf::from);
    let here = std::env::current_dir().ok();
    let exe = std::env::current_exe().ok();
    said.filter(|root| root.join(FILE_NAME).is_file())
        .or_else(|| here.as_deref().and_then(root_above))
        .or_else(|| exe.as_deref().and_then(root_above))
}

/// The nearest folder from `start` up that holds `workshop.toml`.
pub fn root_above(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(FILE_NAME).is_file())
        .map(Path::to_path_buf)
}

/// [`find_root`], or the current folder, where reading the manifest then
/// fails with its path: for tests and tools run inside the workshop.
pub fn workspace_root() -> PathBuf {
    find_root().unwrap_or_else(|| PathBuf::from("."))
}

/// What a command says when it is run outside any workshop.
pub const NOT_IN_A_WORKSHOP: &str = "no workshop.toml in this folder or any folder above it: \
     run `cargo xtask` inside the workshop's folder";

// The whole format is modelled, though `gen` and `serve` read only part of
// it: titles, minutes and hints are for the commands still to come.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the whole format is modelled")]
pub struct Manifest {
    pub format_version: u32,
    /// When `cargo xtask solution` shows a solution without asking. Optional
    /// (a manifest without it reads as before), so still format version 1.
    #[serde(default)]
    pub solutions: Solutions,
    pub parts: Vec<Part>,
}

/// When solutions are shown without a question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solutions {
    /// Once the exercise passes or its minutes are up; before, `solution`
    /// asks (a room's default: a solution read too early spoils the exercise).
    #[default]
    AfterMinutes,
    /// At once: a course for people alone, with nobody to ask for help.
    Always,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the whole format is modelled")]
pub struct Part {
    /// `part1`: also the exercise's package and library name.
    pub id: PartId,
    pub title: String,
    /// The solution crate, relative to the workspace root.
    pub solution: PathBuf,
    /// The exercise crate `gen` writes, relative to the workspace root.
    pub exercise: PathBuf,
    /// The part's server binary, as the exercise names it (`webserver`).
    pub server: String,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the whole format is modelled")]
pub struct Exercise {
    pub id: ExerciseId,
    pub title: String,
    #[serde(default = "default_minutes")]
    pub minutes: u32,
    pub gaps: Vec<Gap>,
    /// What `cargo xtask check` runs to grade this exercise.
    #[serde(default)]
    pub checks: Vec<CheckKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the whole format is modelled")]
pub struct Gap {
    pub id: GapId,
    pub title: String,
    /// The file holding the gap's markers, relative to the solution crate.
    pub file: PathBuf,
    #[serde(default)]
    pub hints: Vec<String>,
}

fn default_minutes() -> u32 {
    10
}

#[derive(Debug, Error)]
pub enum ManifestError {
    #[error("cannot read {}: {cause}", path.display())]
    Read { path: PathBuf, cause: io::Error },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: format_version is {found}, but this xtask reads format_version {FORMAT_VERSION} only",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("unknown part {id:?}: the parts are {known}")]
    UnknownPart { id: String, known: String },
}

impl Manifest {
    /// Reads and checks `workshop.toml` at `root`.
    pub fn load(root: &Path) -> Result<Self, ManifestError> {
        let path = root.join(FILE_NAME);
        let text = fs::read_to_string(&path).map_err(|cause| ManifestError::Read {
            path: path.clone(),
            cause,
        })?;
        // Errors name the file as the user knows it, not the absolute path.
        Self::parse(&text, Path::new(FILE_NAME))
    }

    /// Parses and checks a manifest; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        // The version first: a future format may not deserialise as this one,
        // and "unsupported version" is the message that helps then.
        #[derive(Deserialize)]
        struct Header {
            format_version: u32,
        }
        let header: Header = toml::from_str(text).map_err(|err| syntax(text, path, &err))?;
        if header.format_version != FORMAT_VERSION {
            return Err(ManifestError::Version {
                path: path.to_path_buf(),
                found: header.format_version,
            });
        }
        let manifest: Manifest = toml::from_str(text).map_err(|err| syntax(text, path, &err))?;
        manifest
            .validate()
            .map_err(|message| ManifestError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(manifest)
    }

    /// The part with this id, or an error listing the known ones.
    pub fn part(&self, id: &str) -> Result<&Part, ManifestError> {
        self.parts
            .iter()
            .find(|part| part.id == id)
            .ok_or_else(|| ManifestError::UnknownPart {
                id: id.to_string(),
                known: self
                    .parts
                    .iter()
                    .map(|part| part.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn validate(&self) -> Result<(), String> {
        // One namespace for every id: progress files key on them.
        let mut seen = HashSet::new();
        let mut unique = |id: &str| {
            if seen.insert(id.to_string()) {
                Ok(())
            } else {
                Err(format!("id {id:?} is used twice"))
            }
        };
        for part in &self.parts {
            unique(part.id.as_str())?;
            if !is_identifier(part.id.as_str()) {
                return Err(format!(
                    "part id {:?} must be a Rust identifier: it names the exercise's crate",
                    part.id.as_str()
                ));
            }
            inside_workspace(&part.solution, part.id.as_str())?;
            inside_workspace(&part.exercise, part.id.as_str())?;
            for exercise in &part.exercises {
                unique(exercise.id.as_str())?;
                for gap in &exercise.gaps {
                    unique(gap.id.as_str())?;
                    inside_workspace(&gap.file, gap.id.as_str())?;
                }
            }
        }
        self.exercises_stand_apart()
    }

    /// `gen` deletes what it does not generate under an exercise directory:
    /// no solution and no other exercise may be found there.
    fn exercises_stand_apart(&self) -> Result<(), String> {
        for part in &self.parts {
            let others = self.parts.iter().flat_map(|other| {
                let exercise = (other.id != part.id).then_some(&other.exercise);
                [Some(&other.solution), exercise].into_iter().flatten()
            });
            for dir in others {
                if dir.starts_with(&part.exercise) || part.exercise.starts_with(dir) {
                    return Err(format!(
                        "{}: exercise {:?} overlaps {:?}: gen would overwrite it",
                        part.id,
                        part.exercise.display().to_string(),
                        dir.display().to_string()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whose crate of a part: the learner's exercise, or the solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Learner,
    Solution,
}

impl Whose {
    /// The crate graded, relative to the workspace root.
    pub fn crate_dir(self, part: &Part) -> &Path {
        match self {
            Whose::Learner => &part.exercise,
            Whose::Solution => &part.solution,
        }
    }

    /// A package or binary of the exercise, as this side names it: the
    /// solution's are `<name>-solution`, so the two never collide.
    pub fn name(self, exercise_name: &str) -> String {
        match self {
            Whose::Learner => exercise_name.to_string(),
            Whose::Solution => format!("{exercise_name}-solution"),
        }
    }

    /// `learner` or `solution`, as the client test's harness names its side.
    pub fn side(self) -> &'static str {
        match self {
            Whose::Learner => "learner",
            Whose::Solution => "solution",
        }
    }
}

impl Exercise {
    /// The ids of the exercise's checks, in the manifest's order.
    pub fn check_ids(&self) -> impl Iterator<Item = CheckId> + '_ {
        self.checks.iter().map(|kind| CheckId::new(&self.id, *kind))
    }
}

/// The workshop's one clock: each part has one, started by `cargo xtask
/// start` or the first check, and each exercise is due when that clock
/// reaches its minutes plus those of every exercise before it (they are
/// done in order). `check`, `solution`, `list`, the home screen, the JSON
/// and the room all read time this way.
impl Part {
    /// The part's minutes: the sum of its exercises'.
    pub fn budget(&self) -> u32 {
        self.exercises.iter().map(|exercise| exercise.minutes).sum()
    }

    /// When `exercise` is due on the part's clock, in minutes: part 1's
    /// `client` at 10, `client_test` at 20, `webserver` at 30. An exercise
    /// of another part is due at the part's end.
    pub fn due(&self, exercise: &ExerciseId) -> u32 {
        let mut due = 0;
        for own in &self.exercises {
            due += own.minutes;
            if own.id == *exercise {
                return due;
            }
        }
        due
    }

    /// The part-wide numbers of `exercise`'s gaps (the `N` of `gap N`).
    pub fn gap_numbers<'a>(&'a self, exercise: &'a Exercise) -> impl Iterator<Item = usize> + 'a {
        self.gaps()
            .filter(|(_, gap)| exercise.gaps.iter().any(|own| own.id == gap.id))
            .map(|(number, _)| number)
    }

    /// Every gap of the part in manifest order, with its 1-based number:
    /// the `N` of `todo!("gap N: …")`.
    pub fn gaps(&self) -> impl Iterator<Item = (usize, &Gap)> {
        self.exercises
            .iter()
            .flat_map(|exercise| &exercise.gaps)
            .enumerate()
            .map(|(index, gap)| (index + 1, gap))
    }
}

/// A one-line syntax error with its position, instead of toml's multi-line
/// snippet.
fn syntax(text: &str, path: &Path, err: &toml::de::Error) -> ManifestError {
    let offset = err.span().map_or(0, |span| span.start).min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    ManifestError::Syntax {
        path: path.to_path_buf(),
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        message: err.message().trim().replace('\n', "; "),
    }
}

fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A relative path without `..`: it cannot leave the workspace.
fn inside_workspace(path: &Path, owner: &str) -> Result<(), String> {
    let plain = path.components().next().is_some()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "{owner}: path {:?} must be relative and stay inside the workspace",
            path.display().to_string()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
format_version = 1

[[parts]]
id = "part1"
title = "Part one"
solution = "solutions/part1"
exercise = "exercises/part1"
server = "webserver"

[[parts.exercises]]
id = "part1.a"
title = "A"

[[parts.exercises.gaps]]
id = "part1.a.one"
title = "one"
file = "src/lib.rs"

[[parts.exercises.gaps]]
id = "part1.a.two"
title = "two"
file = "src/lib.rs"
hints = ["a hint"]

[[parts.exercises]]
id = "part1.b"
title = "B"
minutes = 15

[[parts.exercises.gaps]]
id = "part1.b.three"
title = "three"
file = "src/b.rs"
"#;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("workshop.toml"))
    }

    #[test]
    fn gaps_are_numbered_across_exercises() {
        let manifest = parse(SMALL).unwrap();
        let part = manifest.part("part1").unwrap();
        let numbered: Vec<_> = part.gaps().map(|(n, gap)| (n, gap.id.as_str())).collect();
        assert_eq!(
            numbered,
            [(1, "part1.a.one"), (2, "part1.a.two"), (3, "part1.b.three")]
        );
        assert_eq!(part.exercises[0].minutes, 10, "the default");
        assert_eq!(part.exercises[1].minutes, 15);
    }

    #[test]
    fn an_exercise_is_due_at_the_running_sum_of_the_minutes() {
        let manifest = parse(SMALL).unwrap();
        let part = manifest.part("part1").unwrap();
        assert_eq!(part.budget(), 25);
        assert_eq!(part.due(&ExerciseId::new("part1.a")), 10);
        assert_eq!(part.due(&ExerciseId::new("part1.b")), 25);
    }

    #[test]
    fn another_format_version_is_refused_by_name() {
        let err = parse(&SMALL.replace("format_version = 1", "format_version = 2")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "workshop.toml: format_version is 2, but this xtask reads format_version 1 only"
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = parse(&SMALL.replace("part1.a.two", "part1.a.one")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "workshop.toml: id \"part1.a.one\" is used twice"
        );
    }

    #[test]
    fn syntax_errors_are_one_line_with_a_position() {
        let err = parse(&SMALL.replace("title = \"B\"", "titel = \"B\"")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("workshop.toml:28:1: unknown field `titel`"),
            "{message}"
        );
        assert_eq!(message.lines().count(), 1, "{message}");
    }

    #[test]
    fn paths_must_stay_inside_the_workspace() {
        let err = parse(&SMALL.replace("exercises/part1", "../elsewhere")).unwrap_err();
        assert!(err.to_string().contains("must be relative"), "{err}");
        let err = parse(&SMALL.replace("exercises/part1", "/tmp")).unwrap_err();
        assert!(err.to_string().contains("must be relative"), "{err}");
    }

    #[test]
    fn an_exercise_never_overlaps_a_solution() {
        let err = parse(&SMALL.replace("exercises/part1", "solutions/part1/ex")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "workshop.toml: part1: exercise \"solutions/part1/ex\" overlaps \"solutions/part1\": gen would overwrite it"
        );
    }

    #[test]
    fn solutions_wait_for_the_minutes_unless_the_course_says_always() {
        assert_eq!(parse(SMALL).unwrap().solutions, Solutions::AfterMinutes);
        let with = |value: &str| {
            let text = SMALL.replace(
                "format_version = 1\n",
                &format!("format_version = 1\nsolutions = {value}\n"),
            );
            parse(&text)
        };
        assert_eq!(
            with("\"after-minutes\"").unwrap().solutions,
            Solutions::AfterMinutes
        );
        assert_eq!(with("\"always\"").unwrap().solutions, Solutions::Always);
        let err = with("\"never\"").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "workshop.toml:3:13: unknown variant `never`, expected `after-minutes` or `always`"
            ),
            "{err}"
        );
        let err = with("true").unwrap_err().to_string();
        assert!(err.starts_with("workshop.toml:3:13: "), "{err}");
    }

    #[test]
    fn unknown_parts_list_the_known_ones() {
        let manifest = parse(SMALL).unwrap();
        let err = manifest.part("part9").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown part \"part9\": the parts are part1"
        );
    }
}
