//! The decks in a real browser: Debian's chromium, headless, network off.
//!
//! For each deck: it loads from a file:// URL with no request but itself and
//! no console error; the arrow keys, Space, Home and End move the visible
//! slide and the URL hash together; a reload stays on the slide; no slide
//! overflows 1280×720; the handout (`#all`) and print views show every
//! slide. A screenshot of each deck's first slide is saved under
//! `target/slides-screenshots/` for a person to look at; with
//! `SLIDES_SCREENSHOT_ALL=1`, every slide.
//!
//! Without chromium the test is skipped with a loud message, unless `CI` or
//! `WORKSHOP_REQUIRE_BROWSER` is set: then it fails, saying how to install it.

mod support;

use std::env;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cdp::{Browser, Page, find_chromium};
use support::{decks, target_dir};

fn required() -> bool {
    ["CI", "WORKSHOP_REQUIRE_BROWSER"].iter().any(|name| {
        env::var(name).is_ok_and(|value| !value.is_empty() && value != "0" && value != "false")
    })
}

/// Where the test is, as the page tells it.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    hash: String,
    visible: Vec<u64>,
}

const STATE: &str = r#"(() => {
  const visible = [...document.querySelectorAll("section.slide")]
    .filter((s) => s.checkVisibility())
    .filter((s) => {
      const r = s.getBoundingClientRect();
      return r.width > 0 && r.left >= -1 && r.top >= -1
        && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
    })
    .map((s) => Number(s.dataset.n));
  return { hash: location.hash, visible };
})()"#;

/// Every slide that does not fit its box, and why.
const OVERFLOW: &str = r#"(() => {
  const slides = [...document.querySelectorAll("section.slide")];
  const current = slides.find((s) => s.classList.contains("current"));
  const problems = [];
  for (const slide of slides) {
    slides.forEach((s) => s.classList.toggle("current", s === slide));
    const body = slide.querySelector(".body");
    if (body.scrollHeight > body.clientHeight + 1)
      problems.push(`slide ${slide.dataset.n}: ${body.scrollHeight - body.clientHeight}px too tall`);
    if (body.scrollWidth > body.clientWidth + 1)
      problems.push(`slide ${slide.dataset.n}: ${body.scrollWidth - body.clientWidth}px too wide`);
    for (const pre of slide.querySelectorAll("pre")) {
      if (pre.scrollWidth > pre.clientWidth + 1)
        problems.push(`slide ${slide.dataset.n}: a code line is ${pre.scrollWidth - pre.clientWidth}px too long`);
      if (pre.scrollHeight > pre.clientHeight + 1)
        problems.push(`slide ${slide.dataset.n}: a code block is cut short by ${pre.scrollHeight - pre.clientHeight}px`);
    }
  }
  slides.forEach((s) => s.classList.toggle("current", s === current));
  return problems;
})()"#;

fn seen(browser: &mut Browser, page: &Page) -> Result<Seen, String> {
    let state = page.eval(browser, STATE)?;
    Ok(Seen {
        hash: state["hash"].as_str().unwrap_or_default().to_string(),
        visible: state["visible"]
            .as_array()
            .map(|all| all.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
    })
}

/// Slide `n` is the one shown, and the URL says so, within a second (a key
/// press is handled at once; the margin is for a loaded machine).
fn expect(browser: &mut Browser, page: &Page, n: u64, after: &str) -> Result<(), String> {
    let wanted = Seen {
        hash: format!("#{n}"),
        visible: vec![n],
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let seen = seen(browser, page)?;
        if seen == wanted {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("after {after}: expected {wanted:?}, saw {seen:?}"));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Drives one deck; returns its problems.
fn check_deck(
    browser: &mut Browser,
    name: &str,
    file: &std::path::Path,
    total: u64,
    screenshot: &std::path::Path,
) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let page = browser.new_page()?;
    let since = browser.events.len();
    for method in [
        "Page.enable",
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
    ] {
        page.call(browser, method, json!({}))?;
    }
    page.call(
        browser,
        "Network.emulateNetworkConditions",
        json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )?;
    page.call(
        browser,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
    )?;
    let url = format!("file://{}", file.display());
    page.navigate(browser, &url)?;

    // Keyboard: the hash and the visible slide move together.
    let moves: Vec<(&str, u64)> = vec![
        ("ArrowRight", 2.min(total)),
        ("ArrowRight", 3.min(total)),
        ("ArrowLeft", 2.min(total)),
        (" ", 3.min(total)),
        ("End", total),
        ("ArrowRight", total),
        ("Home", 1),
        ("ArrowLeft", 1),
        ("ArrowRight", 2.min(total)),
        ("ArrowRight", 3.min(total)),
    ];
    let mut keys_ok = true;
    match expect(browser, &page, 1, "loading") {
        Ok(()) => {
            for (key, n) in moves {
                let stepped = page
                    .press(browser, key)
                    .and_then(|()| expect(browser, &page, n, &format!("{key:?}")));
                if let Err(err) = stepped {
                    problems.push(format!("{name}: {err}"));
                    keys_ok = false;
                    break;
                }
            }
        }
        Err(err) => {
            problems.push(format!("{name}: {err}"));
            keys_ok = false;
        }
    }

    // A reload stays put.
    if keys_ok {
        page.reload(browser)?;
        if let Err(err) = expect(browser, &page, 3.min(total), "a reload") {
            problems.push(format!("{name}: {err}"));
        }
    }

    // Every slide fits 1280×720.
    let overflow = page.eval(browser, OVERFLOW)?;
    for problem in overflow.as_array().into_iter().flatten() {
        problems.push(format!("{name}: {}", problem.as_str().unwrap_or_default()));
    }

    // The handout and the print view show every slide.
    page.eval(browser, "location.hash = '#all'")?;
    let handout = page.eval(
        browser,
        "new Promise((done) => requestAnimationFrame(() => done([...document.querySelectorAll('section.slide')].filter((s) => s.checkVisibility()).length)))",
    )?;
    if handout.as_u64() != Some(total) {
        problems.push(format!(
            "{name}: the handout (#all) shows {handout} slides of {total}"
        ));
    }
    page.eval(browser, "location.hash = '#1'")?;
    page.call(
        browser,
        "Emulation.setEmulatedMedia",
        json!({ "media": "print" }),
    )?;
    let printed = page.eval(
        browser,
        "[...document.querySelectorAll('section.slide')].filter((s) => s.checkVisibility()).length",
    )?;
    if printed.as_u64() != Some(total) {
        problems.push(format!(
            "{name}: printing shows {printed} slides of {total}"
        ));
    }
    page.call(
        browser,
        "Emulation.setEmulatedMedia",
        json!({ "media": "" }),
    )?;

    // Every slide, when asked: `SLIDES_SCREENSHOT_ALL=1`.
    if env::var_os("SLIDES_SCREENSHOT_ALL").is_some() {
        for n in 1..=total {
            page.eval(
                browser,
                &format!("new Promise((done) => {{ location.hash = '#{n}'; requestAnimationFrame(() => requestAnimationFrame(done)); }})"),
            )?;
            let png = page.screenshot(browser)?;
            let file = screenshot.with_file_name(format!("{name}-{n:02}.png"));
            fs::write(&file, png)
                .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
        }
    }

    // The first slide, for a person to look at.
    page.eval(
        browser,
        "new Promise((done) => { location.hash = '#1'; requestAnimationFrame(() => requestAnimationFrame(done)); })",
    )?;
    if let Err(err) = expect(browser, &page, 1, "going back to #1") {
        problems.push(format!("{name}: {err}"));
    }
    let png = page.screenshot(browser)?;
    fs::write(screenshot, png)
        .map_err(|err| format!("cannot write {}: {err}", screenshot.display()))?;

    // Nothing but the file itself was fetched, and nothing complained.
    for event in &browser.events[since..] {
        if event["sessionId"].as_str() != Some(page.session.as_str()) {
            continue;
        }
        let params = &event["params"];
        match event["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent" => {
                let requested = params["request"]["url"].as_str().unwrap_or_default();
                let local = requested.split('#').next() == Some(url.as_str())
                    || requested.starts_with("data:");
                if !local {
                    problems.push(format!("{name}: requested {requested}"));
                }
            }
            "Runtime.consoleAPICalled" => {
                let kind = params["type"].as_str().unwrap_or_default();
                if kind == "error" || kind == "assert" || kind == "warning" {
                    problems.push(format!("{name}: console {kind}: {}", params["args"]));
                }
            }
            "Runtime.exceptionThrown" => {
                problems.push(format!("{name}: exception: {}", params["exceptionDetails"]));
            }
            "Log.entryAdded" => {
                let level = params["entry"]["level"].as_str().unwrap_or_default();
                if level == "error" || level == "warning" {
                    problems.push(format!("{name}: log {level}: {}", params["entry"]["text"]));
                }
            }
            _ => {}
        }
    }
    page.call(browser, "Page.close", json!({})).ok();
    Ok(problems)
}

#[test]
fn every_deck_works_offline_in_chromium() {
    let Some(chromium) = find_chromium() else {
        let how = "install Debian's chromium (apt-get install --no-install-recommends chromium) or set CHROMIUM to a Chromium binary";
        if required() {
            panic!("the browser test needs chromium: {how}");
        }
        // Straight to stderr: the test harness would swallow an eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: the slides' browser test found no chromium: {how}\n"
        );
        return;
    };
    let target = target_dir();
    let html_dir = target.join("slides-test");
    let shots: PathBuf = target.join("slides-screenshots");
    fs::create_dir_all(&html_dir).expect("a directory for the decks");
    fs::create_dir_all(&shots).expect("a directory for the screenshots");

    let mut browser = Browser::launch(&chromium).unwrap_or_else(|err| panic!("{err}"));
    let mut problems = Vec::new();
    for (name, source) in decks() {
        let deck = workshop_slides::render_file(&source).unwrap_or_else(|err| panic!("{err}"));
        let file = html_dir.join(format!("{name}.html"));
        fs::write(&file, &deck.html).expect("the deck is written");
        let screenshot = shots.join(format!("{name}.png"));
        match check_deck(&mut browser, &name, &file, deck.slides as u64, &screenshot) {
            Ok(found) => problems.extend(found),
            Err(err) => problems.push(format!("{name}: {err}")),
        }
        let _ = writeln!(
            std::io::stderr(),
            "{name}: slide 1 is in {}",
            screenshot.display()
        );
    }
    drop(browser);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
