//! The open-file limit. Every connection is a file descriptor on each side,
//! and the common default soft limit (1024) is below what 1024 connections
//! need: the limit is raised as far as the system allows, and connection
//! counts it still cannot hold are dropped, loudly.

use serde::{Deserialize, Serialize};

/// Descriptors kept aside for everything that is not a load connection:
/// the standard streams, pipes to the servers, the rates service's listener.
pub const MARGIN: u64 = 64;

/// The open-file limit before and after this run raised it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenFiles {
    /// The soft limit found; `None` where the system has no such limit.
    pub before: Option<u64>,
    /// The soft limit now, inherited by the servers started from here.
    pub after: Option<u64>,
    /// What was done, in one line.
    pub note: String,
}

impl OpenFiles {
    /// The most connections this run can hold: two descriptors each, in
    /// the bench (the load connection, and the rates service's end of the
    /// server's upstream connection) as in the server, which inherits this
    /// limit (the accepted connection, and its upstream one).
    pub fn max_connections(&self) -> Option<usize> {
        self.after
            .map(|limit| usize::try_from(limit.saturating_sub(MARGIN) / 2).unwrap_or(usize::MAX))
    }
}

/// Raises the soft limit to the hard one.
pub fn raise_open_files() -> OpenFiles {
    imp::raise()
}

#[cfg(unix)]
mod imp {
    use super::OpenFiles;
    use rlimit::Resource;

    pub fn raise() -> OpenFiles {
        let before = match rlimit::getrlimit(Resource::NOFILE) {
            Ok((soft, _hard)) => soft,
            Err(err) => {
                return OpenFiles {
                    before: None,
                    after: None,
                    note: format!("cannot read the open-file limit ({err}): left as it is"),
                };
            }
        };
        // `increase_nofile_limit` stops at the hard limit (and at macOS's
        // kern.maxfilesperproc), which only root could raise.
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(after) if after > before => OpenFiles {
                before: Some(before),
                after: Some(after),
                note: format!("open-file limit raised from {before} to {after}"),
            },
            Ok(after) => OpenFiles {
                before: Some(before),
                after: Some(after),
                note: format!("open-file limit {after}: already as high as allowed"),
            },
            Err(err) => OpenFiles {
                before: Some(before),
                after: Some(before),
                note: format!("open-file limit {before}: cannot raise it ({err})"),
            },
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::OpenFiles;

    pub fn raise() -> OpenFiles {
        OpenFiles {
            before: None,
            after: None,
            note: "no open-file limit on this system: nothing changed".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_descriptors_per_connection_after_the_margin() {
        let limit = |after| OpenFiles {
            before: None,
            after,
            note: String::new(),
        };
        assert_eq!(limit(Some(1024)).max_connections(), Some(480));
        assert_eq!(limit(Some(2112)).max_connections(), Some(1024));
        assert_eq!(limit(Some(10)).max_connections(), Some(0));
        assert_eq!(limit(None).max_connections(), None);
    }

    #[test]
    fn raising_never_lowers_and_says_what_it_did() {
        let limits = raise_open_files();
        assert!(limits.after >= limits.before, "{limits:?}");
        // Where there is no such limit (Windows), nothing is said of one.
        assert_eq!(limits.before.is_some(), cfg!(unix), "{limits:?}");
        assert!(!limits.note.is_empty());
    }
}
