//! `room serve --state FILE`: the board and its tokens, kept across a
//! restart, so the slide with the join line stays right and the instructor's
//! tab keeps working.

use std::fs;
use std::io;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::board::Learner;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub format_version: u32,
    pub join_token: String,
    pub view_token: String,
    pub learners: Vec<Learner>,
}

impl Saved {
    pub fn new(join_token: String, view_token: String, learners: Vec<Learner>) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            join_token,
            view_token,
            learners,
        }
    }

    /// The saved room, `None` if the file is not there yet. A file that does
    /// not read stops the board: overwriting it would lose a room.
    pub fn load(path: &Path) -> anyhow::Result<Option<Self>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(err).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let saved: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a saved room: move it away or choose another --state",
                path.display()
            )
        })?;
        if saved.format_version != FORMAT_VERSION {
            bail!(
                "{}: format_version {}, but this xtask reads {FORMAT_VERSION}",
                path.display(),
                saved.format_version
            );
        }
        Ok(Some(saved))
    }

    /// Writes atomically (a temporary file renamed over the old one), for
    /// the owner only where the system has owners: it holds the tokens.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        let temp = path.with_extension(format!("tmp-{}", std::process::id()));
        write_private(&temp, text.as_bytes())?;
        fs::rename(&temp, path).inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

/// Windows: the file takes its folder's access list, which under the
/// instructor's profile (`--state ~/room.json`, as the docs say) is that
/// user's, SYSTEM's and the administrators'; `room serve` warns when the
/// file is inside the workshop, whose folder learners may share.
#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_cannot_read() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("room.json");
        assert!(Saved::load(&path).expect("no file is no error").is_none());
        Saved::new("join".into(), "view".into(), Vec::new())
            .save(&path)
            .expect("saved");
        let saved = Saved::load(&path).expect("read").expect("there");
        assert_eq!(
            (saved.join_token.as_str(), saved.view_token.as_str()),
            ("join", "view")
        );
        fs::write(&path, "not json").expect("written");
        let err = Saved::load(&path).unwrap_err();
        assert!(
            format!("{err:#}").contains("is not a saved room"),
            "{err:#}"
        );
    }
}
