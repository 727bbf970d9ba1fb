//! The fonts Chromium sees, chosen by the test rather than by the machine:
//! a fontconfig file of the test's own lists a few font directories and no
//! other, so a test passes or fails the same on a machine with more fonts.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use tempfile::TempDir;

/// A set of font directories, as a kind of machine has them.
pub struct FontSet {
    /// Short, for messages and file names.
    pub name: &'static str,
    /// Which machines have these fonts.
    pub about: &'static str,
    /// Each entry: where one package puts its fonts; the first of its
    /// alternatives that exists is used (Debian has moved some).
    dirs: &'static [&'static [&'static str]],
    /// What installs them, for the message when one is missing.
    pub packages: &'static str,
    /// Families Chromium must find, and must not, with this set: proof
    /// that the set, not the machine, decides.
    pub present: &'static [&'static str],
    pub absent: &'static [&'static str],
}

const DEJAVU: &[&str] = &["/usr/share/fonts/truetype/dejavu"];
const LIBERATION: &[&str] = &[
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/liberation2",
];

/// Debian's chromium installed without its recommended packages brings
/// DejaVu (through fontconfig); with them, Liberation too, whose other
/// widths once made two slides overflow.
pub const FONT_SETS: &[FontSet] = &[
    FontSet {
        name: "dejavu",
        about: "Debian's chromium without recommends",
        dirs: &[DEJAVU],
        packages: "fonts-dejavu-core",
        present: &["DejaVu Sans"],
        absent: &["Liberation Sans"],
    },
    FontSet {
        name: "dejavu+liberation",
        about: "Debian's chromium with its recommends",
        dirs: &[DEJAVU, LIBERATION],
        packages: "fonts-dejavu-core fonts-liberation",
        present: &["DejaVu Sans", "Liberation Sans"],
        absent: &[],
    },
];

/// A fontconfig set-up in a temporary directory, for one browser.
pub struct Fontconfig {
    dir: TempDir,
}

impl FontSet {
    /// Writes the set's fontconfig file; fails, saying what to install,
    /// when one of its directories is missing.
    pub fn fontconfig(&self) -> Result<Fontconfig, String> {
        let mut dirs = Vec::new();
        for alternatives in self.dirs {
            let found = alternatives.iter().find(|dir| Path::new(dir).is_dir());
            let Some(dir) = found else {
                return Err(format!(
                    "no {}: apt-get install {}",
                    alternatives.join(" or "),
                    self.packages
                ));
            };
            dirs.push(*dir);
        }
        let dir = tempfile::tempdir().map_err(|err| format!("no temp dir: {err}"))?;
        let mut xml = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n<fontconfig>\n",
        );
        for font_dir in dirs {
            xml.push_str(&format!("  <dir>{}</dir>\n", escape(font_dir)));
        }
        // The machine's rules (aliases, hinting) but not its directories:
        // those are listed in /etc/fonts/fonts.conf, which is not included,
        // and the user's (~/.fonts, …) are in the empty HOME of `env`.
        // The cache under XDG_CACHE_HOME (set in `env`, in this directory):
        // no path in the file, so that one the browser reads on another
        // system (Linux's Chromium under Wine) still names this directory.
        xml.push_str(
            "  <cachedir prefix=\"xdg\">fontconfig</cachedir>\n  <include ignore_missing=\"yes\">/etc/fonts/conf.d</include>\n</fontconfig>\n",
        );
        fs::write(dir.path().join("fonts.conf"), xml)
            .map_err(|err| format!("cannot write the fontconfig file: {err}"))?;
        Ok(Fontconfig { dir })
    }
}

impl Fontconfig {
    /// The environment that makes a browser use this set and no other font.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        let home = self.dir.path();
        vec![
            ("FONTCONFIG_FILE", home.join("fonts.conf").into()),
            ("HOME", home.into()),
            ("XDG_CONFIG_HOME", home.join("config").into()),
            ("XDG_DATA_HOME", home.join("data").into()),
            ("XDG_CACHE_HOME", home.join("cache").into()),
        ]
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
