//! What the open-loop benches (`bench overload`, `bench retries`) share:
//! their setup before the runs (the part's server built, the open-file
//! limit raised and the connections it allows, the open loop, the capacity
//! measured), the path each request asks for, and where their results go.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rates::date::FIRST;
use rates::{Date, RatesConfig, RatesService};

use crate::generator::Generator;
use crate::open_loop::OpenLoop;
use crate::servers;
use crate::{BenchConfig, BenchError};

/// Ready to run: what every open-loop bench sets up first.
pub(crate) struct Rig {
    /// When the bench began, for its wall time.
    pub began: Instant,
    /// The part's server, built.
    pub binary: PathBuf,
    pub open_loop: OpenLoop,
    /// At most the connections asked for, and as many as the open-file
    /// limit allows (two descriptors each: ours and the server's).
    pub connections: usize,
    /// A request for a date's rates, as measured here.
    pub round_trip: Duration,
    /// The quota ÷ that round trip: conversions on a date a second.
    pub capacity: f64,
}

impl Rig {
    /// Builds `part`'s server, and measures and says the capacity `quota`
    /// fetches at once give; `connections` is the most the bench wants open.
    pub fn new(
        config: &BenchConfig,
        part: &str,
        quota: usize,
        connections: usize,
    ) -> Result<Self, BenchError> {
        let began = Instant::now();
        let limits = crate::limits::raise_open_files();
        let connections = limits
            .max_connections()
            .map_or(connections, |most| most.min(connections));
        let binary = servers::build_server(config, part)?;
        let generator = Generator::new()?;
        let open_loop = OpenLoop::new()?;
        let round_trip = measure_round_trip(&generator, config.latency)?;
        let capacity = quota as f64 / round_trip.as_secs_f64();
        eprintln!(
            "capacity: {quota} fetches at once ÷ {:.1} ms = {capacity:.0} conversions on a date a second",
            round_trip.as_secs_f64() * 1000.0
        );
        Ok(Self {
            began,
            binary,
            open_loop,
            connections,
            round_trip,
            capacity,
        })
    }
}

/// A conversion on the k-th date from the first rates: each its own fetch.
pub(crate) fn dated_path(k: usize) -> String {
    let span = (Date::today().days() - FIRST.days()).max(1);
    let day = i64::try_from(k).unwrap_or(0) % span;
    format!("/convert/GBP/100/{}", FIRST.plus_days(day))
}

/// The round trip of a request for a date's rates, as measured.
fn measure_round_trip(generator: &Generator, latency: Duration) -> Result<Duration, BenchError> {
    let rates =
        RatesService::start(RatesConfig::with_latency(latency)).map_err(BenchError::Rates)?;
    let addr: SocketAddr = rates.addr();
    generator.round_trip(addr, "/2016-10-14", 7)
}

/// `{name}.json` and `{name}.svg` in `out_dir`: the report, and its chart
/// drawn by `draw` (`bench overload`'s and `bench retries`').
pub(crate) fn write_results<R: serde::Serialize>(
    report: &R,
    out_dir: &Path,
    name: &str,
    draw: impl FnOnce(&R, &Path) -> Result<(), BenchError>,
) -> Result<(PathBuf, PathBuf), BenchError> {
    fs::create_dir_all(out_dir).map_err(|source| BenchError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let json = out_dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(report)? + "\n";
    fs::write(&json, text).map_err(|source| BenchError::Write {
        path: json.clone(),
        source,
    })?;
    let svg = out_dir.join(format!("{name}.svg"));
    draw(report, &svg)?;
    Ok((json, svg))
}
