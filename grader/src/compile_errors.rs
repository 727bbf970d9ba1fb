//! Compiler errors in plain words: the errors learners meet in the gaps
//! (a lock held across an `.await`, a closure without `move`, `?` on the
//! wrong error type, a future never awaited, an `Rc` in a spawned task, a
//! blocking call awaited), each given one line beside rustc's own: what is
//! wrong, where, and the fix.

/// The errors in the order to show them: an error that explains others
/// comes first. `#[axum::debug_handler]` names why a handler is not one,
/// while the route that uses it fails with a long trait error as well;
/// that one goes last.
pub fn in_order(mut errors: Vec<String>) -> Vec<String> {
    errors.sort_by_key(|error| is_handler_bound(&plain(error)));
    errors
}

fn is_handler_bound(text: &str) -> bool {
    text.contains("Handler<_, _>` is not")
}

/// One line for `error` (as rustc renders it, colours or not), if it is one
/// that learners meet.
pub fn plain_words(error: &str) -> Option<String> {
    let text = plain(error);
    if let Some(running) = still_running(&text) {
        return Some(running.to_string());
    }
    let at = first_location(&text).unwrap_or("the code");
    if text.contains("cannot be sent between threads safely") {
        return Some(not_send(&text, at));
    }
    if let Some(name) = quoted_after(&text, "but it borrows `") {
        return Some(format!(
            "the closure at {at} borrows `{name}`, but the thread or task it is given to may \
             outlive this function: write `move ||` (or `async move`) so that it owns what \
             it uses, and clone an Arc first if this function needs it too"
        ));
    }
    if let Some(into) = quoted_after(&text, "`?` couldn't convert the error to `") {
        let from = quoted_after(&text, "has type `Result<_, ")
            .map(|from| format!("a `{}`", from.strip_suffix('>').unwrap_or(from)))
            .unwrap_or_else(|| "this error".into());
        return Some(format!(
            "`?` at {at} cannot turn {from} into a `{into}` by itself: map it first, \
             `.map_err(|err| …)` into the `{into}` that says what went wrong"
        ));
    }
    if text.contains("found future")
        || (text.contains("impl Future<") && text.contains("E0599"))
        || text.contains("consider `await`ing")
    {
        return Some(format!(
            "at {at}, an async function is called but not awaited: it returns a future, which \
             does nothing until it is `.await`ed. Add `.await`"
        ));
    }
    if let Some(what) = quoted_after(&text, "error[E0277]: `") {
        if text.contains("` is not a future") {
            let what = what.trim_end_matches("` is not a future");
            return Some(format!(
                "`{what}` at {at} is not a future, so it cannot be awaited: the call is \
                 synchronous and has already returned. Remove the `.await`; if the call \
                 blocks (reqwest::blocking, a sleep), run it with \
                 tokio::task::spawn_blocking and await that"
            ));
        }
    }
    if text.contains("E0728") {
        return Some(format!(
            "`.await` at {at} is in a function that is not async: make it an `async fn` (and \
             await it where it is called), or call a synchronous version"
        ));
    }
    None
}

/// A future that is not `Send`: what is held, where, and the fix.
/// Windows will not let a running program's file be replaced: a server
/// left running (`cargo xtask serve` in another terminal) keeps the linker
/// (`LNK1104`, or "Access is denied" from the GNU one) or cargo (copying
/// the binary to `target/…/debug`, os error 5 or 32) from writing it.
pub fn still_running(text: &str) -> Option<&'static str> {
    cargo_messages::still_running(text).then_some(
        "the build could not write a program that is still running: Windows keeps a running \
         program's file from being replaced. Stop the server you started (`cargo xtask serve`, \
         or one in another terminal: Ctrl-C there), then check again",
    )
}

fn not_send(text: &str, at: &str) -> String {
    let held = quoted_after(text, "has type `").unwrap_or("a value");
    let across = text.contains("await occurs here");
    // Where it is held across the `.await`, or captured.
    let marker = if across {
        "used across an await"
    } else {
        "captured value is not `Send`"
    };
    let place = text
        .split_once(marker)
        .and_then(|(_, rest)| first_location(rest))
        .unwrap_or(at);
    let name = quoted_after(text, "with `")
        .map(|name| format!(" (`{name}`)"))
        .unwrap_or_default();
    if held.contains("MutexGuard") {
        return format!(
            "a std::sync::MutexGuard{name} is still held at the .await at {place}, so the \
             future is not Send and cannot run on tokio's threads. Let the guard go before \
             the .await (end its block, or drop it): a std::sync::Mutex is for a short \
             lookup, never across an .await. Slides, part 4: “The trap: a lock across an \
             .await”"
        );
    }
    if held.starts_with("RefMut") || held.starts_with("Ref<") || held.contains("RefCell") {
        return format!(
            "a RefCell borrow{name} is still held at the .await at {place}, so the future is \
             not Send. End the borrow before the .await; to share state between tasks, use \
             Arc<Mutex<…>>, not Rc<RefCell<…>>"
        );
    }
    if held.starts_with("Rc<") {
        return format!(
            "an Rc is {} at {place}, and an Rc cannot be sent to another thread: \
             tokio::spawn and axum need Send futures. Use Arc instead of Rc",
            if across {
                "held across an .await"
            } else {
                "moved into the task"
            }
        );
    }
    let how = if across {
        format!("is still held at the .await at {place}")
    } else {
        format!("is moved into the task at {place}")
    };
    format!(
        "`{held}`{name} {how}, and it is not Send, so neither is the future: tokio::spawn and \
         axum need Send futures. Drop it before the .await, or use a type that is Send"
    )
}

/// The text between `marker` and the next backtick.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(marker)?;
    rest.split('`').next()
}

/// `src/cache.rs:107:48`: the first `--> file:line:col` of `text`.
fn first_location(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|line| line.trim_start().strip_prefix("--> "))
        .map(str::trim)
}

/// `text` without its colours (`ESC [ … m`).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each as rustc 1.95 renders it, cut to what matters.
    const GUARD: &str = "error: future cannot be sent between threads safely
   --> exercises/part4/src/server.rs:56:1
 56 | #[axum::debug_handler]
    | ^^^^^^^^^^^^^^^^^^^^^^ future returned by `convert` is not `Send`
note: future is not `Send` as this value is used across an await
   --> exercises/part4/src/cache.rs:107:48
101 |         let state = self.inner.state();
    |             ----- has type `std::sync::MutexGuard<'_, cache::State>` which is not `Send`
...
107 |         let rates = self.inner.fetcher.fetch().await.map(Arc::new);
    |                                                ^^^^^ await occurs here, with `state` maybe used later";

    const HANDLER: &str = "error[E0277]: the trait bound `fn(State<Arc<Converter>>, ConvertPath) -> ... {convert}: Handler<_, _>` is not satisfied
   --> exercises/part4/src/server.rs:50:13";

    #[test]
    fn a_lock_across_an_await_is_named_with_its_place_and_its_fix() {
        let line = plain_words(GUARD).unwrap();
        assert!(
            line.starts_with(
                "a std::sync::MutexGuard (`state`) is still held at the .await at \
                 exercises/part4/src/cache.rs:107:48"
            ),
            "{line}"
        );
        assert!(
            line.contains("“The trap: a lock across an .await”"),
            "{line}"
        );
    }

    #[test]
    fn the_cause_comes_before_the_handler_that_fails_because_of_it() {
        let ordered = in_order(vec![HANDLER.to_string(), GUARD.to_string()]);
        assert_eq!(ordered, [GUARD, HANDLER]);
        assert_eq!(plain_words(HANDLER), None);
    }

    #[test]
    fn a_program_still_running_on_windows_is_named_whoever_reports_it() {
        for said in [
            "error: linking with `link.exe` failed: exit code: 1104\n  = note: LINK : fatal error LNK1104: cannot open file 'target\\grader\\debug\\deps\\webserver-1.exe'",
            "error: failed to link or copy `deps\\webserver-1.exe` to `webserver.exe`\n\nCaused by:\n  Access is denied. (os error 5)",
            "ld.exe: cannot open output file webserver-1.exe: Permission denied: cannot open output file",
        ] {
            let words = plain_words(said).expect("named");
            assert!(words.contains("still running"), "{words}");
        }
        assert_eq!(still_running("error[E0308]: mismatched types"), None);
    }

    #[test]
    fn colours_do_not_hide_a_pattern() {
        let coloured = GUARD.replace("future cannot", "\u{1b}[1mfuture\u{1b}[0m cannot");
        assert_eq!(plain_words(&coloured), plain_words(GUARD));
    }

    #[test]
    fn the_errors_met_in_the_gaps_each_have_their_line() {
        let cases = [
            (
                "error[E0373]: closure may outlive the current function, but it borrows `name`, which is owned by the current function\n  --> src/a.rs:10:24",
                "the closure at src/a.rs:10:24 borrows `name`",
            ),
            (
                "error[E0277]: `?` couldn't convert the error to `ConvertError`\n  --> src/a.rs:14:30\n   |   this can't be annotated with `?` because it has type `Result<_, ParseIntError>`",
                "`?` at src/a.rs:14:30 cannot turn a `ParseIntError` into a `ConvertError`",
            ),
            (
                "error[E0308]: mismatched types\n  --> src/a.rs:23:18\n   |  expected `u32`, found future",
                "at src/a.rs:23:18, an async function is called but not awaited",
            ),
            (
                "error[E0599]: `impl Future<Output = u32>` doesn't implement `std::fmt::Display`\n --> src/a.rs:5:13",
                "at src/a.rs:5:13, an async function is called but not awaited",
            ),
            (
                "error[E0277]: `Result<u32, ConvertError>` is not a future\n  --> src/a.rs:50:24",
                "`Result<u32, ConvertError>` at src/a.rs:50:24 is not a future",
            ),
            (
                "error[E0728]: `await` is only allowed inside `async` functions and blocks\n  --> src/a.rs:12:13",
                "`.await` at src/a.rs:12:13 is in a function that is not async",
            ),
            (
                "error: future cannot be sent between threads safely\n   --> src/a.rs:29:5\nnote: captured value is not `Send`\n   --> src/a.rs:31:20\n    |  ^^^^^^ has type `Rc<i32>` which is not `Send`",
                "an Rc is moved into the task at src/a.rs:31:20",
            ),
            (
                "error: future cannot be sent between threads safely\n   --> src/a.rs:37:5\nnote: future is not `Send` as this value is used across an await\n   --> src/a.rs:39:54\n    |  -------- has type `RefMut<'_, i32>` which is not `Send`\n    |  ^^^^^ await occurs here, with `borrowed` maybe used later",
                "a RefCell borrow (`borrowed`) is still held at the .await at src/a.rs:39:54",
            ),
        ];
        for (error, starts) in cases {
            let line = plain_words(error).unwrap_or_default();
            assert!(line.starts_with(starts), "{error}\n→ {line}");
        }
        assert_eq!(plain_words("error[E0425]: cannot find value `x`"), None);
    }
}
