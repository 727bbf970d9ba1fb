//! `cargo xtask serve`: runs a part's server, the learner's or the solution.
//!
//! The server is a child `cargo run`, so it is built first if needed; see
//! `cargo_run` for how Ctrl-C stops it. Every option after the part goes to
//! the server as it is, and the server's variables (`PORT`, `RATES_URL`…)
//! reach it through the environment: `serve` takes what the servers take,
//! and the servers' own clap says what is wrong with it.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::cargo_run;
use workshop_core::manifest::{Manifest, Whose};

/// How long a server may take to stop after Ctrl-C before it is killed.
const GRACE: Duration = Duration::from_secs(3);

/// Which server to run, and its options.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples: cargo xtask serve part1
          cargo xtask serve part2 --solution --host 0.0.0.0 --port 9191
          PORT=9191 RATES_URL=http://127.0.0.1:8081 cargo xtask serve part4

Every option but --solution goes to the server, and so do its variables:
--port (PORT, 8080), --host (127.0.0.1; 0.0.0.0 opens it to the network),
--rates-url (RATES_URL; unset, a rates service starts inside the server),
--upstream-timeout (UPSTREAM_TIMEOUT, 2s); part 4's server also takes
--rates-ttl (RATES_TTL, 1h), --grace (GRACE, 10s) and --report-every (1m);
part 5's --max-fetches (MAX_FETCHES, 8), --max-wait (MAX_WAIT, 10ms, or
unbounded while its gap is left in your exercise) and --log (LOG, off).
`cargo xtask serve part4 -- --help` shows the server's own help.")]
pub struct ServeArgs {
    /// The part, e.g. part1.
    part: String,
    /// Run the solution instead of your exercise.
    #[arg(long)]
    solution: bool,
    /// The server's options: --port, --host, --rates-url, --upstream-timeout, …
    #[arg(
        value_name = "SERVER OPTIONS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    server: Vec<String>,
}

pub fn run(root: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    let part = manifest.part(&args.part)?;
    // `--solution` after a server option lands among the server's (clap
    // takes everything after the first one it does not know): it is ours
    // wherever it is, since no server has one.
    let solution = args.solution || args.server.iter().any(|arg| arg == "--solution");
    let mut server: Vec<String> = args
        .server
        .iter()
        .filter(|arg| *arg != "--solution")
        .cloned()
        .collect();
    let (side, whose) = if solution {
        (Whose::Solution, "solution")
    } else {
        (Whose::Learner, "your exercise")
    };
    let (package, bin) = (side.name(&part.id), side.name(&part.server));

    println!("serving {} ({whose}) — Ctrl-C stops it", part.id);
    if !solution {
        let left = crate::learner::gaps_left(root, part);
        for (gap, option, value) in WHILE_LEFT {
            let Some(left) = left.iter().find(|left| left.id.as_str() == *gap) else {
                continue;
            };
            let (flag, variable) = option;
            let given = server
                .iter()
                .any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
                || std::env::var_os(variable).is_some();
            if !given {
                println!(
                    "gap {} ({}) is not filled yet: serving with {flag} {value}, so that what \
                     you have written runs; once it is filled, the server's default applies",
                    left.number, left.title
                );
                server.extend([flag.to_string(), value.to_string()]);
            }
        }
    }
    cargo_run::run(root, &package, Some(&bin), false, GRACE, server)
}

/// Options a learner's server is given while a gap is left, unless the
/// learner gives them: a first try by hand must run what is written so far,
/// not the next exercise's `todo!()`. Part 5's default `--max-wait` (10 ms)
/// takes the budget's branch of `Limit::admit` on every dated request;
/// `unbounded` takes the first exercise's. Part 6's default `--retries
/// full` asks the retry budget before every retry; `backoff` retries
/// without it, so the backoff and Retry-After exercises run before the
/// budget's is filled. (One flag for any of a part's gaps: once the first
/// left adds it, it is given.)
const WHILE_LEFT: &[(&str, (&str, &str), &str)] = &[
    ("part5.shed.budget", ("--max-wait", "MAX_WAIT"), "unbounded"),
    ("part6.budget.settle", ("--retries", "RETRIES"), "backoff"),
    ("part6.budget.withdraw", ("--retries", "RETRIES"), "backoff"),
    ("part6.budget.ask", ("--retries", "RETRIES"), "backoff"),
];
