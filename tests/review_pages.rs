//! Every review page drawn from the demo workspace at 80×24 and 160×48 (insta snapshots of a
//! ratatui TestBackend), plus the facts a reader of those screens relies on.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::config::Policy;
use opsdeck::review::view::draw_page;
use opsdeck::review::{current_week, take_snapshot, ReviewSnapshot, PAGES};
use opsdeck::store::Store;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn demo_snapshot() -> ReviewSnapshot {
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now()).unwrap();
    let tz = chrono_tz::Europe::London;
    let week = current_week(now(), tz);
    opsdeck::store::Store::write(&mut store, |tx| {
        opsdeck::store::write::save_review_note(
            tx,
            &week,
            "customers",
            "Granite Life: call before renewal.",
            now(),
        )
    })
    .unwrap();
    take_snapshot(&store, &week, tz, &Policy::default(), now()).unwrap()
}

fn render(snap: &ReviewSnapshot, page: usize, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw_page(f, f.area(), snap, page, true))
        .unwrap();
    term.backend().to_string()
}

#[test]
fn every_page_at_80x24_and_160x48() {
    let snap = demo_snapshot();
    for (page, name) in PAGES.iter().enumerate() {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let screen = render(&snap, page, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
        }
    }
}

#[test]
fn the_page_title_names_the_week_and_the_position() {
    let snap = demo_snapshot();
    let screen = render(&snap, 1, 80, 24);
    assert!(
        screen.contains("Friday review 2026-W47 vs 2026-W46 · 2/6 Bugs"),
        "{screen}"
    );
    assert!(screen.contains("week in progress"), "{screen}");
}

#[test]
fn a_page_note_is_shown_on_its_page_only() {
    let snap = demo_snapshot();
    assert!(render(&snap, 4, 80, 24).contains("Note: Granite Life: call before renewal."));
    assert!(!render(&snap, 0, 80, 24).contains("Note:"));
}

#[test]
fn a_tiny_area_says_so_instead_of_drawing_garbage() {
    let snap = demo_snapshot();
    let screen = render(&snap, 0, 22, 5);
    assert!(screen.contains("window too small"), "{screen}");
}

#[test]
fn colour_is_used_only_when_allowed() {
    let snap = demo_snapshot();
    for no_color in [true, false] {
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        term.draw(|f| draw_page(f, f.area(), &snap, 4, no_color))
            .unwrap();
        let coloured = term
            .backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset);
        assert_eq!(coloured, !no_color, "no_color = {no_color}");
    }
}
