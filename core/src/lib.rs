//! The bottom of the workshop's tooling: what the grader, the learner's
//! runner and the instructor's and author's tools all use, and nothing that
//! any of them does.
//!
//! - `ids`: part, exercise, gap and check ids, and every check kind, once;
//! - `manifest`: `workshop.toml`, read and validated;
//! - `generate`: an exercise derived from its solution, in memory;
//! - `backup`: files set aside before anything overwrites them;
//! - `paths`: paths as a user types them, and where the grader builds;
//! - `child`: stopping a child process, politely first;
//! - `room_wire`: what a laptop sends the instructor's board.

pub mod backup;
pub mod child;
pub mod generate;
pub mod ids;
pub mod manifest;
pub mod paths;
pub mod room_wire;
