//! What the workshop's integration tests share, in one crate rather than
//! files included by path: the workspace and copies of it to break things
//! in (`workspace`), the binaries the tests run, a DevTools client for the
//! browser tests (`cdp`), and the docs' command examples (`docs`).

pub mod cdp;
pub mod docs;
pub mod wine;
pub mod workspace;

pub use workspace::*;
