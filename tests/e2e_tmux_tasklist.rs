//! The real binary in tmux against the GitHub fake, with a plan kept in an issue body
//! (`kind = "github-tasklist"`): `6` shows the issue's task list, `space` toggles an item and
//! the fake receives one PATCH whose body differs from the body before it in exactly that line,
//! keeping a line someone else ticked meanwhile; a toggle of a line someone else rewrote is
//! shown as a conflict and nothing is written. Needs tmux (scripts/install-deps.sh); fails
//! loudly without it.

mod github_fake;

use std::process::Command;
use std::time::{Duration, Instant};

use github_fake::GithubFake;
use serde_json::Value;

const BODY: &str = "Tracking issue for the rollout.\r\n\r\n## Prepare\r\n\r\n- [ ] Freeze the schema\r\n- [x] Announce in #ops\r\n\r\n## Ship\r\n\r\n- [ ] Deploy canary\r\n- [ ] Watch error budget\r\n";

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "tmux is required for this test: run `bash scripts/install-deps.sh` (it installs tmux)"
        );
        Tmux {
            socket: format!("opsdeck-e2e-tasklist-{}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// Polls the screen (bounded) until `pred` holds; returns the screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "t", keys]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// The line under the detail pane's title: the selected item's text.
fn selected(screen: &str) -> String {
    let mut lines = screen.lines().skip_while(|l| !l.contains("Completion"));
    lines.nth(1).unwrap_or("").to_owned()
}

fn row<'a>(screen: &'a str, text: &str) -> &'a str {
    screen.lines().find(|l| l.contains(text)).unwrap_or("")
}

/// Bodies of the PATCH requests received so far, waiting (bounded) until there are `n`.
async fn patches(fake: &GithubFake, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got: Vec<String> = fake
            .server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() != "GET")
            .map(|r| {
                assert_eq!(r.method.as_str(), "PATCH");
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                v["body"].as_str().unwrap().to_owned()
            })
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {n} PATCH");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_task_list_is_toggled_from_the_checklist_tab() {
    let fake = GithubFake::start().await;
    let mut issue = GithubFake::issue(7, &[], &[]);
    issue.title = "Rollout plan".into();
    issue.body = Some(BODY.into());
    fake.add(issue);
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = (dir.path().join("config"), dir.path().join("data"));
    std::fs::create_dir_all(&config).unwrap();
    // A long interval: pulls happen at start and on `r` only, so each step below is exact.
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[sources]]\nname = \"plans\"\nkind = \"github-tasklist\"\nbase_url = \"{}\"\nissues = [\"octo/hello#7\"]\ntoken_env = \"FAKE_TOKEN\"\ninterval = \"1h\"\n",
            fake.uri()
        ),
    )
    .unwrap();
    let tmux = Tmux::new();
    let cmd = format!(
        "env -u NO_COLOR FAKE_TOKEN=t OPSDECK_CONFIG_DIR={} OPSDECK_DATA_DIR={} {}",
        config.display(),
        data.display(),
        env!("CARGO_BIN_EXE_opsdeck")
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "24",
        &cmd,
    ]);
    tmux.wait_for("the first frame", |s| s.contains("Checklist"));
    tmux.keys("6");
    let s = tmux.wait_for("the issue's task list", |s| {
        s.contains("octo/hello#7 Rollout plan") && s.contains("Watch error budget")
    });
    println!("{s}");
    assert!(row(&s, "Freeze the schema").contains("[ ]"));
    assert!(row(&s, "Announce in #ops").contains("[x]"));

    // Someone else ticks another line; we tick "Deploy canary".
    fake.edit(7, |i| {
        i.body = Some(BODY.replace("- [ ] Freeze the schema", "- [x] Freeze the schema"));
    });
    let theirs = fake.get(7).body.unwrap();
    tmux.keys("j");
    tmux.keys("j");
    tmux.wait_for("Deploy canary selected", |s| {
        selected(s).contains("Deploy canary")
    });
    tmux.keys("Space");
    let sent = patches(&fake, 1).await;
    assert_eq!(sent.len(), 1, "one PATCH");
    assert_eq!(
        changed_lines(&theirs, &sent[0]),
        vec![(
            "- [ ] Deploy canary\r\n".to_owned(),
            "- [x] Deploy canary\r\n".to_owned()
        )]
    );
    let s = tmux.wait_for("the pushed toggle and their tick", |s| {
        row(s, "Deploy canary").contains("[x]")
            && row(s, "Freeze the schema").contains("[x]")
            && s.contains("outbox empty")
    });
    println!("{s}");

    // Someone else rewrites "Watch error budget"; our toggle of that line is a conflict.
    fake.edit(7, |i| {
        let b = i.body.clone().unwrap();
        i.body = Some(b.replace("Watch error budget", "Watch error budget for 1h"));
    });
    let before = fake.get(7).body.unwrap();
    tmux.keys("j");
    tmux.wait_for("Watch error budget selected", |s| {
        selected(s).contains("Watch error budget")
    });
    tmux.keys("Space");
    let s = tmux.wait_for("the conflict", |s| s.contains("1 conflict"));
    println!("{s}");
    assert!(row(&s, "Watch error budget").starts_with("│!"), "{s}");
    assert_eq!(patches(&fake, 1).await.len(), 1, "nothing more written");
    assert_eq!(fake.get(7).body.unwrap(), before);

    tmux.keys("q");
}
