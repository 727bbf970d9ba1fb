//! `cargo xtask room serve`: the instructor's side of the room. The
//! learner's side (`room join`, `leave`, and what every check sends) is in
//! the runner; both speak `workshop_core::room_wire`.
//!
//! - `board`: the board's data; `server`, `page`, `serve`, `state_file`:
//!   the board served, live, and kept across a restart;
//! - `archive`, `download`: `room serve --offline`, the workshop and every
//!   crate it needs, served to the room.

mod archive;
mod board;
mod download;
mod page;
mod serve;
mod server;
mod state_file;

use workshop_core::room_wire as wire;

pub use serve::{ServeArgs, run as serve};
