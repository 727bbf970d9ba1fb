//! What the server answers when a blocking task does not finish.
//!
//! A `JoinError` cannot be provoked through the server from outside (the
//! synchronous client never panics on bad input), so it is made here, both
//! kinds of it, and handed to `join_error`.

use part2_solution::forceasync::join_error;
use tokio::task::JoinError;

/// A blocking task that panicked. `resume_unwind` panics without printing a
/// panic message, so a failure below is not mistaken for this panic.
async fn panicked() -> JoinError {
    let task = tokio::task::spawn_blocking(|| std::panic::resume_unwind(Box::new("deliberate")));
    task.await.expect_err("the task panicked")
}

/// A task cancelled before it finished, as at shutdown.
async fn cancelled() -> JoinError {
    let task = tokio::spawn(std::future::pending::<()>());
    task.abort();
    task.await.expect_err("the task was cancelled")
}

/// The answer's status and its one-line message.
fn answer(err: JoinError) -> (u16, String) {
    let error = join_error(err);
    (error.status(), error.to_string())
}

#[tokio::test]
async fn a_panicked_conversion_is_a_one_line_500_that_says_so() {
    let (status, message) = answer(panicked().await);
    assert_eq!(status, 500, "a panic is the server's fault: {message:?}");
    assert_eq!(message.lines().count(), 1, "one line: {message:?}");
    assert!(
        message.to_lowercase().contains("panic"),
        "the message should say the conversion panicked (err.is_panic()): {message:?}"
    );
}

#[tokio::test]
async fn a_cancelled_conversion_is_a_one_line_500_that_says_so() {
    let (status, message) = answer(cancelled().await);
    assert_eq!(status, 500, "{message:?}");
    assert_eq!(message.lines().count(), 1, "one line: {message:?}");
    assert!(
        !message.to_lowercase().contains("panic"),
        "the task was cancelled, it did not panic (err.is_panic() is false): {message:?}"
    );
}
