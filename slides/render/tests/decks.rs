//! The decks themselves: they render, they carry what the workshop needs
//! (part 2: every slide of the original, PyDay 2016's; part 4: what goes
//! past it), they load nothing from anywhere, and they stay usable by Marp
//! and reveal.js.

mod support;

use std::fs;

use support::{decks, slides_dir};
use workshop_slides::{Deck, parse, render_file};

fn deck(name: &str) -> (Deck, String) {
    let path = slides_dir().join(format!("{name}.md"));
    let markdown = fs::read_to_string(&path).expect("the deck");
    (parse(&markdown, &path).expect("it parses"), markdown)
}

fn titles(deck: &Deck) -> Vec<String> {
    deck.slides
        .iter()
        .filter_map(|slide| slide.title())
        .collect()
}

/// `wanted` appear in `titles` in this order, others between them allowed.
fn in_order(titles: &[String], wanted: &[&str]) -> Result<(), String> {
    let mut rest = titles.iter();
    for title in wanted {
        if !rest.any(|seen| seen == title) {
            return Err(format!("no slide {title:?} in order, in {titles:#?}"));
        }
    }
    Ok(())
}

fn contains_all(name: &str, markdown: &str, wanted: &[&str]) {
    let missing: Vec<_> = wanted
        .iter()
        .filter(|text| !markdown.contains(**text))
        .collect();
    assert!(missing.is_empty(), "{name} lacks {missing:?}");
}

#[test]
fn part2_has_every_slide_of_the_original() {
    let (deck, markdown) = deck("part2");
    // The original's slides, by their titles, in their order.
    in_order(
        &titles(&deck),
        &[
            "Content",
            "Futures and Threads",
            "Futures and Threads",
            "Futures and Threads",
            "Time for coding",
            "Synchronous Currency converter made asynchronous",
            "Synchronous Currency converter made asynchronous",
            "Synchronous Currency converter made asynchronous",
        ],
    )
    .unwrap_or_else(|err| panic!("{err}"));
    contains_all(
        "part2",
        &markdown,
        &[
            // The contents list.
            "* Futures and Threads",
            "* Synchronous Currency converter made asynchronous",
            "* Comparing the three implementations",
            // Futures synchronise producers and consumers, with oneshot.
            "synchronise producers and consumers",
            "oneshot::channel()",
            "fn poll(&self, buffer: &str)",
            "async fn some_operation(",
            "correlation_id",
            "mux.some_operation(request).await",
            // A thread pool wrapped in a future.
            "run_in_executor",
            "fn bar()",
            "async fn foo()",
            "spawn_blocking(bar)",
            "foo().await",
            "max_blocking_threads(32)",
            // The easy way, and what tokio's docs say today.
            "the easy one",
            "blocking I/O",
            "semaphore",
            "rayon",
            // Time for coding: the set-up, the exercise, the curl.
            "cargo build -p part2",
            "curl http://localhost:8080/convert/GBP/100",
            "GBP 88.4",
            "exercises/part2/src/forceasync.rs",
            "https://docs.rs/tokio/latest/tokio/task/fn.spawn_blocking.html",
            "https://docs.rs/tokio/latest/tokio/runtime/struct.Builder.html#method.max_blocking_threads",
            "You have **10 minutes**. Just fill the code gaps, have fun!",
        ],
    );
}

#[test]
fn part1_teaches_the_basics_and_its_three_exercises() {
    let (deck, markdown) = deck("part1");
    in_order(
        &titles(&deck),
        &[
            "Futures are lazy",
            "What `.await` does",
            "Tasks",
            "`join!`: wait for them all",
            "Recap",
            "An async currency client",
            "TDD in an async world",
            "The converter as a web resource",
        ],
    )
    .unwrap_or_else(|err| panic!("{err}"));
    contains_all(
        "part1",
        &markdown,
        &[
            "tokio::spawn",
            "tokio::join!",
            "122 USD",
            "#[tokio::test]",
            "exercises/part1/src/client.rs",
            "exercises/part1/tests/client_test.rs",
            "exercises/part1/src/server.rs",
            "GBP 88.4",
        ],
    );
}

#[test]
fn part3_compares_the_three_and_explains_why() {
    let (deck, markdown) = deck("part3");
    in_order(
        &titles(&deck),
        &[
            "The purely synchronous implementation",
            "Comparing the three implementations",
            "How to benchmark",
            "Little's law",
            "The results",
            "Share your results!",
        ],
    )
    .unwrap_or_else(|err| panic!("{err}"));
    contains_all(
        "part3",
        &markdown,
        &[
            "cargo xtask bench",
            "wrk -t",
            "L = λ W",
            "assets/bench-reference.svg",
            "exercises/part3/src/sync_server.rs",
        ],
    );
}

#[test]
fn part4_goes_past_the_original_and_says_why() {
    let (deck, markdown) = deck("part4");
    in_order(
        &titles(&deck),
        &[
            "Why part 4",
            "A future dropped is a future cancelled",
            "Deadlines: the headers, and the body",
            "Deadlines",
            "One fetch for many",
            "One producer, many consumers",
            "Cancellation: the fetch is nobody's",
            "One fetch for many",
            "A clean stop",
            "A clean stop",
            "The trap: a lock across an `.await`",
            "What to use instead",
            "Part 4 in the bench",
            "The results",
        ],
    )
    .unwrap_or_else(|err| panic!("{err}"));
    contains_all(
        "part4",
        &markdown,
        &[
            "L = λ W",
            // The exercises, in the manifest's order, and their files.
            "exercises/part4/src/fetch.rs",
            "exercises/part4/src/cache.rs",
            "exercises/part4/src/shutdown.rs",
            "cargo xtask check part4",
            "--rates-ttl",
            "--grace",
            // The lessons.
            "tokio::time::timeout",
            "watch::channel",
            "tokio::spawn",
            "with_graceful_shutdown",
            "CancellationToken",
            "TaskTracker",
            "```rust,compile_fail (future cannot be sent between threads safely)",
            "await_holding_lock",
            "tokio::sync::Mutex",
            // The bench: bound by the CPU, and the targets.
            "cargo xtask bench",
            "CPU ceiling",
            "10×",
            "85 %",
            "assets/bench-reference.svg",
        ],
    );
}

#[test]
fn every_deck_renders_and_loads_nothing() {
    for (name, path) in decks() {
        let deck = render_file(&path).unwrap_or_else(|err| panic!("{err}"));
        assert!(deck.slides > 5, "{name}: {} slides", deck.slides);
        // The only thing allowed to be missing is the bench's chart, which
        // a real run provides.
        for warning in &deck.warnings {
            assert!(warning.contains("bench-reference.svg"), "{name}: {warning}");
        }
        for outside in [
            "<script src",
            "<link rel=\"stylesheet",
            "@import",
            "url(http",
            "url(//",
            "url(\"",
            "url('",
            "src=\"http",
            "src=\"//",
        ] {
            assert!(!deck.html.contains(outside), "{name} has {outside}");
        }
    }
}

/// Marp and reveal.js split on `---` too, but CommonMark reads a `---`
/// right under a line of text as a heading underline: blank lines around
/// every separator keep all tools in agreement.
#[test]
fn separators_stand_alone_for_other_tools() {
    for (name, path) in decks() {
        let markdown = fs::read_to_string(&path).expect("the deck");
        assert!(
            markdown.starts_with("---\nmarp: true\n"),
            "{name}: front matter with `marp: true` first"
        );
        let lines: Vec<_> = markdown.lines().collect();
        let front_matter_end = lines
            .iter()
            .skip(1)
            .position(|line| *line == "---")
            .map_or(0, |index| index + 1);
        let mut in_fence = false;
        for (index, line) in lines.iter().enumerate().skip(front_matter_end + 1) {
            if line.starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence && *line == "---" {
                let before = lines.get(index - 1).copied().unwrap_or("");
                let after = lines.get(index + 1).copied().unwrap_or("");
                assert!(
                    before.is_empty() && after.is_empty(),
                    "{name}:{}: a blank line before and after every `---`",
                    index + 1
                );
            }
        }
    }
}
