//! wrk, the original workshop's load generator: run where installed, and
//! its report read back into a [`Measurement`].

use std::env;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crate::generator::{CONVERT_PATH, THREADS};
use crate::report::Measurement;
use crate::servers::ChildGuard;
use crate::{BenchError, GeneratorKind};

/// `wrk` on the `PATH`, if any.
pub fn find() -> Option<PathBuf> {
    let name = format!("wrk{}", env::consts::EXE_SUFFIX);
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file())
}

/// `wrk -t2 -cN -dDs --latency` against `addr`. wrk counts whole seconds,
/// so `duration` is rounded, to one second at least.
pub fn run(
    wrk: &Path,
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    stop: &AtomicBool,
) -> Result<Measurement, BenchError> {
    let seconds = duration.as_secs_f64().round().max(1.0);
    // wrk refuses fewer connections than threads.
    let threads = THREADS.min(connections).max(1);
    let mut command = Command::new(wrk);
    command
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds:.0}s"))
        .args(["--latency", "--timeout", "5s"])
        .arg(format!("http://{addr}{CONVERT_PATH}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = ChildGuard::spawn(command)
        .map_err(|err| BenchError::Wrk(format!("cannot start {}: {err}", wrk.display())))?;
    let stdout = read_all(child.0.stdout().take());
    let stderr = read_all(child.0.stderr().take());
    let status = loop {
        if stop.load(Ordering::SeqCst) {
            // Dropping the guard kills wrk.
            return Err(BenchError::Interrupted);
        }
        match child.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(err) => return Err(BenchError::Wrk(format!("cannot wait for wrk: {err}"))),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    if !status.success() {
        let stderr = stderr.join().unwrap_or_default();
        return Err(BenchError::Wrk(format!(
            "{status}: {}{}",
            stdout.trim(),
            stderr.trim()
        )));
    }
    parse(&stdout, connections)
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Reads wrk's report (`--latency` layout).
pub fn parse(output: &str, connections: usize) -> Result<Measurement, BenchError> {
    let missing = |what: &str| BenchError::Wrk(format!("no {what} in its output:\n{output}"));
    let mut measurement = Measurement::empty(GeneratorKind::Wrk, connections);
    let mut requests = None;
    for line in output.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("50%") {
            measurement.p50_ms = parse_time(rest.trim()).map(|s| s * 1000.0);
        } else if let Some(rest) = line.strip_prefix("99%") {
            measurement.p99_ms = parse_time(rest.trim()).map(|s| s * 1000.0);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            measurement.non_200 = rest.trim().parse().map_err(|_| missing("non-2xx count"))?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // `connect 0, read 1, write 0, timeout 2`
            measurement.errors = rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        } else if let Some((count, rest)) = line.split_once(" requests in ") {
            // `12345 requests in 3.00s, 1.23MB read`
            let count: u64 = count.trim().parse().map_err(|_| missing("request count"))?;
            let time = rest.split(',').next().unwrap_or_default();
            let seconds = parse_time(time.trim()).ok_or_else(|| missing("test duration"))?;
            requests = Some(count);
            measurement.seconds = seconds;
        }
    }
    let requests = requests.ok_or_else(|| missing("`N requests in T`"))?;
    measurement.ok = requests.saturating_sub(measurement.non_200);
    if measurement.seconds > 0.0 {
        measurement.requests_per_s = measurement.ok as f64 / measurement.seconds;
    }
    Ok(measurement)
}

/// wrk's times: `812.00us`, `1.23ms`, `3.00s`, `1.00m`, `1.00h`; in seconds.
fn parse_time(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 3s test @ http://127.0.0.1:40000/convert/GBP/100
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.02ms  20.31ms   80.12%
    Req/Sec     3.91k   210.33     4.20k    71.67%
  Latency Distribution
     50%    3.95ms
     75%    4.52ms
     90%    5.10ms
     99%  812.00us
  23412 requests in 3.00s, 2.81MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   7803.91
Transfer/sec:      0.94MB
";

    #[test]
    fn reads_wrks_report() {
        let m = parse(OUTPUT, 32).unwrap();
        assert_eq!(m.generator, GeneratorKind::Wrk);
        assert_eq!(m.ok, 23400);
        assert_eq!(m.non_200, 12);
        assert_eq!(m.errors, 3);
        assert!((m.seconds - 3.0).abs() < 1e-9);
        assert!((m.requests_per_s - 7800.0).abs() < 1e-6);
        assert!((m.p50_ms.unwrap() - 3.95).abs() < 1e-9);
        assert!((m.p99_ms.unwrap() - 0.812).abs() < 1e-9);
    }

    #[test]
    fn a_report_without_a_count_is_an_error() {
        assert!(parse("Running 3s test @ x\n", 32).is_err());
    }

    #[test]
    fn times_in_every_unit() {
        assert_eq!(parse_time("2.00m"), Some(120.0));
        assert_eq!(parse_time("1.50s"), Some(1.5));
        assert_eq!(parse_time("ms"), None);
        assert_eq!(parse_time("12"), None);
    }
}
