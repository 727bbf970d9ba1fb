//! The workshop's ids, typed: a part, an exercise, a gap and a check. They
//! are the keys everything else shares (progress files, the room's board,
//! the grader's report), so each has one constructor and one `Display`, and
//! nothing else spells them.
//!
//! `part2` ⊃ `part2.forceasync` ⊃ `part2.forceasync.runtime` (a gap), and a
//! check is an exercise and a kind: `part2.forceasync.pool`.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        // An id reads as the string it is wherever a `&str` is asked for:
        // progress files, the wire and the board key on the plain text.
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

string_id! {
    /// `part2`: also the exercise crate's package and library name.
    PartId
}

string_id! {
    /// `part2.forceasync`: an exercise, within its part.
    ExerciseId
}

string_id! {
    /// `part2.forceasync.runtime`: a gap, within its exercise.
    GapId
}

impl ExerciseId {
    /// `part2.forceasync` → `forceasync`: the exercise's name within its
    /// part, which names its graded test file (`tests/forceasync.rs`).
    pub fn short_name(&self) -> &str {
        self.0.rsplit_once('.').map_or(&self.0, |(_, name)| name)
    }
}

/// A graded check: an exercise and a kind, `part2.forceasync.pool`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckId {
    pub exercise: ExerciseId,
    pub kind: CheckKind,
}

impl CheckId {
    pub fn new(exercise: &ExerciseId, kind: CheckKind) -> Self {
        Self {
            exercise: exercise.clone(),
            kind,
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.exercise, self.kind)
    }
}

impl PartialEq<str> for CheckId {
    fn eq(&self, other: &str) -> bool {
        other
            .strip_prefix(self.exercise.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            == Some(self.kind.name())
    }
}

/// Declares every kind of check once: its variant, and its name, which is
/// what `workshop.toml` says, the last word of its check ids, and the file
/// under `grader/src/kinds/` that runs it. `each_check_kind!` hands the list to
/// the grader, which declares those files and dispatches to them: a new kind
/// is a new file there and one line here.
macro_rules! check_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CheckKind {
            $($(#[$doc])* $variant,)*
        }

        impl CheckKind {
            pub const ALL: &[CheckKind] = &[$(CheckKind::$variant,)*];

            /// The kind's name, as `workshop.toml` spells it.
            pub fn name(self) -> &'static str {
                match self {
                    $(CheckKind::$variant => stringify!($name),)*
                }
            }
        }

        /// Calls `$callback!` with every kind: `Variant => name,` each (the
        /// grader's `kinds` declares and dispatches its files with it).
        #[macro_export]
        macro_rules! each_check_kind {
            ($callback:ident) => {
                $callback! { $($variant => $name,)* }
            };
        }
    };
}

check_kinds! {
    /// The part's command-line client converts (`client USD 100`).
    Cli => cli,
    /// The learner's own test fails against deliberately broken clients.
    ClientTest => client_test,
    /// The exercise's graded tests (`tests/<exercise>.rs`) pass.
    Tests => tests,
    /// The server answers the contract's requests exactly.
    Contract => contract,
    /// Answers are computed from the rates service, not hard-coded.
    Computed => computed,
    /// On one worker thread, N slow requests take one round trip, not N.
    Concurrency => concurrency,
    /// With P threads, N slow requests take ⌈N/P⌉ round trips.
    Threads => threads,
    /// The blocking pool has the size the exercise asks for: 2P slow
    /// requests take two round trips, P answered in each.
    Pool => pool,
    /// A stalled or trickled body is a 504 at the deadline (part 4).
    Deadline => deadline,
    /// Simultaneous conversions share one fetch, reused for the TTL; errors
    /// are not kept (part 4).
    Singleflight => singleflight,
    /// A waiter whose client hangs up does not cancel the shared fetch
    /// (part 4).
    Cancellation => cancellation,
    /// SIGTERM: the requests in flight are answered, then exit 0 (part 4).
    Shutdown => shutdown,
    /// The conversion on a date: exact answers, each date its own rates;
    /// bad dates 400 or 404, one line (part 5).
    Dated => dated,
    /// 10× more conversions than the rates service's quota N: at most N
    /// fetches at once, and N at once at some point (part 5).
    Quota => quota,
    /// Offered 10× capacity in an open loop: goodput ≥ 90 % of capacity,
    /// sheds fast with Retry-After, admitted answers in time, `/health`
    /// fast throughout (part 5).
    Shedding => shedding,
    /// Clients that hang up waiting or mid-fetch free their place: after
    /// 1,000 of them, N fetches at once again (part 5).
    NoLeak => no_leak,
    /// One span per request as a JSON line: its outcome, its wait for a
    /// permit, its time upstream, all true (part 5).
    Observe => observe,
    /// A failure of the moment (a 5xx, no answer) is tried again, and the
    /// conversion answered 200; a 4xx never; nothing past the deadline
    /// (part 6).
    Retries => retries,
    /// Retries of conversions that failed together are spread (full
    /// jitter), each later than the last (exponential), and capped (part 6).
    Jitter => jitter,
    /// No retry sooner than `Retry-After` says; one past the deadline is
    /// not waited for, but passed on at once, 503 with `Retry-After`
    /// (part 6).
    RetryAfter => retry_after,
    /// A retry's wait holds no place of the limit: while conversions wait
    /// out a `Retry-After`, as many others fetch at once (part 6).
    Permits => permits,
    /// In an outage, retries stay within one budget for the server (a
    /// tenth of the fetches, and a floor); conversions succeed again as
    /// soon as it ends (part 6).
    Budget => budget,
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CheckKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|kind| kind.name()).collect();
                format!(
                    "unknown check kind `{name}`, expected one of: {}",
                    known.join(", ")
                )
            })
    }
}

// Serde reads and writes a kind by the same name, so there is one spelling.
impl Serialize for CheckKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for CheckKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_id_is_its_exercise_and_its_kind() {
        let exercise = ExerciseId::new("part2.forceasync");
        let id = CheckId::new(&exercise, CheckKind::ClientTest);
        assert_eq!(id.to_string(), "part2.forceasync.client_test");
        assert!(id == *"part2.forceasync.client_test");
        assert!(id != *"part2.forceasync.pool");
        assert!(id != *"part2.forceasyncclient_test");
        assert_eq!(exercise.short_name(), "forceasync");
    }

    #[test]
    fn kinds_read_and_write_by_one_name() {
        for kind in CheckKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            let back: CheckKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *kind);
        }
        let err = "pol".parse::<CheckKind>().unwrap_err();
        assert!(err.starts_with("unknown check kind `pol`, expected one of: cli, "));
    }
}
