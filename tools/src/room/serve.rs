//! `cargo xtask room serve`: the instructor's board, until Ctrl-C.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Notify;

use super::archive::{self, Store};
use super::board::{Board, Catalogue};
use super::download::Downloads;
use super::server::{Room, router};
use super::state_file::Saved;
use super::wire;
use workshop_core::manifest::Manifest;

/// Where and how to run the board.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples: cargo xtask room serve\n          \
                  cargo xtask room serve --host 0.0.0.0 --state ~/room.json\n          \
                  cargo xtask room serve --host 0.0.0.0 --state ~/room.json --offline")]
pub struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8099)]
    port: u16,
    /// Address to listen on. A room needs 0.0.0.0, which opens the board
    /// to the network (the view stays behind its own token).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Keep the board and its tokens in this file across a restart: outside
    /// the workshop (~/room.json), since it holds the view token.
    #[arg(long, value_name = "FILE", value_parser = home_expanded)]
    state: Option<PathBuf>,
    /// Also serve the workshop and every crate it needs, for a room with no
    /// internet: an archive made once under target/room-offline (minutes
    /// the first time, with network) and made again when a tracked file or
    /// Cargo.lock changes.
    #[arg(long)]
    offline: bool,
    /// Archives sent at once, at most; the other learners wait their turn.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "offline",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    downloads: u16,
}

/// A board with unsaved changes is saved this often, at most, so a crash
/// loses little; Ctrl-C saves at once.
const SAVE_EVERY: Duration = Duration::from_secs(5);

pub fn run(root: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(root)?;
    if let Some(path) = args
        .state
        .as_deref()
        .filter(|path| in_the_workshop(root, path))
    {
        eprintln!(
            "warning: {} is in the workshop, and holds the view token: keep it outside, \
             e.g. --state ~/room.json (the offline archive never serves it, but a commit \
             would carry it)",
            path.display()
        );
    }
    let saved = match &args.state {
        Some(path) => Saved::load(path)?,
        None => None,
    };
    let (join_token, view_token, learners) = match saved {
        Some(saved) => (saved.join_token, saved.view_token, saved.learners),
        None => (wire::join_token(), wire::random_hex(16), Vec::new()),
    };
    // Before the board opens: learners must not get a half-made archive.
    let offline = if args.offline {
        let store = Arc::new(Store::new(root, &view_token));
        let archive = store
            .fresh(Instant::now())
            .context("cannot make the offline archive")?;
        Some((store, archive))
    } else {
        None
    };
    let board = Board::new(Catalogue::new(&manifest), learners);
    let downloads = offline
        .as_ref()
        .map(|(store, _)| Downloads::new(Arc::clone(store), usize::from(args.downloads)));
    let room = Room::new(board, join_token.clone(), view_token.clone(), downloads);
    let persist = args.state.clone().map(|path| {
        Arc::new(Persist {
            path,
            join_token: join_token.clone(),
            view_token: view_token.clone(),
        })
    });
    // Saved at once: the tokens on the slide survive even a crash.
    if let Some(persist) = &persist {
        persist.save(&room)?;
    }

    // The handler first: nothing is left listening if it cannot be set.
    let interrupted = Arc::new(Notify::new());
    let on_interrupt = Arc::clone(&interrupted);
    ctrlc::set_handler(move || on_interrupt.notify_one()).context("cannot watch for Ctrl-C")?;

    let addr = SocketAddr::new(args.host, args.port);
    let listener = TcpListener::bind(addr).map_err(|err| match err.kind() {
        io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot start the board on {addr}: the port is taken: stop the other one or pass --port"
        ),
        _ => anyhow::anyhow!("cannot start the board on {addr}: {err}"),
    })?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    if !args.host.is_loopback() {
        eprintln!(
            "warning: the board listens on {}, open to this network. Learners send it \
             check results and the names they chose, nothing else; anyone with the join \
             token can post to it, and only the view token shows it.",
            SocketAddr::new(args.host, port)
        );
    }
    let base = format!("http://{}", SocketAddr::new(shown_host(args.host), port));
    println!("join: cargo xtask room join {base} --token {join_token}");
    println!("view: {base}/?view={view_token}");
    if let Some((_, archive)) = &offline {
        // Lines for the slide: curl and tar come with Windows 10 and later,
        // macOS and Linux.
        println!(
            "offline: curl -fo {name} \"{base}/{name}?token={join_token}\"",
            name = archive::FILE_NAME
        );
        println!(
            "unpack: tar -xzf {}, then cd {}",
            archive::FILE_NAME,
            archive::TOP
        );
        println!(
            "archive: {}, sha256 {} ({} files, {} crates)",
            archive::size(archive.size),
            archive.sha256,
            archive.files,
            archive.crates
        );
    }
    let _ = io::stdout().flush();
    eprintln!("the board runs until Ctrl-C");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the board's runtime")?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        if let Some(persist) = &persist {
            tokio::spawn(save_on_change(Arc::clone(&room), Arc::clone(persist)));
        }
        // Not a graceful shutdown: a live page never closes its stream.
        tokio::select! {
            // Each peer's address: a download resumed is told from a range
            // out of nowhere by who asks (`download`).
            served = axum::serve(
                listener,
                router(Arc::clone(&room)).into_make_service_with_connect_info::<SocketAddr>(),
            ) => served,
            () = interrupted.notified() => Ok(()),
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(500));
    if let Some(persist) = &persist {
        persist.save(&room)?;
        eprintln!("the board is saved in {}", persist.path.display());
    }
    served.context("the board stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// Where `--state` keeps the board.
struct Persist {
    path: PathBuf,
    join_token: String,
    view_token: String,
}

impl Persist {
    fn save(&self, room: &Room) -> anyhow::Result<()> {
        let saved = Saved::new(
            self.join_token.clone(),
            self.view_token.clone(),
            room.learners(),
        );
        saved
            .save(&self.path)
            .with_context(|| format!("cannot save the board in {}", self.path.display()))
    }
}

/// Saves the board a while after it changes.
async fn save_on_change(room: Arc<Room>, persist: Arc<Persist>) {
    let mut changes = room.changes();
    while changes.changed().await.is_ok() {
        tokio::time::sleep(SAVE_EVERY).await;
        changes.borrow_and_update();
        let (room, persist) = (Arc::clone(&room), Arc::clone(&persist));
        let saved = tokio::task::spawn_blocking(move || persist.save(&room)).await;
        if let Ok(Err(err)) = saved {
            eprintln!("warning: {err:#}");
        }
    }
}

/// `~/room.json` as a shell would read it, for where none does (Windows'
/// cmd, a quoted path): `~` is the home directory.
fn home_expanded(text: &str) -> Result<PathBuf, String> {
    let rest = text.strip_prefix("~/").or_else(|| text.strip_prefix("~\\"));
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    Ok(match (rest, home) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(text),
    })
}

/// Whether `path` (relative to the root, where the board runs) is in the
/// workshop's tree, where `git add -A` would take it; `target/` and
/// `.workshop/` are ignored, and fine.
fn in_the_workshop(root: &Path, path: &Path) -> bool {
    let Ok(root) = root.canonicalize() else {
        return false;
    };
    let path = root.join(path);
    // The file may not exist yet: its directory does.
    let Some(dir) = path.parent().and_then(|dir| dir.canonicalize().ok()) else {
        return false;
    };
    dir.starts_with(&root)
        && !dir.starts_with(root.join("target"))
        && !dir.starts_with(root.join(".workshop"))
}

/// The address learners connect to: this machine's address on the network
/// when the board listens on all of them.
fn shown_host(host: IpAddr) -> IpAddr {
    if !host.is_unspecified() {
        return host;
    }
    match network_address() {
        Some(ip) => ip,
        None => {
            eprintln!(
                "warning: cannot tell this machine's address on the network: replace 127.0.0.1 \
                 in the join line with it"
            );
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
    }
}

/// The address of the interface that routes outwards. Connecting a UDP
/// socket sends nothing: it only picks the route.
fn network_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 26: instructors.md put `--state room.json` in the root, where
    /// a commit takes it, view token and all.
    #[test]
    fn a_state_file_in_the_workshop_is_told_apart() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let outside = tempfile::tempdir().expect("another");
        std::fs::create_dir_all(root.path().join("target")).expect("target");
        std::fs::create_dir_all(root.path().join("docs")).expect("docs");
        assert!(in_the_workshop(root.path(), Path::new("room.json")));
        assert!(in_the_workshop(
            root.path(),
            &root.path().join("docs").join("..").join("room.json")
        ));
        assert!(!in_the_workshop(root.path(), Path::new("target/room.json")));
        assert!(!in_the_workshop(
            root.path(),
            &outside.path().join("room.json")
        ));
        assert!(!in_the_workshop(root.path(), Path::new("../room.json")));
    }
}
