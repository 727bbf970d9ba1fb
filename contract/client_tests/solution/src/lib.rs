//! Nothing here: this crate only carries the solution's client test (see
//! Cargo.toml), compiled against `part1-mutants`.
