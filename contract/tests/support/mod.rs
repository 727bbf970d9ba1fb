//! What the integration tests share: the solution servers, started in this
//! process. Kept out of the library, which the runner depends on, so editing
//! a solution does not rebuild the runner.

#![allow(dead_code, reason = "each test file uses part of this")]

pub mod solutions;
