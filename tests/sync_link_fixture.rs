//! The `Link` parser against GitHub's recorded pagination headers.

use opsdeck::sync::link;
use url::Url;

const FIXTURE: &str = include_str!("fixtures/headers-pagination-and-rate-limit.txt");

fn link_lines() -> Vec<&'static str> {
    FIXTURE
        .lines()
        .filter_map(|l| l.strip_prefix("link: "))
        .collect()
}

fn base() -> Url {
    Url::parse("https://api.github.com/repos/octokit-fixture-org/paginate-issues/issues?per_page=3")
        .unwrap()
}

#[test]
fn the_first_recorded_page_points_to_page_two_and_the_last_page() {
    let links = link::parse(link_lines()[0], &base());
    assert_eq!(
        links["next"].as_str(),
        "https://api.github.com/repositories/1000/issues?per_page=3&page=2"
    );
    assert_eq!(
        links["last"].as_str(),
        "https://api.github.com/repositories/1000/issues?per_page=3&page=5"
    );
    assert_eq!(links.len(), 2);
}

#[test]
fn a_middle_page_has_all_four_relations() {
    let links = link::parse(link_lines()[1], &base());
    let rels: Vec<&str> = links.keys().map(String::as_str).collect();
    assert_eq!(rels, ["first", "last", "next", "prev"]);
    assert!(links["next"].as_str().ends_with("page=3"));
    assert!(links["prev"].as_str().ends_with("page=1"));
}

#[test]
fn following_next_walks_pages_two_to_five_and_stops_on_the_last_page() {
    let pages: Vec<Option<String>> = link_lines()
        .iter()
        .map(|l| link::next(l, &base()).map(|u| u.query().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        pages,
        [
            Some("per_page=3&page=2".to_owned()),
            Some("per_page=3&page=3".to_owned()),
            Some("per_page=3&page=4".to_owned()),
            None,
        ]
    );
}
