//! Conference Wi-Fi is hostile: every server and the rates service listen on
//! this machine only, unless told `--host 0.0.0.0`, which warns.

use std::net::SocketAddr;

use clap::Parser;
use part1::options::{ServerOptions, banner};
use rates::{RatesConfig, RatesService};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
}

#[test]
fn servers_bind_loopback_by_default() {
    let cli = Cli::parse_from(["server", "--port", "0"]);
    assert!(cli.server.host.is_loopback(), "{}", cli.server.host);
    let listener = cli.server.bind().unwrap();
    assert!(listener.local_addr().unwrap().ip().is_loopback());
}

#[test]
fn the_rates_service_binds_loopback() {
    let service = RatesService::start(RatesConfig::default()).unwrap();
    assert!(service.addr().ip().is_loopback());
}

#[test]
fn opening_to_the_network_is_on_purpose_and_warned() {
    let cli = Cli::parse_from(["server", "--host", "0.0.0.0", "--port", "0"]);
    assert!(cli.server.host.is_unspecified());
    let open: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let lines = banner(open);
    assert!(lines[0].starts_with("warning: "), "{lines:?}");
    let closed: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    assert!(banner(closed).iter().all(|line| !line.contains("warning")));
}
