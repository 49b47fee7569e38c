//! Generated documents: toggling any item changes exactly one byte, and only real tasks count.

use opsdeck::checklist::edit::set_checked;
use opsdeck::checklist::parse::parse;
use proptest::prelude::*;

/// One block of a generated document and how many real task items it holds.
#[derive(Debug, Clone)]
struct Block {
    lines: Vec<String>,
    tasks: usize,
}

fn item_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}( [a-z]{1,6}){0,2}".prop_map(|s| s),
        Just("12. Create `x`".to_string()),
        Just("**bold** ünï 日本".to_string()),
        Just("same".to_string()),
        Just("P2-W2-A1 task @owner".to_string()),
    ]
}

fn trailing() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(""), Just("  "), Just("\t"), Just(" \t ")]
}

fn state() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("[ ]"), Just("[x]"), Just("[X]")]
}

fn marker() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("-"), Just("*"), Just("+"), Just("1."), Just("1)")]
}

/// A task line as it would appear in a list.
fn task_line(indent: &'static str) -> impl Strategy<Value = String> {
    (marker(), state(), item_text(), trailing())
        .prop_map(move |(m, s, t, tr)| format!("{indent}{m} {s} {t}{tr}"))
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        // A list: top-level tasks, each optionally with one nested task.
        prop::collection::vec((task_line(""), prop::option::of(task_line("   "))), 1..4).prop_map(
            |rows| {
                let mut lines = Vec::new();
                for (top, nested) in rows {
                    lines.push(top);
                    lines.extend(nested);
                }
                let tasks = lines.len();
                Block { lines, tasks }
            }
        ),
        // Fenced code with task-looking lines.
        (
            prop_oneof![Just("```"), Just("~~~")],
            prop::collection::vec(task_line(""), 1..3)
        )
            .prop_map(|(f, body)| {
                let mut lines = vec![format!("{f}md")];
                lines.extend(body);
                lines.push(f.to_string());
                Block { lines, tasks: 0 }
            }),
        // A block quote used as an example.
        prop::collection::vec(task_line(""), 1..3).prop_map(|body| Block {
            lines: body.into_iter().map(|l| format!("> {l}")).collect(),
            tasks: 0,
        }),
        // An HTML block.
        task_line("").prop_map(|l| Block {
            lines: vec!["<div>".into(), l, "</div>".into()],
            tasks: 0,
        }),
        // Headings and paragraphs.
        "[A-Za-z ]{1,12}".prop_map(|t| Block {
            lines: vec![format!("## {t}")],
            tasks: 0
        }),
        "[A-Za-z\\[\\] ]{1,20}".prop_map(|t| Block {
            lines: vec![format!("x {t}")],
            tasks: 0
        }),
    ]
}

fn document() -> impl Strategy<Value = (String, usize)> {
    (
        prop::collection::vec(block(), 0..7),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(blocks, crlf, final_newline)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let tasks = blocks.iter().map(|b| b.tasks).sum();
            let lines: Vec<String> = blocks.into_iter().map(|b| b.lines.join(eol)).collect();
            let mut src = lines.join(&format!("{eol}{eol}"));
            if final_newline && !src.is_empty() {
                src.push_str(eol);
            }
            (src, tasks)
        })
}

/// Free-form line soup: any mix of indentation, markers, quotes and fences.
fn soup() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("- [ ] a"),
        Just("- [x] b"),
        Just("  * [X] c"),
        Just("    + [ ] d"),
        Just("1) [ ] 12. e"),
        Just("> - [ ] q"),
        Just("```"),
        Just("~~~"),
        Just("<!-- x -->"),
        Just("<div>"),
        Just(""),
        Just("\t- [ ] tab"),
        Just("# h"),
        Just("text"),
        Just("---"),
        Just("- [ ]"),
        Just("- - [ ] z"),
        Just("- [ ] é  "),
    ];
    (
        prop::collection::vec((fragment, prop_oneof![Just("\n"), Just("\r\n")]), 0..25),
        any::<bool>(),
    )
        .prop_map(|(parts, cut)| {
            let mut s: String = parts.iter().map(|(f, e)| format!("{f}{e}")).collect();
            if cut {
                s.truncate(s.trim_end_matches(['\r', '\n']).len());
            }
            s
        })
}

fn assert_toggles_touch_one_byte(src: &str) -> Result<(), TestCaseError> {
    let doc = parse(src);
    for (i, item) in doc.items.iter().enumerate() {
        let out = set_checked(src, &item.key(), !item.checked)
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(out.len(), src.len());
        let diff = src.bytes().zip(out.bytes()).filter(|(a, b)| a != b).count();
        prop_assert_eq!(diff, 1, "item {} {:?}", i, item.text);
        let again = parse(&out);
        prop_assert_eq!(again.items.len(), doc.items.len());
        prop_assert_eq!(again.items[i].checked, !item.checked);
        prop_assert_eq!(&again.items[i].text, &item.text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn only_list_tasks_count_and_each_toggle_changes_one_byte((src, tasks) in document()) {
        let doc = parse(&src);
        prop_assert_eq!(doc.items.len(), tasks, "{:?}", src);
        assert_toggles_touch_one_byte(&src)?;
    }

    #[test]
    fn any_line_soup_toggles_one_byte(src in soup()) {
        assert_toggles_touch_one_byte(&src)?;
    }
}

/// Flip the checkbox byte of `item` in `src`.
fn flip(src: &str, item: &opsdeck::checklist::parse::Item) -> String {
    opsdeck::checklist::edit::set_checked_at(src, item, !item.checked)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn delete_removes_exactly_one_line_or_refuses((src, _) in document(), pick in any::<prop::sample::Index>()) {
        let doc = parse(&src);
        prop_assume!(!doc.items.is_empty());
        let item = &doc.items[pick.index(doc.items.len())];
        match opsdeck::checklist::edit::delete_item(&src, &item.key()) {
            Ok(out) => {
                // The item's line goes; on a last line without newline, the previous line
                // ending goes with it so the file still ends without one.
                let mut span = item.line_span.clone();
                if !src[span.clone()].ends_with('\n') {
                    let before = &src[..span.start];
                    span.start -= if before.ends_with("\r\n") { 2 } else { usize::from(before.ends_with('\n')) };
                }
                let mut expected = src.clone();
                expected.replace_range(span, "");
                prop_assert_eq!(&out, &expected);
                prop_assert_eq!(parse(&out).items.len(), doc.items.len() - 1);
            }
            Err(e) => prop_assert!(
                matches!(e, opsdeck::checklist::edit::EditError::Unverified(_) | opsdeck::checklist::edit::EditError::NotLineAddressable(_)),
                "unexpected error {e}"
            ),
        }
    }

    #[test]
    fn insert_then_delete_restores_the_file((src, _) in document(), pick in any::<prop::sample::Index>()) {
        let doc = parse(&src);
        prop_assume!(!doc.items.is_empty());
        let item = &doc.items[pick.index(doc.items.len())];
        for before in [false, true] {
            let with_new = if before {
                opsdeck::checklist::edit::insert_item_before(&src, &item.key(), "brand new ü")
            } else {
                opsdeck::checklist::edit::insert_item_after(&src, &item.key(), "brand new ü")
            }
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let new_doc = parse(&with_new);
            prop_assert_eq!(new_doc.items.len(), doc.items.len() + 1);
            let new_item = new_doc.items.iter().find(|i| i.text == "brand new ü").unwrap();
            prop_assert_eq!(new_item.depth, item.depth);
            let back = opsdeck::checklist::edit::delete_item(&with_new, &new_item.key()).unwrap();
            prop_assert_eq!(&back, &src);
        }
    }

    /// RELIABILITY.md A8: the file changed elsewhere between enqueue and write.
    #[test]
    fn a_pending_toggle_merges_onto_external_changes_byte_exactly(
        (base, _) in document(),
        pick in any::<prop::sample::Index>(),
        others in prop::collection::vec(any::<bool>(), 32),
        append_fence in any::<bool>(),
    ) {
        let doc = parse(&base);
        prop_assume!(!doc.items.is_empty());
        let i = pick.index(doc.items.len());
        let op = opsdeck::checklist::merge::ItemOp::set_checked(&doc.items[i], !doc.items[i].checked);
        // Theirs: some other items toggled, and maybe a fence with a task-looking line appended.
        let mut theirs = base.clone();
        for (j, item) in doc.items.iter().enumerate() {
            if j != i && others[j % others.len()] {
                theirs = flip(&theirs, item);
            }
        }
        if append_fence {
            theirs.push_str("\n\n```\n- [ ] fenced\n```\n");
        }
        let merged = opsdeck::checklist::merge::rebase(&theirs, &[op]);
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts());
        prop_assert_eq!(merged.content, flip(&theirs, &doc.items[i]));
    }
}
