//! Identifiers are never truncated: a cut id names a different item (`OPS-9955` shown as
//! `OPS-995`). Long ids (Jira `PLATFORM-123456`, GitHub `#123456`, 14-character PagerDuty
//! ids) are drawn whole at 80×24 and 120×40 on every tab; any other cut text ends in `…`.

mod ui_support;

use opsdeck::domain::Tab;
use ui_support::{demo_store, reload, render, screen, show, state_from};

fn long_ids() -> opsdeck::store::Store {
    let store = demo_store();
    store
        .conn()
        .execute_batch(
            "UPDATE bugs SET key = CASE WHEN key LIKE '#%' THEN '#' || (123400 + id) \
             ELSE 'PLATFORM-' || (123400 + id) END; \
             UPDATE incidents SET external_id = 'Q' || printf('%013d', 4200000 + id); \
             UPDATE alerts SET name = name || 'WithAVeryLongSuffixThatCannotFit';",
        )
        .unwrap();
    store
}

/// REGRESSION: the Jira list cut `OPS-9955` to `OPS-995` with no ellipsis at 120×40.
#[test]
fn long_ids_are_drawn_whole_at_80x24_and_120x40() {
    let store = long_ids();
    let mut state = state_from(&store);
    reload(&mut state, &store);
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        show(&mut state, &store, Tab::Bugs);
        let text = screen(&render(&state, w, h));
        let visible: Vec<&str> = state
            .bugs
            .view
            .iter()
            .take(8)
            .map(|i| state.bugs.rows[*i].key.as_str())
            .collect();
        assert!(visible.iter().any(|k| k.starts_with("PLATFORM-")));
        assert!(visible.iter().any(|k| k.starts_with('#')));
        for key in &visible {
            assert!(
                text.contains(&format!(" {key} ")),
                "{w}x{h}: {key} whole\n{text}"
            );
        }

        show(&mut state, &store, Tab::Incidents);
        let text = screen(&render(&state, w, h));
        let first = &state.incidents.rows[state.incidents.view[0]].external_id;
        assert_eq!(first.len(), 14);
        assert!(
            text.contains(&format!(" {first} ")),
            "{w}x{h}: {first}\n{text}"
        );
        // The alerts section: a name too long for its column ends in `…`.
        assert!(
            text.lines()
                .any(|l| l.contains("WithAVery") && l.contains('…')),
            "{w}x{h}: cut alert names end in …\n{text}"
        );
        assert!(
            !text.lines().any(|l| l.contains("WithAVery")
                && !l.contains('…')
                && !l.contains("WithAVeryLongSuffixThatCannotFit")),
            "{w}x{h}: no alert name cut without …\n{text}"
        );

        for tab in [Tab::Customers, Tab::Deployments, Tab::Slos, Tab::Checklist] {
            show(&mut state, &store, tab);
            let text = screen(&render(&state, w, h));
            assert!(!text.trim().is_empty(), "{tab:?} {w}x{h} draws");
        }
    }
}
