//! The TUI runner: terminal lifecycle (restored on every exit path, panics included) and the event loop that
//! feeds keys, source batches, signals and the 1 Hz clock into the reducer and draws on change, capped.

use super::latency::ScreenLatency;
use super::rooms::Inbox;
use super::serve::Serving;
use super::signals::Signals;
use crate::app::settings::ThemeName;
use crate::app::{update, Effects, ExitReason, Mode, Msg, State};
use crate::effects::SessionFiles;
use crate::sources::SourceMsg;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, IsTerminal, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

/// Most batches taken from the channel per wake-up.
const DRAIN: usize = 64;

/// Set when drawing panicked: bytes of a half-built frame must not land on the restored screen.
static DISCARD_OUTPUT: AtomicBool = AtomicBool::new(false);
/// Frames drawn and bytes written to the terminal in this process (logged at the end; read by tests).
pub static FRAMES: AtomicU64 = AtomicU64::new(0);
pub static BYTES: AtomicU64 = AtomicU64::new(0);

/// Set on the first failed write to the terminal (the SSH connection or the tmux server is gone): later
/// writes are dropped. Without this, ratatui's `Terminal` drop reports its failed cursor restore with
/// `eprintln!`, which panics on the dead terminal and, unwinding, aborts before the summary is written.
static TERMINAL_GONE: AtomicBool = AtomicBool::new(false);

fn silent() -> bool {
    DISCARD_OUTPUT.load(Ordering::Relaxed) || TERMINAL_GONE.load(Ordering::Relaxed)
}

/// Buffered stdout that counts what it writes and goes silent after a panic or once the terminal is gone.
struct TermOut {
    inner: io::BufWriter<io::Stdout>,
}

impl TermOut {
    fn gone(e: io::Error) -> io::Error {
        TERMINAL_GONE.store(true, Ordering::Relaxed);
        e
    }
}

impl Write for TermOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if silent() {
            return Ok(buf.len());
        }
        let n = self.inner.write(buf).map_err(TermOut::gone)?;
        BYTES.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if silent() {
            return Ok(());
        }
        self.inner.flush().map_err(TermOut::gone)
    }
}

impl Drop for TermOut {
    fn drop(&mut self) {
        if silent() {
            // Forget the buffered bytes instead of flushing them onto the normal screen (or a dead one).
            let _ = std::mem::replace(
                &mut self.inner,
                io::BufWriter::with_capacity(0, io::stdout()),
            )
            .into_parts();
        }
    }
}

type Term = Terminal<CrosstermBackend<TermOut>>;

/// Leaves raw mode and the alternate screen. Safe to call more than once and when the terminal is gone.
fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Owns the terminal modes: dropping it restores the terminal, once, on every way out of the live screen.
///
/// The panic hook is left alone on purpose. Every panic on this thread is caught (the reducer and the
/// drawing by `step`/`draw`, the source by its supervisor, the runner by `run_inner`) and ends the session
/// through the one exit path, which drops this guard. A hook that restored the terminal itself would also
/// fire for panics caught elsewhere (a source task) and leave the loop running on a cooked terminal.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<(TerminalGuard, Term)> {
        DISCARD_OUTPUT.store(false, Ordering::Relaxed);
        let guard = TerminalGuard;
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
        let out = TermOut {
            inner: io::BufWriter::with_capacity(1 << 16, io::stdout()),
        };
        let term = Terminal::new(CrosstermBackend::new(out))?;
        Ok((guard, term))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Both ends of the live screen are a terminal.
pub fn has_terminal() -> bool {
    io::stdout().is_terminal() && io::stdin().is_terminal()
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the live screen until quit, a signal, the end of `max_events`, or a fatal error; the terminal is
/// restored before this returns. The source ending or failing keeps the screen up until the user quits. The
/// caller has checked [`has_terminal`] before starting anything.
pub async fn run(
    state: &mut State,
    inbox: &mut Inbox,
    signals: &mut Signals,
    files: &mut [SessionFiles],
    serving: &mut Option<Serving>,
    max_events: Option<u64>,
) -> ExitReason {
    if no_color() {
        state.settings.theme = ThemeName::Mono;
    }
    state.live.hold_on_end = true;
    state.live.utc_offset = *chrono::Local::now().offset();
    // Dropped after the terminal guard (declared before it), on every way out, unwinding included: what was
    // said on stderr meanwhile lands on the restored terminal.
    let held = crate::stderr::hold();
    let (guard, mut term) = match TerminalGuard::enter() {
        Ok(t) => t,
        Err(e) => {
            restore_terminal();
            return ExitReason::FatalError(format!("cannot set up the terminal: {e}"));
        }
    };
    let mut latency = ScreenLatency::new();
    let reason = event_loop(
        state,
        inbox,
        signals,
        files,
        serving,
        max_events,
        (&mut term, &mut latency),
    )
    .await;
    // Shown here so a dead terminal is noticed (TERMINAL_GONE) before `Terminal`'s drop tries again.
    let _ = term.flush();
    let _ = term.show_cursor();
    drop(term);
    drop(guard);
    drop(held);
    tracing::info!(
        frames = FRAMES.load(Ordering::Relaxed),
        bytes = BYTES.load(Ordering::Relaxed),
        "live screen closed"
    );
    if let (Some(p50), Some(p99)) = (latency.quantile(0.5), latency.quantile(0.99)) {
        tracing::info!(
            p50_ms = p50,
            p99_ms = p99,
            events = latency.events(),
            "screen latency"
        );
    }
    reason
}

/// The reducer behind a panic guard: a panic becomes an exit reason, so the summary is still written.
fn step(state: &mut State, msg: Msg) -> Result<Effects, ExitReason> {
    catch_unwind(AssertUnwindSafe(|| update(state, msg, Utc::now()))).map_err(|_| ExitReason::Panic)
}

fn key_msg(state: &State, key: &KeyEvent) -> Option<Msg> {
    let mode = state.live.mode();
    if let Some(action) = state.settings.keymap.lookup(mode, key) {
        return Some(Msg::Action(action));
    }
    if mode != Mode::Input {
        return None;
    }
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::Input(c))
        }
        KeyCode::Backspace => Some(Msg::InputBackspace),
        _ => None,
    }
}

fn draw(term: &mut Term, state: &State, clear: bool) -> Result<(), ExitReason> {
    let result = catch_unwind(AssertUnwindSafe(|| -> io::Result<()> {
        queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
        if clear {
            // `Terminal::clear` would query the cursor position, racing the input stream for stdin;
            // `resize` clears the screen and forgets the previous frame without asking the terminal.
            let size = term.size()?;
            term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
        }
        term.draw(|f| crate::ui::view(state, f))?;
        execute!(term.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }));
    match result {
        Ok(Ok(())) => {
            FRAMES.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        // A terminal that no longer takes output was closed under us: the same end as SIGHUP.
        Ok(Err(_)) if TERMINAL_GONE.load(Ordering::Relaxed) || !io::stdout().is_terminal() => {
            TERMINAL_GONE.store(true, Ordering::Relaxed);
            Err(ExitReason::Hangup)
        }
        Ok(Err(e)) => Err(ExitReason::FatalError(format!("cannot draw: {e}"))),
        Err(_) => {
            DISCARD_OUTPUT.store(true, Ordering::Relaxed);
            Err(ExitReason::Panic)
        }
    }
}

async fn event_loop(
    state: &mut State,
    inbox: &mut Inbox,
    signals: &mut Signals,
    files: &mut [SessionFiles],
    serving: &mut Option<Serving>,
    max_events: Option<u64>,
    (term, latency): (&mut Term, &mut ScreenLatency),
) -> ExitReason {
    let frame_gap = Duration::from_secs_f64(1.0 / f64::from(state.settings.max_fps.clamp(1, 240)));
    let mut input = EventStream::new();
    let mut clock = interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut buf = Vec::with_capacity(DRAIN);
    let mut source_open = true;
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    let mut clear = false;
    if let Ok(size) = term.size() {
        let viewport = crate::ui::viewport(state, size.width, size.height);
        if let Err(r) = step(state, Msg::Resize(viewport)) {
            return r;
        }
    }
    loop {
        let next_frame = last_draw.map_or_else(Instant::now, |t| t + frame_gap);
        // The files' next due write (a resume cursor held back after a burst, the autosave) wakes the loop as
        // in headless, not the next key or tick.
        let files_due = (files.iter())
            .filter_map(|f| f.autosave_in(Utc::now()))
            .min();
        let mut fx = Effects::default();
        let mut done: Option<ExitReason> = None;
        tokio::select! {
            biased;
            reason = signals.recv() => done = Some(reason),
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(msg) = key_msg(state, &key) {
                        match step(state, msg) {
                            Ok(f) => fx = f,
                            Err(r) => return r,
                        }
                    }
                }
                Some(Ok(Event::Resize(w, h))) => {
                    // A resize or a tmux re-attach: repaint every cell, not just the diff.
                    clear = true;
                    match step(state, Msg::Resize(crate::ui::viewport(state, w, h))) {
                        Ok(f) => fx = f,
                        Err(r) => return r,
                    }
                }
                Some(Ok(_)) => {}
                // The terminal went away (SSH dropped): the same end as SIGHUP.
                Some(Err(_)) | None => done = Some(ExitReason::Hangup),
            },
            // Before the rooms: in this biased select, rooms that are always ready must not starve the watch.
            m = inbox.watch.next(), if inbox.watch.is_open() => match m {
                Some(m) => {
                    // The change lines go to the API's clients as in headless (nowhere else on screen).
                    let _ = super::channels::write_lines(&mut io::sink(), serving, &m);
                    match step(state, Msg::Watch(m)) {
                        Ok(f) => fx = f,
                        Err(r) => return r,
                    }
                }
                None if super::channels::stopped_by_itself(state) => {}
                None => done = Some(super::channels::vanished()),
            },
            n = inbox.rooms.recv_many(&mut buf, DRAIN), if source_open => {
                // 0: every channel closed, each room already told why (the inbox adds `Vanished`).
                source_open = n > 0;
                for (key, msg) in buf.drain(..) {
                    let Some(r) = state.room_index(&key).filter(|&r| state.rooms[r].is_running()) else {
                        continue;
                    };
                    let msg = match msg {
                        SourceMsg::Batch(mut batch) => {
                            if super::cut_at_max_events(&mut batch, max_events, state) {
                                done = Some(ExitReason::MaxEvents);
                            }
                            files[r].on_batch(&batch);
                            latency.arrived(batch.received_at, batch.events.len());
                            if let Some(s) = serving.as_ref() {
                                s.publish(r, &batch.events);
                            }
                            SourceMsg::Batch(batch)
                        }
                        other => other,
                    };
                    match step(state, Msg::Source(key, msg)) {
                        Ok(f) => fx.merge(f),
                        Err(r) => return r,
                    }
                    if done.is_some() || fx.quit.is_some() {
                        break;
                    }
                }
                buf.clear();
                super::exit::finish_ended_rooms(files, state, Utc::now());
                // The select is biased towards the sources: queries waiting meanwhile get their turn here.
                if done.is_none() {
                    done = Serving::answer_waiting(serving, state, files);
                }
            },
            q = Serving::next_query(serving) => done = super::serve::answer(q, state, files),
            _ = clock.tick(), if state.wants_tick() => {
                match step(state, Msg::Tick) {
                    Ok(f) => fx = f,
                    Err(r) => return r,
                }
            },
            _ = sleep_until(next_frame), if dirty => {},
            _ = tokio::time::sleep(files_due.unwrap_or_default()), if files_due.is_some() => {},
        }
        if let Some(reason) = done.or(fx.quit.take()) {
            if let Err(r) = step(state, Msg::Shutdown(reason.clone())) {
                return r;
            }
            return reason;
        }
        if fx.bell {
            let out = term.backend_mut();
            let _ = out.write_all(b"\x07").and_then(|_| out.flush());
        }
        dirty |= fx.redraw;
        let now = Instant::now();
        if dirty && last_draw.is_none_or(|t| now >= t + frame_gap) {
            if let Err(r) = draw(term, state, clear) {
                return r;
            }
            latency.drawn(Utc::now());
            dirty = false;
            clear = false;
            last_draw = Some(now);
        }
        super::exit::autosave(files, state, Utc::now());
    }
}
