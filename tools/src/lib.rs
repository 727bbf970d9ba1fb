//! The instructor's and author's tools, in a package of their own so that
//! no learner compiles them: `room serve` (the live board, and the offline
//! archive it can serve), `selftest` (the grader's mutation test), `gen`
//! (writing `exercises/` from `solutions/`) and `timing` (the runner's own
//! waits).
//!
//! Learners type `cargo xtask room serve`, `cargo xtask selftest`, `cargo
//! xtask gen` as before: the runner starts this package's binary with
//! `cargo run`, which builds it the first time.

pub mod exercises;
pub mod room;
pub mod selftest;
pub mod timing;
