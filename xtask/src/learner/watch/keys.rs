//! `watch`'s keys, read while it waits for a save: h the next hint, s the
//! solution, r reset the exercise, l the list, c check now, q quit.
//!
//! Keys are read one by one in the terminal's raw mode, through crossterm,
//! which does the same on a Windows console. Raw mode is on only while
//! watch waits: a check, a hint or a reset runs with the terminal as it
//! was (their output needs its line endings, reset reads a whole answer).
//! Raw mode turns Ctrl-C into a key rather than a signal, so Ctrl-C is
//! read here as a key and stops everything, as the signal does.

use std::io::{self, IsTerminal};
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Hint,
    Solution,
    Reset,
    List,
    Check,
    Quit,
    /// Ctrl-C (or Ctrl-D), as a key: raw mode sends no signal.
    Interrupt,
}

/// The line shown under each verdict when keys work.
pub const LINE: &str =
    "keys: h next hint · s solution · r reset the exercise · l list · c check now · q quit";

/// Whether to read keys: a terminal to read them from and to show the
/// keys line on. Piped or in CI, watch works as it always has.
pub fn available() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// The terminal in raw mode for as long as this lives. Dropped on every way
/// out (a return, `?`, a panic's unwinding), so the terminal is always given
/// back; `std::process::exit` skips drops, so watch drops it before exiting.
pub struct RawMode(());

impl RawMode {
    pub fn on() -> io::Result<Self> {
        terminal::enable_raw_mode()?;
        Ok(Self(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Gives the terminal back when raw mode is on and no guard can: from the
/// Ctrl-C (SIGTERM) handler, before it exits. Harmless when it is off.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
}

/// The next key pressed within `timeout`; other keys and events are `None`.
pub fn next(timeout: Duration) -> io::Result<Option<Key>> {
    if !event::poll(timeout)? {
        return Ok(None);
    }
    Ok(match event::read()? {
        // Windows reports releases too: a key counts once, when pressed.
        Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            ..
        }) => key(code, modifiers),
        _ => None,
    })
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
    let KeyCode::Char(char) = code else {
        return (code == KeyCode::Esc).then_some(Key::Quit);
    };
    if modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(char, 'c' | 'd').then_some(Key::Interrupt);
    }
    match char.to_ascii_lowercase() {
        'h' => Some(Key::Hint),
        's' => Some(Key::Solution),
        'r' => Some(Key::Reset),
        'l' => Some(Key::List),
        'c' => Some(Key::Check),
        'q' => Some(Key::Quit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_asks_for_one_thing_and_ctrl_c_stops() {
        let plain = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(plain('h'), Some(Key::Hint));
        assert_eq!(plain('s'), Some(Key::Solution));
        assert_eq!(plain('r'), Some(Key::Reset));
        assert_eq!(plain('l'), Some(Key::List));
        assert_eq!(plain('c'), Some(Key::Check));
        assert_eq!(plain('q'), Some(Key::Quit));
        assert_eq!(
            key(KeyCode::Char('L'), KeyModifiers::SHIFT),
            Some(Key::List)
        );
        assert_eq!(plain('x'), None);
        assert_eq!(key(KeyCode::Enter, KeyModifiers::NONE), None);
        assert_eq!(key(KeyCode::Esc, KeyModifiers::NONE), Some(Key::Quit));
        let ctrl = |c| key(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(ctrl('c'), Some(Key::Interrupt));
        assert_eq!(ctrl('d'), Some(Key::Interrupt));
        assert_eq!(ctrl('h'), None, "not a hint: Ctrl-H is a backspace");
    }
}
