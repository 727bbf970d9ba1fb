//! The rates services a server under test is pointed at.

use std::net::TcpListener;
use std::time::Duration;

use rates::{RatesConfig, RatesService};

/// The upstream timeout the servers under test get: short, so the slow case
/// is quick, yet far above a loopback round trip.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_millis(300);

/// How the rates service behaves for a group of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Upstream {
    /// The fixture, answered at once.
    Working,
    /// Nothing listens at `RATES_URL`.
    Down,
    /// Every answer is a 500.
    Failing,
    /// Every answer comes long after `UPSTREAM_TIMEOUT`.
    Slow,
}

/// A rates service of a kind, and the URL to give a server. Keep it alive for
/// as long as the server uses it.
pub struct RunningUpstream {
    pub url: String,
    _service: Option<RatesService>,
}

impl Upstream {
    pub const ALL: [Upstream; 4] = [Self::Working, Self::Down, Self::Failing, Self::Slow];

    pub fn start(self) -> std::io::Result<RunningUpstream> {
        let config = match self {
            Self::Working => RatesConfig::default(),
            Self::Failing => RatesConfig {
                failure_rate: 1.0,
                ..RatesConfig::default()
            },
            Self::Slow => RatesConfig::with_latency(UPSTREAM_TIMEOUT * 10),
            Self::Down => {
                // A port that was free a moment ago and that nobody listens on.
                let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
                return Ok(RunningUpstream {
                    url: format!("http://127.0.0.1:{port}"),
                    _service: None,
                });
            }
        };
        let service = RatesService::start(config)?;
        Ok(RunningUpstream {
            url: service.url(),
            _service: Some(service),
        })
    }
}
