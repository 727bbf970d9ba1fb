//! `cargo xtask room`: the instructor's live view of the room: who passes,
//! who is stuck, and on what.
//!
//! The instructor runs the board (`room serve`); each learner joins it once
//! (`room join`), and from then on every check sends its outcome there:
//! check ids, pass or fail and one-line reasons, gaps left, the clock, the
//! hint reached. No code and no file paths leave a laptop, and a room that
//! is down or slow never changes a check.
//!
//! This is the learner's side: `room join`, `room leave`, and what every
//! check sends. The board (`room serve`) is one of the instructor's tools,
//! in the `workshop-tools` package, started from here; both sides speak
//! `workshop_core::room_wire`.
//!
//! - `scrub`: reasons made fit to send;
//! - `membership`: `.workshop/room.toml`; `send`: what a check sends.

mod membership;
mod scrub;
mod send;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;

use membership::Membership;
use workshop_core::manifest::Part;
use workshop_core::room_wire as wire;
use workshop_grader::{Report, Whose};

/// What `cargo xtask room --help` says, above the commands.
pub const LONG_ABOUT: &str = "\
    The instructor's live view of the room. The instructor runs `room serve` and \
    shows its join line; each learner runs it once. From then on every check sends \
    the board its outcome: check ids, pass or fail and one-line reasons, gaps left, \
    the part's clock, the hint reached. Never code, never file paths.";

#[derive(Debug, clap::Args)]
pub struct RoomArgs {
    #[command(subcommand)]
    command: RoomCmd,
}

#[derive(Debug, Subcommand)]
enum RoomCmd {
    /// Run the board: learners × exercises, live, until Ctrl-C.
    #[command(
        disable_help_flag = true,
        after_help = "Example: cargo xtask room serve --host 0.0.0.0 --state ~/room.json"
    )]
    Serve {
        /// What `cargo xtask room serve --help` lists: --port, --host, --state, --offline, …
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Send every check's outcome to the instructor's board from now on.
    Join(JoinArgs),
    /// Stop sending checks to the room.
    Leave,
}

/// The room to join, as the board's join line gives it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: cargo xtask room join http://192.168.1.10:8099 --token k7mp-x3rf-q9tw --name Ada"
)]
struct JoinArgs {
    /// The board's address, e.g. http://192.168.1.10:8099.
    url: String,
    /// The join token on the instructor's slide.
    #[arg(long)]
    token: String,
    /// The name the board shows for you (up to 40 characters); without it,
    /// it is asked for on the terminal, so that the board's join line works
    /// pasted as it is.
    #[arg(long)]
    name: Option<String>,
}

/// A name asked for this many times, at most, before giving up.
const NAME_TRIES: usize = 3;

/// Joining waits longer than a check's report: someone is watching it.
const JOIN_DEADLINE: Duration = Duration::from_secs(5);

pub fn run(root: &Path, args: &RoomArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        RoomCmd::Serve { args } => crate::cargo_run::tools(
            root,
            "room",
            std::iter::once("serve".to_string()).chain(args.iter().cloned()),
        ),
        RoomCmd::Join(join) => self::join(root, join),
        RoomCmd::Leave => leave(root),
    }
}

/// After a check of `part`: its outcome to the room, if one is joined. A
/// check of the solution is nobody's progress, and is not sent.
pub fn after_check(root: &Path, part: &Part, report: &Report) {
    if report.whose == Whose::Learner {
        send::after_check(root, part, report);
    }
}

/// The line `list` ends with when a room is joined.
pub fn status_line(root: &Path) -> Option<String> {
    match Membership::load(root) {
        Ok(Some(room)) => Some(format!(
            "Room: every check is sent to {} as {} (`cargo xtask room leave` stops it).",
            room.url, room.name
        )),
        Ok(None) => None,
        Err(why) => Some(format!("Room: {why}")),
    }
}

fn join(root: &Path, args: &JoinArgs) -> anyhow::Result<ExitCode> {
    let url = origin(&args.url)?;
    let token = args.token.trim();
    if token.is_empty() || token.len() > 100 || token.contains(char::is_whitespace) {
        bail!("the token is one word, as on the join line: --token k7mp-x3rf-q9tw");
    }
    let name = match &args.name {
        Some(name) => {
            wire::check_name(name).map_err(|why| anyhow!("{why}"))?;
            name.clone()
        }
        None => ask_name(&url, token)?,
    };
    // Joining the same room again (another name) keeps the same row.
    let learner = match Membership::load(root) {
        Ok(Some(old)) if old.url == url => old.learner,
        _ => wire::random_hex(16),
    };
    let room = Membership {
        url: url.clone(),
        token: token.to_string(),
        name: name.clone(),
        learner: learner.clone(),
    };
    let hello = wire::Join {
        learner,
        name: name.clone(),
    };
    send::post(&room, "/api/join", &hello, JOIN_DEADLINE)
        .map_err(|why| anyhow!("cannot join the room at {url}: {why}. Nothing was saved"))?;
    room.save(root)
        .with_context(|| format!("cannot save {}", membership::FILE))?;
    println!("Joined the room at {url} as {name}.");
    println!(
        "From now on every `cargo xtask check` (and every check `watch` runs) sends the board \
         its outcome: check ids, pass or fail and their one-line reasons, gaps left, the \
         part's clock and the hint reached. Never code, never file paths."
    );
    println!("`cargo xtask room leave` stops it.");
    Ok(ExitCode::SUCCESS)
}

/// The name, asked for on the terminal (the question on stderr, as every
/// question is); where there is none, the line to type instead.
fn ask_name(url: &str, token: &str) -> anyhow::Result<String> {
    if !io::stdin().is_terminal() {
        bail!(
            "choose the name the board shows for you: cargo xtask room join {url} --token {token} --name NAME"
        );
    }
    let mut err = anstream::stderr();
    for _ in 0..NAME_TRIES {
        let _ = write!(
            err,
            "Your name on the board (your choice, up to {} characters): ",
            wire::MAX_NAME
        );
        let _ = err.flush();
        let mut answer = String::new();
        if io::stdin().lock().read_line(&mut answer)? == 0 {
            bail!("no name given: nothing was sent");
        }
        let name = answer.trim().to_string();
        match wire::check_name(&name) {
            Ok(()) => return Ok(name),
            Err(why) => {
                let _ = writeln!(err, "{why}");
            }
        }
    }
    bail!("no name the board takes: nothing was sent")
}

fn leave(root: &Path) -> anyhow::Result<ExitCode> {
    let room = Membership::load(root).ok().flatten();
    let forgotten =
        Membership::forget(root).with_context(|| format!("cannot remove {}", membership::FILE))?;
    match room {
        Some(room) => println!("Left the room at {}: checks are no longer sent.", room.url),
        None if forgotten => println!("Left the room: checks are no longer sent."),
        None => println!("No room joined: nothing to leave."),
    }
    Ok(ExitCode::SUCCESS)
}

/// `http://host:port`, from what the learner typed.
fn origin(text: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|err| anyhow!("{text:?} is not a URL ({err}): copy it from the join line"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("{text:?} is not the board's address: it looks like http://192.168.1.10:8099");
    }
    if url.path() != "/" || url.query().is_some() {
        bail!("{text:?}: the join address has no path: it looks like http://192.168.1.10:8099");
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_the_boards_origin() {
        assert_eq!(
            origin("http://10.0.0.2:8099").unwrap(),
            "http://10.0.0.2:8099"
        );
        assert_eq!(
            origin(" http://10.0.0.2:8099/ ").unwrap(),
            "http://10.0.0.2:8099"
        );
        for bad in [
            "10.0.0.2:8099",
            "ftp://x",
            "http://x/?view=abc",
            "http://x/state.json",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }
}
