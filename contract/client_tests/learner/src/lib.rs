//! Nothing here: this crate only carries the learner's client test (see
//! Cargo.toml), compiled against `part1-mutants`.
