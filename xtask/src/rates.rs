//! `cargo xtask rates`: the rates service on its own, for servers started
//! with `RATES_URL` and for trying it with curl.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rates::{FailureKind, Failures, Fault, Outage, RateLimit, RatesConfig, RatesService, Share};

/// How to run the service.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  cargo xtask rates --latency 200ms --jitter 50ms --failure-rate 0.1\n  cargo xtask rates --latency 100ms --quota 8     part 5: 8 dated requests at once, 429 beyond\n  cargo xtask rates --fail 1/3 --fail-with 429:2  the 1st of every 3 requests a 429, Retry-After: 2\n  cargo xtask rates --outage 10s..30s             503s from 10 s after the start until 30 s\n  cargo xtask rates --rate-limit 100              100 dated requests a second, refused ones counted"
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
    /// A share of the requests for rates that fail at once, as --fail-with
    /// says: a chance (0.2) or a count (1/3: the first of every 3, exactly).
    #[arg(long, value_parser = parse_share)]
    fail: Option<Share>,
    /// How --fail fails: 500, 503, 503:SECS (with Retry-After: SECS),
    /// 429:SECS, 503:date+SECS or 429:date+SECS (Retry-After as the HTTP-date
    /// SECS on), reset (the connection closed, no answer), or a 4xx other
    /// than 429, like 404 (refused however often asked: never to retry).
    #[arg(long, default_value = "503", requires = "fail", value_parser = parse_failure_kind)]
    fail_with: FailureKind,
    /// Down, every request for rates a 503, from one moment after the start
    /// until another, e.g. 10s..30s.
    #[arg(long, value_parser = parse_outage)]
    outage: Option<(Duration, Duration)>,
    /// At most this many requests for a date's rates (GET /2016-10-14) at
    /// once, as a paid plan allows; one more gets 429 Too Many Requests.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    quota: Option<u16>,
    /// At most this many requests for a date's rates a second on average
    /// (a second's worth at once), as a plan meters them: every request
    /// counts, refused ones too; one past the plan gets 429 Too Many
    /// Requests with Retry-After.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
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

fn parse_share(text: &str) -> Result<Share, String> {
    text.parse()
        .map_err(|err: rates::ShareError| err.to_string())
}

fn parse_failure_kind(text: &str) -> Result<FailureKind, String> {
    text.parse()
        .map_err(|err: rates::FailureKindError| err.to_string())
}

/// `10s..30s`: from 10 s after the start until 30 s after it.
fn parse_outage(text: &str) -> Result<(Duration, Duration), String> {
    let (from, until) = text
        .split_once("..")
        .ok_or("expected FROM..UNTIL after the start, like 10s..30s")?;
    let from = humantime::parse_duration(from).map_err(|err| format!("{from:?}: {err}"))?;
    let until = humantime::parse_duration(until).map_err(|err| format!("{until:?}: {err}"))?;
    if from < until {
        Ok((from, until))
    } else {
        Err("the outage must end after it starts, like 10s..30s".to_string())
    }
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
    let started = Instant::now();
    let config = RatesConfig {
        latency: args.latency,
        jitter: args.jitter,
        failure_rate: args.failure_rate,
        failures: args.fail.map(|share| Failures::new(share, args.fail_with)),
        outage: args
            .outage
            .map(|(from, until)| Outage::new(started + from, started + until)),
        fault: args.fault,
        quota: args.quota.map(usize::from),
        rate_limit: args.rate_limit.map(|per_second| RateLimit { per_second }),
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
    if let Some(share) = args.fail {
        println!(
            "failing {share} of the requests for rates: {}",
            args.fail_with
        );
    }
    if let Some((from, until)) = args.outage {
        let at = |time: Duration| humantime::format_duration(time).to_string();
        println!(
            "down (503) from {} to {} after the start",
            at(from),
            at(until)
        );
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
    fn failures_are_a_share_and_a_kind() {
        assert_eq!(parse_share("1/3"), Ok(Share::one_in(3).unwrap()));
        assert_eq!(parse_share("0.2"), Ok(Share::random(0.2).unwrap()));
        let err = parse_share("3/2").unwrap_err();
        assert!(err.contains("like 1/3"), "{err}");
        assert_eq!(parse_failure_kind("reset"), Ok(FailureKind::Reset));
        let err = parse_failure_kind("429").unwrap_err();
        assert!(err.contains("429:SECS"), "{err}");
    }

    #[test]
    fn an_outage_is_two_moments_in_order() {
        let secs = Duration::from_secs;
        assert_eq!(parse_outage("10s..30s"), Ok((secs(10), secs(30))));
        assert_eq!(parse_outage("0s..1m"), Ok((secs(0), secs(60))));
        for bad in ["30s..10s", "5s..5s", "10s", "10..30", "..30s"] {
            assert!(parse_outage(bad).is_err(), "{bad}");
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
