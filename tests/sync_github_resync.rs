//! GitHub Issues re-syncs where the change sits on the last page while page 1 is unchanged.

mod github_fake;

use opsdeck::sync::{Build as _, Source as _};
use std::sync::Arc;

use chrono::Utc;
use github_fake::{config_toml, epoch, GithubFake};
use opsdeck::config::Config;
use opsdeck::store::Store;
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::http::Clock;
use opsdeck::sync::secret::Secret;

#[allow(clippy::disallowed_methods)]
fn real_clock() -> Clock {
    Arc::new(Utc::now)
}

fn source(uri: &str) -> GithubSource {
    let config = Config::parse(&config_toml("gh", uri, "UNUSED_TOKEN_VAR"), "t.toml").unwrap();
    GithubSource::with_http(
        &config.sources[0],
        Some(Secret::new("ghp_test")),
        real_clock(),
        |_| {},
    )
    .unwrap()
}

fn labels_of(store: &Store, key: &str) -> String {
    store
        .conn()
        .query_row("SELECT labels FROM bugs WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .unwrap()
}

/// REGRESSION: issue #11 defect 4 (GitHub Issues). With 150 issues updated in the cursor's
/// second, the `since` list has two pages; its page-1 ETag was stored, so after an issue moved
/// to the end of the `updated` order (the last page) the next pull got a 304 on page 1 and
/// never saw it.
#[tokio::test]
async fn an_update_on_the_last_page_syncs_although_page_one_is_unchanged() {
    let fake = GithubFake::start().await;
    let t = epoch().timestamp() + 50;
    for n in 1..=150 {
        let mut issue = GithubFake::issue(n, &["bug"], &[]);
        issue.updated_at = t;
        fake.add(issue);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("c.db")).unwrap();
    let mut src = source(&fake.uri());
    let now = real_clock()();
    src.pull(&mut store, now).await.unwrap(); // no cursor: every issue
    src.pull(&mut store, now).await.unwrap(); // since = t: the same 150, two pages

    fake.edit(150, |i| i.labels = vec!["bug".into(), "P0".into()]);
    src.pull(&mut store, now).await.unwrap();
    assert!(
        labels_of(&store, "#150").contains("P0"),
        "the update on the last page reached the cache: {}",
        labels_of(&store, "#150")
    );

    // Once the cursor moved past the crowded second, an unchanged re-sync is one request
    // (after the one that stores the ETag of the one-page list).
    src.pull(&mut store, now).await.unwrap();
    fake.clear_log();
    let report = src.pull(&mut store, now).await.unwrap();
    assert_eq!(report.requests, 1, "{:?}", fake.log());
    assert!(
        fake.log()[0].if_none_match.is_some(),
        "a conditional request"
    );
    assert_eq!(report.fetched, 0);
}

/// Round trip: a comment and a label with Unicode, quotes and newlines, and an assignee,
/// arrive at the fake byte-exact and read back into the cache unchanged after the next sync.
#[tokio::test]
async fn typed_comment_label_and_assignee_arrive_byte_exact_and_read_back() {
    use opsdeck::domain::{EntityKind, EntityRef};
    use opsdeck::store::Operation;
    use opsdeck::sync::engine::{drain_outbox, http_clock, Connector, Remote};

    let fake = GithubFake::start().await;
    fake.add(GithubFake::issue(7, &["bug"], &[]));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("c.db")).unwrap();
    let clock = opsdeck::clock::system();
    let config = Config::parse(&config_toml("gh", &fake.uri(), "UNUSED"), "t.toml").unwrap();
    let gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new("ghp_test")),
        http_clock(&clock),
    )
    .unwrap();
    let mut remote = Connector::Github(gh);
    remote.pull(&mut store, clock.now()).await.unwrap();
    let id: i64 = store
        .conn()
        .query_row("SELECT id FROM bugs WHERE key = '#7'", [], |r| r.get(0))
        .unwrap();
    let entity = EntityRef {
        kind: EntityKind::Bug,
        id,
    };
    let comment = "Repro: `curl -H \"X-Id: 1\"` → 502 on 東京 edge\nsecond line: it's «fixed»?";
    let label = "customer:café \"β\"";
    for op in [
        Operation::AddBugComment {
            body: comment.into(),
        },
        Operation::AddBugLabel {
            label: label.into(),
        },
        Operation::SetBugAssignee {
            old: None,
            new: Some("octocat".into()),
        },
    ] {
        store
            .commit_edit(entity, &op, clock.now(), "me", &["gh".to_owned()])
            .unwrap();
    }
    drain_outbox(&mut remote, &mut store, "gh", &clock)
        .await
        .unwrap();
    assert_eq!(store.outbox_summary().unwrap().queued, 0);

    let remote_issue = fake.get(7);
    // The typed text byte-exact, then only opsdeck's hidden idempotency marker (by design).
    assert_eq!(remote_issue.comments.len(), 1);
    let tail = remote_issue.comments[0]
        .strip_prefix(comment)
        .unwrap_or_else(|| panic!("comment altered: {:?}", remote_issue.comments[0]));
    assert!(
        tail.starts_with("\n\n<!-- opsdeck:op:")
            && tail.ends_with(" -->")
            && tail.lines().count() == 3,
        "{tail:?}"
    );
    assert!(
        remote_issue.labels.iter().any(|l| l == label),
        "{:?}",
        remote_issue.labels
    );
    assert_eq!(remote_issue.assignees, vec!["octocat".to_owned()]);

    remote.pull(&mut store, clock.now()).await.unwrap();
    let bug = store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.id == id)
        .unwrap();
    assert!(bug.labels.iter().any(|l| l == label), "{:?}", bug.labels);
    assert_eq!(bug.assignee.as_deref(), Some("octocat"));
}
