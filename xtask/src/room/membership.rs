//! `.workshop/room.toml`: the room this laptop reports to, written by
//! `room join`, removed by `room leave`, read after every check.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Where the membership lives, relative to the workspace root.
pub const FILE: &str = ".workshop/room.toml";

const HEADER: &str = "\
# The room this laptop reports to, kept by `cargo xtask room join`.
# After every check, the check ids, pass or fail and their one-line reasons,
# the gaps left, the part's clock and the hint reached go to `url`, under
# `name`; never code, never file paths. `cargo xtask room leave` forgets it.
";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// The board, e.g. `http://192.168.1.10:8099`.
    pub url: String,
    pub token: String,
    pub name: String,
    /// This laptop's random id in that room (see `wire::Join`).
    pub learner: String,
}

impl Membership {
    /// The room joined, if any; a file that does not read is an error
    /// that says how to mend it.
    pub fn load(root: &Path) -> Result<Option<Self>, String> {
        let text = match fs::read_to_string(root.join(FILE)) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(format!("cannot read {FILE}: {err}")),
        };
        toml::from_str(&text).map(Some).map_err(|err| {
            format!(
                "{FILE} does not read ({}): `cargo xtask room join` again",
                err.message().trim().replace('\n', "; ")
            )
        })
    }

    pub fn save(&self, root: &Path) -> io::Result<()> {
        let path = root.join(FILE);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let body = toml::to_string(self).map_err(io::Error::other)?;
        let temp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
        fs::write(&temp, format!("{HEADER}{body}"))?;
        fs::rename(&temp, &path).inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })
    }

    /// Forgets the room; whether there was one.
    pub fn forget(root: &Path) -> io::Result<bool> {
        match fs::remove_file(root.join(FILE)) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_forgets() {
        let root = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(Membership::load(root.path()), Ok(None));
        let room = Membership {
            url: "http://127.0.0.1:8099".into(),
            token: "abcd-efgh-jkmn".into(),
            name: "Ada".into(),
            learner: "0".repeat(32),
        };
        room.save(root.path()).expect("saved");
        assert_eq!(Membership::load(root.path()), Ok(Some(room)));
        assert!(Membership::forget(root.path()).expect("forgotten"));
        assert!(!Membership::forget(root.path()).expect("nothing to forget"));
        fs::create_dir_all(root.path().join(".workshop")).expect("a directory");
        fs::write(root.path().join(FILE), "url = 3").expect("written");
        let err = Membership::load(root.path()).unwrap_err();
        assert!(err.contains("room join"), "{err}");
    }
}
