//! The Friday review on a small terminal (issue #15 point 6): at 80×24 a page that is taller
//! than the window scrolls with j/k, ctrl-d/u and g g/G instead of dropping rows; the footer
//! says page n/6 and how many rows are below; `n`/`p` change page and start at the top; `q`
//! leaves the review, not opsdeck. Driven through the real keymap and `State::update`, drawn by
//! the real `ui::draw` on a `TestBackend`.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::key_to_msg;
use opsdeck::app::keymap::{Key, KeyName, Keymap};
use opsdeck::app::msg::Msg;
use opsdeck::app::state::{Overlay, State};
use opsdeck::config::Policy;
use opsdeck::review::{current_week, take_snapshot};
use opsdeck::store::Store;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn review_state(w: u16, h: u16) -> (State, Keymap) {
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now()).unwrap();
    let tz = chrono_tz::Europe::London;
    let snap = take_snapshot(
        &store,
        &current_week(now(), tz),
        tz,
        &Policy::default(),
        now(),
    )
    .unwrap();
    let mut state = State::new(now(), tz, Policy::default());
    state.no_color = true;
    let mut keymap = Keymap::defaults();
    state.update(Msg::Resize(w, h));
    press(&mut state, &mut keymap, "F");
    assert!(matches!(state.overlay, Some(Overlay::Review { page: 0 })));
    state.update(Msg::ReviewLoaded(Box::new(snap)));
    (state, keymap)
}

fn press(state: &mut State, keymap: &mut Keymap, keys: &str) {
    for c in keys.chars() {
        let key = Key::ch(c);
        if let Some(msg) = key_to_msg(state, keymap, key) {
            state.update(msg);
        }
    }
}

fn screen(state: &State) -> String {
    let (w, h) = state.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| opsdeck::ui::draw(f, state)).unwrap();
    term.backend().to_string()
}

#[test]
fn a_tall_page_scrolls_to_its_last_row_at_80x24_and_says_what_is_below() {
    let (mut state, mut keymap) = review_state(80, 24);
    let top = screen(&state);
    assert!(top.contains("1/6 Incidents"), "{top}");
    assert!(top.contains("page 1/6"), "footer names the page:\n{top}");
    assert!(top.contains("more below (j/k scroll)"), "{top}");
    assert!(
        !top.contains("Open, age >=7d"),
        "the last table row is below the window at first:\n{top}"
    );

    press(&mut state, &mut keymap, "j");
    assert_eq!(state.review_scroll_rows, 1);
    let one = screen(&state);
    let first_body_line = one.lines().nth(2).unwrap_or_default();
    assert!(
        first_body_line.contains("│Incidents "),
        "j moved the page one row (the header row scrolled off):\n{one}"
    );

    press(&mut state, &mut keymap, "G");
    let bottom = screen(&state);
    // at 80 columns the chart and the named incidents stand below the table: the last of
    // them is on screen at the bottom
    assert!(bottom.contains("PQ8L3FZ"), "{bottom}");
    assert!(!bottom.contains("more below"), "{bottom}");
    let at_end = state.review_scroll_rows;
    press(&mut state, &mut keymap, "jjjj");
    assert_eq!(
        state.review_scroll_rows, at_end,
        "scrolling stops at the last row"
    );
    press(&mut state, &mut keymap, "k");
    assert_eq!(
        state.review_scroll_rows,
        at_end - 1,
        "one k is one row back up"
    );

    press(&mut state, &mut keymap, "n");
    assert!(matches!(state.overlay, Some(Overlay::Review { page: 1 })));
    assert_eq!(state.review_scroll_rows, 0, "a new page starts at its top");
    assert!(screen(&state).contains("page 2/6"));

    press(&mut state, &mut keymap, "q");
    assert!(state.overlay.is_none(), "q leaves the review");
    assert!(!state.quit, "q in the review does not quit opsdeck");
}

#[test]
fn every_page_at_80_columns_shows_every_row_somewhere_between_top_and_bottom() {
    let (mut state, mut keymap) = review_state(80, 24);
    for page in 0..6 {
        press(&mut state, &mut keymap, "gg");
        let mut seen = String::new();
        // half a page at a time until the page stops moving (bounded: a page is < 100 rows)
        for _ in 0..50 {
            seen.push_str(&screen(&state));
            let before = state.review_scroll_rows;
            let half_page = key_to_msg(
                &mut state,
                &mut keymap,
                Key {
                    code: KeyName::Char('d'),
                    ctrl: true,
                    alt: false,
                },
            );
            state.update(half_page.expect("ctrl-d is bound in the review"));
            if state.review_scroll_rows == before {
                break;
            }
        }
        // every line of every table row of the page, by label, is on one of the two screens
        let snap = state.review.as_ref().unwrap();
        let labels: Vec<String> = match opsdeck::review::PAGES[page] {
            "slos" => snap.slos.slos.iter().map(|s| s.name.clone()).collect(),
            "customers" => snap
                .customers
                .customers
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            _ => opsdeck::review::report::rows(snap, page)
                .into_iter()
                .map(|r| r.label)
                .collect(),
        };
        assert!(!labels.is_empty(), "page {} has rows", page + 1);
        for label in labels {
            let label: String = label.chars().take(18).collect();
            assert!(
                seen.contains(&label),
                "page {} row {label:?} never visible:\n{seen}",
                page + 1
            );
        }
        press(&mut state, &mut keymap, "n");
    }
}

#[test]
fn a_page_that_fits_does_not_scroll() {
    let (mut state, mut keymap) = review_state(160, 48);
    press(&mut state, &mut keymap, "nnn"); // SLOs: a short page
    press(&mut state, &mut keymap, "jjj");
    assert_eq!(state.review_scroll_rows, 0);
    let s = screen(&state);
    assert!(s.contains("page 4/6"), "{s}");
    assert!(!s.contains("more below"), "{s}");
}

/// Help opened over the review keeps the review page underneath (it showed the tab behind the
/// review), and closing help returns to the same page.
#[test]
fn help_over_the_review_keeps_the_page_underneath() {
    let (mut state, mut keymap) = review_state(160, 48);
    press(&mut state, &mut keymap, "n");
    press(&mut state, &mut keymap, "?");
    let s = screen(&state);
    assert!(s.contains("Keys"), "help is open:\n{s}");
    assert!(
        s.contains("Friday review"),
        "the review stays underneath:\n{s}"
    );
    assert!(!s.contains("Incidents 15"), "not the tab behind it:\n{s}");
    let esc = key_to_msg(
        &mut state,
        &mut keymap,
        Key {
            code: KeyName::Esc,
            ctrl: false,
            alt: false,
        },
    );
    state.update(esc.expect("esc is bound"));
    assert!(matches!(state.overlay, Some(Overlay::Review { page: 1 })));
}
