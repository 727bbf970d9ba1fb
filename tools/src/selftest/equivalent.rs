//! Mutants no check can catch because they do not change what the code
//! does (`tools/selftest/equivalent.toml`), each with its one-line reason.
//! A missed mutant listed here does not fail the run; one that is not
//! listed does.

use std::fs;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::mutants::Mutant;

pub const FILE: &str = "tools/selftest/equivalent.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    equivalent: Vec<Equivalent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalent {
    pub gap: String,
    /// The mutant's name as selftest prints it (`line:column: description`
    /// for cargo-mutants').
    pub mutant: String,
    /// Why it behaves as the solution does: one line.
    pub reason: String,
}

/// The list, checked: every entry names a mutant that exists, once, with a
/// one-line reason.
pub fn load(root: &Path, mutants: &[Mutant]) -> anyhow::Result<Vec<Equivalent>> {
    let text =
        fs::read_to_string(root.join(FILE)).with_context(|| format!("cannot read {FILE}"))?;
    let file: File =
        toml::from_str(&text).map_err(|err| anyhow::anyhow!("{FILE}: {}", err.message()))?;
    for (index, entry) in file.equivalent.iter().enumerate() {
        if !mutants
            .iter()
            .any(|m| m.gap == entry.gap && m.name == entry.mutant)
        {
            bail!(
                "{FILE}: {} {:?} is no mutant of the current list: remove it, or rename it after `--refresh`",
                entry.gap,
                entry.mutant
            );
        }
        if entry.reason.trim().is_empty() || entry.reason.contains('\n') {
            bail!(
                "{FILE}: {} {:?} needs a one-line reason",
                entry.gap,
                entry.mutant
            );
        }
        if file.equivalent[..index]
            .iter()
            .any(|other| other.gap == entry.gap && other.mutant == entry.mutant)
        {
            bail!("{FILE}: {} {:?} is listed twice", entry.gap, entry.mutant);
        }
    }
    Ok(file.equivalent)
}

/// Why `mutant` is equivalent, if it is listed.
pub fn reason<'e>(list: &'e [Equivalent], mutant: &Mutant) -> Option<&'e str> {
    list.iter()
        .find(|entry| entry.gap == mutant.gap && entry.mutant == mutant.name)
        .map(|entry| entry.reason.as_str())
}
