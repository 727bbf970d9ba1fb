//! The library as its callers use it: `grade`, from more than one thread.
//! (What each check says of right and wrong crates is proved through the
//! runner, in `tools/tests/grader.rs`.)

use std::thread;

use workshop_core::manifest::Manifest;
use workshop_grader::{Options, Report, Whose, grade, prebuild};

/// The checks that failed, but for those Wine cannot run
/// (`.ci/wine/cannot.txt`; none elsewhere).
fn failures(report: &Report) -> Vec<String> {
    let cannot = workshop_testkit::wine::cannot();
    report
        .checks
        .iter()
        .filter(|check| !check.verdict.passed && !cannot.contains(&check.id.to_string()))
        .map(|check| format!("{}: {}", check.id, check.verdict.reason))
        .collect()
}

/// Two grades in one process, at once: the one that ends first stops its
/// own children only. Part 1's checks end within 2 s, part 4's run for 3 s
/// and more: were every child of the process killed when a grade ends,
/// part 4's servers would die mid-check and its checks fail.
#[test]
fn two_grades_at_once_do_not_stop_each_others_servers() {
    // Found at run time (cargo runs a test in its package's folder), never
    // where it was built: under Wine a Linux path baked in has no drive,
    // and cargo, relayed, took `/w\target\grader` for a folder's name.
    let root = workshop_core::manifest::workspace_root();
    // Where the other tests' checks build (the runner's tests set it for
    // the runner): the solutions are built once for all of them.
    // SAFETY: the only test of this binary, and no thread runs yet.
    unsafe {
        std::env::set_var(
            "WORKSHOP_GRADER_TARGET_DIR",
            workshop_testkit::grader_target(),
        )
    };
    let manifest = Manifest::load(&root).expect("workshop.toml");
    let (short, long) = (
        manifest.part("part1").expect("part 1"),
        manifest.part("part4").expect("part 4"),
    );
    // Built first, one after the other: both grades then start their
    // checks at once, not one after the other's build.
    for part in [short, long] {
        assert!(
            prebuild(&root, part, Whose::Solution).expect("cargo runs"),
            "the {} solution builds",
            part.id
        );
    }
    let options = Options {
        whose: Whose::Solution,
        release: false,
        color: false,
    };
    let graded = |part| grade(&root, &manifest, part, options, &mut |_| {}).expect("it grades");
    let (long, short) = thread::scope(|scope| {
        let long = scope.spawn(|| graded(long));
        let short = scope.spawn(|| graded(short));
        (
            long.join().expect("no panic"),
            short.join().expect("no panic"),
        )
    });
    for report in [&short, &long] {
        assert!(
            failures(report).is_empty(),
            "{} failed beside the other grade:\n{}",
            report.part,
            failures(report).join("\n")
        );
    }
    // Both grades started together, so whichever ended first ended while
    // the other still graded: on a quiet machine part 1 (its checks end
    // within 2 s, part 4's run 3 s and more), on a busy one either. Had
    // its end stopped every child of the process, the other's servers
    // would have died mid-check, and its report failed above. Which one
    // ends first is the machine's business, not this test's.
}
