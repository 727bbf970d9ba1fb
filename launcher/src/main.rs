//! `cargo xtask`: the `.cargo/config.toml` alias runs this launcher, which
//! builds the learner's runner (the `xtask` package) and hands over to it.
//!
//! Why a launcher: on a fresh clone, `cargo run --quiet --package xtask`
//! compiled some 150 crates for most of a minute and printed nothing, and a
//! learner could not tell a first build from a hang. This binary has no
//! dependencies, so cargo has it ready within a second or two; it says at
//! once what is being built and why, shows how far the build is, and stays
//! silent when there is nothing to build.

mod build;
mod companion;
mod fresh;
mod progress;

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<_> = env::args_os().skip(1).collect();
    let Some(target) = target_dir() else {
        eprintln!("error: cannot tell where cargo built the launcher; run `cargo xtask` again");
        return ExitCode::FAILURE;
    };
    // `CARGO` is set by `cargo run`: the cargo (and toolchain) the learner
    // typed, so the runner is built by the same one.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let runner = target
        .join("debug")
        .join(format!("xtask{}", env::consts::EXE_SUFFIX));
    // Fresh, cargo is not asked at all: a warm command starts as fast as
    // the runner alone.
    let Some(root) = workspace_root() else {
        eprintln!("error: run the runner with `cargo xtask`, inside the workshop's folder");
        return ExitCode::FAILURE;
    };
    if !fresh::is_fresh(&runner, &root) {
        let part = companion::of(&args, &root);
        if let Err(code) = build::runner(&cargo, &target, part.as_ref(), &runner, &root) {
            return code;
        }
    }
    let mut command = Command::new(&runner);
    // The runner acts on the workshop cargo was run in (core's ROOT_VAR).
    command.args(&args).env("WORKSHOP_ROOT", &root);
    hand_over(command, &runner)
}

/// The workspace's root: the parent of this package's directory, as cargo
/// tells the process it runs (`CARGO_MANIFEST_DIR` at run time), never as
/// it was when this launcher was built. Cargo does not rebuild a workspace
/// that was moved, so a path baked in at build time would send a renamed
/// folder, or a copy with its `target/`, back to the original.
fn workspace_root() -> Option<PathBuf> {
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    Some(here.parent()?.to_path_buf())
}

/// The target directory this launcher was built in (`target/grader`, as
/// the alias says): `<target>/debug/workshop-launcher`. The runner is built
/// there too, beside what the grader builds, so dependencies compile once.
fn target_dir() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

/// Unix: the runner takes this process's place (`exec`), so signals,
/// Ctrl-C and the exit code are its own, with nothing in between.
#[cfg(unix)]
fn hand_over(mut command: Command, runner: &std::path::Path) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    eprintln!("error: cannot run {}: {err}", runner.display());
    ExitCode::FAILURE
}

/// Elsewhere: the runner is a child; Ctrl-C reaches it through the console,
/// and this process ignores it, so the prompt never comes back while the
/// runner is still stopping what it started.
#[cfg(not(unix))]
fn hand_over(mut command: Command, runner: &std::path::Path) -> ExitCode {
    #[cfg(windows)]
    windows::ignore_ctrl_c();
    match command.status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(err) => {
            eprintln!("error: cannot run {}: {err}", runner.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(windows)]
mod windows {
    // kernel32's SetConsoleCtrlHandler(NULL, TRUE): this process ignores
    // Ctrl-C, which still reaches the runner, its child in the same console.
    unsafe extern "system" {
        fn SetConsoleCtrlHandler(handler: *const core::ffi::c_void, add: i32) -> i32;
    }

    pub fn ignore_ctrl_c() {
        // SAFETY: a null handler with add = TRUE only sets this process's
        // flag to ignore Ctrl-C; nothing is called back.
        unsafe {
            SetConsoleCtrlHandler(core::ptr::null(), 1);
        }
    }
}
