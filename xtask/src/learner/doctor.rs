//! `cargo xtask doctor`: is this laptop ready for the day? One line per
//! check, each failure with its fix. An instructor runs it on every laptop
//! beforehand; it changes nothing.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use super::setup::{self, Stamp};
use super::{BAD, GOOD, Out};

/// What `cargo xtask doctor --help` says, above the options.
pub const LONG_ABOUT: &str = "\
    Checks that this laptop is ready for the workshop, one line per check, each \
    failure with its fix: the Rust toolchain against the workspace's \
    rust-version; that it links a program (on Windows, the MSVC toolchain needs \
    Visual Studio's C++ build tools); that every dependency is fetched and works offline; that \
    `cargo xtask setup` has prebuilt everything; where the dependencies come \
    from (crates.io through cargo's cache, or the vendored sources of the room's \
    offline archive); that ports 8080 and 8081 are free; and the open-file limit the benchmark needs. It changes nothing, and \
    exits non-zero when a check fails.";

/// `doctor` takes no options.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example: cargo xtask doctor")]
pub struct DoctorArgs {}

/// The ports the workshop's servers and rates service use by default.
const PORTS: [u16; 2] = [8080, 8081];

/// The benchmark's largest run: 1024 connections.
const CONNECTIONS: u64 = 1024;
/// Files the bench keeps open besides its connections (`MARGIN` in
/// bench/src/limits.rs; not imported, to keep the bench out of the runner).
#[cfg(unix)]
const BENCH_MARGIN: u64 = 64;

/// One line of the report.
struct Finding {
    ok: bool,
    /// What was found, and on failure what to do, in one line.
    text: String,
}

fn ok(text: impl Into<String>) -> Finding {
    Finding {
        ok: true,
        text: text.into(),
    }
}

fn fail(text: impl Into<String>) -> Finding {
    Finding {
        ok: false,
        text: text.into(),
    }
}

pub fn run(root: &Path, _args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut out = Out::new();
    let mut findings = vec![
        toolchain(root),
        linker(),
        offline(root),
        sources(root),
        prebuilt(root),
    ];
    findings.extend(PORTS.map(port));
    findings.push(open_files());
    for finding in &findings {
        if finding.ok {
            out.line(format!("{GOOD}✓{GOOD:#} {}", finding.text));
        } else {
            out.line(format!("{BAD}✗{BAD:#} {}", finding.text));
        }
    }
    let failed = findings.iter().filter(|finding| !finding.ok).count();
    if failed == 0 {
        out.line(format!(
            "All {} checks pass: this laptop is ready.",
            findings.len()
        ));
        Ok(ExitCode::SUCCESS)
    } else {
        out.line(format!(
            "{failed} of {} checks fail: fix them, then run `cargo xtask doctor` again.",
            findings.len()
        ));
        Ok(ExitCode::FAILURE)
    }
}

/// `rustc --version` against `workspace.package.rust-version`.
fn toolchain(root: &Path) -> Finding {
    let needed = fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| {
            let version = table
                .get("workspace")?
                .get("package")?
                .get("rust-version")?;
            Some(version.as_str()?.to_string())
        });
    let Some(needed) = needed else {
        return fail(
            "toolchain: Cargo.toml has no workspace.package.rust-version to check against",
        );
    };
    let found = match setup::rustc_version() {
        Ok(found) => found,
        Err(err) => {
            return fail(format!(
                "toolchain: {err:#}: install Rust {needed} or newer from https://rustup.rs"
            ));
        }
    };
    // `rustc 1.95.0 (59807616e 2026-04-14)` → 1.95.0
    let version = found.split_whitespace().nth(1).unwrap_or("");
    match (parse(version), parse(&needed)) {
        (Some(have), Some(want)) if have >= want => ok(format!(
            "toolchain: rustc {version}, the workspace needs {needed} or newer"
        )),
        (Some(_), Some(_)) => fail(format!(
            "toolchain: rustc {version}, but the workspace needs {needed}: run `rustup update stable`"
        )),
        _ => fail(format!(
            "toolchain: cannot read the version in {found:?}: install Rust {needed} or newer from https://rustup.rs"
        )),
    }
}

/// `1.85` or `1.85.0` → (1, 85, 0); pre-release tags are ignored.
fn parse(version: &str) -> Option<(u64, u64, u64)> {
    let mut numbers = version.split(['.', '-']).map(|n| n.parse::<u64>());
    let major = numbers.next()?.ok()?;
    let minor = numbers.next().unwrap_or(Ok(0)).ok()?;
    let patch = numbers.next().unwrap_or(Ok(0)).unwrap_or(0);
    Some((major, minor, patch))
}

/// Every dependency this machine builds is on disk: `cargo fetch --offline
/// --target <host>` succeeds. Without `--target`, cargo also wants the crates
/// of every other platform (Windows' `windows-sys` on a Linux laptop), which
/// this laptop never builds and `setup` need not have fetched.
fn offline(root: &Path) -> Finding {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["fetch", "--offline", "--quiet"]);
    if let Some(host) = host_target() {
        command.args(["--target", &host]);
    }
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => ok("dependencies: all fetched, they work offline"),
        Ok(_) => {
            fail("dependencies: some are not fetched yet: run `cargo xtask setup` while online")
        }
        Err(err) => fail(format!(
            "dependencies: cannot run cargo ({err}): is Rust installed?"
        )),
    }
}

/// Where cargo takes the crates from: the vendored sources of the room's
/// offline archive (its .cargo/config.toml replaces crates.io), or
/// crates.io through cargo's cache.
fn sources(root: &Path) -> Finding {
    match workshop_core::paths::vendored_sources(root) {
        Some(dir) if root.join(&dir).is_dir() => ok(format!(
            "sources: every crate from the vendored sources in {} (.cargo/config.toml replaces \
             crates.io): no network, no cargo cache needed",
            dir.display()
        )),
        Some(dir) => fail(format!(
            "sources: .cargo/config.toml takes every crate from {}, which is not there: unpack \
             the workshop's archive again",
            dir.display()
        )),
        None => {
            let home = std::env::var("CARGO_HOME").unwrap_or_else(|_| "~/.cargo".into());
            ok(format!(
                "sources: crates.io, kept in cargo's cache ({home}/registry)"
            ))
        }
    }
}

/// That the toolchain links a program: a fresh Windows laptop's default
/// (MSVC) toolchain cannot until Visual Studio's C++ build tools are
/// installed, and a Linux or macOS one without a C toolchain cannot either.
/// Found here, before the day, rather than at a learner's first check.
fn linker() -> Finding {
    let dir = std::env::temp_dir().join(format!("workshop-doctor-{}", std::process::id()));
    let linked = (|| -> Result<(), String> {
        fs::create_dir_all(&dir).map_err(|err| err.to_string())?;
        fs::write(dir.join("hello.rs"), "fn main() {}\n").map_err(|err| err.to_string())?;
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let output = Command::new(&rustc)
            .current_dir(&dir)
            .args(["--edition", "2021", "hello.rs", "-o"])
            .arg(format!("hello{}", std::env::consts::EXE_SUFFIX))
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot run {}: {err}", rustc.to_string_lossy()))?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        Err(said
            .lines()
            .find(|line| line.starts_with("error"))
            .unwrap_or("rustc failed")
            .to_string())
    })();
    let _ = fs::remove_dir_all(&dir);
    match linked {
        Ok(()) => ok("linker: rustc compiles and links a program"),
        Err(why) => {
            let fix = if host_target().is_some_and(|host| host.ends_with("-msvc")) {
                "install Visual Studio's Build Tools with \"Desktop development with C++\" \
                 (https://visualstudio.microsoft.com/visual-cpp-build-tools/), or use the GNU \
                 toolchain: `rustup default stable-x86_64-pc-windows-gnu`"
            } else if cfg!(target_os = "macos") {
                "install the command line tools: `xcode-select --install`"
            } else {
                "install a C toolchain (Debian, Ubuntu: `sudo apt install build-essential`)"
            };
            fail(format!("linker: {why}: {fix}"))
        }
    }
}

/// This machine's target triple, as rustc says (`host: x86_64-unknown-linux-gnu`).
fn host_target() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("-vV").output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
}

/// `cargo xtask setup` ran, for this Cargo.lock and this compiler.
fn prebuilt(root: &Path) -> Finding {
    const FIX: &str = "run `cargo xtask setup` (minutes, once)";
    let path = setup::stamp_path(root);
    let Ok(text) = fs::read_to_string(&path) else {
        return fail(format!("prebuilt: not yet: {FIX}"));
    };
    let (Ok(stamp), Ok(now)) = (toml::from_str::<Stamp>(&text), setup::current_stamp(root)) else {
        return fail(format!(
            "prebuilt: cannot tell ({} unreadable): {FIX}",
            path.display()
        ));
    };
    if stamp.cargo_lock != now.cargo_lock {
        fail(format!(
            "prebuilt: Cargo.lock changed since the last setup: {FIX}"
        ))
    } else if stamp.rustc != now.rustc {
        fail(format!(
            "prebuilt: with {}, but cargo now uses {}: {FIX}",
            stamp.rustc, now.rustc
        ))
    } else {
        ok(format!(
            "prebuilt: `cargo xtask setup` built everything at {}",
            stamp.finished_at
        ))
    }
}

/// The port is free on loopback, where the servers listen by default.
fn port(port: u16) -> Finding {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => ok(format!("port {port}: free")),
        Err(err) => {
            let who = if cfg!(windows) {
                format!("`netstat -ano | findstr :{port}`")
            } else {
                format!("`lsof -i :{port}`")
            };
            fail(format!(
                "port {port}: cannot listen ({err}): stop what uses it ({who} names it)"
            ))
        }
    }
}

/// The benchmark raises its soft limit up to the hard one itself; what it
/// cannot pass is the hard limit.
#[cfg(unix)]
fn open_files() -> Finding {
    let needed = 2 * CONNECTIONS + BENCH_MARGIN;
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, hard)) if hard >= needed => ok(format!(
            "open files: soft limit {soft}, hard {}; the benchmark needs {needed} for {CONNECTIONS} connections and raises the soft limit itself",
            show_limit(hard)
        )),
        Ok((_, hard)) => fail(format!(
            "open files: hard limit {hard}, the benchmark needs {needed} for {CONNECTIONS} connections: raise it (`nofile` in /etc/security/limits.conf on Linux, `sudo launchctl limit maxfiles {needed} unlimited` on macOS), then log in again"
        )),
        Err(err) => fail(format!(
            "open files: cannot read the limit ({err}): `ulimit -Hn` shows it; the benchmark needs {needed}"
        )),
    }
}

#[cfg(unix)]
fn show_limit(limit: u64) -> String {
    if limit == rlimit::INFINITY {
        "unlimited".into()
    } else {
        limit.to_string()
    }
}

#[cfg(not(unix))]
fn open_files() -> Finding {
    ok(format!(
        "open files: no per-process limit on this system for {CONNECTIONS} connections"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(parse("1.100.0") > parse("1.85"));
        assert_eq!(parse("1.85"), Some((1, 85, 0)));
        assert_eq!(parse("1.95.0-nightly"), Some((1, 95, 0)));
        assert_eq!(parse("x"), None);
    }
}
