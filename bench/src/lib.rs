//! The comparison (part 3's finale): the servers of the workshop under the
//! same closed-loop load, side by side, each figure next to the bound
//! Little's law sets for it, or, for part 4, whose requests do not wait for
//! the rates service, next to its CPU ceiling.
//!
//! The original workshop ran `wrk -c N` against each server at 32…1024
//! connections and plotted req/s. This crate does the same without anything
//! installed: a built-in load generator (checked against wrk where wrk is
//! installed), a terminal table, a JSON record of the run and of the machine,
//! and an SVG chart.
//!
//! `bench overload` is the other comparison (part 5's finale): a server with a
//! queue that ends and the same server without, offered constant rates up to
//! 10× their capacity in an open loop (see [`overload`]). `bench retries`
//! is part 6's: the same open loop through an outage of the rates service,
//! against part 6's server without retries, with naive ones, and with its
//! own (see [`retries`]).
//!
//! ```no_run
//! let config = workshop_bench::BenchConfig::new("/path/to/async-workshop");
//! let outcome = workshop_bench::run(&config)?;
//! println!("{}", workshop_bench::report::table(&outcome.report));
//! # Ok::<(), workshop_bench::BenchError>(())
//! ```

use std::env;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

// Public: what tests/sweep.rs reads of a run. The rest is the binary's.
pub mod chart;
mod cli;
mod error;
mod generator;
mod limits;
pub mod littles_law;
mod machine;
mod open_loop;
mod overload;
mod overload_chart;
mod overload_report;
pub mod report;
pub mod retries;
mod retries_chart;
pub mod retries_report;
mod rig;
mod servers;
mod sweep;
mod wrk;

pub use cli::main;
pub use error::BenchError;
pub use sweep::{Outcome, run};

/// The connection counts of the original workshop's comparison.
pub const DEFAULT_CONNECTIONS: [usize; 6] = [32, 64, 128, 256, 512, 1024];

/// Whose servers to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Code {
    /// `solutions/partN`: the finished servers.
    Solutions,
    /// `exercises/partN`: the learner's own.
    Learner,
}

/// The cargo profile the servers are built with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// What the figures are for.
    Release,
    /// Quick to build, slow to run: for testing the bench itself.
    Dev,
}

impl Code {
    /// The side of a part, as workshop-core names its binaries.
    fn whose(self) -> workshop_core::manifest::Whose {
        match self {
            Code::Solutions => workshop_core::manifest::Whose::Solution,
            Code::Learner => workshop_core::manifest::Whose::Learner,
        }
    }
}

impl Profile {
    /// The name cargo's `--profile` takes.
    pub fn cargo_name(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Dev => "dev",
        }
    }
}

/// Which program sends the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratorKind {
    /// The built-in generator: like wrk, one task per connection.
    Builtin,
    /// wrk, where installed.
    Wrk,
}

/// Everything a run needs. [`BenchConfig::new`] gives the defaults of
/// `cargo xtask bench`.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The workspace root, where the servers are built.
    pub root: PathBuf,
    /// Where cargo puts the built servers: see [`default_target_dir`].
    pub target_dir: PathBuf,
    /// Where the JSON and the SVG go.
    pub out_dir: PathBuf,
    pub code: Code,
    pub profile: Profile,
    /// Connection counts, one sweep point each.
    pub connections: Vec<usize>,
    /// How long each point is measured.
    pub duration: Duration,
    /// How long each point runs before it is measured: connection pools fill,
    /// thread pools grow.
    pub warmup: Duration,
    /// The rates service's latency: the round trip every request waits for.
    pub latency: Duration,
    /// Part 3's pool size, passed as `--threads`.
    pub threads: usize,
    pub generator: GeneratorKind,
    /// Also measure with the other generator at zero latency, and say how far
    /// apart the two are (needs wrk).
    pub wrk_check: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Set by a Ctrl-C handler: the run stops at the next chance.
    pub stop: Arc<AtomicBool>,
}

impl BenchConfig {
    /// The defaults for the workspace at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let target_dir = default_target_dir(&root);
        Self {
            out_dir: target_dir.join("bench"),
            target_dir,
            root,
            code: Code::Solutions,
            profile: Profile::Release,
            connections: DEFAULT_CONNECTIONS.to_vec(),
            // 6 points × 3 servers × (3 s + 0.5 s), plus the zero-latency
            // runs and the wrk check, then part 4's 6 points and 6 ceilings:
            // about 3½ minutes on 2 cores.
            duration: Duration::from_secs(3),
            warmup: Duration::from_millis(500),
            latency: Duration::from_millis(50),
            threads: 32,
            generator: GeneratorKind::Builtin,
            wrk_check: true,
            progress: true,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// cargo's own rule: `CARGO_TARGET_DIR` if set (relative to the current
/// directory, as cargo reads it), else `target/` in the workspace.
pub fn default_target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                env::current_dir().map_or(dir.clone(), |cwd| cwd.join(dir))
            }
        }
        None => root.join("target"),
    }
}
