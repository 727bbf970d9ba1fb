//! The decks in a real browser: Debian's chromium, headless, network off,
//! once for each font set of `support::fonts` (DejaVu alone, as Debian's
//! chromium without recommends has it; DejaVu and Liberation, as with
//! them), chosen by a fontconfig file of the test's own, whatever fonts
//! the machine has.
//!
//! For each deck: it loads from a file:// URL with no request but itself and
//! no console error; the arrow keys, Space, Home and End move the visible
//! slide and the URL hash together; a reload stays on the slide; no slide
//! overflows 1280×720, and none had to be shrunk below [`FLOOR`] % to fit;
//! every character is drawn in the deck's own fonts, none in the machine's;
//! every slide lays out the same under every font set; the handout (`#all`)
//! and print views show every slide. A screenshot of each deck's first
//! slide is saved under `target/slides-screenshots/` for a person to look
//! at; with `SLIDES_SCREENSHOT_ALL=1`, every slide.
//!
//! Without chromium the test is skipped with a loud message, unless `CI` or
//! `WORKSHOP_REQUIRE_BROWSER` is set: then it fails, saying how to install it.

mod support;

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fonts::{FONT_SETS, FontSet};
use support::{decks, slides_dir, target_dir};
use workshop_testkit::cdp::{Browser, Page, browser_required, chromium_for, skipped};

/// The smallest a slide may be shrunk to fit its frame, in percent. The
/// deck shrinks further if it must, rather than cut a slide short in front
/// of a room; below this, the slide is too long and the test says so.
const FLOOR: u64 = 85;

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

/// Every slide as the deck laid it out: how far it was shrunk to fit
/// (`data-fit`, set by deck.js), what still does not fit, and a fingerprint
/// of its layout (each element's size), to compare across font sets.
const LAYOUT: &str = r#"(async () => {
  await document.fonts.ready;
  const slides = [...document.querySelectorAll("section.slide")];
  const current = slides.find((s) => s.classList.contains("current"));
  const layout = [];
  for (const slide of slides) {
    slides.forEach((s) => s.classList.toggle("current", s === slide));
    const body = slide.querySelector(".body");
    const problems = [];
    if (body.scrollHeight > body.clientHeight + 1)
      problems.push(`${body.scrollHeight - body.clientHeight}px too tall`);
    if (body.scrollWidth > body.clientWidth + 1)
      problems.push(`${body.scrollWidth - body.clientWidth}px too wide`);
    for (const pre of slide.querySelectorAll("pre")) {
      if (pre.scrollWidth > pre.clientWidth + 1)
        problems.push(`a code line is ${pre.scrollWidth - pre.clientWidth}px too long`);
      if (pre.scrollHeight > pre.clientHeight + 1)
        problems.push(`a code block is cut short by ${pre.scrollHeight - pre.clientHeight}px`);
    }
    const top = body.getBoundingClientRect().top;
    const bottom = Math.max(top, ...[...body.children].map((c) => c.getBoundingClientRect().bottom));
    const sizes = [...body.querySelectorAll("*")].map((e) => {
      const r = e.getBoundingClientRect();
      return `${e.tagName} ${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
    });
    layout.push({
      n: Number(slide.dataset.n),
      fit: Number(slide.dataset.fit || 0),
      height: Math.round(bottom - top),
      problems,
      fingerprint: sizes.join(", "),
    });
  }
  slides.forEach((s) => s.classList.toggle("current", s === current));
  return layout;
})()"#;

/// Whether each family is one Chromium can find: text in it has another
/// width than in the fallback.
const FAMILIES: &str = r#"((families) => {
  const context = document.createElement("canvas").getContext("2d");
  const width = (font) => {
    context.font = `40px ${font}`;
    return context.measureText("mmmmmiiiiiWWWWWlllll").width;
  };
  const fallback = width("monospace");
  return Object.fromEntries(families.map((f) => [f, width(`"${f}", monospace`) !== fallback]));
})"#;

/// One slide as laid out.
#[derive(Debug)]
struct Layout {
    n: u64,
    fit: u64,
    height: u64,
    problems: Vec<String>,
    fingerprint: String,
}

fn layout(browser: &mut Browser, page: &Page) -> Result<Vec<Layout>, String> {
    let slides = page.eval(browser, LAYOUT)?;
    let slides = slides.as_array().ok_or("the layout is not a list")?;
    Ok(slides
        .iter()
        .map(|slide| Layout {
            n: slide["n"].as_u64().unwrap_or_default(),
            fit: slide["fit"].as_u64().unwrap_or_default(),
            height: slide["height"].as_u64().unwrap_or_default(),
            problems: slide["problems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            fingerprint: slide["fingerprint"].as_str().unwrap_or_default().into(),
        })
        .collect())
}

/// What each slide fails of the rules: nothing overflows, nothing shrunk
/// below the floor.
fn layout_problems(name: &str, slides: &[Layout]) -> Vec<String> {
    let mut problems = Vec::new();
    for slide in slides {
        for problem in &slide.problems {
            problems.push(format!("{name}: slide {}: {problem}", slide.n));
        }
        if slide.fit == 0 {
            problems.push(format!(
                "{name}: slide {} has no data-fit: deck.js did not fit it",
                slide.n
            ));
        } else if slide.fit < FLOOR {
            problems.push(format!(
                "{name}: slide {} fits only shrunk to {} % (the floor is {FLOOR} %): shorten it",
                slide.n, slide.fit
            ));
        } else if slide.fit < 100 {
            let _ = writeln!(
                std::io::stderr(),
                "{name}: slide {} is shrunk to {} % to fit",
                slide.n,
                slide.fit
            );
        }
    }
    problems
}

/// Every element on the page drawn, even in part, in one of the machine's
/// fonts rather than the deck's own: a character the embedded fonts lack.
/// Looked at in the handout, where every slide and its notes are laid out.
fn machine_fonts(browser: &mut Browser, page: &Page) -> Result<Vec<String>, String> {
    page.eval(
        browser,
        "new Promise((done) => { location.hash = '#all'; requestAnimationFrame(() => requestAnimationFrame(done)); })",
    )?;
    page.eval(browser, "document.fonts.ready.then(() => true)")?;
    page.call(browser, "DOM.enable", json!({}))?;
    page.call(browser, "CSS.enable", json!({}))?;
    let document = page.call(browser, "DOM.getDocument", json!({ "depth": 0 }))?;
    let root = &document["root"]["nodeId"];
    let select =
        |browser: &mut Browser, node: &Value, selector: &str| -> Result<Vec<Value>, String> {
            let found = page.call(
                browser,
                "DOM.querySelectorAll",
                json!({ "nodeId": node, "selector": selector }),
            )?;
            Ok(found["nodeIds"].as_array().cloned().unwrap_or_default())
        };
    let mut problems = Vec::new();
    for container in select(browser, root, "section.slide, aside.notes")? {
        let mut machine: Vec<String> = Vec::new();
        let mut example = String::new();
        let mut nodes = vec![container.clone()];
        nodes.extend(select(browser, &container, "*")?);
        for node in &nodes {
            let used = page.call(
                browser,
                "CSS.getPlatformFontsForNode",
                json!({ "nodeId": node }),
            )?;
            let found: Vec<String> = used["fonts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|font| font["isCustomFont"].as_bool() != Some(true))
                .filter_map(|font| font["familyName"].as_str().map(String::from))
                .filter(|family| !machine.contains(family))
                .collect();
            if !found.is_empty() && example.is_empty() {
                let html = page.call(browser, "DOM.getOuterHTML", json!({ "nodeId": node }))?;
                let html = html["outerHTML"].as_str().unwrap_or_default();
                example = html.split_whitespace().collect::<Vec<_>>().join(" ");
                example = example.chars().take(120).collect();
            }
            machine.extend(found);
        }
        if machine.is_empty() {
            continue;
        }
        let attributes = page.call(browser, "DOM.getAttributes", json!({ "nodeId": container }))?;
        let attributes: Vec<&str> = attributes["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let n = attributes
            .chunks(2)
            .find(|pair| pair[0] == "data-n")
            .and_then(|pair| pair.get(1))
            .unwrap_or(&"?");
        let notes = if attributes.contains(&"notes") {
            "'s notes"
        } else {
            ""
        };
        problems.push(format!(
            "slide {n}{notes}: drawn in {}, a machine's font, not the deck's own: {example}",
            machine.join(", ")
        ));
    }
    page.call(browser, "CSS.disable", json!({}))?;
    page.call(browser, "DOM.disable", json!({}))?;
    page.eval(browser, "location.hash = '#1'")?;
    Ok(problems)
}

/// Opens a tab that records what the page does, at 1280×720, network off.
fn open_page(browser: &mut Browser) -> Result<Page, String> {
    let page = browser.new_page()?;
    page.record_events(browser)?;
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
    Ok(page)
}

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

/// Drives one deck; returns its problems and its slides' layout.
fn check_deck(
    browser: &mut Browser,
    name: &str,
    file: &Path,
    total: u64,
    screenshot: Option<&Path>,
) -> Result<(Vec<String>, Vec<Layout>), String> {
    let mut problems = Vec::new();
    let since = browser.events.len();
    let page = open_page(browser)?;
    let url = workshop_testkit::cdp::file_url(file);
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

    // Every slide fits 1280×720, shrunk by no more than the floor allows.
    let slides = layout(browser, &page)?;
    problems.extend(layout_problems(name, &slides));

    // Every character in the deck's own fonts.
    for problem in machine_fonts(browser, &page)? {
        problems.push(format!("{name}: {problem}"));
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
    if let Some(screenshot) = screenshot
        && env::var_os("SLIDES_SCREENSHOT_ALL").is_some()
    {
        for n in 1..=total {
            page.eval(
                browser,
                &format!("new Promise((done) => {{ location.hash = '#{n}'; requestAnimationFrame(() => requestAnimationFrame(done)); }})"),
            )?;
            let png = page.screenshot(browser)?;
            let stem = screenshot.file_stem().unwrap_or_default().to_string_lossy();
            let file = screenshot.with_file_name(format!("{stem}-{n:02}.png"));
            fs::write(&file, png)
                .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
        }
    }

    // The first slide, for a person to look at.
    if let Some(screenshot) = screenshot {
        save_first_slide(browser, &page, name, screenshot, &mut problems)?;
    }
    // Nothing but the file itself was fetched, and nothing complained.
    let own = |requested: &str| requested.split('#').next() == Some(url.as_str());
    let excused = |text: &str| devtools_reading_the_page(text, &url);
    for problem in page.problems(browser, since, own, excused) {
        problems.push(format!("{name}: {problem}"));
    }
    page.call(browser, "Page.close", json!({})).ok();
    Ok((problems, slides))
}

/// Whether a log entry is Chromium refusing the page's own file to the
/// DevTools' CSS domain: since Chromium 148, `CSS.enable` (the fonts'
/// check) reads the document again for its inline styles, and a file: page
/// may not load itself. The deck asks for nothing: every request it makes
/// is checked above, and none is the page's.
fn devtools_reading_the_page(text: &str, url: &str) -> bool {
    let own = |quoted: &str| quoted.split('#').next() == Some(url);
    text.strip_prefix("Unsafe attempt to load URL ")
        .and_then(|rest| rest.split_once(" from frame with URL "))
        .is_some_and(|(loaded, rest)| {
            own(loaded) && own(rest.split_once(". ").map_or(rest, |(frame, _)| frame))
        })
}

/// Goes back to slide 1 and saves what the tab shows.
fn save_first_slide(
    browser: &mut Browser,
    page: &Page,
    name: &str,
    screenshot: &Path,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    page.eval(
        browser,
        "new Promise((done) => { location.hash = '#1'; requestAnimationFrame(() => requestAnimationFrame(done)); })",
    )?;
    if let Err(err) = expect(browser, page, 1, "going back to #1") {
        problems.push(format!("{name}: {err}"));
    }
    let png = page.screenshot(browser)?;
    fs::write(screenshot, png)
        .map_err(|err| format!("cannot write {}: {err}", screenshot.display()))?;

    Ok(())
}

/// A browser that sees one font set, and the fontconfig files it reads.
struct Session {
    browser: Browser,
    // Dropped after the browser, which reads them until it exits.
    _fonts: support::fonts::Fontconfig,
}

/// Launches chromium seeing only `set`'s fonts, and checks that it does:
/// the fonts the set has are found, the ones it has not are not.
fn launch(chromium: &Path, set: &FontSet) -> Result<Session, String> {
    let fonts = set.fontconfig()?;
    let mut browser = Browser::launch_with_env(chromium, fonts.env())?;
    let page = browser.new_page()?;
    let families: Vec<&str> = set.present.iter().chain(set.absent).copied().collect();
    let found = page.eval(&mut browser, &format!("{FAMILIES}({})", json!(families)))?;
    page.call(&mut browser, "Page.close", json!({})).ok();
    for family in set.present {
        if found[family].as_bool() != Some(true) {
            return Err(format!(
                "chromium does not see {family}, which the font set has"
            ));
        }
    }
    for family in set.absent {
        if found[family].as_bool() != Some(false) {
            return Err(format!(
                "chromium sees {family}, which the font set has not: the machine's fonts leak in"
            ));
        }
    }
    Ok(Session {
        browser,
        _fonts: fonts,
    })
}

/// A font set missing from this machine fails the test where the browser
/// test is required, and is skipped loudly elsewhere.
fn missing_font_set(set: &FontSet, err: &str, problems: &mut Vec<String>) {
    let message = format!("font set {} ({}): {err}", set.name, set.about);
    if browser_required() {
        problems.push(message);
    } else {
        skipped(&message);
    }
}

#[test]
fn every_deck_works_offline_in_chromium_whatever_its_fonts() {
    let Some(chromium) = chromium_for("the slides' browser test") else {
        return;
    };
    let target = target_dir();
    let html_dir = target.join("slides-test");
    let shots: PathBuf = target.join("slides-screenshots");
    fs::create_dir_all(&html_dir).expect("a directory for the decks");
    fs::create_dir_all(&shots).expect("a directory for the screenshots");
    let mut rendered = Vec::new();
    for (name, source) in decks() {
        let deck = workshop_slides::render_file(&source).unwrap_or_else(|err| panic!("{err}"));
        let file = html_dir.join(format!("{name}.html"));
        fs::write(&file, &deck.html).expect("the deck is written");
        rendered.push((name, file, deck.slides as u64));
    }

    let mut problems = Vec::new();
    // Each slide's layout under the first font set, to compare the others.
    let mut first: BTreeMap<(String, u64), (&str, Layout)> = BTreeMap::new();
    for (index, set) in FONT_SETS.iter().enumerate() {
        let started = Instant::now();
        let mut session = match launch(&chromium, set) {
            Ok(session) => session,
            Err(err) => {
                missing_font_set(set, &err, &mut problems);
                continue;
            }
        };
        for (name, file, total) in &rendered {
            let label = format!("{name} ({} fonts)", set.name);
            // Screenshots once: the layout is the same under every set.
            let screenshot = shots.join(format!("{name}.png"));
            let screenshot = (index == 0).then_some(screenshot.as_path());
            let slides = match check_deck(&mut session.browser, &label, file, *total, screenshot) {
                Ok((found, slides)) => {
                    problems.extend(found);
                    slides
                }
                Err(err) => {
                    problems.push(format!("{label}: {err}"));
                    continue;
                }
            };
            for slide in slides {
                let key = (name.clone(), slide.n);
                match first.get(&key) {
                    None => {
                        first.insert(key, (set.name, slide));
                    }
                    Some((other, seen)) if seen.fingerprint != slide.fingerprint => {
                        problems.push(format!(
                            "{name}: slide {} lays out differently with {} fonts ({} px tall, shrunk to {} %) than with {other} fonts ({} px, {} %)",
                            slide.n, set.name, slide.height, slide.fit, seen.height, seen.fit
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(screenshot) = screenshot {
                let _ = writeln!(
                    std::io::stderr(),
                    "{name}: slide 1 is in {}",
                    screenshot.display()
                );
            }
        }
        drop(session);
        let _ = writeln!(
            std::io::stderr(),
            "font set {} ({}): {:.1} s",
            set.name,
            set.about,
            started.elapsed().as_secs_f64()
        );
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// A deck made to break the rules, to show that the checks above can fail
/// and that the deck's fitting does what it says.
const RULE_BREAKER: &str = "---\nmarp: true\ntitle: Rule breaker\n---\n\n# Fits\n\nAs it is.\n\n---\n\n# A little too long\n\n```text\nLONG\n```\n\n---\n\n# Far too long\n\n```text\nFAR\n```\n\n---\n\n# A snowman\n\nThe embedded fonts have no ☃.\n";

fn numbered_lines(count: usize) -> String {
    (1..=count)
        .map(|n| format!("line {n}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_slide_too_long_is_shrunk_to_fit_and_a_foreign_character_is_caught() {
    let Some(chromium) = chromium_for("the slides' browser test") else {
        return;
    };
    let set = &FONT_SETS[0];
    let mut session = match launch(&chromium, set) {
        Ok(session) => session,
        Err(err) => {
            let mut problems = Vec::new();
            missing_font_set(set, &err, &mut problems);
            assert!(problems.is_empty(), "{}", problems.join("\n"));
            return;
        }
    };
    let markdown = RULE_BREAKER
        .replace("LONG", &numbered_lines(20))
        .replace("FAR", &numbered_lines(120));
    let path = slides_dir().join("rule-breaker.md");
    let deck = workshop_slides::render(&markdown, &path, &slides_dir())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(
        deck.warnings
            .iter()
            .any(|warning| warning.contains("slide 4") && warning.contains("U+2603")),
        "the renderer warns about the snowman: {:?}",
        deck.warnings
    );
    // Beside the decks, not in the system's temporary folder: under Wine
    // that is on C:, which the browser (Linux's) reads elsewhere.
    let dir = target_dir().join("slides-test");
    fs::create_dir_all(&dir).expect("a directory for the deck");
    let file = dir.join("rule-breaker.html");
    fs::write(&file, &deck.html).expect("the deck is written");

    let browser = &mut session.browser;
    let (problems, slides) =
        check_deck(browser, "rule-breaker", &file, 4, None).unwrap_or_else(|err| panic!("{err}"));
    let fits: Vec<u64> = slides.iter().map(|slide| slide.fit).collect();
    assert_eq!(fits.len(), 4, "{slides:?}");
    assert_eq!(fits[0], 100, "a slide that fits is left alone");
    assert!(
        (FLOOR..100).contains(&fits[1]) && slides[1].problems.is_empty(),
        "20 lines of code fit, shrunk a little: {:?}",
        slides[1]
    );
    assert!(
        fits[2] < FLOOR && !slides[2].problems.is_empty(),
        "120 lines do not fit even at the deck's smallest: {:?}",
        slides[2]
    );
    let about = |n: u64| {
        problems.iter().filter(move |problem| {
            problem.contains(&format!("slide {n}:")) || problem.contains(&format!("slide {n} "))
        })
    };
    assert_eq!(about(1).count() + about(2).count(), 0, "{problems:#?}");
    assert!(
        about(3).any(|p| p.contains("the floor is 85 %")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("slide 4: drawn in") && p.contains('☃')),
        "the snowman is drawn in a machine font: {problems:#?}"
    );
}
