//! The command-line client check (part 1): `client USD 100` prints `122 USD`,
//! and a bad currency is one line on stderr and a failure exit code.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rates::{RatesConfig, RatesService};

use super::{Machine, Subject};
use crate::engine::numbers::part1::CLIENT_LIMIT;
use crate::engine::procs::Proc;
use crate::explain;
use crate::verdict::Checked;

pub const SUBJECT: Subject = Subject::Client;
pub const MACHINE: Machine = Machine::Shared;

pub fn check(bin: &Path) -> Checked {
    let service = RatesService::start(RatesConfig::default())
        .map_err(|err| format!("cannot start a rates service: {err}"))?;
    let good = run(bin, &service.url(), &["USD", "100"])?;
    if good.stdout.trim() != "122 USD" {
        let why = explain::first(&good.stderr).unwrap_or_else(|| {
            format!("it printed {:?}, expected \"122 USD\"", good.stdout.trim())
        });
        return Err(format!("`client USD 100`: {why}").into());
    }
    let bad = run(bin, &service.url(), &["XYZ", "100"])?;
    if bad.success || bad.stderr.trim().lines().count() != 1 {
        return Err("`client XYZ 100` must fail with one line on stderr: XYZ is no currency".into());
    }
    Ok("`client USD 100` prints 122 USD, and `client XYZ 100` fails in one line".into())
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
    match proc.wait_timeout(CLIENT_LIMIT) {
        Ok(Some(status)) => {
            proc.drain(Duration::from_secs(1));
            Ok(Run {
                success: status.success(),
                stdout: proc.stdout(),
                stderr: proc.stderr(),
            })
        }
        Ok(None) => Err(format!(
            "`client {}` did not finish within {} s: is it waiting forever?",
            args.join(" "),
            CLIENT_LIMIT.as_secs()
        )),
        Err(err) => Err(format!("cannot wait for the client: {err}")),
    }
}
