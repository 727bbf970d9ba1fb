//! The store on a tiny workspace of its own (a crate with no dependency, so
//! `cargo vendor` needs no network): made once, reused while nothing
//! changes, made again when a tracked file changes, and never served stale
//! or half made when a build fails.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Command;

use flate2::read::GzDecoder;

use super::*;

/// The room's view token in these tests.
pub(in crate::room) const VIEW: &str = "5f0c2a9d41e07b3c5f0c2a9d41e07b3c";

/// A git repository holding a crate with no dependency.
pub(in crate::room) fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        ),
        (
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"tiny\"\nversion = \"0.1.0\"\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        (
            ".cargo/config.toml",
            "[alias]\nxtask = \"run --quiet --\"\n",
        ),
        (".gitignore", "/target\n"),
    ];
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        fs::write(path, text).expect("written");
    }
    git(root, &["init", "--quiet"]);
    git(root, &["add", "--all"]);
    dir
}

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(root)
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// The archive's files, by path.
fn unpack(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = fs::read(path).expect("the archive reads");
    let mut tar = tar::Archive::new(GzDecoder::new(&bytes[..]));
    tar.entries()
        .expect("a tar")
        .map(|entry| {
            let mut entry = entry.expect("an entry");
            let path = entry.path().expect("a path").to_string_lossy().into_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("its content");
            (path, content)
        })
        .collect()
}

fn modified(path: &Path) -> std::time::SystemTime {
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .expect("a modification time")
}

#[test]
fn made_once_reused_made_again_on_a_change_and_never_stale() {
    let dir = workspace();
    let root = dir.path();
    let store = Store::new(root, VIEW);
    let first = store.fresh(Instant::now()).expect("an archive");
    let file = fs::metadata(store.path()).expect("metadata");
    assert_eq!(file.len(), first.size);
    let files = unpack(&store.path());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "async-workshop/.cargo/config.toml",
            "async-workshop/.gitignore",
            "async-workshop/Cargo.lock",
            "async-workshop/Cargo.toml",
            "async-workshop/src/main.rs",
        ],
        "the tracked files and no other"
    );
    let config = String::from_utf8_lossy(&files["async-workshop/.cargo/config.toml"]);
    assert!(
        config.starts_with("[alias]\nxtask = ") && config.contains("replace-with"),
        "{config}"
    );
    assert_eq!((first.files, first.crates), (5, 0));

    // Nothing changed: the same archive, not made again; an untracked file
    // changes nothing.
    let made_at = modified(&store.path());
    fs::write(root.join("notes.txt"), "mine").expect("written");
    fs::create_dir_all(root.join("target")).expect("target");
    let again = store.fresh(Instant::now()).expect("an archive");
    assert_eq!(again, first);
    assert_eq!(modified(&store.path()), made_at, "made again for nothing");
    // Nor does a new store, reading the record of the first.
    let kept = Store::new(root, VIEW)
        .fresh(Instant::now())
        .expect("an archive");
    assert_eq!(kept, first);
    assert_eq!(modified(&store.path()), made_at, "made again for nothing");

    // A tracked file changed, even keeping its size: made again.
    fs::write(root.join("src/main.rs"), "fn main() {/**/}\n").expect("written");
    let second = store.fresh(Instant::now()).expect("an archive");
    assert_ne!(second.sha256, first.sha256);
    assert_eq!(
        unpack(&store.path())["async-workshop/src/main.rs"],
        b"fn main() {/**/}\n"
    );

    // A build that fails serves nothing: not the last archive, not half of one.
    fs::write(root.join("Cargo.toml"), "[package\n").expect("written");
    let failed = store.fresh(Instant::now());
    assert!(
        matches!(failed, Err(ArchiveError::Vendor(_))),
        "{:?}",
        failed
    );
    assert!(store.fresh(Instant::now()).is_err(), "still nothing served");
    let leftovers: Vec<_> = fs::read_dir(root.join("target/room-offline"))
        .expect("the store")
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains(".part-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Put back: the archive of the workspace as it is now.
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .expect("written");
    let third = store.fresh(Instant::now()).expect("an archive");
    assert_eq!(third, second, "the same workshop packs to the same bytes");
}

#[test]
fn a_check_is_shared_by_the_requests_that_came_before_it() {
    let dir = workspace();
    let store = Store::new(dir.path(), VIEW);
    let asked = Instant::now();
    let first = store.fresh(asked).expect("an archive");
    // Changed after the check: a request from before it is answered with
    // that check, one from after is checked again.
    fs::write(dir.path().join("src/main.rs"), "fn main() { }\n").expect("written");
    let same = store.fresh(asked).expect("an archive");
    assert_eq!(same, first);
    let after = store.fresh(Instant::now()).expect("an archive");
    assert_ne!(after, first);
}

/// Issue 26: following the docs (`--state room.json` in the root), the
/// archive warned that room.json was not served and told to `git add` it:
/// doing so put the view token, everyone's names and reasons, in every
/// learner's archive. A file holding secrets is never packed, tracked or
/// not, and is never suggested for adding.
#[test]
fn a_file_holding_the_rooms_secrets_is_never_packed_nor_suggested() {
    let dir = workspace();
    let root = dir.path();
    let saved = format!(
        r#"{{"format_version":1,"join_token":"k7mp-x3rf-q9tw","view_token":"{VIEW}","learners":[]}}"#
    );
    fs::write(root.join("room.json"), &saved).expect("written");
    fs::write(root.join("notes.txt"), "mine").expect("written");
    let warning = tracked::changed_since_commit(root, VIEW).expect("a warning");
    assert!(
        warning.contains("notes.txt (`git add` one to serve it)"),
        "{warning}"
    );
    assert!(
        warning.contains(
            "offline: warning: room.json holds the room's view token or a saved room, and is never served"
        ),
        "{warning}"
    );
    assert!(!warning.contains("room.json (`git add`"), "{warning}");

    // Tracked anyway, and another file quoting the view link: left out.
    fs::write(
        root.join("slide.md"),
        format!("view: http://x/?view={VIEW}\n"),
    )
    .expect("written");
    git(root, &["add", "room.json", "slide.md"]);
    let store = Store::new(root, VIEW);
    let archive = store.fresh(Instant::now()).expect("an archive");
    let files = unpack(&store.path());
    assert!(
        !files.contains_key("async-workshop/room.json"),
        "{:?}",
        files.keys()
    );
    assert!(
        !files.contains_key("async-workshop/slide.md"),
        "{:?}",
        files.keys()
    );
    assert!(files.contains_key("async-workshop/src/main.rs"));
    assert_eq!(archive.files, 5, "the five files of the crate, no more");
}
