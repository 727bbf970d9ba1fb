//! `slides` (run as `cargo xtask slides`): renders `slides/partN.md` into one
//! self-contained HTML file that opens offline. A binary of its own, so the
//! runner learners build first does not compile a syntax highlighter.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// Render a deck of slides to one self-contained HTML file.
#[derive(Debug, clap::Parser)]
#[command(
    name = "slides",
    bin_name = "cargo xtask slides",
    after_help = "Example: cargo xtask slides part2 --open\n\n\
Keys: → or Space next, ← previous, Home first, End last. Add #all to the\n\
URL for the handout (every slide with its notes); print for one slide a page."
)]
pub struct SlidesArgs {
    /// The deck: part1, part2, part3, part4, or all.
    deck: String,
    /// Where to write the HTML files [default: target/slides].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Open the deck in your browser once it is written.
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    let args = <SlidesArgs as clap::Parser>::parse();
    run(&workspace_root(), &args).unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}

/// The workspace this crate sits in, two levels up, from what cargo tells
/// the process it runs (never the folder it was built in: a workshop moved
/// or copied renders its own decks); run by hand, the current folder.
fn workspace_root() -> PathBuf {
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(here) => {
            let here = PathBuf::from(here);
            here.ancestors().nth(2).unwrap_or(&here).to_path_buf()
        }
        None => PathBuf::from("."),
    }
}

fn run(root: &Path, args: &SlidesArgs) -> anyhow::Result<ExitCode> {
    let decks = workshop_slides::decks_in(&root.join("slides"))?;
    let chosen: Vec<_> = if args.deck == "all" {
        decks.iter().collect()
    } else {
        decks
            .iter()
            .filter(|(name, _)| *name == args.deck)
            .collect()
    };
    if chosen.is_empty() {
        let names: Vec<_> = decks.iter().map(|(name, _)| name.as_str()).collect();
        bail!(
            "no deck named {:?}: try one of {}, or all",
            args.deck,
            names.join(", ")
        );
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(root));
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

    let mut written = Vec::new();
    for (name, source) in chosen {
        let deck = workshop_slides::render_file(source)?;
        for warning in &deck.warnings {
            eprintln!("warning: {warning}");
        }
        let file = out.join(format!("{name}.html"));
        fs::write(&file, &deck.html).with_context(|| format!("cannot write {}", file.display()))?;
        println!(
            "wrote {} ({} slides, {} KB): {}",
            shown(root, &file),
            deck.slides,
            deck.html.len().div_ceil(1024),
            deck.title
        );
        written.push(file);
    }
    if args.open {
        for file in &written {
            open(file)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `target/slides` in the workspace, where the docs say the decks are:
/// not cargo's target directory, which `cargo xtask` moves to
/// `target/grader` (it once put the decks in `target/grader/slides`).
fn default_out(root: &Path) -> PathBuf {
    root.join("target").join("slides")
}

/// A path as the presenter finds it: from the workspace's root when it is
/// under it, with `/`.
fn shown(root: &Path, file: &Path) -> String {
    match file.strip_prefix(root) {
        Ok(relative) => relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => file.display().to_string(),
    }
}

/// Opens `file` with the desktop's browser.
fn open(file: &Path) -> anyhow::Result<()> {
    let file = file
        .canonicalize()
        .with_context(|| format!("cannot find {}", file.display()))?;
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut command = Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        Command::new("xdg-open")
    };
    let status = command.arg(&file).status();
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!(
            "the browser did not open ({status}): open {} yourself",
            file.display()
        ),
        Err(err) => bail!(
            "cannot start a browser ({err}): open {} yourself",
            file.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(deck: &str, out: &Path) -> SlidesArgs {
        SlidesArgs {
            deck: deck.into(),
            out: Some(out.to_path_buf()),
            open: false,
        }
    }

    #[test]
    fn writes_one_self_contained_file_per_deck() {
        let out = tempfile::tempdir().expect("a temp dir");
        let code = run(&workspace_root(), &args("all", out.path())).expect("renders");
        assert_eq!(code, ExitCode::SUCCESS);
        for part in ["part1", "part2", "part3", "part4"] {
            let html = fs::read_to_string(out.path().join(format!("{part}.html")))
                .expect("the deck is written");
            assert!(html.contains("<section class=\"slide"), "{part}");
            assert!(!html.contains("src=\"http"), "{part} loads nothing");
        }
    }

    #[test]
    fn decks_go_to_target_slides_named_from_the_root() {
        let root = Path::new("/w");
        assert_eq!(default_out(root), Path::new("/w/target/slides"));
        let file = default_out(root).join("part2.html");
        assert_eq!(shown(root, &file), "target/slides/part2.html");
        assert_eq!(
            shown(root, Path::new("/elsewhere/a.html")),
            "/elsewhere/a.html"
        );
    }

    #[test]
    fn an_unknown_deck_names_the_known_ones() {
        let out = tempfile::tempdir().expect("a temp dir");
        let err = run(&workspace_root(), &args("part9", out.path())).unwrap_err();
        assert!(
            err.to_string().contains("part1, part2, part3, part4"),
            "{err}"
        );
    }
}
