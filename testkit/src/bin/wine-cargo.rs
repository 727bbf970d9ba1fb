//! A cargo for Windows programs run under Wine, for the tests only.
//!
//! Under Wine there is no Windows cargo that can build this workspace (the
//! Windows toolchain's `dlltool.exe` cannot start its assembler there), and
//! a Windows program cannot run a Linux one and read its exit code (Wine
//! hands back no process handle). So the Windows runner's cargo is this
//! program, compiled twice from this one file:
//!
//! - on Linux, `wine-cargo serve` listens on loopback and runs the real
//!   cargo for each request, cross-building for `x86_64-pc-windows-gnu`,
//!   and streams its output and exit code back;
//! - on Windows, `wine-cargo <cargo args>` (what `CARGO` names) sends its
//!   arguments, folder and cargo's variables to that port
//!   (`WINE_CARGO_PORT`), and prints and exits as cargo did.
//!
//! What changes on the way: `Z:\…` paths become the Unix paths Wine maps
//! them to; a build gets `--target x86_64-pc-windows-gnu`, and a target
//! directory that already ends with the triple loses it, so that artifacts
//! land where a Windows cargo's would (the launcher looks for the runner
//! beside itself). The answer's Unix paths need no change: under Wine a
//! path from the root is on the current drive, Z:, which is `/`.
//!
//! A request whose client goes away (killed by a timeout, Ctrl-C) kills its
//! cargo and everything cargo started.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;

const TRIPLE: &str = "x86_64-pc-windows-gnu";
const PORT_VAR: &str = "WINE_CARGO_PORT";
/// The Linux programs a Windows program may run through this relay: cargo
/// (this file's name), and git and rustc (copies of it named so), which
/// the offline archive and `setup` run, and chromium, which the browser
/// tests drive over loopback (there is no Windows Chromium under Wine).
const RELAYED: [&str; 4] = ["cargo", "git", "rustc", "chromium"];

/// The frames of an answer: a kind byte, a length, the bytes.
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const EXIT: u8 = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("serve") {
        serve()
    } else {
        relay(&args)
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: wine-cargo: {err}");
        ExitCode::from(101)
    })
}

// --- Windows: the client ---

/// Sends one cargo command to the server and plays back its answer.
fn relay(args: &[String]) -> io::Result<ExitCode> {
    let port = std::env::var(PORT_VAR).map_err(|_| {
        io::Error::other(format!("{PORT_VAR} is not set: start `wine-cargo serve`"))
    })?;
    let mut stream =
        TcpStream::connect(("127.0.0.1", port.parse::<u16>().map_err(io::Error::other)?))?;
    let env: Vec<(String, String)> = std::env::vars().filter(|(name, _)| passed(name)).collect();
    // Copied as `git.exe`, `rustc.exe` or `chromium.exe` (on WINEPATH),
    // it relays that program instead: the name says which.
    let program = std::env::current_exe()?
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| RELAYED.contains(&stem.as_str()))
        .unwrap_or_else(|| "cargo".to_string());
    let request = serde_json::json!({
        "program": program,
        "args": args,
        "cwd": std::env::current_dir()?,
        "env": env,
    });
    writeln!(stream, "{request}")?;
    stream.flush()?;
    let (mut out, mut err) = (io::stdout(), io::stderr());
    loop {
        let mut head = [0u8; 5];
        stream.read_exact(&mut head)?;
        let length = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body)?;
        match head[0] {
            STDOUT => out.write_all(&body).and_then(|()| out.flush())?,
            STDERR => err.write_all(&body).and_then(|()| err.flush())?,
            _ => {
                let code = body
                    .get(..4)
                    .map_or(101, |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                return Ok(ExitCode::from(code.clamp(0, 255) as u8));
            }
        }
    }
}

/// What a Windows cargo would have seen that the server's does not: every
/// variable but Wine's own and Windows' (PATH, TEMP, the system's folders),
/// which mean nothing on Linux, and those that name this relay or the
/// toolchain.
fn passed(name: &str) -> bool {
    const WINDOWS: [&str; 25] = [
        "PATH",
        "PATHEXT",
        "TEMP",
        "TMP",
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "COMSPEC",
        "USERPROFILE",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMDATA",
        "PROGRAMFILES",
        "PROGRAMFILES(X86)",
        "PROGRAMW6432",
        "COMMONPROGRAMFILES",
        "COMMONPROGRAMFILES(X86)",
        "COMMONPROGRAMW6432",
        "ALLUSERSPROFILE",
        "PUBLIC",
        "HOMEDRIVE",
        "HOMEPATH",
        "COMPUTERNAME",
        "CARGO",
        "CARGO_HOME",
    ];
    let name = name.to_ascii_uppercase();
    !(WINDOWS.contains(&name.as_str())
        || name.starts_with("WINE")
        || name.starts_with("PROCESSOR_")
        || name.starts_with("USERDOMAIN")
        || name == "NUMBER_OF_PROCESSORS"
        || name == "OS"
        || name == "USERNAME"
        || name == "RUSTUP_TOOLCHAIN")
}

// --- Linux: the server ---

fn serve() -> io::Result<ExitCode> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{PORT_VAR}={}", listener.local_addr()?.port());
    io::stdout().flush()?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(err) = answer(stream) {
                eprintln!("wine-cargo: {err}");
            }
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one request's cargo, streaming its output back in frames.
fn answer(stream: TcpStream) -> io::Result<()> {
    let mut line = String::new();
    BufReader::new(stream.try_clone()?).read_line(&mut line)?;
    let request: serde_json::Value = serde_json::from_str(&line).map_err(io::Error::other)?;
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let args: Vec<String> = strings(&request["args"]).iter().map(|a| unix(a)).collect();
    let program = request["program"].as_str().unwrap_or("cargo");
    if !RELAYED.contains(&program) {
        return Err(io::Error::other(format!("{program} is not relayed")));
    }
    let (program, args) = if program == "cargo" {
        let cargo = std::env::var("WINE_CARGO_REAL").unwrap_or_else(|_| "cargo".into());
        (cargo, cross(args))
    } else {
        (program.to_string(), args)
    };
    let cwd = unix(request["cwd"].as_str().unwrap_or("."));
    // One line per command on the server's stderr (CI's log): what the
    // Windows side ran through the relay, and how long it took.
    let started = std::time::Instant::now();
    let said = format!("{program} {} (in {cwd})", args.join(" "));
    let mut command = std::process::Command::new(&program);
    command
        .args(&args)
        .current_dir(&cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for pair in request["env"].as_array().into_iter().flatten() {
        let pair = strings(pair);
        if let [name, value] = &pair[..] {
            let value = unix(value);
            let value = if name == "CARGO_TARGET_DIR" {
                without_triple(&value)
            } else {
                value
            };
            command.env(name, value);
        }
    }
    let mut child = match workshop_core::child::grouped(command).spawn() {
        Ok(child) => child,
        Err(err) => {
            // Said to the client, which prints it and exits as cargo would.
            let mut stream = stream;
            let said = format!("error: wine-cargo cannot run {program} in {cwd}: {err}\n");
            frame(&mut stream, STDERR, said.as_bytes())?;
            return frame(&mut stream, EXIT, &101i32.to_le_bytes());
        }
    };
    let writer = std::sync::Arc::new(std::sync::Mutex::new(stream.try_clone()?));
    let pipes: Vec<(u8, Box<dyn Read + Send>)> = [
        child
            .stdout()
            .take()
            .map(|p| (STDOUT, Box::new(p) as Box<dyn Read + Send>)),
        child
            .stderr()
            .take()
            .map(|p| (STDERR, Box::new(p) as Box<dyn Read + Send>)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let readers: Vec<_> = pipes
        .into_iter()
        .map(|(kind, mut pipe)| {
            let writer = std::sync::Arc::clone(&writer);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    let mut stream = writer.lock().unwrap_or_else(|e| e.into_inner());
                    if frame(&mut stream, kind, &chunk[..n]).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    // The client gone (it sends nothing after its request): stop cargo.
    let mut watch = stream.try_clone()?;
    let (gone_tx, gone_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        let _ = watch.read(&mut byte);
        let _ = gone_tx.send(());
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if gone_rx.try_recv().is_ok() {
            workshop_core::child::kill(child.as_mut());
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    for reader in readers {
        let _ = reader.join();
    }
    let ended = status.map_or("stopped".to_string(), |status| status.to_string());
    eprintln!(
        "wine-cargo: {:.1} s, {ended}: {said}",
        started.elapsed().as_secs_f64()
    );
    if let Some(status) = status {
        let code = status.code().unwrap_or(101);
        let mut stream = writer.lock().unwrap_or_else(|e| e.into_inner());
        frame(&mut stream, EXIT, &code.to_le_bytes())?;
        let _ = stream.shutdown(Shutdown::Write);
    }
    Ok(())
}

fn frame(stream: &mut TcpStream, kind: u8, bytes: &[u8]) -> io::Result<()> {
    let length = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    stream.write_all(&[kind])?;
    stream.write_all(&length.to_le_bytes())?;
    stream.write_all(bytes)
}

/// `Z:\a\b` (or `\\?\Z:\a\b`, or `--flag=Z:\a\b`) as the Unix path Wine
/// maps it to; anything else as it is. Z: is `/`; another drive is what
/// its link in the Wine prefix's `dosdevices` leads to (C: is the prefix's
/// `drive_c`, where a Windows program's temporary folder is), so that a
/// path cargo answers with reads back as a Windows path on Z:.
fn unix(arg: &str) -> String {
    let prefix = std::env::var_os("WINEPREFIX")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".wine")));
    unix_in(arg, prefix.as_deref())
}

/// [`unix`], with the Wine prefix given.
fn unix_in(arg: &str, prefix: Option<&std::path::Path>) -> String {
    if let Some((flag, value)) = arg.split_once('=')
        && flag.starts_with("--")
    {
        return format!("{flag}={}", unix_in(value, prefix));
    }
    // Rooted on the current drive (Z:, Wine's `/`), no letter: `/w\target`.
    if arg.starts_with(['/', '\\']) && arg.contains('\\') && !arg.starts_with(r"\\") {
        return arg.replace('\\', "/");
    }
    let bare = arg.strip_prefix(r"\\?\").unwrap_or(arg);
    let bytes = bare.as_bytes();
    let is_drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    if !is_drive {
        return arg.to_string();
    }
    let rest = bare[3..].replace('\\', "/");
    let drive = bare[..2].to_ascii_lowercase();
    if drive == "z:" {
        return format!("/{rest}");
    }
    match prefix
        .and_then(|prefix| std::fs::canonicalize(prefix.join("dosdevices").join(&drive)).ok())
    {
        Some(root) => root.join(rest).display().to_string(),
        None => arg.to_string(),
    }
}

/// A build's arguments with the Windows target added, and any
/// `--target-dir` that ends with the triple made its parent.
fn cross(mut args: Vec<String>) -> Vec<String> {
    const BUILDS: [&str; 6] = ["build", "check", "test", "run", "rustc", "clippy"];
    for i in 0..args.len() {
        if args[i] == "--target-dir" && i + 1 < args.len() {
            args[i + 1] = without_triple(&args[i + 1]);
        }
    }
    if let Some(at) = args.iter().position(|a| !a.starts_with('-')) {
        if BUILDS.contains(&args[at].as_str()) && !args.iter().any(|a| a == "--target") {
            args.insert(at + 1, "--target".to_string());
            args.insert(at + 2, TRIPLE.to_string());
        }
    }
    args
}

fn without_triple(dir: &str) -> String {
    let path = std::path::Path::new(dir);
    match (path.file_name(), path.parent()) {
        (Some(name), Some(parent)) if name == TRIPLE => parent.display().to_string(),
        _ => dir.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_become_the_unix_paths_wine_maps_them_to() {
        assert_eq!(unix(r"Z:\work\main\target"), "/work/main/target");
        assert_eq!(unix(r"\\?\Z:\work\main"), "/work/main");
        assert_eq!(
            unix(r"--manifest-path=z:\w\Cargo.toml"),
            "--manifest-path=/w/Cargo.toml"
        );
        assert_eq!(unix("--package"), "--package");
        // A Unix path a Windows program joined to: on Z:, without its letter.
        assert_eq!(unix(r"/w\target\grader"), "/w/target/grader");
        assert_eq!(unix("/w/target"), "/w/target");
    }

    #[cfg(unix)]
    #[test]
    fn another_drive_is_where_the_prefix_links_it() {
        let prefix = tempfile::tempdir().expect("a prefix");
        std::fs::create_dir_all(prefix.path().join("dosdevices")).expect("dosdevices");
        std::fs::create_dir_all(prefix.path().join("drive_c/users")).expect("drive_c");
        std::os::unix::fs::symlink("../drive_c", prefix.path().join("dosdevices/c:"))
            .expect("c: linked");
        let drive_c = std::fs::canonicalize(prefix.path().join("drive_c")).expect("drive_c");
        assert_eq!(
            unix_in(r"C:\users\me\Temp", Some(prefix.path())),
            drive_c.join("users/me/Temp").display().to_string()
        );
        // A drive the prefix does not link stays as it was.
        assert_eq!(unix_in(r"D:\x", Some(prefix.path())), r"D:\x");
        assert_eq!(unix_in(r"C:\x", None), r"C:\x");
    }

    #[test]
    fn a_build_is_for_windows_and_lands_where_a_windows_cargo_puts_it() {
        let args = |line: &str| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cross(args("build --package part1 --message-format json")),
            args("build --target x86_64-pc-windows-gnu --package part1 --message-format json")
        );
        assert_eq!(
            cross(args("--quiet run -p tools -- --root /w")),
            args("--quiet run --target x86_64-pc-windows-gnu -p tools -- --root /w")
        );
        assert_eq!(cross(args("tree -p part1")), args("tree -p part1"));
        assert_eq!(
            cross(args(
                "build --target-dir /w/target/grader/x86_64-pc-windows-gnu"
            )),
            args("build --target x86_64-pc-windows-gnu --target-dir /w/target/grader")
        );
    }
}
