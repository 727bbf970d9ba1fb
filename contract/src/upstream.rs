//! The rates services a server under test is pointed at.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

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
    /// Every answer is a 200 whose body is not the rates.
    Garbage,
}

/// A rates service of a kind, and the URL to give a server. Keep it alive for
/// as long as the server uses it.
pub struct RunningUpstream {
    pub url: String,
    _service: Option<RatesService>,
    /// For `Down`: the port, bound and never listened on.
    _reserved: Option<socket2::Socket>,
}

impl Upstream {
    pub const ALL: [Upstream; 5] = [
        Self::Working,
        Self::Down,
        Self::Failing,
        Self::Slow,
        Self::Garbage,
    ];

    pub fn start(self) -> std::io::Result<RunningUpstream> {
        let config = match self {
            Self::Working => RatesConfig::default(),
            Self::Failing => RatesConfig {
                failure_rate: 1.0,
                ..RatesConfig::default()
            },
            Self::Slow => RatesConfig::with_latency(UPSTREAM_TIMEOUT * 10),
            Self::Garbage => RatesConfig {
                fault: Some(rates::Fault::GarbageJson),
                ..RatesConfig::default()
            },
            Self::Down => {
                // A port bound and never listened on: a connection is refused
                // on every system, and no other process can take the port
                // meanwhile (a port merely free a moment ago can be, by a
                // test running beside this one, which then answers 404).
                let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
                socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
                let port = socket
                    .local_addr()?
                    .as_socket()
                    .map(|addr| addr.port())
                    .ok_or_else(|| std::io::Error::other("no port bound"))?;
                return Ok(RunningUpstream {
                    url: format!("http://127.0.0.1:{port}"),
                    _service: None,
                    _reserved: Some(socket),
                });
            }
        };
        let service = RatesService::start(config)?;
        Ok(RunningUpstream {
            url: service.url(),
            _service: Some(service),
            _reserved: None,
        })
    }
}
