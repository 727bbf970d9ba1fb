//! The mutants of the gaps: cargo-mutants' (listed once by `--refresh`,
//! committed in `tools/selftest/mutants.json`, so a run needs no
//! cargo-mutants) and hand-written semantic ones
//! (`tools/selftest/semantic.toml`), for faults cargo-mutants has no operator
//! for.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::regions::{self, Region};
use workshop_core::manifest::{Manifest, Part};

pub const LISTED_FILE: &str = "tools/selftest/mutants.json";
pub const SEMANTIC_FILE: &str = "tools/selftest/semantic.toml";

/// `mutants.json`: what cargo-mutants listed inside the gaps.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listed {
    /// How the file was made, for whoever opens it.
    pub about: String,
    /// Each gap's code when the list was made: the list holds for that code.
    pub gaps: BTreeMap<String, String>,
    pub mutants: Vec<ListedMutant>,
}

/// One of cargo-mutants' mutants. Positions are relative to the gap, so an
/// edit elsewhere in the file leaves the list valid.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedMutant {
    pub gap: String,
    /// cargo-mutants' description, without its position.
    pub description: String,
    /// Line (1 = the line after `BEGIN GAP`) and column (1-based, in
    /// characters) of the first character replaced.
    pub start: [usize; 2],
    /// Line and column just past the last character replaced.
    pub end: [usize; 2],
    /// The code replaced, and what replaces it.
    pub original: String,
    pub replacement: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Semantic {
    mutant: Vec<SemanticMutant>,
}

/// A hand-written mutant: the gap's whole code, written wrong on purpose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SemanticMutant {
    gap: String,
    name: String,
    code: String,
    /// False for a mutant the compiler must refuse (a lost `move`).
    #[serde(default = "yes")]
    compiles: bool,
}

fn yes() -> bool {
    true
}

/// A mutant ready to apply.
#[derive(Debug, Clone)]
pub struct Mutant {
    pub gap: String,
    /// Unique within its gap: `line:column: description` for cargo-mutants',
    /// the name given for a semantic one.
    pub name: String,
    /// The file it changes, relative to the workspace root.
    pub file: PathBuf,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub enum Change {
    /// Replace `original`, found at `start..end` of the gap, by `replacement`.
    Span(ListedMutant),
    /// Replace the gap's whole code; `compiles` is false when the compiler
    /// is the check expected to catch it.
    Region { code: String, compiles: bool },
}

impl Mutant {
    pub fn semantic(&self) -> bool {
        matches!(self.change, Change::Region { .. })
    }

    /// Whether the compiler must refuse it: then it is caught by the build.
    pub fn must_not_compile(&self) -> bool {
        matches!(
            self.change,
            Change::Region {
                compiles: false,
                ..
            }
        )
    }

    /// `text` (the file) with this mutant in it; an error if the file is not
    /// the one the mutant was made for.
    pub fn apply(&self, text: &str) -> anyhow::Result<String> {
        let region = find_region(text, &self.gap)
            .with_context(|| format!("{}: no gap {}", self.file.display(), self.gap))?;
        match &self.change {
            Change::Region { code, .. } => Ok(regions::replace(text, &region, code)),
            Change::Span(listed) => {
                let range = span(text, &region, listed).with_context(|| stale(&self.gap))?;
                if text[range.clone()] != listed.original {
                    bail!(stale(&self.gap));
                }
                Ok(format!(
                    "{}{}{}",
                    &text[..range.start],
                    listed.replacement,
                    &text[range.end..]
                ))
            }
        }
    }
}

fn stale(gap: &str) -> String {
    format!(
        "{LISTED_FILE} is stale: gap {gap} changed since its mutants were listed; run `cargo xtask selftest --refresh`"
    )
}

fn find_region(text: &str, gap: &str) -> Option<Region> {
    regions::regions(text)
        .into_iter()
        .find(|region| region.id == gap)
}

/// The byte range of `listed`'s span in `text`, whose gap is `region`.
fn span(text: &str, region: &Region, listed: &ListedMutant) -> Option<std::ops::Range<usize>> {
    let offset = |[line, column]: [usize; 2]| {
        let line = region.begin + line;
        if line >= region.end || column == 0 {
            return None;
        }
        let start = regions::line_start(text, line);
        let rest = &text[start..];
        // A column may be just past the line's last character.
        let within = rest
            .char_indices()
            .map(|(index, _)| index)
            .chain(std::iter::once(rest.len()))
            .nth(column - 1)?;
        Some(start + within)
    };
    let (start, end) = (offset(listed.start)?, offset(listed.end)?);
    (start <= end).then_some(start..end)
}

/// Every mutant of `part`'s gaps, in the manifest's gap order. Fails when
/// the committed list is stale or a file names an unknown gap.
pub fn of_part(
    root: &Path,
    part: &Part,
    listed: &Listed,
    semantic: &[Mutant],
) -> anyhow::Result<Vec<Mutant>> {
    let mut mutants = Vec::new();
    for (_, gap) in part.gaps() {
        let file = part.solution.join(&gap.file);
        let text = fs::read_to_string(root.join(&file))
            .with_context(|| format!("cannot read {}", file.display()))?;
        let region = find_region(&text, &gap.id)
            .with_context(|| format!("{}: no gap {}", file.display(), gap.id))?;
        match listed.gaps.get(gap.id.as_str()) {
            Some(code) if code == region.text(&text) => {}
            _ => bail!(stale(&gap.id)),
        }
        for one in listed.mutants.iter().filter(|one| one.gap == gap.id) {
            let mutant = Mutant {
                gap: gap.id.to_string(),
                name: format!("{}:{}: {}", one.start[0], one.start[1], one.description),
                file: file.clone(),
                change: Change::Span(one.clone()),
            };
            // A stale entry is refused now, not halfway through the run.
            mutant.apply(&text)?;
            mutants.push(mutant);
        }
        for one in semantic.iter().filter(|one| one.gap == gap.id) {
            mutants.push(Mutant {
                file: file.clone(),
                ..one.clone()
            });
        }
    }
    Ok(mutants)
}

/// The committed list of cargo-mutants' mutants.
pub fn load_listed(root: &Path) -> anyhow::Result<Listed> {
    let path = root.join(LISTED_FILE);
    let text = fs::read_to_string(&path).with_context(|| {
        format!("cannot read {LISTED_FILE}: run `cargo xtask selftest --refresh` to make it")
    })?;
    serde_json::from_str(&text).with_context(|| format!("{LISTED_FILE} does not read"))
}

/// The semantic mutants, checked against the manifest: every gap named
/// exists, and no two mutants of a gap share a name.
pub fn load_semantic(root: &Path, manifest: &Manifest) -> anyhow::Result<Vec<Mutant>> {
    let text = fs::read_to_string(root.join(SEMANTIC_FILE))
        .with_context(|| format!("cannot read {SEMANTIC_FILE}"))?;
    let semantic: Semantic = toml::from_str(&text)
        .map_err(|err| anyhow::anyhow!("{SEMANTIC_FILE}: {}", err.message()))?;
    let mut mutants: Vec<Mutant> = Vec::new();
    for one in semantic.mutant {
        if !gap_exists(manifest, &one.gap) {
            bail!(
                "{SEMANTIC_FILE}: mutant {:?} names no gap of workshop.toml: {}",
                one.name,
                one.gap
            );
        }
        if mutants
            .iter()
            .any(|other| other.gap == one.gap && other.name == one.name)
        {
            bail!(
                "{SEMANTIC_FILE}: two mutants of {} are named {:?}",
                one.gap,
                one.name
            );
        }
        mutants.push(Mutant {
            gap: one.gap,
            name: one.name,
            // Set by `of_part`, from the manifest.
            file: PathBuf::new(),
            change: Change::Region {
                code: one.code,
                compiles: one.compiles,
            },
        });
    }
    Ok(mutants)
}

pub fn gap_exists(manifest: &Manifest, gap: &str) -> bool {
    manifest
        .parts
        .iter()
        .flat_map(|part| part.gaps())
        .any(|(_, known)| known.id == gap)
}

/// A fixed sample: `per_gap` mutants of each gap, spread evenly over its
/// list (the first, then evenly spaced), the same every run.
pub fn sample(mutants: Vec<Mutant>, per_gap: usize) -> Vec<Mutant> {
    let mut by_gap: Vec<(String, Vec<Mutant>)> = Vec::new();
    for mutant in mutants {
        match by_gap.iter_mut().find(|(gap, _)| *gap == mutant.gap) {
            Some((_, list)) => list.push(mutant),
            None => by_gap.push((mutant.gap.clone(), vec![mutant])),
        }
    }
    by_gap
        .into_iter()
        .flat_map(|(_, list)| {
            let count = list.len();
            let take = per_gap.min(count);
            let picks: Vec<usize> = (0..take).map(|i| i * count / take).collect();
            list.into_iter()
                .enumerate()
                .filter(move |(index, _)| picks.contains(index))
                .map(|(_, mutant)| mutant)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "fn f(a: u32) -> bool {
    // BEGIN GAP p.f
    a == 1
    // END GAP
}
";

    fn listed(original: &str) -> Mutant {
        Mutant {
            gap: "p.f".into(),
            name: "1:7: replace == with !=".into(),
            file: "src/a.rs".into(),
            change: Change::Span(ListedMutant {
                gap: "p.f".into(),
                description: "replace == with !=".into(),
                start: [1, 7],
                end: [1, 9],
                original: original.into(),
                replacement: "!=".into(),
            }),
        }
    }

    #[test]
    fn a_listed_mutant_replaces_its_span_wherever_the_gap_moved() {
        let mutated = listed("==").apply(TEXT).unwrap();
        assert!(mutated.contains("    a != 1\n"), "{mutated}");
        let moved = format!("// a new first line\n{TEXT}");
        let mutated = listed("==").apply(&moved).unwrap();
        assert!(mutated.contains("    a != 1\n"), "{mutated}");
    }

    #[test]
    fn a_stale_mutant_is_refused_with_the_command_that_refreshes() {
        let err = listed("<=").apply(TEXT).unwrap_err().to_string();
        assert!(err.contains("cargo xtask selftest --refresh"), "{err}");
        let err = listed("==")
            .apply(&TEXT.replace("a == 1", "a"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("stale"), "{err}");
    }

    #[test]
    fn a_semantic_mutant_replaces_the_whole_gap() {
        let mutant = Mutant {
            change: Change::Region {
                code: "true".into(),
                compiles: true,
            },
            ..listed("==")
        };
        let mutated = mutant.apply(TEXT).unwrap();
        assert!(
            mutated.contains("// BEGIN GAP p.f\n    true\n    // END GAP"),
            "{mutated}"
        );
    }

    #[test]
    fn the_sample_takes_spread_mutants_of_every_gap() {
        let named = |gap: &str, n: usize| Mutant {
            gap: gap.into(),
            name: n.to_string(),
            ..listed("==")
        };
        let all: Vec<Mutant> = (0..5)
            .map(|n| named("p.a", n))
            .chain([named("p.b", 0)])
            .collect();
        let picked: Vec<(String, String)> = sample(all, 2)
            .into_iter()
            .map(|mutant| (mutant.gap, mutant.name))
            .collect();
        let expected = [("p.a", "0"), ("p.a", "2"), ("p.b", "0")]
            .map(|(gap, name)| (gap.to_string(), name.to_string()));
        assert_eq!(picked, expected);
    }
}
