//! Windowed lists over a real store (issue #12): the bugs list holds a window of rows around
//! the cursor, the store counts, filters and sorts in SQL, and every key shows the row the
//! full list would show at that position. Driven through `State::update` and the store
//! thread's own code run inline (`runtime::Inline`), so each key is followed by exactly the
//! queries the app would make — no timing.

mod window_support;

use chrono::Duration;
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Effect, InputKey, Msg, Rows, WindowReply};
use opsdeck::app::rows::{RowView, SortKey};
use opsdeck::app::state::State;
use opsdeck::domain::{Bug, BugStatus, Priority, Tab};
use opsdeck::store::read::window::{ListQuery, WINDOW_ROWS};
use opsdeck::store::{write, Store};
use window_support::{now, App};

const BUGS: usize = 5_000;

/// 5,000 bugs through the store's own upsert; bug 4,321's title alone has "zebra" in it, and
/// every 500th has "walrus".
fn store_with_bugs(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("cache.sqlite3")).unwrap();
    let now = now();
    store
        .write(|tx| {
            for i in 0..BUGS {
                let n = i64::try_from(i).unwrap();
                let title = if i == 4_321 {
                    format!("bug {i}: the Zebra crossing fails")
                } else if i % 500 == 0 {
                    format!("bug {i}: walrus in the logs")
                } else {
                    format!("bug {i}: checkout latency")
                };
                let b = Bug {
                    id: 0,
                    source: "github".into(),
                    external_id: format!("{i}"),
                    key: format!("#{}", 10_000 + i),
                    title,
                    body: String::new(),
                    priority: Priority::ALL[i % 4],
                    status: [BugStatus::Open, BugStatus::InProgress, BugStatus::Closed][i % 3],
                    assignee: (i % 7 != 0).then(|| format!("Dev{}", i % 13)),
                    labels: vec![format!("area:{}", i % 5)],
                    customers: Vec::new(),
                    created_at: now - Duration::minutes((n * 37) % 4_999),
                    updated_at: now - Duration::minutes(n / 3),
                    closed_at: None,
                    url: None,
                    pending: false,
                    conflict: false,
                };
                write::upsert_bug(tx, &b, now)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

impl App {
    fn new(dir: &std::path::Path) -> App {
        App::open(
            store_with_bugs(dir),
            dir,
            vec!["github".into()],
            Vec::new(),
            Tab::Bugs,
        )
    }

    fn selected(&self) -> &Bug {
        self.state.bugs.selected_row().expect("a selected bug")
    }
}

/// The whole list as the old full load had it, to compare windows against.
fn all_bugs(store: &Store) -> Vec<Bug> {
    store.load_bugs(None).unwrap()
}

/// The rows a 37-row table shows, by id.
fn screen(state: &State) -> Vec<i64> {
    state.bugs.window(37).map(|b| b.id).collect()
}

fn expected_screen(all: &[Bug], selected: usize) -> Vec<i64> {
    let first = selected.saturating_sub(36);
    all[first..=selected.max(36).min(all.len() - 1)]
        .iter()
        .map(|b| b.id)
        .collect()
}

#[test]
fn the_list_holds_a_window_and_counts_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let bugs = &app.state.bugs;
    assert!(bugs.windowed);
    assert_eq!(bugs.len(), BUGS, "the count comes from SQL");
    assert!(
        bugs.rows.len() <= WINDOW_ROWS,
        "{} rows in memory",
        bugs.rows.len()
    );
    assert_eq!(bugs.shown_rows(), BUGS);
    assert_eq!(bugs.total_rows(), BUGS);
    assert_eq!(app.selected().id, all_bugs(app.store())[0].id);
}

#[test]
fn g_reaches_the_last_row_and_g_g_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    app.act(Action::SelectLast);
    assert_eq!(app.state.bugs.selected, BUGS - 1);
    assert_eq!(app.selected().id, all[BUGS - 1].id);
    assert_eq!(screen(&app.state), expected_screen(&all, BUGS - 1));
    assert!(app.state.bugs.rows.len() <= WINDOW_ROWS);
    app.act(Action::SelectFirst);
    assert_eq!(app.state.bugs.selected, 0);
    assert_eq!(app.selected().id, all[0].id);
}

#[test]
fn repeated_ctrl_d_walks_to_the_end_showing_the_right_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    let mut presses = 0;
    while app.state.bugs.selected < BUGS - 1 {
        presses += 1;
        assert!(presses < 1_000, "ctrl-d never reached the end");
        let before = app.state.bugs.selected;
        app.act(Action::HalfPageDown);
        let sel = app.state.bugs.selected;
        assert!(sel > before, "ctrl-d moved ({before} -> {sel})");
        assert_eq!(app.state.bugs.pending, None);
        assert_eq!(app.selected().id, all[sel].id, "row {sel}");
        assert_eq!(
            screen(&app.state),
            expected_screen(&all, sel),
            "screen at {sel}"
        );
    }
    assert_eq!(app.selected().id, all[BUGS - 1].id);
}

#[test]
fn j_and_k_across_window_edges_show_the_right_row_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    let mut offsets = std::collections::BTreeSet::new();
    for step in 1..=700 {
        app.act(Action::SelectNext);
        assert_eq!(app.state.bugs.selected, step);
        assert_eq!(app.selected().id, all[step].id, "j to {step}");
        assert_eq!(screen(&app.state), expected_screen(&all, step));
        offsets.insert(app.state.bugs.offset);
    }
    assert!(offsets.len() > 2, "the window moved: {offsets:?}");
    for step in (300..700).rev() {
        app.act(Action::SelectPrev);
        assert_eq!(app.selected().id, all[step].id, "k to {step}");
        assert_eq!(screen(&app.state), expected_screen(&all, step));
    }
}

/// The filter the store applies: every word a substring of one shown column, ASCII case
/// ignored (the same rule in Rust, over the full list).
fn matches(b: &Bug, query: &str) -> bool {
    let mut hay = String::new();
    b.haystack_into(&mut hay);
    let hay = hay.to_ascii_lowercase();
    query
        .split_whitespace()
        .all(|w| hay.contains(&w.to_ascii_lowercase()))
}

#[test]
fn a_filter_finds_rows_never_in_the_window_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    let zebra = all.iter().position(|b| b.title.contains("Zebra")).unwrap();
    assert!(zebra > WINDOW_ROWS, "bug 4,321 starts outside the window");
    app.act(Action::Filter);
    app.typed("zEBRA");
    assert_eq!(app.state.bugs.len(), 1);
    assert_eq!(app.selected().id, all[zebra].id);
    assert_eq!(app.state.bugs.shown_rows(), 1);
    assert_eq!(
        app.state.bugs.total_rows(),
        BUGS,
        "the title still says of how many"
    );

    // Several words, ANDed, over several columns (title, label, assignee), in list order.
    app.input(InputKey::Esc);
    app.act(Action::Back);
    assert_eq!(app.state.bugs.len(), BUGS, "Esc clears the filter");
    app.act(Action::Filter);
    app.typed("walrus area:0 dev");
    let want: Vec<i64> = all
        .iter()
        .filter(|b| matches(b, "walrus area:0 dev"))
        .map(|b| b.id)
        .collect();
    assert!(want.len() > 3, "{}", want.len());
    assert_eq!(app.state.bugs.len(), want.len());
    let got: Vec<i64> = app.state.bugs.rows.iter().map(|b| b.id).collect();
    assert_eq!(got, want, "matches keep the list order");
    // A word that is only a subsequence no longer matches (the ranking change of #12).
    app.input(InputKey::Esc);
    app.act(Action::Back);
    app.act(Action::Filter);
    app.typed("wlrs");
    assert_eq!(app.state.bugs.len(), 0);
}

/// A filter that fewer rows pass than a window holds is read whole in one pass (its count and
/// the followed row's place taken from the rows); one that more rows pass is counted first.
/// At the edge — one fewer, exactly as many, one more — the count, the order, the last row
/// and the followed row must be the same either way.
#[test]
fn filters_at_the_edge_of_one_window_count_place_and_order_alike() {
    let dir = tempfile::tempdir().unwrap();
    let n = WINDOW_ROWS;
    let mut store = store_with_bugs(dir.path());
    let now = now();
    let mut all = all_bugs(&store);
    // Spread over the list order: every 7th row from the 5th (the list mixes open and closed).
    let picked: Vec<i64> = all
        .iter()
        .skip(5)
        .step_by(7)
        .take(n + 1)
        .map(|b| b.id)
        .collect();
    assert_eq!(picked.len(), n + 1);
    store
        .write(|tx| {
            for (k, id) in picked.iter().enumerate() {
                let mut b = all.iter().find(|b| b.id == *id).unwrap().clone();
                b.title = match k {
                    k if k + 1 < n => format!("{} under exact over", b.title),
                    k if k + 1 == n => format!("{} exact over", b.title),
                    _ => format!("{} over", b.title),
                };
                write::upsert_bug(tx, &b, now)?;
            }
            Ok(())
        })
        .unwrap();
    all = all_bugs(&store);
    let mut app = App::open(
        store,
        dir.path(),
        vec!["github".into()],
        Vec::new(),
        Tab::Bugs,
    );
    for (word, count) in [("under", n - 1), ("exact", n), ("over", n + 1)] {
        let want: Vec<&Bug> = all.iter().filter(|b| matches(b, word)).collect();
        assert_eq!(want.len(), count, "{word}");
        // Follow an open matching row far down the unfiltered list.
        let target = want
            .iter()
            .rev()
            .find(|b| b.status != BugStatus::Closed)
            .unwrap();
        let at = all.iter().position(|b| b.id == target.id).unwrap();
        go_to(&mut app, at);
        assert_eq!(app.selected().id, target.id);
        app.act(Action::Filter);
        app.hold = true;
        app.typed(word);
        app.hold = false;
        let held = std::mem::take(&mut app.held);
        let Some(Effect::LoadWindow(last)) = held.last() else {
            panic!("a window read per key: {held:?}");
        };
        assert_eq!(last.rows, n, "the window holds WINDOW_ROWS rows");
        app.run(vec![held.last().unwrap().clone()]);
        app.input(InputKey::Enter);
        assert_eq!(app.state.bugs.len(), count, "count for {word}");
        assert_eq!(app.selected().id, target.id, "the followed row for {word}");
        let pos = want.iter().position(|b| b.id == target.id).unwrap();
        assert_eq!(app.state.bugs.selected, pos, "its place for {word}");
        let got: Vec<i64> = app.state.bugs.rows.iter().map(|b| b.id).collect();
        let offset = app.state.bugs.offset;
        let ids: Vec<i64> = want.iter().map(|b| b.id).collect();
        assert_eq!(got, ids[offset..offset + got.len()], "order for {word}");
        app.act(Action::SelectLast);
        assert_eq!(
            app.selected().id,
            want[count - 1].id,
            "the last row for {word}"
        );
        app.input(InputKey::Esc);
        app.act(Action::Back);
        assert_eq!(app.state.bugs.len(), BUGS);
    }
}

fn sorted_like_the_old_in_memory_sort(all: &[Bug], col: usize) -> Vec<i64> {
    let mut v: Vec<&Bug> = all.iter().collect();
    v.sort_by(|a, b| {
        let (ka, kb): (SortKey, SortKey) = (a.sort_key(col), b.sort_key(col));
        ka.partial_cmp(&kb).unwrap()
    });
    v.into_iter().map(|b| b.id).collect()
}

#[test]
fn each_sort_column_orders_the_whole_list_like_the_in_memory_sort() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    for col in 1..=Bug::SORTS.len() {
        app.act(Action::CycleSort);
        assert_eq!(app.state.bugs.sort, col);
        let want = sorted_like_the_old_in_memory_sort(&all, col);
        let q = ListQuery {
            filter: String::new(),
            sort: col,
        };
        let got: Vec<i64> = app
            .store()
            .load_bugs_window(&q, 0, BUGS)
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(got, want, "sort column {col} over all {BUGS} rows");
        app.act(Action::SelectFirst);
        assert_eq!(app.selected().id, want[0], "first row, sort {col}");
        app.act(Action::SelectLast);
        assert_eq!(app.selected().id, want[BUGS - 1], "last row, sort {col}");
        app.act(Action::HalfPageUp);
        let sel = app.state.bugs.selected;
        assert_eq!(app.selected().id, want[sel], "row {sel}, sort {col}");
    }
    app.act(Action::CycleSort);
    assert_eq!(app.state.bugs.sort, 0, "back to the default order");
    app.act(Action::SelectFirst);
    assert_eq!(app.selected().id, all[0].id);
}

fn go_to(app: &mut App, pos: usize) {
    app.act(Action::SelectFirst);
    let mut guard = 0;
    while app.state.bugs.selected < pos {
        guard += 1;
        assert!(guard < 2_000);
        let left = pos - app.state.bugs.selected;
        if left > 20 {
            app.act(Action::HalfPageDown);
        } else {
            app.act(Action::SelectNext);
        }
    }
    assert_eq!(app.state.bugs.selected, pos);
}

#[test]
fn marks_far_apart_are_both_closed_in_the_store_and_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    // Open bugs at positions 10 and 4,900 of the list (the list puts open ones first).
    let open = all.iter().filter(|b| b.status != BugStatus::Closed).count();
    assert!(open > 3_000);
    let far = open - 50;
    go_to(&mut app, 10);
    app.act(Action::ToggleMark);
    go_to(&mut app, far);
    app.act(Action::ToggleMark);
    let a = all[10].id;
    let b = all[far].id;
    assert!(
        !app.state.bugs.rows.iter().any(|r| r.id == a),
        "row 10 is out of the window"
    );
    app.act(Action::CloseBug);
    app.typed("dup");
    app.input(InputKey::Enter);
    let Some(opsdeck::app::state::Overlay::Confirm { message, .. }) = app.state.overlay.clone()
    else {
        panic!("a bulk close confirms");
    };
    assert!(message.starts_with("Close 2 bugs: "), "{message}");
    assert!(
        message.contains(&all[10].key) && message.contains(&all[far].key),
        "{message}"
    );
    app.input(InputKey::Char('y'));
    let closed: Vec<i64> = app
        .store()
        .conn()
        .prepare("SELECT id FROM bugs WHERE status = 'closed' AND id IN (?1, ?2)")
        .unwrap()
        .query_map([a, b], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(closed.len(), 2, "both closed in the cache");
    let queued: i64 = app
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM outbox WHERE entity_kind = 'bug' AND entity_id IN (?1, ?2)",
            [a, b],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(queued, 2, "both in the outbox");
}

#[test]
fn closing_the_selected_bug_keeps_the_cursor_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    go_to(&mut app, 1_234);
    let all = all_bugs(app.store());
    let closing = app.selected().id;
    assert_eq!(closing, all[1_234].id);
    app.act(Action::CloseBug);
    app.typed("fixed");
    app.input(InputKey::Enter);
    app.input(InputKey::Char('y'));
    assert_eq!(app.state.bugs.selected, 1_234, "same position");
    let after = all_bugs(app.store());
    assert_eq!(app.selected().id, after[1_234].id);
    assert_ne!(app.selected().id, closing, "the closed bug sank away");
    assert_eq!(
        app.selected().id,
        all[1_235].id,
        "the next row took its place"
    );
}

#[test]
fn a_reload_follows_a_row_that_moved_far() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    go_to(&mut app, 2_000);
    let id = app.selected().id;
    // Someone raised it to P0 and touched it: it moves to the top part of the list.
    app.store()
        .conn()
        .execute(
            "UPDATE bugs SET priority = 'P0', updated_at = ?2, status = 'open' WHERE id = ?1",
            [id, now().timestamp()],
        )
        .unwrap();
    app.run(vec![Effect::Reload(Tab::Bugs)]);
    assert_eq!(app.selected().id, id, "the cursor stays on the row");
    assert!(app.state.bugs.selected < 2_000);
    let all = all_bugs(app.store());
    assert_eq!(all[app.state.bugs.selected].id, id);
}

/// REGRESSION: a reload reply (a sync round's, an edit's) put the cursor back on the row it
/// followed when the reload was asked for, so `j j` pressed while it was in flight were lost
/// (seen in the tasklist tmux test: the second `j` "did nothing").
#[test]
fn keys_pressed_while_a_reload_is_in_flight_still_move_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    go_to(&mut app, 100);
    let all = all_bugs(app.store());
    app.hold = true;
    app.run(vec![Effect::Reload(Tab::Bugs)]);
    assert_eq!(app.held.len(), 1, "one reload asked for: {:?}", app.held);
    app.hold = false;
    app.act(Action::SelectNext);
    app.act(Action::SelectNext);
    assert_eq!(app.selected().id, all[102].id);
    let reload = app.held.remove(0);
    app.run(vec![reload]);
    assert_eq!(app.state.bugs.selected, 102, "both j presses count");
    assert_eq!(app.selected().id, all[102].id);

    // The followed row moved meanwhile: the cursor stays on the row the user moved to.
    let mover = all[101].id;
    app.act(Action::SelectPrev);
    assert_eq!(app.selected().id, mover);
    app.hold = true;
    app.run(vec![Effect::Reload(Tab::Bugs)]);
    app.hold = false;
    app.act(Action::SelectNext);
    let on = app.selected().id;
    assert_eq!(on, all[102].id);
    app.store()
        .conn()
        .execute(
            "UPDATE bugs SET priority = 'P0', updated_at = ?2, status = 'open' WHERE id = ?1",
            [mover, now().timestamp()],
        )
        .unwrap();
    let reload = app.held.remove(0);
    app.run(vec![reload]);
    assert_eq!(
        app.selected().id,
        on,
        "the cursor stays on the row it was moved to"
    );
    assert_eq!(all_bugs(app.store())[app.state.bugs.selected].id, on);

    // Far past the window while the reload is out: the cursor lands where the keys took it.
    app.hold = true;
    app.run(vec![Effect::Reload(Tab::Bugs)]);
    app.hold = false;
    let from = app.state.bugs.selected;
    for _ in 0..40 {
        app.act(Action::HalfPageDown);
    }
    let reload = app.held.remove(0);
    app.run(vec![reload]);
    let at = app.state.bugs.selected;
    assert!(at > from + 400, "the half pages count: {from} -> {at}");
    assert_eq!(app.selected().id, all_bugs(app.store())[at].id);
}

#[test]
fn a_stale_window_reply_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    app.act(Action::Filter);
    app.hold = true;
    app.typed("walrus");
    app.input(InputKey::Backspace);
    app.hold = false;
    // Every request was held; run the oldest (for "w") after the newest ("walru").
    let held = std::mem::take(&mut app.held);
    assert!(held.len() >= 2, "{held:?}");
    let newest = held.last().cloned().unwrap();
    let oldest = held.first().cloned().unwrap();
    app.run(vec![newest]);
    let len = app.state.bugs.len();
    let ids: Vec<i64> = app.state.bugs.rows.iter().map(|b| b.id).collect();
    app.run(vec![oldest]);
    assert_eq!(
        app.state.bugs.len(),
        len,
        "the reply for \"w\" did not replace \"walru\""
    );
    let after: Vec<i64> = app.state.bugs.rows.iter().map(|b| b.id).collect();
    assert_eq!(after, ids);
    assert_eq!(len, BUGS / 500, "every 500th bug has a walrus");

    // A reply built by hand for an older generation is dropped too.
    let old = app.state.bugs.generation - 1;
    let fx = app.state.update(Msg::Window(WindowReply {
        generation: old,
        offset: 0,
        total: 1,
        rows: Rows::Bugs(Vec::new()),
        shape: None,
        select: Some(0),
        reload: true,
    }));
    assert!(fx.is_empty());
    assert_eq!(app.state.bugs.len(), len);
}

/// Typing a filter while the store thread is still counting: every key queues a read of a new
/// generation, and each read a newer one was asked for before it ran is stopped inside
/// SQLite — no reply, no error on screen — so only the last query's count is waited for. An
/// edit made meanwhile is never stopped.
#[test]
fn reads_of_a_superseded_filter_stop_without_a_reply_or_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    app.act(Action::Filter);
    app.hold = true;
    app.typed("zebr");
    app.hold = false;
    let held = std::mem::take(&mut app.held);
    assert!(held.len() >= 4, "one read per key: {held:?}");
    // The UI queues every request before the store thread reaches the first.
    let generation = |e: &Effect| match e {
        Effect::LoadWindow(r) => r.generation,
        other => panic!("not a window read: {other:?}"),
    };
    for e in &held {
        app.exec.stale_reads().asked(Tab::Bugs, generation(e));
    }
    let newest = generation(held.last().unwrap());
    let mut replies = Vec::new();
    for e in held {
        for m in app.run_unfed(e) {
            match m {
                Msg::Window(r) => replies.push(r.generation),
                Msg::EffectFailed(why) => panic!("a stopped read is not an error: {why}"),
                _ => {}
            }
        }
    }
    assert_eq!(
        replies,
        vec![newest],
        "only the newest generation is answered"
    );
    app.typed("a");
    app.input(InputKey::Enter);
    assert_eq!(app.state.bugs.len(), 1, "\"zebra\" is in one title");
    assert_eq!(app.selected().title, "bug 4321: the Zebra crossing fails");

    // With newer generations asked for and no read begun, an edit runs to the end.
    app.exec.stale_reads().asked(Tab::Bugs, newest + 10);
    let id = app.selected().id;
    app.act(Action::CloseBug);
    app.typed("fixed");
    app.input(InputKey::Enter);
    if app.state.overlay.is_some() {
        app.input(InputKey::Char('y'));
    }
    let (status, queued): (String, i64) = app
        .store()
        .conn()
        .query_row(
            "SELECT status, (SELECT count(*) FROM outbox WHERE entity_kind = 'bug' \
             AND entity_id = ?1) FROM bugs WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), queued), ("closed", 1));
}

/// REGRESSION: the position query compared `t.status = 'closed' < ?` (SQLite binds `<` before
/// `=`), so a closed bug's position was in the open part and a reload "followed" it there.
#[test]
fn every_rows_position_is_its_index_in_the_ordered_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_bugs(dir.path());
    for (filter, sort) in [
        ("", 0),
        ("", 1),
        ("", 3),
        ("walrus", 0),
        ("dev1", 2),
        ("area:3", 4),
    ] {
        let q = ListQuery {
            filter: filter.into(),
            sort,
        };
        let list = store.load_bugs_window(&q, 0, BUGS).unwrap();
        assert_eq!(store.list_count(Tab::Bugs, &q).unwrap(), list.len());
        for (i, b) in list.iter().enumerate().step_by(7) {
            assert_eq!(
                store.list_position(Tab::Bugs, &q, b.id).unwrap(),
                Some(i),
                "{b:?} with {q:?}"
            );
        }
    }
    let hidden = store.load_bugs(None).unwrap()[1].id;
    let q = ListQuery {
        filter: "zebra".into(),
        sort: 0,
    };
    assert_eq!(store.list_position(Tab::Bugs, &q, hidden).unwrap(), None);
}

/// A far jump shows the old frame until the window holding its target lands, and keys
/// pressed meanwhile count from the target.
#[test]
fn a_far_jump_keeps_the_old_frame_until_its_window_lands() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let all = all_bugs(app.store());
    app.hold = true;
    app.act(Action::SelectLast);
    assert_eq!(app.state.bugs.selected, 0, "not moved yet");
    assert_eq!(
        app.selected().id,
        all[0].id,
        "never a wrong row under the cursor"
    );
    assert_eq!(app.state.bugs.pending, Some(BUGS - 1));
    app.act(Action::SelectPrev);
    assert_eq!(app.state.bugs.pending, Some(BUGS - 2));
    app.hold = false;
    let held = std::mem::take(&mut app.held);
    app.run(held);
    assert_eq!(app.state.bugs.selected, BUGS - 2);
    assert_eq!(app.selected().id, all[BUGS - 2].id);
    assert_eq!(app.state.bugs.pending, None);
}

/// A comment on two bugs marked in a filtered view asks first, quoting what was typed, and
/// queues the text unchanged for both of them — not for the cursor row alone.
#[test]
fn a_comment_on_two_marked_bugs_in_a_filtered_view_quotes_and_queues_the_typed_text() {
    const TEXT: &str = "Seen again after «v3.6.3» — 'walrus' in the logs ✓";
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    app.act(Action::Filter);
    app.typed("walrus");
    app.input(InputKey::Enter);
    assert_eq!(app.state.bugs.len(), BUGS / 500);
    let first = app.selected().clone();
    app.act(Action::ToggleMark);
    let second = app.selected().clone();
    assert_ne!(first.id, second.id, "a mark moves the cursor down");
    app.act(Action::ToggleMark);
    app.act(Action::Comment);
    app.typed(TEXT);
    app.input(InputKey::Enter);
    let Some(opsdeck::app::state::Overlay::Confirm { message, .. }) = app.state.overlay.clone()
    else {
        panic!("a comment on two bugs asks first");
    };
    assert!(
        message.starts_with(&format!("Comment “{TEXT}” on 2 bugs: ")),
        "{message}"
    );
    assert!(
        message.contains(&first.key) && message.contains(&second.key),
        "{message}"
    );
    app.input(InputKey::Char('y'));
    let mut queued: Vec<(i64, opsdeck::store::Operation)> = app
        .store()
        .list_outbox(50)
        .unwrap()
        .into_iter()
        .map(|e| (e.entity.id, e.op))
        .collect();
    queued.sort_by_key(|(id, _)| *id);
    let mut want: Vec<(i64, opsdeck::store::Operation)> = [first.id, second.id]
        .into_iter()
        .map(|id| {
            let body = TEXT.to_owned();
            (id, opsdeck::store::Operation::AddBugComment { body })
        })
        .collect();
    want.sort_by_key(|(id, _)| *id);
    assert_eq!(queued, want);
}
