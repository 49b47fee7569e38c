//! RFC 8288 (ex-RFC 5988) `Link` header parsing for pagination: `rel` → absolute URL.
//!
//! Vendors say "follow the Link header, don't build page URLs yourself" (GitHub). Commas
//! may appear inside `<…>` and quoted parameters, so the header is scanned, not split.

use std::collections::BTreeMap;

use url::Url;

/// Parses a `Link` header value into a map from lower-cased relation type to URL.
///
/// Relative targets are resolved against `base` (the request URL). A `rel` with several
/// space-separated types (`rel="next last"`) maps each of them; the first link for a
/// relation wins. Malformed entries are skipped, never fatal.
pub fn parse(value: &str, base: &Url) -> BTreeMap<String, Url> {
    let mut links = BTreeMap::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after_open = &rest[open + 1..];
        let Some(close) = after_open.find('>') else {
            break;
        };
        let target = after_open[..close].trim();
        let (params, next) = split_params(&after_open[close + 1..]);
        rest = next;
        let Ok(url) = base.join(target) else {
            continue;
        };
        for rel in rel_types(params) {
            links.entry(rel).or_insert_with(|| url.clone());
        }
    }
    links
}

/// Convenience: the `rel="next"` URL of a `Link` header, if any.
pub fn next(value: &str, base: &Url) -> Option<Url> {
    parse(value, base).remove("next")
}

/// Splits `; rel="x"; title="a,b", <next…>` into this link's parameters and the remainder.
fn split_params(s: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

fn rel_types(params: &str) -> Vec<String> {
    params
        .split(';')
        .filter_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("rel")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .take(1)
        .flat_map(|v| {
            v.split_ascii_whitespace()
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.github.com/repos/o/r/issues?per_page=3").unwrap()
    }

    #[test]
    fn relative_targets_resolve_against_the_request_url_and_rel_lists_map_each() {
        let links = parse(r#"</issues?page=2>; rel="next last""#, &base());
        let expected = "https://api.github.com/issues?page=2";
        assert_eq!(links["next"].as_str(), expected);
        assert_eq!(links["last"].as_str(), expected);
    }

    #[test]
    fn commas_inside_urls_and_quoted_params_do_not_split_links() {
        let value =
            r#"<https://x.test/a?q=1,2>; title="a, b"; rel=next, <https://x.test/z>; REL="Prev""#;
        let links = parse(value, &base());
        assert_eq!(links["next"].as_str(), "https://x.test/a?q=1,2");
        assert_eq!(links["prev"].as_str(), "https://x.test/z");
    }

    #[test]
    fn garbage_yields_no_links_instead_of_an_error() {
        assert!(parse("", &base()).is_empty());
        assert!(parse("<unterminated; rel=next", &base()).is_empty());
        assert!(parse("<https://x.test/a>; title=\"no rel\"", &base()).is_empty());
        assert_eq!(next("nonsense, , ;", &base()), None);
    }
}
