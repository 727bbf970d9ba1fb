//! The command line every workshop server shares: where to listen, where the
//! rates are, how long to wait for them.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use rates::{RatesConfig, RatesService};

/// `--port`, `--host`, `RATES_URL` and `--upstream-timeout`, for any server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerOptions {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. The default is this machine only: conference
    /// Wi-Fi is no place for an open port. Use 0.0.0.0 to share on purpose.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// The rates service, e.g. http://127.0.0.1:8081. Unset: start one inside
    /// this process, so the server works with nothing else running.
    #[arg(long, env = "RATES_URL")]
    pub rates_url: Option<String>,
    /// Give up on the rates service after this long, and answer 504.
    #[arg(long, env = "UPSTREAM_TIMEOUT", default_value = "2s", value_parser = humantime::parse_duration)]
    pub upstream_timeout: Duration,
}

/// Where the rates come from. Keep it alive: an embedded service stops when
/// this is dropped.
#[derive(Debug)]
pub struct RatesSource {
    pub url: String,
    embedded: Option<RatesService>,
}

impl RatesSource {
    /// `url` if given; otherwise a rates service started in this process.
    pub fn new(url: Option<String>) -> io::Result<Self> {
        match url {
            Some(url) => Ok(Self {
                url,
                embedded: None,
            }),
            None => {
                let service = RatesService::start(RatesConfig::default())?;
                Ok(Self {
                    url: service.url(),
                    embedded: Some(service),
                })
            }
        }
    }

    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
}

impl ServerOptions {
    /// The rates service to use, saying so when it is the embedded one.
    pub fn rates(&self) -> io::Result<RatesSource> {
        let source = RatesSource::new(self.rates_url.clone())?;
        if source.is_embedded() {
            println!(
                "rates service: embedded at {} (set RATES_URL to use another)",
                source.url
            );
        }
        Ok(source)
    }

    /// Binds the listening socket and says where it is. The line
    /// `listening on http://…` is what tools wait for before sending requests.
    pub fn bind(&self) -> io::Result<TcpListener> {
        let listener = TcpListener::bind(SocketAddr::new(self.host, self.port)).map_err(|err| {
            let hint = if err.kind() == io::ErrorKind::AddrInUse {
                ": stop the other server or pass --port"
            } else {
                ""
            };
            io::Error::new(
                err.kind(),
                format!("cannot listen on {}:{}: {err}{hint}", self.host, self.port),
            )
        })?;
        for line in banner(listener.local_addr()?) {
            println!("{line}");
        }
        Ok(listener)
    }
}

/// What a server says once it listens on `addr`: a warning first if other
/// machines can reach it, then where it is and a request to try.
pub fn banner(addr: SocketAddr) -> Vec<String> {
    let mut lines = Vec::new();
    if !addr.ip().is_loopback() {
        lines.push(format!(
            "warning: listening on {} makes this server reachable from other machines",
            addr.ip()
        ));
    }
    lines.push(format!("listening on http://{addr}"));
    lines.push(format!("try: curl http://{addr}/convert/GBP/100"));
    lines
}
