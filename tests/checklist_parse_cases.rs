//! What counts as a task item, and what each item records, on small hand-written documents.

use opsdeck::checklist::parse::{parse, task_code, LineEnding};
use rstest::rstest;

fn texts(src: &str) -> Vec<String> {
    parse(src).items.into_iter().map(|i| i.text).collect()
}

#[rstest]
#[case::backtick_fence("```\n- [ ] fenced\n```\n- [ ] real\n")]
#[case::tilde_fence("~~~md\n- [x] fenced\n~~~\n- [ ] real\n")]
#[case::unclosed_fence_after_the_real_item("- [ ] real\n\n```\n- [ ] fenced forever\n")]
#[case::indented_code_block("para\n\n    - [ ] indented code\n\n- [ ] real\n")]
#[case::html_block("<details>\n- [ ] inside html\n</details>\n\n- [ ] real\n")]
#[case::block_quote_example("> - [ ] quoted example\n\n- [ ] real\n")]
#[case::nested_block_quote("> > * [x] deep quote\n\n- [ ] real\n")]
#[case::item_inside_a_quoted_list("> 1. outer\n>    - [ ] inner\n\n- [ ] real\n")]
#[case::plain_bracket_text("Not a task: [ ] or - [] or -[ ] x\n\n- [ ] real\n")]
fn task_looking_lines_outside_lists_are_not_tasks(#[case] src: &str) {
    assert_eq!(texts(src), vec!["real".to_string()]);
}

#[rstest]
#[case::dash("- [ ] a\n", "a", false)]
#[case::star("* [x] a\n", "a", true)]
#[case::plus("+ [X] a\n", "a", true)]
#[case::dot_number("1. [ ] a\n", "a", false)]
#[case::paren_number("1) [x] a\n", "a", true)]
#[case::big_paren_number("12) [ ] a\n", "a", false)]
#[case::text_starting_with_a_number("- [ ] 12. Create the app\n", "12. Create the app", false)]
#[case::bold_and_code("- [x] **Ship** `prod.yml` now\n", "**Ship** `prod.yml` now", true)]
#[case::trailing_blanks_not_in_text("- [ ] a b \t \n", "a b", false)]
#[case::tab_after_checkbox("- [ ]\tTabbed\n", "Tabbed", false)]
#[case::non_ascii("- [ ] Überprüfen 日本 ✅\n", "Überprüfen 日本 ✅", false)]
#[case::star_after_checkbox_is_text("- [x] * text\n", "* text", true)]
fn marker_styles_and_item_text(#[case] src: &str, #[case] text: &str, #[case] checked: bool) {
    let doc = parse(src);
    assert_eq!(doc.items.len(), 1);
    let it = &doc.items[0];
    assert_eq!(it.text, text);
    assert_eq!(&src[it.text_span.clone()], text);
    assert_eq!(it.checked, checked);
    assert_eq!(
        &src[it.checkbox - 1..it.checkbox + 2].chars().next(),
        &Some('[')
    );
    assert_eq!(&src[it.checkbox + 1..it.checkbox + 2], "]");
}

#[test]
fn nested_lists_record_depth_and_line_spans() {
    let src = "- [ ] parent\n  - [x] child\n    1. [ ] grandchild\n- plain\n  - [ ] under plain\n";
    let doc = parse(src);
    let got: Vec<(&str, usize, usize)> = doc
        .items
        .iter()
        .map(|i| (i.text.as_str(), i.depth, i.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("parent", 0, 1),
            ("child", 1, 2),
            ("grandchild", 2, 3),
            ("under plain", 1, 5)
        ]
    );
    let child = &doc.items[1];
    assert_eq!(&src[child.line_span.clone()], "  - [x] child\n");
}

#[test]
fn crlf_documents_keep_crlf_out_of_text_and_in_line_spans() {
    let src = "# T\r\n\r\n## S\r\n- [ ] one  \r\n- [x] two\r\n";
    let doc = parse(src);
    assert_eq!(doc.line_ending, LineEnding::CrLf);
    assert_eq!(texts(src), vec!["one", "two"]);
    assert_eq!(&src[doc.items[0].line_span.clone()], "- [ ] one  \r\n");
}

#[test]
fn a_file_without_final_newline_still_has_its_last_item() {
    let src = "- [ ] first\n- [x] last";
    let doc = parse(src);
    assert!(!doc.ends_with_newline);
    assert_eq!(doc.line_ending, LineEnding::Lf);
    assert_eq!(&src[doc.items[1].line_span.clone()], "- [x] last");
    assert_eq!(doc.items[1].text, "last");
}

#[test]
fn identical_texts_get_occurrence_indices_per_section() {
    let src = "## A\n- [ ] same\n- [x] same\n## B\n- [ ] same\n";
    let doc = parse(src);
    let occ: Vec<(usize, usize, bool)> = doc
        .items
        .iter()
        .map(|i| (i.occurrence, i.occurrences, i.checked))
        .collect();
    assert_eq!(occ, vec![(0, 2, false), (1, 2, true), (0, 1, false)]);
}

#[test]
fn atx_and_setext_headings_build_the_section_tree() {
    let src = "Plan\n====\n\nWeek 2\n------\n\n### Group A\n- [x] a1\n- [ ] a2\n\n### Group B\n- [ ] b1\n\n# Appendix\n- [ ] z\n";
    let doc = parse(src);
    // Two level-1 headings (one setext, one ATX): no title, both are top-level sections.
    assert!(doc.title.is_none());
    let tops: Vec<&str> = doc
        .sections
        .iter()
        .map(|s| s.heading.text.as_str())
        .collect();
    assert_eq!(tops, vec!["Plan", "Appendix"]);
    let week = &doc.sections[0].children[0];
    assert_eq!(
        (
            week.heading.text.as_str(),
            week.heading.level,
            week.heading.line
        ),
        ("Week 2", 2, 4)
    );
    assert_eq!(&src[week.heading.span.clone()], "Week 2\n------\n");
    let groups: Vec<(&str, usize, usize)> = week
        .children
        .iter()
        .map(|g| {
            (
                g.heading.text.as_str(),
                g.progress(&doc).done,
                g.progress(&doc).total,
            )
        })
        .collect();
    assert_eq!(groups, vec![("Group A", 1, 2), ("Group B", 0, 1)]);
    assert_eq!(doc.items[2].section_path, vec!["Plan", "Week 2", "Group B"]);
    assert_eq!(doc.items[3].section_path, vec!["Appendix"]);
}

#[test]
fn a_single_h1_is_the_title_and_items_before_sections_belong_to_the_document() {
    let src = "# Title\n- [ ] loose\n## Section\n- [ ] inside\n";
    let doc = parse(src);
    assert_eq!(doc.title.as_ref().unwrap().text, "Title");
    assert_eq!(doc.root_items, vec![0]);
    assert!(doc.items[0].section_path.is_empty());
    assert_eq!(doc.items[1].section_path, vec!["Section"]);
    assert_eq!(doc.sections[0].items, vec![1]);
}

#[rstest]
#[case::code_in_bold("**P2-W2-A1** set up repo", Some("P2-W2-A1"))]
#[case::two_segments("fix W3-B12 now", Some("W3-B12"))]
#[case::single_segment_is_not_a_code("priority P1 only", None)]
#[case::lowercase_is_not_a_code("p2-w2-a1", None)]
#[case::glued_to_a_word_is_not_a_code("XP2-W2", None)]
#[case::trailing_letter_falls_back_to_shorter_code("P2-W2-A1b", Some("P2-W2"))]
fn task_codes(#[case] text: &str, #[case] code: Option<&str>) {
    assert_eq!(task_code(text).as_deref(), code);
}

#[rstest]
#[case::trailing_owner("- [ ] deploy @alice\n", Some("alice"))]
#[case::owner_with_dots("- [ ] deploy @ops.team-1\n", Some("ops.team-1"))]
#[case::owner_in_the_middle_is_not_the_owner("- [ ] ask @bob about it\n", None)]
#[case::email_is_not_an_owner("- [ ] mail a@b.c\n", None)]
#[case::only_an_owner("- [ ] @carol\n", Some("carol"))]
fn trailing_owner(#[case] src: &str, #[case] owner: Option<&str>) {
    assert_eq!(parse(src).items[0].owner.as_deref(), owner);
}

#[test]
fn task_code_is_found_in_item_text() {
    let doc = parse("- [ ] P2-W2-A1 Initialize app @devops\n");
    assert_eq!(doc.items[0].code.as_deref(), Some("P2-W2-A1"));
    assert_eq!(doc.items[0].owner.as_deref(), Some("devops"));
}
