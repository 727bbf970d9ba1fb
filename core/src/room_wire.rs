//! What travels from a laptop to the room: a chosen name and the outcome of
//! each check, nothing else: no code, no file paths (reasons are scrubbed
//! first, see `scrub`). Both ends use these types, and the board refuses a
//! body with any field they do not have.

use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The largest body the board reads.
pub const MAX_BODY: usize = 16 * 1024;
/// The longest name, in characters.
pub const MAX_NAME: usize = 40;
/// The longest reason, in characters; the sender shortens longer ones.
pub const MAX_REASON: usize = 300;

/// `POST /api/join`: a learner arrives, before any check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// A random id kept in `.workshop/room.toml`: two learners may not
    /// share a name, and a rename keeps the row.
    pub learner: String,
    pub name: String,
}

/// `POST /api/check`: one `cargo xtask check partN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    pub learner: String,
    pub name: String,
    pub part: String,
    /// False when the part did not compile, so no check could run.
    pub built: bool,
    pub exercises: Vec<ExerciseReport>,
}

/// One exercise of the part checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseReport {
    pub id: String,
    /// When it is due on its part's clock, in minutes: its own minutes
    /// and those of the exercises before it (`Part::due`).
    pub minutes: u32,
    /// The part's clock at this check, or when the exercise passed.
    pub spent_secs: u64,
    /// How many gaps it has, and how many are still `todo!()`.
    pub gaps: u32,
    pub gaps_left: u32,
    /// The deepest hint reached among its gaps, if any was shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
    /// Its checks, in the manifest's order; empty when nothing was built.
    pub checks: Vec<CheckOutcome>,
}

/// Hint `level` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    pub level: u32,
    pub of: u32,
}

/// One check's verdict and its one-line reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckOutcome {
    pub id: String,
    pub passed: bool,
    pub reason: String,
}

/// A name the room accepts, or why not. The same rule on both ends, so
/// `room join` says it before anything is sent.
pub fn check_name(name: &str) -> Result<(), String> {
    let count = name.chars().count();
    if name.trim().is_empty() {
        return Err("the name is empty: choose one with --name".into());
    }
    if name.trim() != name {
        return Err("the name starts or ends with a space".into());
    }
    if count > MAX_NAME {
        return Err(format!(
            "the name has {count} characters: at most {MAX_NAME}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the name holds a control character".into());
    }
    // A spreadsheet opening the CSV export would run such a name as a formula.
    if name.starts_with(['=', '+', '-', '@']) {
        return Err(
            "the name may not start with =, +, - or @ (spreadsheets read those as formulas)".into(),
        );
    }
    Ok(())
}

/// A learner id: 32 hex digits.
pub fn is_learner_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `bytes` random bytes as hex: learner ids and the view token (rand's
/// thread-local generator is a CSPRNG seeded by the system).
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// A join token a learner can type from a slide: three groups of four
/// letters and digits, none that look alike (about 59 bits).
pub fn join_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let mut token = String::new();
    for group in 0..3 {
        if group > 0 {
            token.push('-');
        }
        for _ in 0..4 {
            let index = rng.random_range(0..ALPHABET.len());
            token.push(char::from(ALPHABET[index]));
        }
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_short_text() {
        assert!(check_name("Ada").is_ok());
        assert!(check_name("<script>alert(1)</script>").is_ok());
        assert!(check_name(&"é".repeat(MAX_NAME)).is_ok());
        for bad in ["", "  ", " Ada", "Ada\n", "A\u{7}da", "=1+1", "-Ada", "@x"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(MAX_NAME + 1)).is_err());
    }

    #[test]
    fn tokens_and_ids_are_random_and_well_formed() {
        let (a, b) = (join_token(), join_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 14, "{a}");
        assert!(is_learner_id(&random_hex(16)));
        assert!(!is_learner_id("not hex at all, thirty-two chars"));
        assert_ne!(random_hex(16), random_hex(16));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let sneaky = r#"{"learner":"00","name":"Ada","code":"fn main() {}"}"#;
        assert!(serde_json::from_str::<Join>(sneaky).is_err());
    }
}
