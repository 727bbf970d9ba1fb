//! `cargo xtask timing`: the runner's own waits, timed. They measure the
//! tooling (a fresh clone's first check, an edit's verdict), not the
//! workshop's servers, so they live beside `selftest`, not in the bench.

mod edit_to_verdict;
mod first_run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// What to time.
#[derive(Debug, clap::Subcommand)]
#[command(after_help = "\
Examples:
  cargo xtask timing first-run --runs 2        a fresh clone's first check, against building part 2
  cargo xtask timing edit-to-verdict --runs 5 --against ../older-checkout")]
pub enum TimingArgs {
    /// A fresh clone's first `cargo xtask check part2` (its first line, its
    /// verdict) against `cargo build -p part2 --tests` from nothing.
    /// Minutes a run.
    FirstRun {
        #[command(flatten)]
        common: Common,
    },
    /// A one-line edit to each part's solution, then `cargo xtask check
    /// partN --solution`, timed to the verdict.
    EditToVerdict {
        #[command(flatten)]
        common: Common,
        /// Another checkout of the workshop to time the same way, run for
        /// run (e.g. the commit before a change).
        #[arg(long, value_name = "DIR")]
        against: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// How many runs: fresh clones (each both ways), or edits of each part.
    #[arg(long, default_value_t = 2)]
    runs: usize,
    /// Print the results as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Where to write the JSON [default: <target dir>/bench].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(root: &Path, args: &TimingArgs) -> anyhow::Result<ExitCode> {
    let (common, json, table, name) = match args {
        TimingArgs::FirstRun { common } => {
            // Outside any target directory, whose sources cargo would not watch.
            let scratch = std::env::temp_dir().join("workshop-first-run");
            let result = first_run::measure(root, &scratch, common.runs)?;
            let json = serde_json::to_string_pretty(&result)?;
            (common, json, first_run::table(&result), "first-run.json")
        }
        TimingArgs::EditToVerdict { common, against } => {
            let mut workspaces = vec![root.to_path_buf()];
            workspaces.extend(against.clone());
            let timings = edit_to_verdict::measure(&workspaces, common.runs)?;
            let json = serde_json::to_string_pretty(&timings)?;
            let table = edit_to_verdict::table(&timings);
            (common, json, table, "edit-to-verdict.json")
        }
    };
    let out = common
        .out
        .clone()
        .unwrap_or_else(|| workshop_core::paths::target_dir(root).join("bench"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(name);
    std::fs::write(&path, format!("{json}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    if common.json {
        println!("{json}");
    } else {
        print!("{table}");
    }
    eprintln!("results: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
