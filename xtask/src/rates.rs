//! `cargo xtask rates`: the rates service on its own, for servers started
//! with `RATES_URL` and for trying it with curl.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use rates::{Fault, RatesConfig, RatesService};

/// How to run the service.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  cargo xtask rates --latency 200ms --jitter 50ms --failure-rate 0.1\n  cargo xtask rates --latency 100ms --quota 8     part 5: 8 dated requests at once, 429 beyond"
)]
pub struct RatesArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Address to listen on; anything but loopback is reachable from other machines.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// How long every answer takes, e.g. 200ms or 1s.
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// Each answer's latency varies by up to this much either way.
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    jitter: Duration,
    /// The share of answers that are a 500, from 0.0 to 1.0.
    #[arg(long, default_value_t = 0.0, value_parser = parse_failure_rate)]
    failure_rate: f64,
    /// Break every answer in one way: garbage-json, close-mid-response,
    /// unavailable (503), stall-body (headers, then nothing) or trickle-body
    /// (headers, then one byte every 100 ms).
    #[arg(long, value_parser = parse_fault)]
    fault: Option<Fault>,
    /// At most this many requests for a date's rates (GET /2016-10-14) at
    /// once, as a paid plan allows; one more gets 429 Too Many Requests.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    quota: Option<u16>,
}

fn parse_fault(text: &str) -> Result<Fault, String> {
    Fault::NAMED
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, fault)| *fault)
        .ok_or_else(|| {
            let names: Vec<&str> = Fault::NAMED.iter().map(|(name, _)| *name).collect();
            format!("expected one of {}", names.join(", "))
        })
}

fn parse_failure_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| "expected a number from 0.0 to 1.0, like 0.1".to_string())?;
    // `contains` is false for NaN too.
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be from 0.0 (never fail) to 1.0 (always fail)".to_string())
    }
}

/// Serves until Ctrl-C.
pub fn run(args: RatesArgs) -> anyhow::Result<ExitCode> {
    let config = RatesConfig {
        latency: args.latency,
        jitter: args.jitter,
        failure_rate: args.failure_rate,
        fault: args.fault,
        quota: args.quota.map(usize::from),
        ..RatesConfig::default()
    };
    // The handler is installed before the port is taken: nothing can be left
    // listening if it fails.
    let (stop, stopped) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .context("cannot watch for Ctrl-C")?;

    let addr = SocketAddr::new(args.host, args.port);
    let service = match RatesService::start_on(addr, config) {
        Ok(service) => service,
        Err(err) if err.kind() == io::ErrorKind::AddrInUse => anyhow::bail!(
            "cannot start the rates service on {addr}: the port is taken: stop the other one or pass --port"
        ),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot start the rates service on {addr}"));
        }
    };
    if !args.host.is_loopback() {
        println!(
            "warning: listening on {} makes the rates service reachable from other machines",
            args.host
        );
    }
    let url = local_url(service.addr());
    println!("rates service on {url}/latest");
    println!("{}", env_hint(&url));
    println!("a date's rates: {url}/2016-10-14");
    if let Some(quota) = args.quota {
        println!("quota: {quota} requests for a date at once, 429 beyond");
    }

    // The service runs on its own thread; this one only waits. A closed
    // channel cannot happen while `stop` lives in the handler, but it ends
    // the wait as well.
    let _ = stopped.recv();
    println!("{}", answered(&service.counts()));
    if args.quota.is_some() {
        println!("refused past the quota (429): {}", service.refused());
    }
    drop(service);
    Ok(ExitCode::SUCCESS)
}

/// What the service was asked, said on the way out: with a caching server
/// in front, far fewer `/latest` than conversions.
fn answered(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "requests received: none".to_string();
    }
    let each: Vec<String> = counts
        .iter()
        .map(|(path, count)| format!("{path} {count}"))
        .collect();
    format!("requests received: {}", each.join(", "))
}

/// The URL to use from this machine: `0.0.0.0` listens everywhere, but is
/// no address to connect to.
fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// How to point the workshop's servers at this service, in the user's shell.
fn env_hint(url: &str) -> String {
    if cfg!(windows) {
        format!("then, in another PowerShell: $env:RATES_URL = \"{url}\"")
    } else {
        format!("export RATES_URL={url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_rate_is_a_share() {
        assert_eq!(parse_failure_rate("0"), Ok(0.0));
        assert_eq!(parse_failure_rate("0.25"), Ok(0.25));
        assert_eq!(parse_failure_rate("1.0"), Ok(1.0));
        for bad in ["1.5", "-0.1", "NaN", "ten", ""] {
            assert!(parse_failure_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn faults_are_known_by_name() {
        assert_eq!(parse_fault("stall-body"), Ok(Fault::StallBody));
        assert_eq!(parse_fault("trickle-body"), Ok(Fault::TrickleBody));
        let err = parse_fault("slow").unwrap_err();
        assert!(
            err.contains("garbage-json") && err.contains("unavailable"),
            "{err}"
        );
    }

    #[test]
    fn the_counts_are_one_line() {
        assert_eq!(answered(&BTreeMap::new()), "requests received: none");
        let counts = BTreeMap::from([("/health".to_string(), 1), ("/latest".to_string(), 12)]);
        assert_eq!(
            answered(&counts),
            "requests received: /health 1, /latest 12"
        );
    }

    #[test]
    fn the_url_is_one_to_connect_to() {
        let url = |addr: &str| local_url(addr.parse().unwrap());
        assert_eq!(url("0.0.0.0:8081"), "http://127.0.0.1:8081");
        assert_eq!(url("[::]:8081"), "http://[::1]:8081");
        assert_eq!(url("192.168.1.2:8081"), "http://192.168.1.2:8081");
    }
}
