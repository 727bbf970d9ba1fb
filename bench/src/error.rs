//! What can stop a bench, each said in words a workshop room understands.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("{0}")]
    Config(String),
    #[error("cannot run cargo to build the servers: {0}")]
    Cargo(#[source] io::Error),
    #[error("building the servers failed (cargo exited with {0}): see cargo's messages above")]
    Build(String),
    #[error("cargo built no binary {0}: is it workshop.toml's `server`?")]
    MissingBinary(String),
    #[error(transparent)]
    Manifest(#[from] workshop_core::manifest::ManifestError),
    #[error("cannot start {what}: {source}")]
    Start {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{server} {problem}{}", stderr_tail(.stderr))]
    Server {
        server: String,
        problem: String,
        stderr: Vec<String>,
    },
    #[error("cannot start the rates service: {0}")]
    Rates(#[source] io::Error),
    #[error("the load generator failed: {0}")]
    Generator(String),
    #[error("wrk is not installed: `apt-get install wrk` (Debian, Ubuntu) or `brew install wrk`")]
    WrkMissing,
    #[error("wrk failed: {0}")]
    Wrk(String),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the results as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot draw the chart: {0}")]
    Chart(String),
    #[error("interrupted: every server started has been stopped")]
    Interrupted,
}

/// The last lines a dead server wrote, which usually say why it died.
fn stderr_tail(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; its last words:\n  {}", lines.join("\n  "))
    }
}
