//! The archive itself: tar, gzip and sha256 in one pass, to a temporary
//! file renamed once whole. Built in Rust (the `tar` and `flate2` crates),
//! not with a `tar` command: the instructor's laptop may be any of Linux,
//! macOS or Windows.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use super::tracked::{self, Fingerprint, Tracked};
use super::vendor::{self, Vendored};
use super::{Archive, ArchiveError, TOP, hex};

/// Every file's modification time in the archive: 2024-01-01, in every
/// learner's past. Cargo rebuilds a crate whose sources are newer than its
/// last build, so a learner's clock behind the instructor's would rebuild
/// everything on every check; and one time for all makes the same
/// workshop pack to the same bytes.
const MTIME: u64 = 1_704_067_200;
/// A temporary archive untouched this long is a build that crashed.
const LEFTOVER: Duration = Duration::from_secs(600);

/// What was packed.
pub struct Packed {
    pub archive: Archive,
    /// Of the tracked files, as packed.
    pub fingerprint: String,
    /// Of the Cargo.lock and manifests packed: the vendored crates must
    /// have been vendored for these.
    pub inputs: String,
}

/// Packs the tracked files (the archive's own `.cargo/config.toml` in
/// place of the workshop's) and the vendored crates into `temp`.
pub fn write(
    temp: &Path,
    root: &Path,
    files: &[Tracked],
    vendored: &Vendored,
) -> Result<Packed, ArchiveError> {
    let failed = ArchiveError::io(format!("cannot write {}", temp.display()));
    let file = File::create(temp).map_err(ArchiveError::io(format!(
        "cannot create {}",
        temp.display()
    )))?;
    let hashing = Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hash: Sha256::new(),
        bytes: 0,
    };
    let mut tar = tar::Builder::new(GzEncoder::new(hashing, Compression::default()));
    let (mut fingerprint, mut inputs) = (Fingerprint::new(), Fingerprint::new());
    let (mut configured, mut packed) = (false, 0);
    let config_path = ".cargo/config.toml";
    for file in files {
        let Some(bytes) = tracked::read(root, file)? else {
            continue;
        };
        if file.path.starts_with(&format!("{}/", vendor::DIR)) {
            return Err(ArchiveError::Config(format!(
                "{} is tracked where the archive puts the vendored crates",
                file.path
            )));
        }
        fingerprint.add(file, &bytes);
        if vendor::is_input(&file.path) {
            inputs.add(file, &bytes);
        }
        let bytes = match file.path.as_str() {
            path if path == config_path => {
                configured = true;
                vendor::cargo_config(Some(&bytes))?
            }
            _ => bytes,
        };
        append(&mut tar, &file.path, &bytes, file.executable)
            .map_err(ArchiveError::io(format!("cannot pack {}", file.path)))?;
        packed += 1;
    }
    if !configured {
        let config = vendor::cargo_config(None)?;
        append(&mut tar, config_path, &config, false)
            .map_err(ArchiveError::io("cannot pack .cargo/config.toml"))?;
    }
    for (relative, path) in walk(&vendored.dir)? {
        let bytes =
            fs::read(&path).map_err(ArchiveError::io(format!("cannot read {}", path.display())))?;
        append(
            &mut tar,
            &format!("{}/{relative}", vendor::DIR),
            &bytes,
            is_executable(&path),
        )
        .map_err(ArchiveError::io(format!("cannot pack {}", path.display())))?;
    }
    let gzip = tar
        .into_inner()
        .map_err(ArchiveError::io("cannot end the tar"))?;
    let hashing = gzip
        .finish()
        .map_err(ArchiveError::io("cannot end the gzip"))?;
    let Hashing { inner, hash, bytes } = hashing;
    let file = inner.into_inner().map_err(|err| failed(err.into_error()))?;
    file.sync_all()
        .map_err(ArchiveError::io(format!("cannot write {}", temp.display())))?;
    Ok(Packed {
        archive: Archive {
            size: bytes,
            sha256: hex(&hash.finalize()),
            files: packed,
            crates: vendored.crates,
        },
        fingerprint: fingerprint.finish(),
        inputs: inputs.finish(),
    })
}

/// One regular file under the archive's top directory.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
    executable: bool,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    header.set_mode(if executable { 0o755 } else { 0o644 });
    header.set_mtime(MTIME);
    header.set_uid(0);
    header.set_gid(0);
    // Long paths (vendored crates have some) get GNU long-name entries,
    // which GNU tar and bsdtar (macOS, Windows) both read.
    tar.append_data(&mut header, format!("{TOP}/{path}"), bytes)
}

/// Every file under `dir`, sorted, as (`a/b` relative path, full path).
fn walk(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, ArchiveError> {
    let mut found = Vec::new();
    let mut pending = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, at)) = pending.pop() {
        let mut entries: Vec<_> = fs::read_dir(&at)
            .map_err(ArchiveError::io(format!("cannot read {}", at.display())))?
            .collect::<Result<_, _>>()
            .map_err(ArchiveError::io(format!("cannot read {}", at.display())))?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            if path.is_dir() {
                pending.push((relative, path));
            } else {
                found.push((relative, path));
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hash.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `path` whole or not at all.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = path.with_extension(format!("part-{}", std::process::id()));
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// Temporary files of builds that crashed.
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|at| {
                SystemTime::now()
                    .duration_since(at)
                    .is_ok_and(|age| age > LEFTOVER)
            });
        if stale && entry.file_name().to_string_lossy().contains(".part-") {
            let _ = fs::remove_file(entry.path());
        }
    }
}
