//! Every edit touches only its own bytes and addresses the intended item.

use opsdeck::checklist::edit::{
    delete_item, find_item, insert_item_after, insert_item_before, move_item_down, move_item_up,
    set_checked, set_owner, set_text, EditError,
};
use opsdeck::checklist::parse::{parse, ItemKey};
use rstest::rstest;

/// Key of the `n`-th item (document order) of `src`.
fn key(src: &str, n: usize) -> ItemKey {
    parse(src).items[n].key()
}

#[rstest]
#[case::check_lf("- [ ] a\n", 0, true, "- [x] a\n")]
#[case::uncheck_lower("- [x] a\n", 0, false, "- [ ] a\n")]
#[case::uncheck_upper("- [X] a\n", 0, false, "- [ ] a\n")]
#[case::upper_x_kept_when_already_checked("- [X] a\n", 0, true, "- [X] a\n")]
#[case::crlf_and_trailing_blanks_kept(
    "- [ ] a \t\r\n- [ ] b\r\n",
    1,
    true,
    "- [ ] a \t\r\n- [x] b\r\n"
)]
#[case::no_final_newline("- [ ] a\n- [ ] b", 1, true, "- [ ] a\n- [x] b")]
#[case::tab_state_char_replaced("- [\t] a\n", 0, true, "- [x] a\n")]
#[case::paren_marker("1) [ ] a\n2) [ ] b\n", 1, true, "1) [ ] a\n2) [x] b\n")]
#[case::non_ascii_neighbours("- [ ] ✅ é\n- [ ] 日本\n", 1, true, "- [ ] ✅ é\n- [x] 日本\n")]
fn set_checked_changes_only_the_state_byte(
    #[case] src: &str,
    #[case] n: usize,
    #[case] checked: bool,
    #[case] expected: &str,
) {
    assert_eq!(set_checked(src, &key(src, n), checked).unwrap(), expected);
}

#[test]
fn identical_texts_are_told_apart_by_occurrence() {
    let src = "## S\n- [ ] deploy\n- [ ] other\n- [ ] deploy\n";
    let second = parse(src).items[2].key();
    assert_eq!(second.occurrence, 1);
    let out = set_checked(src, &second, true).unwrap();
    assert_eq!(out, "## S\n- [ ] deploy\n- [ ] other\n- [x] deploy\n");
    let out = set_text(src, &second, "deploy again").unwrap();
    assert_eq!(out, "## S\n- [ ] deploy\n- [ ] other\n- [ ] deploy again\n");
}

#[test]
fn a_key_whose_duplicate_count_changed_is_ambiguous_not_guessed() {
    let before = "- [ ] deploy\n- [ ] deploy\n";
    let k = key(before, 1);
    let now = "- [ ] deploy\n- [ ] deploy\n- [ ] deploy\n";
    assert!(matches!(
        set_checked(now, &k, true),
        Err(EditError::Ambiguous {
            expected: 2,
            found: 3,
            ..
        })
    ));
    let gone = "- [ ] deploy now\n";
    assert!(matches!(
        set_checked(gone, &k, true),
        Err(EditError::NotFound { .. })
    ));
    assert!(find_item(&parse(before), &k).is_ok());
}

#[rstest]
#[case::keeps_trailing_whitespace_and_crlf("- [ ] old text  \r\n", "new", "- [ ] new  \r\n")]
#[case::keeps_formatting_outside_the_span("1. [x] **old**\n", "`new`", "1. [x] `new`\n")]
#[case::numbered_text("- [ ] 12. Create app\n", "13. Create app", "- [ ] 13. Create app\n")]
#[case::empty_item_gets_a_separator("- [ ]\n", "text", "- [ ] text\n")]
#[case::no_final_newline("- [ ] a", "ü", "- [ ] ü")]
fn set_text_rewrites_only_the_text_span(
    #[case] src: &str,
    #[case] text: &str,
    #[case] expected: &str,
) {
    assert_eq!(set_text(src, &key(src, 0), text).unwrap(), expected);
}

#[rstest]
#[case::multi_line("a\nb")]
#[case::leading_blank(" a")]
#[case::trailing_tab("a\t")]
fn set_text_refuses_text_that_would_not_round_trip(#[case] text: &str) {
    let src = "- [ ] old\n";
    assert!(matches!(
        set_text(src, &key(src, 0), text),
        Err(EditError::InvalidInput(_))
    ));
}

#[rstest]
#[case::append("- [ ] deploy  \n", Some("bob"), "- [ ] deploy @bob  \n")]
#[case::replace("- [ ] deploy @alice\n", Some("bob"), "- [ ] deploy @bob\n")]
#[case::remove("- [ ] deploy \t@alice \n", None, "- [ ] deploy \n")]
#[case::onto_empty_item("- [ ]\n", Some("bob"), "- [ ] @bob\n")]
fn set_owner_edits_only_the_trailing_owner(
    #[case] src: &str,
    #[case] owner: Option<&str>,
    #[case] expected: &str,
) {
    assert_eq!(set_owner(src, &key(src, 0), owner).unwrap(), expected);
}

#[test]
fn set_owner_refuses_names_with_spaces() {
    let src = "- [ ] a\n";
    assert!(matches!(
        set_owner(src, &key(src, 0), Some("a b")),
        Err(EditError::InvalidInput(_))
    ));
}

#[rstest]
#[case::after_copies_indent_and_marker(
    "- x\n  * [x] a\n  * [ ] b\n",
    0,
    true,
    "new",
    "- x\n  * [x] a\n  * [ ] new\n  * [ ] b\n"
)]
#[case::before_in_crlf_file("1) [ ] a\r\n", 0, false, "new", "1) [ ] new\r\n1) [ ] a\r\n")]
#[case::after_last_line_without_newline(
    "- [ ] a\n- [ ] b",
    1,
    true,
    "c",
    "- [ ] a\n- [ ] b\n- [ ] c"
)]
#[case::after_a_parent_goes_below_its_children(
    "- [ ] p\n  - [ ] c\n- [ ] q\n",
    0,
    true,
    "new",
    "- [ ] p\n  - [ ] c\n- [ ] new\n- [ ] q\n"
)]
#[case::tabs_in_indentation_copied("-\t[X] a\n", 0, true, "b", "-\t[X] a\n-\t[ ] b\n")]
fn insert_makes_a_sibling_line(
    #[case] src: &str,
    #[case] n: usize,
    #[case] after: bool,
    #[case] text: &str,
    #[case] expected: &str,
) {
    let k = key(src, n);
    let out = if after {
        insert_item_after(src, &k, text)
    } else {
        insert_item_before(src, &k, text)
    };
    assert_eq!(out.unwrap(), expected);
}

#[rstest]
#[case::middle_line("- [ ] a\n- [x] b\n- [ ] c\n", 1, "- [ ] a\n- [ ] c\n")]
#[case::crlf("- [ ] a\r\n- [x] b\r\n", 0, "- [x] b\r\n")]
#[case::last_line_without_newline("- [ ] a\n- [ ] b", 1, "- [ ] a")]
#[case::identical_text_second_one("- [ ] d\n- [ ] e\n- [ ] d\n", 2, "- [ ] d\n- [ ] e\n")]
#[case::keeps_surrounding_trailing_blanks("- [ ] a  \n- [ ] b\n\t\n", 1, "- [ ] a  \n\t\n")]
fn delete_removes_only_the_item_line(#[case] src: &str, #[case] n: usize, #[case] expected: &str) {
    assert_eq!(delete_item(src, &key(src, n)).unwrap(), expected);
}

#[test]
fn delete_refuses_when_children_would_become_code() {
    let src = "- [ ] parent\n\n    - [ ] child\n";
    // Removing "- [ ] parent" would leave "    - [ ] child" as an indented code block.
    assert!(matches!(
        delete_item(src, &key(src, 0)),
        Err(EditError::Unverified(_))
    ));
}

#[rstest]
#[case::down("- [ ] a\n- [x] b\n- [ ] c\n", 0, false, "- [x] b\n- [ ] a\n- [ ] c\n")]
#[case::up_with_no_final_newline("- [ ] a\n- [x] b", 1, true, "- [x] b\n- [ ] a")]
#[case::up_carries_children(
    "- [ ] a\n- [ ] b\n  - [ ] b1\n",
    1,
    true,
    "- [ ] b\n  - [ ] b1\n- [ ] a\n"
)]
#[case::crlf_line_endings_stay("1. [ ] a\r\n2. [ ] b\r\n", 0, false, "2. [ ] b\r\n1. [ ] a\r\n")]
#[case::blank_line_between_loose_items("- [ ] a\n\n- [ ] b\n", 1, true, "- [ ] b\n\n- [ ] a\n")]
fn move_swaps_with_the_sibling(
    #[case] src: &str,
    #[case] n: usize,
    #[case] up: bool,
    #[case] expected: &str,
) {
    let k = key(src, n);
    let out = if up {
        move_item_up(src, &k)
    } else {
        move_item_down(src, &k)
    };
    assert_eq!(out.unwrap(), expected);
}

#[rstest]
#[case::first_item_cannot_move_up("- [ ] a\n- [ ] b\n", 0, true)]
#[case::last_item_cannot_move_down("- [ ] a\n- [ ] b\n", 1, false)]
#[case::child_does_not_leave_its_parent("- [ ] a\n  - [ ] a1\n- [ ] b\n", 1, false)]
fn move_without_a_sibling_is_refused(#[case] src: &str, #[case] n: usize, #[case] up: bool) {
    let k = key(src, n);
    let out = if up {
        move_item_up(src, &k)
    } else {
        move_item_down(src, &k)
    };
    assert!(matches!(out, Err(EditError::NoSibling(_))));
}

#[test]
fn line_edits_refuse_an_item_sharing_its_line_with_another_marker() {
    let src = "- - [ ] inner\n";
    let k = key(src, 0);
    assert_eq!(parse(src).items[0].depth, 1);
    assert!(matches!(
        delete_item(src, &k),
        Err(EditError::NotLineAddressable(_))
    ));
    assert_eq!(set_checked(src, &k, true).unwrap(), "- - [x] inner\n");
}
