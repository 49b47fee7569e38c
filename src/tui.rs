//! The terminal: raw mode and the alternate screen, restored on every exit path.
//!
//! [`TerminalGuard`] restores on `Drop` (early `?` returns), the panic hook restores before
//! color-eyre prints (installed in `main`), and signal handling in the app loop ends the loop
//! cleanly so `Drop` runs. Mouse capture is off unless configured. Bracketed paste is always on,
//! so a paste arrives as one `Event::Paste` (text for an open input) and never as keystrokes
//! that the keymap would run as commands.

use std::io::{self, Stdout, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

mod quiet;
pub use quiet::QuietBackend;

/// The terminal type opsdeck draws on: frames that change nothing write nothing.
pub type Tui = Terminal<QuietBackend<CrosstermBackend<Stdout>>>;

/// Owns the terminal while the TUI runs; restores it when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: Tui,
    mouse: bool,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen.
    ///
    /// # Errors
    /// I/O errors from the terminal (e.g. stdout is not a terminal).
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(
            stdout,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        ) {
            let _ = execute!(stdout, DisableBracketedPaste, LeaveAlternateScreen);
            let _ = disable_raw_mode();
            return Err(e);
        }
        if mouse {
            execute!(stdout, EnableMouseCapture)?;
        }
        let terminal = Terminal::new(QuietBackend::new(CrosstermBackend::new(stdout)))?;
        Ok(TerminalGuard { terminal, mouse })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

/// Restores the terminal (idempotent; safe to call from a panic hook).
pub fn restore(mouse: bool) {
    let mut stdout = io::stdout();
    if mouse {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

/// Copies text to the clipboard with OSC 52; the payload is base64 of already-sanitized text,
/// so no control byte from data can end up inside the sequence.
///
/// # Errors
/// I/O errors writing to the terminal.
pub fn copy_osc52(text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let clean = crate::sanitize::line(text);
    let payload = base64::engine::general_purpose::STANDARD.encode(clean.as_bytes());
    let mut stdout = io::stdout();
    write!(stdout, "\x1b]52;c;{payload}\x07")?;
    stdout.flush()
}
