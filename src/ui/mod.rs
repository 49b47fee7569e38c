//! Drawing: `draw(frame, &State)` renders the tab bar, the DEMO banner, the active tab (list and
//! detail pane, or the selected row full-screen), the key-hint footer, the toast line, the
//! status bar and any overlay.
//!
//! Nothing here changes state or performs I/O: every widget is built from `&State` for one
//! frame (`impl Widget for &X`) and ratatui's own table state is created per frame from the
//! selection held in `State`. Text reaches cells only through `Span`/`Line`/`Paragraph`/`Table`
//! (which drop C0/C1 controls); data was sanitized at ingest, so it is not sanitized again here.
//! Layout: the detail pane sits right of the list at 120 columns or more, below it when
//! narrower, and is hidden when `show_detail` is off. At 80×24 every tab shows fewer columns.

pub mod fullscreen;
pub mod glyphs;
pub mod inline_md;
pub mod tabs;
pub mod text;
pub mod theme;
pub mod widgets;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui::Frame;

use crate::app::state::{Overlay, State};
use crate::domain::Tab;
use theme::Theme;

/// Below this width the tab bar uses short titles.
pub const NARROW_COLS: u16 = 100;
/// At or above this width the detail pane goes right of the list.
pub const SIDE_DETAIL_COLS: u16 = 120;

/// The DEMO banner text.
pub const DEMO_BANNER: &str =
    "DEMO workspace — edits stay in the demo cache; run `opsdeck init` to configure your own";

/// Draws the whole screen from `state`; in ASCII mode every cell is then made 7-bit through
/// the glyph table ([`glyphs::asciify`]).
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    draw_layers(frame, state);
    if state.ascii {
        glyphs::asciify(frame.buffer_mut());
    }
}

fn draw_layers(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    let theme = Theme::of(state);
    let [bar, banner, body, hints, toast, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(state.demo)),
        Constraint::Min(0),
        Constraint::Length(u16::from(state.key_hints)),
        Constraint::Length(u16::from(state.toast.is_some())),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(&TabBar { state, theme }, bar);
    if state.demo {
        let line = Line::from(Span::styled(
            text::fit(DEMO_BANNER, usize::from(banner.width)),
            theme.warn().add_modifier(ratatui::style::Modifier::BOLD),
        ));
        frame.render_widget(Paragraph::new(line), banner);
    }
    // With help open over the review or the full-screen detail, that view stays underneath.
    let base = match (&state.overlay, &state.help_over) {
        (Some(Overlay::Help { .. }), Some(under)) => Some(under.as_ref()),
        (overlay, _) => overlay.as_ref(),
    };
    if let Some(Overlay::Detail { scroll }) = base {
        fullscreen::render(state, *scroll, theme, body, frame.buffer_mut());
    } else {
        frame.render_widget(&tabs::TabView { state, theme }, body);
    }
    if state.key_hints {
        frame.render_widget(&widgets::hints::KeyHints { state, theme }, hints);
    }
    if let Some(t) = &state.toast {
        let style = if t.error { theme.bad() } else { theme.good() };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                text::fit(&t.text, usize::from(toast.width)),
                style,
            ))),
            toast,
        );
    }
    frame.render_widget(&widgets::status_bar::StatusBar { state, theme }, status);
    if let Some(Overlay::Review { page }) = base {
        frame.render_widget(ratatui::widgets::Clear, body);
        match &state.review {
            Some(snap) => crate::review::view::draw_page_scrolled(
                frame,
                body,
                snap,
                *page,
                state.no_color,
                state.review_scroll_rows,
            ),
            None => frame.render_widget(Paragraph::new("loading the review…"), body),
        }
        if !matches!(state.overlay, Some(Overlay::Help { .. })) {
            return;
        }
    }
    if let Some(overlay) = &state.overlay {
        frame.render_widget(
            &widgets::overlays::OverlayView {
                state,
                overlay,
                theme,
            },
            area,
        );
    }
}

/// The tab bar: number, title and count of every tab; the active one reversed.
pub struct TabBar<'a> {
    /// The state.
    pub state: &'a State,
    /// The theme.
    pub theme: Theme,
}

impl TabBar<'_> {
    fn labels(&self, narrow: bool) -> Vec<String> {
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, tab)| {
                let count = self.state.counts.for_tab(*tab);
                if narrow {
                    format!(" {} {} {} ", i + 1, tab.short_title(), count)
                } else {
                    let mut s = format!(" {} {} ({})", i + 1, tab.title(), count);
                    if *tab == Tab::Incidents && self.state.counts.alerts > 0 {
                        s.push_str(&format!(" +{} firing", self.state.counts.alerts));
                    }
                    s.push(' ');
                    s
                }
            })
            .collect()
    }
}

impl Widget for &TabBar<'_> {
    fn render(self, area: Rect, buf: &mut ratatui::buffer::Buffer) {
        // Full titles when they fit the width, short ones otherwise (never cut mid-title).
        let full = self.labels(false);
        let width: usize = full.iter().map(|l| l.chars().count() + 1).sum();
        let labels = if area.width >= NARROW_COLS && width <= usize::from(area.width) {
            full
        } else {
            self.labels(true)
        };
        let mut spans = Vec::new();
        for (i, (tab, label)) in Tab::ALL.iter().zip(labels).enumerate() {
            let style = if *tab == self.state.tab {
                self.theme
                    .selected()
                    .add_modifier(ratatui::style::Modifier::BOLD)
            } else {
                self.theme.fg(ratatui::style::Color::Gray)
            };
            spans.push(Span::styled(label, style));
            if i + 1 < Tab::ALL.len() {
                spans.push(Span::styled(
                    if self.theme.ascii { "|" } else { "│" },
                    self.theme.dim(),
                ));
            }
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// Splits a tab body into the list area and, when shown, the detail area.
#[must_use]
///
/// Below the list (narrow terminals), the list takes only the height its `rows` need (plus
/// border and header), at most 55 %, so a short list leaves room for the detail.
pub fn split_body(area: Rect, show_detail: bool, rows: usize) -> (Rect, Option<Rect>) {
    split_body_pct(area, show_detail, rows, 65)
}

/// [`split_body`] with the list's share of a side-by-side layout in percent.
#[must_use]
pub fn split_body_pct(
    area: Rect,
    show_detail: bool,
    rows: usize,
    list_pct: u16,
) -> (Rect, Option<Rect>) {
    if !show_detail || area.height < 6 || area.width < 20 {
        return (area, None);
    }
    if area.width >= SIDE_DETAIL_COLS {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(list_pct), Constraint::Min(0)]).areas(area);
        (list, Some(detail))
    } else {
        let most = area.height * 55 / 100;
        let want = u16::try_from(rows.saturating_add(3))
            .unwrap_or(u16::MAX)
            .clamp(5.min(most), most);
        let [list, detail] =
            Layout::vertical([Constraint::Length(want), Constraint::Min(0)]).areas(area);
        (list, Some(detail))
    }
}
