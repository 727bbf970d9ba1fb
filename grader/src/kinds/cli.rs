//! The command-line client check (part 1): `client USD 100` prints `122 USD`,
//! and a bad currency is one line on stderr and a failure exit code.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rates::{RatesConfig, RatesService};

use super::Subject;
use crate::engine::procs::Proc;
use crate::explain;
use crate::verdict::Verdict;

pub const SUBJECT: Subject = Subject::Client;

pub fn check(bin: &Path) -> Verdict {
    let service = match RatesService::start(RatesConfig::default()) {
        Ok(service) => service,
        Err(err) => return Verdict::fail(format!("cannot start a rates service: {err}")),
    };
    let good = match run(bin, &service.url(), &["USD", "100"]) {
        Ok(run) => run,
        Err(why) => return Verdict::fail(why),
    };
    if good.stdout.trim() != "122 USD" {
        let why = explain::first(&good.stderr).unwrap_or_else(|| {
            format!("it printed {:?}, expected \"122 USD\"", good.stdout.trim())
        });
        return Verdict::fail(format!("`client USD 100`: {why}"));
    }
    let bad = match run(bin, &service.url(), &["XYZ", "100"]) {
        Ok(run) => run,
        Err(why) => return Verdict::fail(why),
    };
    if bad.success || bad.stderr.trim().lines().count() != 1 {
        return Verdict::fail(
            "`client XYZ 100` must fail with one line on stderr: XYZ is no currency",
        );
    }
    Verdict::pass("`client USD 100` prints 122 USD, and `client XYZ 100` fails in one line")
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

fn run(bin: &Path, rates_url: &str, args: &[&str]) -> Result<Run, String> {
    let mut command = Command::new(bin);
    command
        .args(args)
        .env("RATES_URL", rates_url)
        .env("RUST_BACKTRACE", "0");
    let proc =
        Proc::spawn(command, |_| {}).map_err(|err| format!("cannot run the client: {err}"))?;
    match proc.wait_timeout(Duration::from_secs(15)) {
        Ok(Some(status)) => {
            proc.drain(Duration::from_secs(1));
            Ok(Run {
                success: status.success(),
                stdout: proc.stdout(),
                stderr: proc.stderr(),
            })
        }
        Ok(None) => Err(format!(
            "`client {}` did not finish within 15 s: is it waiting forever?",
            args.join(" ")
        )),
        Err(err) => Err(format!("cannot wait for the client: {err}")),
    }
}
