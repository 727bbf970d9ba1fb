//! `workshop-bench`: the bench, optimised. `cargo xtask bench` is a debug
//! build, and a debug load generator would measure itself; so xtask builds
//! this binary in release and hands it the same arguments.

fn main() -> std::process::ExitCode {
    workshop_bench::main()
}
