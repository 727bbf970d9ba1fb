//! Panics, in plain words: what a learner's code printed when it panicked,
//! turned into what it means and what to do.

/// One panic found in a process's stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// `src/forceasync.rs:60:5`
    pub location: String,
    /// The panic's message, e.g. `not yet implemented: gap 4: …`.
    pub message: String,
}

/// Every panic in `stderr`, in order. Rust prints each as
/// `thread '…' panicked at <location>:` followed by the message.
pub fn panics(stderr: &str) -> Vec<Panic> {
    let mut found = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let Some((_, rest)) = line.split_once(" panicked at ") else {
            continue;
        };
        let location = normalize(rest.trim_end_matches(':'));
        let message = lines.next().unwrap_or_default().trim().to_string();
        found.push(Panic { location, message });
    }
    found
}

/// `contract/client_tests/learner/../../../exercises/part1/tests/x.rs:3:5` →
/// `exercises/part1/tests/x.rs:3:5`: a harness that includes a learner's
/// file by a relative path must not show that path to the learner.
fn normalize(location: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in location.split('/') {
        match part {
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            "." => {}
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// Whether `panic` is a `todo!()` left in a gap.
pub fn is_gap(panic: &Panic) -> bool {
    panic
        .message
        .strip_prefix("not yet implemented: ")
        .is_some_and(|rest| rest.starts_with("gap "))
}

/// The messages tokio gives when blocking code runs where it must not.
const BLOCKING: &[&str] = &[
    "Cannot drop a runtime in a context where blocking is not allowed",
    "Cannot start a runtime from within a runtime",
    "Cannot block the current thread from within a runtime",
    "can call blocking only when running on the multi-threaded runtime",
];

/// How a failed write to a client that has gone reads in a panic's message.
const LEFT: &[&str] = &[
    "BrokenPipe",
    "ConnectionReset",
    "ConnectionAborted",
    "Broken pipe",
    "Connection reset",
];

/// What `panic` means for a learner, in one or two sentences.
pub fn explain(panic: &Panic) -> String {
    let message = &panic.message;
    if let Some(gap) = message
        .strip_prefix("not yet implemented: ")
        .filter(|rest| rest.starts_with("gap "))
    {
        // `gap 4: run the synchronous client…` → `gap 4 is not filled yet: …`
        let (number, title) = gap.split_once(':').unwrap_or((gap, ""));
        return format!("{number} is not filled yet:{title} ({})", panic.location);
    }
    if BLOCKING.iter().any(|known| message.contains(known)) {
        return "a blocking call ran on an async worker thread, and tokio stopped it: while \
                it blocks, no other request on that thread makes progress. Run the blocking \
                code with tokio::task::spawn_blocking and .await its JoinHandle"
            .to_string();
    }
    if LEFT.iter().any(|known| message.contains(known)) {
        return format!(
            "your code panicked at {} writing an answer to a client that had hung up ({message})",
            panic.location
        );
    }
    if message.contains("has overflowed its stack") {
        return format!(
            "the stack overflowed ({}): a function that calls itself forever?",
            panic.location
        );
    }
    format!("your code panicked at {}: {message}", panic.location)
}

/// The explanation of the first panic in `stderr`, if there is one; a gap
/// left anywhere comes first, since it explains whatever follows from it
/// (a task that panicked on a `todo!()`, then a caller that unwrapped its
/// `JoinError`).
pub fn first(stderr: &str) -> Option<String> {
    gap(stderr).or_else(|| panics(stderr).first().map(explain))
}

/// The explanation of the first `todo!()` in `stderr` a gap panicked on.
pub fn gap(stderr: &str) -> Option<String> {
    panics(stderr)
        .iter()
        .find(|panic| is_gap(panic))
        .map(explain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_todo_is_an_unfilled_gap() {
        let stderr = "\nthread 'tokio-runtime-worker' (4242) panicked at src/forceasync.rs:60:5:\n\
                      not yet implemented: gap 4: run the synchronous client on the blocking pool\n\
                      note: run with `RUST_BACKTRACE=1`…\n";
        assert_eq!(
            first(stderr).unwrap(),
            "gap 4 is not filled yet: run the synchronous client on the blocking pool (src/forceasync.rs:60:5)"
        );
    }

    #[test]
    fn a_blocking_call_in_async_code_is_explained() {
        let stderr = "thread 'tokio-runtime-worker' panicked at /cargo/tokio-1/src/runtime/blocking/shutdown.rs:51:21:\n\
                      Cannot drop a runtime in a context where blocking is not allowed. This happens when a runtime is dropped from within an asynchronous context.\n";
        let explained = first(stderr).unwrap();
        assert!(explained.contains("spawn_blocking"), "{explained}");
    }

    #[test]
    fn a_write_to_a_client_that_left_is_named() {
        let stderr = "thread 'worker-3' (77) panicked at src/sync_server.rs:62:39:\n\
                      called `Result::unwrap()` on an `Err` value: Os { code: 32, kind: BrokenPipe, message: \"Broken pipe\" }\n";
        let explained = first(stderr).unwrap();
        assert!(
            explained.starts_with(
                "your code panicked at src/sync_server.rs:62:39 writing an answer to a client that had hung up"
            ),
            "{explained}"
        );
    }

    #[test]
    fn relative_paths_in_locations_are_resolved() {
        let stderr = "thread 'x' panicked at contract/client_tests/learner/../../../exercises/part1/tests/client_test.rs:12:5:\n\
                      not yet implemented: gap 5: write the client's test\n";
        assert_eq!(
            first(stderr).unwrap(),
            "gap 5 is not filled yet: write the client's test (exercises/part1/tests/client_test.rs:12:5)"
        );
        assert_eq!(normalize("../a/./b/../c.rs:1:1"), "../a/c.rs:1:1");
    }

    #[test]
    fn other_panics_are_quoted() {
        let stderr = "thread 'main' panicked at src/main.rs:1:1:\nboom\n";
        assert_eq!(
            first(stderr).unwrap(),
            "your code panicked at src/main.rs:1:1: boom"
        );
        assert_eq!(first("all quiet\n"), None);
    }
}
