//! Just enough of the Chrome DevTools Protocol to drive a headless Chromium
//! from a test: launch it, open a page, press keys, evaluate JavaScript,
//! take screenshots, and keep every event it sends (console messages,
//! exceptions, network requests) for the test to inspect.
//!
//! Why not a crate: `headless_chrome` generates the whole protocol at build
//! time (minutes of compiling on two cores) and `chromiumoxide` is larger
//! still; WebDriver (`fantoccini` + chromedriver) cannot see console messages
//! or network requests without vendor extensions. Ten methods over one
//! WebSocket is a page of code, on `tungstenite`: synchronous, pure Rust, no
//! TLS, no system library.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use tungstenite::{Message, WebSocket};

pub type Result<T> = std::result::Result<T, String>;

/// How long any one answer from the browser may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags that keep Chromium to itself: no sandbox (containers, root),
/// no GPU, and none of the background traffic to Google's hosts that a
/// closed network would refuse. Every host name fails to resolve, too.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,720",
    "--remote-debugging-port=0",
];

/// Finds Chromium: `$CHROMIUM`, or `chromium` / `chromium-browser` on the
/// `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Whether a browser test must run (in CI, or with
/// `WORKSHOP_REQUIRE_BROWSER` set): then what it needs and cannot find
/// fails it; elsewhere the test is skipped, loudly.
pub fn browser_required() -> bool {
    ["CI", "WORKSHOP_REQUIRE_BROWSER"].iter().any(|name| {
        std::env::var(name).is_ok_and(|value| !value.is_empty() && value != "0" && value != "false")
    })
}

/// Chromium for `test` ("the room's browser test"), or `None` once the
/// test is said to be skipped; where the browser is required, a panic.
pub fn chromium_for(test: &str) -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let how = "install Debian's chromium (apt-get install --no-install-recommends chromium) or set CHROMIUM to a Chromium binary";
        if browser_required() {
            panic!("{test} needs chromium: {how}");
        }
        skipped(&format!("{test} found no chromium: {how}"));
    }
    found
}

/// Says on stderr, where the test harness does not swallow it, that a test
/// or a part of one was skipped.
pub fn skipped(message: &str) {
    let _ = writeln!(std::io::stderr(), "\n!!! SKIPPED: {message}\n");
}

/// A `file://` URL for `path`, as the browser reads it: `file:///C:/…` on
/// Windows. Under Wine the browser is Linux's Chromium (relayed by
/// wine-cargo), so a path on Z:, Wine's `/`, is given as the Unix path it
/// is.
pub fn file_url(path: &Path) -> String {
    let text = path.display().to_string();
    if crate::wine::under_wine()
        && let Some(rest) = text.strip_prefix("Z:").or_else(|| text.strip_prefix("z:"))
    {
        return format!("file://{}", rest.replace('\\', "/"));
    }
    if cfg!(windows) {
        format!("file:///{}", text.replace('\\', "/"))
    } else {
        format!("file://{text}")
    }
}

/// A running headless Chromium and one connection to it.
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Every event received so far, in order.
    pub events: Vec<Value>,
    profile: TempDir,
}

impl Browser {
    /// Starts `chromium` with a fresh profile and connects to it.
    pub fn launch(chromium: &Path) -> Result<Self> {
        Self::launch_with_env(chromium, std::iter::empty::<(&str, &str)>())
    }

    /// The same, with `extra` flags after the usual ones (where both set a
    /// flag, the later wins).
    pub fn launch_with(chromium: &Path, extra: &[&str]) -> Result<Self> {
        Self::launch_full(chromium, std::iter::empty::<(&str, &str)>(), extra)
    }

    /// As [`Browser::launch`], with these environment variables added to
    /// the browser's own: `FONTCONFIG_FILE`, say, to choose the fonts it
    /// sees.
    pub fn launch_with_env<K, V>(
        chromium: &Path,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        Self::launch_full(chromium, env, &[])
    }

    /// Environment variables and extra flags both.
    pub fn launch_full<K, V>(
        chromium: &Path,
        env: impl IntoIterator<Item = (K, V)>,
        extra: &[&str],
    ) -> Result<Self>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let profile = tempfile::tempdir().map_err(|err| format!("no temp dir: {err}"))?;
        let log = File::create(profile.path().join("chromium.log"))
            .map_err(|err| format!("cannot create the browser's log: {err}"))?;
        let mut child = Command::new(chromium)
            .envs(env)
            .args(FLAGS)
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", chromium.display()))?;
        let endpoint = match wait_for_endpoint(&mut child, profile.path()) {
            Ok(endpoint) => endpoint,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{err}\n{}", log_tail(profile.path())));
            }
        };
        let socket = match connect(&endpoint) {
            Ok(socket) => socket,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err);
            }
        };
        Ok(Self {
            child,
            socket,
            next_id: 1,
            events: Vec::new(),
            profile,
        })
    }

    /// Calls `method`, on the page `session` or on the browser, and returns
    /// its result. Events that arrive meanwhile are kept.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|err| format!("{method}: cannot send: {err}"))?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.receive(method, deadline)?;
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method} failed: {error}"));
                }
                return Ok(message.get("result").cloned().unwrap_or(Value::Null));
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// Waits for the event `method` on `session`, looking first at the
    /// events received since index `since`.
    pub fn wait_event(&mut self, session: &str, method: &str, since: usize) -> Result<Value> {
        let matches = |event: &Value| {
            event.get("method").and_then(Value::as_str) == Some(method)
                && event.get("sessionId").and_then(Value::as_str) == Some(session)
        };
        if let Some(event) = self.events.iter().skip(since).find(|event| matches(event)) {
            return Ok(event.clone());
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.receive(method, deadline)?;
            if message.get("method").is_some() {
                self.events.push(message.clone());
                if matches(&message) {
                    return Ok(message);
                }
            }
        }
    }

    fn receive(&mut self, waiting_for: &str, deadline: Instant) -> Result<Value> {
        loop {
            if Instant::now() > deadline {
                return Err(format!("{waiting_for}: no answer from the browser in time"));
            }
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .map_err(|err| format!("{waiting_for}: not JSON: {err}"));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(err))
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(err) => {
                    return Err(format!(
                        "{waiting_for}: the connection to the browser broke: {err}\n{}",
                        log_tail(self.profile.path())
                    ));
                }
            }
        }
    }

    /// Opens a new tab and attaches to it.
    pub fn new_page(&mut self) -> Result<Page> {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }))?;
        let target_id = target["targetId"]
            .as_str()
            .ok_or("Target.createTarget gave no targetId")?
            .to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        )?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("Target.attachToTarget gave no sessionId")?
            .to_string();
        Ok(Page { session })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely, then insist: no browser outlives the test.
        let _ = self.call(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tab, by its session id.
pub struct Page {
    pub session: String,
}

impl Page {
    /// Turns on the events a test records: page, console, log and network.
    pub fn record_events(&self, browser: &mut Browser) -> Result<()> {
        for domain in ["Page", "Runtime", "Log", "Network"] {
            self.call(browser, &format!("{domain}.enable"), json!({}))?;
        }
        Ok(())
    }

    pub fn call(&self, browser: &mut Browser, method: &str, params: Value) -> Result<Value> {
        browser.call(Some(&self.session), method, params)
    }

    /// What the page did wrong since `browser.events[since]`: a request
    /// for anything `local` refuses, a console error, assertion or
    /// warning, an exception, a logged error or warning that `excused` does
    /// not pardon, a dialog. Empty when it kept to itself, quietly.
    pub fn problems(
        &self,
        browser: &Browser,
        since: usize,
        local: impl Fn(&str) -> bool,
        excused: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let events = browser.events.get(since..).unwrap_or_default();
        for event in events {
            if event["sessionId"].as_str() != Some(self.session.as_str()) {
                continue;
            }
            let params = &event["params"];
            let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
            match event["method"].as_str().unwrap_or_default() {
                "Network.requestWillBeSent" => {
                    let url = text(&params["request"]["url"]);
                    if !local(&url) && !url.starts_with("data:") {
                        problems.push(format!("requested {url}"));
                    }
                }
                "Runtime.consoleAPICalled" => {
                    let kind = text(&params["type"]);
                    if ["error", "assert", "warning"].contains(&kind.as_str()) {
                        problems.push(format!("console {kind}: {}", params["args"]));
                    }
                }
                "Runtime.exceptionThrown" => {
                    problems.push(format!("exception: {}", params["exceptionDetails"]));
                }
                "Log.entryAdded" => {
                    let (level, entry) = (
                        text(&params["entry"]["level"]),
                        text(&params["entry"]["text"]),
                    );
                    if (level == "error" || level == "warning") && !excused(&entry) {
                        problems.push(format!("log {level}: {entry:?}"));
                    }
                }
                "Page.javascriptDialogOpening" => {
                    problems.push(format!("a dialog opened: {}", params["message"]));
                }
                _ => {}
            }
        }
        problems
    }

    /// Evaluates `expression` and returns its value.
    pub fn eval(&self, browser: &mut Browser, expression: &str) -> Result<Value> {
        let result = self.call(
            browser,
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            return Err(format!("{expression}: threw {exception}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Loads `url` and waits for its `load` event.
    pub fn navigate(&self, browser: &mut Browser, url: &str) -> Result<()> {
        let since = browser.events.len();
        let navigated = self.call(browser, "Page.navigate", json!({ "url": url }))?;
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            return Err(format!("cannot load {url}: {error}"));
        }
        browser.wait_event(&self.session, "Page.loadEventFired", since)?;
        Ok(())
    }

    /// Reloads the page and waits for its `load` event.
    pub fn reload(&self, browser: &mut Browser) -> Result<()> {
        let since = browser.events.len();
        self.call(browser, "Page.reload", json!({}))?;
        browser.wait_event(&self.session, "Page.loadEventFired", since)?;
        Ok(())
    }

    /// Presses and releases `key` (a `KeyboardEvent.key` value).
    pub fn press(&self, browser: &mut Browser, key: &str) -> Result<()> {
        let (code, keycode) = match key {
            "ArrowRight" => ("ArrowRight", 39),
            "ArrowLeft" => ("ArrowLeft", 37),
            "ArrowDown" => ("ArrowDown", 40),
            "ArrowUp" => ("ArrowUp", 38),
            "Home" => ("Home", 36),
            "End" => ("End", 35),
            "PageDown" => ("PageDown", 34),
            "PageUp" => ("PageUp", 33),
            " " => ("Space", 32),
            other => return Err(format!("no key code for {other:?}")),
        };
        let mut down = json!({
            "type": "keyDown",
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": keycode,
            "nativeVirtualKeyCode": keycode,
        });
        if key == " " {
            down["text"] = json!(" ");
        }
        self.call(browser, "Input.dispatchKeyEvent", down)?;
        self.call(
            browser,
            "Input.dispatchKeyEvent",
            json!({ "type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": keycode, "nativeVirtualKeyCode": keycode }),
        )?;
        Ok(())
    }

    /// A PNG of what the tab shows.
    pub fn screenshot(&self, browser: &mut Browser) -> Result<Vec<u8>> {
        use base64::Engine;
        let shot = self.call(
            browser,
            "Page.captureScreenshot",
            json!({ "format": "png" }),
        )?;
        let data = shot["data"]
            .as_str()
            .ok_or("Page.captureScreenshot gave no data")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|err| format!("the screenshot is not base64: {err}"))
    }
}

/// Chromium writes `DevToolsActivePort` (port, then path) into its profile
/// once it listens.
fn wait_for_endpoint(child: &mut Child, profile: &Path) -> Result<String> {
    let file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        if let Ok(text) = fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromium exited at start ({status})"));
        }
        if Instant::now() > deadline {
            return Err("chromium did not open its DevTools port in time".into());
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn connect(endpoint: &str) -> Result<WebSocket<TcpStream>> {
    let address = endpoint
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let stream = TcpStream::connect(&address)
        .map_err(|err| format!("cannot connect to the browser at {address}: {err}"))?;
    let timeout = |stream: &TcpStream, timeout| {
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|err| format!("cannot set a timeout: {err}"))
    };
    timeout(&stream, ANSWER_TIMEOUT)?;
    let (socket, _) = tungstenite::client(endpoint, stream)
        .map_err(|err| format!("WebSocket handshake with {endpoint} failed: {err}"))?;
    // From now on a read returns at least twice a second, so every wait
    // can check its own deadline.
    timeout(socket.get_ref(), Duration::from_millis(500))?;
    Ok(socket)
}

fn log_tail(profile: &Path) -> String {
    let log = fs::read_to_string(profile.join("chromium.log")).unwrap_or_default();
    let lines: Vec<_> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!("chromium's log, last lines:\n{tail}")
}
