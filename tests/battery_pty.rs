//! RELIABILITY.md §7 D1 on a PTY byte capture of the real binary, through every connector's
//! fields. Fakes on 127.0.0.1 serve the hostile corpus (CSI, OSC 0/2/8/52/50, DCS, APC, PM,
//! SOS, C1, NUL/BEL/BS/CR/DEL, bidi, zero-width, combining floods) as: GitHub issue titles,
//! labels and assignees; Jira summaries, labels and assignee names; Redmine subjects, authors,
//! assignees and project names; PagerDuty incident titles, service and assignee names;
//! Alertmanager alert names, label values and annotations; GitHub deployment environments,
//! refs, creators and descriptions; and a local plan file's task lines. `opsdeck sync --once`
//! pulls them all through the connectors, `checklist import` reads the plan, then the TUI runs
//! in a pseudo-terminal (python3's `pty`, 160×50) while every tab is visited and scrolled;
//! every byte it writes is kept.
//!
//! Checked on the bytes: every ESC starts a CSI whose final byte is one the renderer uses
//! (SGR `m`, cursor position `H`, private modes `?…h`/`?…l`, erase `J`/`K`; `J` at most the
//! renderer's own few times), so no OSC/DCS/APC/PM/SOS, no ESC c, no cursor moves `A`–`D` and no
//! reports (`6n`, `21t`); no C0 byte but CR/LF and no 8-bit C1; no bidi or zero-width character
//! from the corpus. Also: each connector's rows reached the cache (so the tab had them to show),
//! and the canary token is in no log, cache, report or screen byte. Quick tier: 280 strings
//! (40 per connector × 6 + 40 plan lines); long tier: 1,400 (200 each).
//!
//! Not covered here: Prometheus label values and SLO names (SLO names come from the config,
//! and the SLO tab shows computed figures, not label values).

mod battery_common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use battery_common::{bad_char, corpus, record, sized};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CANARY: &str = "battery_CANARY_pty_5e2f";

/// Serves `items` as one answer (the listings here fit in one page) or pages them by
/// `offset`/`limit` (or Jira's `maxResults`) in `envelope` (when given).
struct List {
    items: Arc<Vec<Value>>,
    envelope: Option<&'static str>,
}

impl Respond for List {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let Some(key) = self.envelope else {
            return ResponseTemplate::new(200).set_body_json(Value::Array(self.items.to_vec()));
        };
        let q = |k: &str| {
            req.url
                .query_pairs()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let offset = q("offset").unwrap_or(0).min(self.items.len());
        let limit = q("limit")
            .or_else(|| q("maxResults"))
            .unwrap_or(1000)
            .max(1);
        let end = (offset + limit).min(self.items.len());
        let mut body = json!({
            "total_count": self.items.len(), "offset": offset, "limit": limit,
            "more": end < self.items.len(), "isLast": true,
        });
        body[key] = Value::Array(self.items[offset..end].to_vec());
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn mount(server: &MockServer, p: &str, items: Vec<Value>, envelope: Option<&'static str>) {
    Mock::given(method("GET"))
        .and(path(p.to_owned()))
        .respond_with(List {
            items: Arc::new(items),
            envelope,
        })
        .mount(server)
        .await;
}

async fn json_at(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path_regex(p.to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

const T: &str = "2026-12-01T10:00:00Z";

fn github_issue(n: usize, s: &str) -> Value {
    json!({
        "id": n, "number": n, "node_id": format!("I{n}"), "title": format!("GHROW {s}"),
        "state": "open", "labels": [{"name": s.chars().take(50).collect::<String>()}, {"name": "bug"}],
        "assignees": [{"login": s.chars().take(39).collect::<String>()}],
        "assignee": {"login": s.chars().take(39).collect::<String>()},
        "user": {"login": "octocat"}, "comments": 0, "body": s,
        "created_at": T, "updated_at": T, "closed_at": null,
        "html_url": format!("https://github.com/o/r/issues/{n}"),
    })
}

fn jira_issue(n: usize, s: &str) -> Value {
    json!({
        "id": format!("{}", 10000 + n), "key": format!("OPS-{n}"),
        "fields": {
            "summary": format!("JIRAROW {s}"),
            "status": {"name": s, "id": "1", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
            "priority": {"id": "2", "name": "High"},
            "assignee": {"accountId": "abc", "displayName": s, "active": true},
            "labels": [s.replace(' ', "_")],
            "updated": "2026-12-01T10:00:00.000+0000", "created": "2026-11-30T10:00:00.000+0000",
            "resolution": null,
        }
    })
}

fn redmine_issue(n: usize, s: &str) -> Value {
    json!({
        "id": n, "project": {"id": 1, "name": s}, "tracker": {"id": 1, "name": "Bug"},
        "status": {"id": 1, "name": "New", "is_closed": false}, "priority": {"id": 4, "name": "Urgent"},
        "author": {"id": 1, "name": s}, "assigned_to": {"id": 2, "name": s},
        "subject": format!("REDMINEROW {s}"), "description": s,
        "created_on": T, "updated_on": T, "closed_on": null,
    })
}

fn pd_incident(n: usize, s: &str) -> Value {
    json!({
        "id": format!("PH{n:05}"), "type": "incident", "incident_number": n,
        "title": format!("PDROW {s}"), "summary": s, "status": "triggered", "urgency": "high",
        "service": {"id": "PSVC001", "summary": s},
        "assignments": [{"assignee": {"id": "PU1", "summary": s}}], "acknowledgements": [],
        "html_url": format!("https://example.pagerduty.com/incidents/PH{n:05}"),
        "created_at": T, "updated_at": T, "last_status_change_at": T, "resolved_at": null,
    })
}

fn alert(n: usize, s: &str) -> Value {
    json!({
        "labels": {"alertname": format!("AMROW {s}"), "severity": "critical", "service": s, "instance": s},
        "annotations": {"summary": s, "description": s},
        "startsAt": T, "endsAt": "2099-01-01T00:00:00Z", "updatedAt": T,
        "fingerprint": format!("{n:016x}"), "generatorURL": "http://127.0.0.1/graph",
        "receivers": [{"name": "team"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
    })
}

fn deployment(n: usize, s: &str) -> Value {
    json!({
        "id": n, "sha": format!("{n:040x}"), "ref": s, "task": "deploy",
        "environment": format!("DEPROW {}", s.chars().take(60).collect::<String>()),
        "description": s, "creator": {"login": s}, "created_at": T, "updated_at": T,
        "statuses_url": format!("https://api.github.com/repos/o/r/deployments/{n}/statuses"),
    })
}

fn config(gh: &str, jira: &str, rm: &str, pd: &str, am: &str, dep: &str) -> String {
    let t = "token_env = \"OPSDECK_BATTERY_TOKEN\"";
    format!(
        "[[sources]]\nname = \"github\"\nkind = \"github\"\nbase_url = \"{gh}\"\nrepos = [\"o/r\"]\n{t}\n\
         [[sources]]\nname = \"jira\"\nkind = \"jira\"\nbase_url = \"{jira}\"\nprojects = [\"OPS\"]\nemail = \"a@b.c\"\n{t}\n\
         [[sources]]\nname = \"redmine\"\nkind = \"redmine\"\nbase_url = \"{rm}\"\nprojects = [\"ops\"]\n{t}\n\
         [[sources]]\nname = \"pagerduty\"\nkind = \"pagerduty\"\nbase_url = \"{pd}\"\nservices = [\"PSVC001\"]\nemail = \"a@b.c\"\n{t}\n\
         [[sources]]\nname = \"alertmanager\"\nkind = \"alertmanager\"\nbase_url = \"{am}\"\n\
         [[sources]]\nname = \"deploys\"\nkind = \"github-deployments\"\nbase_url = \"{dep}\"\nrepos = [\"o/r\"]\n{t}\n"
    )
}

/// Runs the TUI under a pty and returns every byte it wrote. Keys: `1`–`6` for the tabs,
/// ctrl-d to page down, `A` for the alerts list, enter for the detail pane, `q` to quit. The
/// driver waits for the output to settle after each key (bounded) — it only paces the keys;
/// the assertions are on whatever bytes the binary wrote.
const DRIVER: &str = r#"
import os, pty, sys, select, time, struct, fcntl, termios
out, keys, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 160, 0, 0))
    os.execvp(cmd[0], cmd)
buf = bytearray()
def pump(quiet, limit):
    end = time.time() + limit
    last = time.time()
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return False
            if not d:
                return False
            buf.extend(d)
            last = time.time()
        elif time.time() - last > quiet:
            return True
    return True
alive = pump(1.0, 30)
for k in keys.split(','):
    if not alive:
        break
    os.write(fd, bytes.fromhex(k))
    alive = pump(0.15, 10)
if alive:
    os.write(fd, b'q')
    pump(1.0, 10)
_, status = os.waitpid(pid, 0)
open(out, 'wb').write(bytes(buf))
sys.exit(0 if alive else 3)
"#;

/// Renderer-owned CSI final bytes (crossterm through ratatui).
fn allowed_csi(params: &[u8], fin: u8) -> bool {
    let numeric = params.iter().all(|b| b.is_ascii_digit() || *b == b';');
    match fin {
        b'm' | b'H' | b'J' | b'K' => numeric,
        b'h' | b'l' => {
            params.first() == Some(&b'?')
                && params[1..].iter().all(|b| b.is_ascii_digit() || *b == b';')
        }
        _ => false,
    }
}

#[derive(Default, Debug)]
struct Scan {
    bad_escapes: Vec<String>,
    erase_screen: usize,
    c0: usize,
    c1: usize,
    format_chars: usize,
}

fn scan(bytes: &[u8]) -> Scan {
    let mut s = Scan::default();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1b {
            if bytes.get(i + 1) == Some(&b'[') {
                let start = i + 2;
                let mut j = start;
                while j < bytes.len() && (0x30..=0x3f).contains(&bytes[j]) {
                    j += 1;
                }
                let fin = bytes.get(j).copied().unwrap_or(0);
                let params = &bytes[start..j.min(bytes.len())];
                if fin == b'J' {
                    s.erase_screen += 1;
                }
                if !allowed_csi(params, fin) {
                    s.bad_escapes.push(
                        String::from_utf8_lossy(&bytes[i..(j + 1).min(bytes.len())]).into_owned(),
                    );
                }
                i = j + 1;
                continue;
            }
            s.bad_escapes.push(format!(
                "ESC {:?}",
                bytes.get(i + 1).map(|c| char::from(*c))
            ));
            i += 2;
            continue;
        }
        if b < 0x20 && b != b'\r' && b != b'\n' || b == 0x7f {
            s.c0 += 1;
        }
        i += 1;
    }
    for c in String::from_utf8_lossy(bytes).chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            s.c1 += 1;
        } else if c != '\u{1b}' && !c.is_control() && bad_char(c) {
            s.format_chars += 1;
        }
    }
    s
}

#[test]
fn the_scanner_catches_what_it_must() {
    let s = scan(b"\x1b[1;1H\x1b[31mok\x1b[0m\x1b[?25l\x1b[2J");
    assert!(s.bad_escapes.is_empty(), "{s:?}");
    for hostile in [
        &b"\x1b]0;t\x07"[..],
        b"\x1b[10A",
        b"\x1bP$q\x1b\\",
        b"\x1b[6n",
        b"\x1b[21t",
        b"\x1bc",
    ] {
        assert!(!scan(hostile).bad_escapes.is_empty(), "{hostile:?}");
    }
    assert_eq!(scan(b"a\x07b\x08").c0, 2);
    assert_eq!(scan("\u{9b}31m".as_bytes()).c1, 1);
    assert_eq!(scan("\u{202e}x\u{200b}".as_bytes()).format_chars, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_d1_hostile_corpus_through_every_connector_on_a_pty() {
    let per = sized(40, 200);
    let strings = corpus(per * 6);
    let part = |k: usize| strings[k * per..(k + 1) * per].iter().enumerate();

    let gh = MockServer::start().await;
    mount(
        &gh,
        "/repos/o/r/issues",
        part(0).map(|(i, s)| github_issue(i + 1, s)).collect(),
        None,
    )
    .await;
    let jira = MockServer::start().await;
    mount(
        &jira,
        "/rest/api/3/search/jql",
        part(1).map(|(i, s)| jira_issue(i + 1, s)).collect(),
        Some("issues"),
    )
    .await;
    json_at(
        &jira,
        "^/rest/api/3/myself$",
        json!({"accountId": "abc", "timeZone": "UTC", "displayName": "me"}),
    )
    .await;
    let rm = MockServer::start().await;
    mount(
        &rm,
        "/issues.json",
        part(2).map(|(i, s)| redmine_issue(i + 1, s)).collect(),
        Some("issues"),
    )
    .await;
    json_at(&rm, "^/issue_statuses.json$", json!({"issue_statuses": [{"id": 1, "name": "New", "is_closed": false}, {"id": 5, "name": "Closed", "is_closed": true}]})).await;
    json_at(
        &rm,
        "^/projects/[^/]+\\.json$",
        json!({"project": {"id": 1, "name": "ops", "identifier": "ops"}}),
    )
    .await;
    json_at(
        &rm,
        "^/enumerations/issue_priorities.json$",
        json!({"issue_priorities": [{"id": 4, "name": "Urgent"}]}),
    )
    .await;
    let pd = MockServer::start().await;
    mount(
        &pd,
        "/incidents",
        part(3).map(|(i, s)| pd_incident(i + 1, s)).collect(),
        Some("incidents"),
    )
    .await;
    json_at(
        &pd,
        "^/incidents/[^/]+/log_entries$",
        json!({"log_entries": [], "more": false}),
    )
    .await;
    json_at(
        &pd,
        "^/log_entries$",
        json!({"log_entries": [], "more": false}),
    )
    .await;
    json_at(&pd, "^/incidents/[^/]+/notes$", json!({"notes": []})).await;
    let am = MockServer::start().await;
    mount(
        &am,
        "/api/v2/alerts",
        part(4).map(|(i, s)| alert(i + 1, s)).collect(),
        None,
    )
    .await;
    json_at(&am, "^/api/v2/silences$", json!([])).await;
    json_at(&am, "^/api/v2/status$", json!({"versionInfo": {"version": "0.27.0"}, "cluster": {"status": "ready"}, "config": {"original": ""}, "uptime": T})).await;
    let dep = MockServer::start().await;
    mount(
        &dep,
        "/repos/o/r/deployments",
        part(5).map(|(i, s)| deployment(i + 1, s)).collect(),
        None,
    )
    .await;
    json_at(&dep, "^/repos/o/r/deployments/[0-9]+/statuses$", json!([{"id": 1, "state": "success", "created_at": T, "updated_at": T, "creator": {"login": "x"}, "description": "ok"}])).await;

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &gh.uri(),
        &jira.uri(),
        &rm.uri(),
        &pd.uri(),
        &am.uri(),
        &dep.uri(),
    );
    let plan = dir.path().join("plan.md");
    let mut plan_text = String::from("# Plan\n\n## Steps\n\n");
    for s in &strings[..per] {
        let line: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        plan_text.push_str(&format!("- [ ] PLANROW {line}\n"));
    }
    std::fs::write(&plan, &plan_text).unwrap();

    let sync = battery_common::opsdeck_with_token(dir.path(), &cfg, &["sync", "--once"], CANARY);
    let plan_arg = plan.to_string_lossy().into_owned();
    let import = battery_common::opsdeck_with_token(
        dir.path(),
        &cfg,
        &["checklist", "import", &plan_arg],
        CANARY,
    );
    assert_eq!(import.code, Some(0), "{}", import.text);

    // Every connector's rows reached the cache.
    let db = dir.path().join("data").join("cache.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or(-1) };
    let cached = [
        (
            "github",
            count("SELECT count(*) FROM bugs WHERE source = 'github'"),
        ),
        (
            "jira",
            count("SELECT count(*) FROM bugs WHERE source = 'jira'"),
        ),
        (
            "redmine",
            count("SELECT count(*) FROM bugs WHERE source = 'redmine'"),
        ),
        (
            "pagerduty",
            count("SELECT count(*) FROM incidents WHERE source = 'pagerduty'"),
        ),
        ("alertmanager", count("SELECT count(*) FROM alerts")),
        (
            "deploys",
            count("SELECT count(*) FROM deployments WHERE source = 'deploys'"),
        ),
        ("plan", count("SELECT count(*) FROM checklist_items")),
    ];
    drop(conn);
    let missing: Vec<_> = cached.iter().filter(|(_, n)| *n <= 0).collect();
    assert!(
        missing.is_empty(),
        "sources with no rows cached: {missing:?}\nsync said:\n{}",
        sync.text
    );

    // The TUI on a pty: every tab, scrolled, with the detail pane and the alerts list.
    let mut keys: Vec<String> = Vec::new();
    let hex = |s: &[u8]| s.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for tab in ["1", "2", "3", "4", "5", "6"] {
        keys.push(hex(tab.as_bytes()));
        keys.push(hex(b"\r"));
        for _ in 0..(per / 20 + 2) {
            keys.push(hex(b"\x04"));
        }
        keys.push(hex(b"\r"));
        if tab == "3" {
            keys.push(hex(b"A"));
            for _ in 0..(per / 20 + 2) {
                keys.push(hex(b"\x04"));
            }
        }
    }
    let capture = dir.path().join("pty.bin");
    let config_path = dir.path().join("config.toml");
    let status = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(&capture)
        .arg(keys.join(","))
        .arg(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(&config_path)
        .env("OPSDECK_DATA_DIR", dir.path().join("data"))
        .env("OPSDECK_CONFIG_DIR", dir.path())
        .env("OPSDECK_BATTERY_TOKEN", CANARY)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .status()
        .expect("python3 is needed for the pty driver (scripts/install-deps.sh)");
    let bytes = std::fs::read(&capture).unwrap_or_default();
    assert!(
        status.success(),
        "the TUI exited early under the pty; {} bytes captured",
        bytes.len()
    );
    let screen = String::from_utf8_lossy(&bytes);
    let shown: Vec<&str> = [
        "GHROW",
        "JIRAROW",
        "REDMINEROW",
        "PDROW",
        "AMROW",
        "DEPROW",
        "PLANROW",
    ]
    .into_iter()
    .filter(|m| screen.contains(m))
    .collect();
    let s = scan(&bytes);
    let allowed_erases = 4;

    // The canary: nowhere in the data folder (cache, log) or on the screen, or in `report`.
    let report = battery_common::opsdeck_with_token(dir.path(), &cfg, &["report"], CANARY);
    let mut canary_hits =
        usize::from(screen.contains(CANARY)) + usize::from(report.text.contains(CANARY));
    for entry in walk(&dir.path().join("data")) {
        let b = std::fs::read(&entry).unwrap_or_default();
        if b.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()) {
            canary_hits += 1;
        }
    }
    let report_bad = report
        .text
        .chars()
        .filter(|c| bad_char(*c) && *c != '\n')
        .count();

    let tried = strings.len() + per;
    let failed_checks = s.bad_escapes.len()
        + s.erase_screen.saturating_sub(allowed_erases)
        + s.c0
        + s.c1
        + s.format_chars
        + canary_hits
        + report_bad;
    let mut first_bad = s.bad_escapes.clone();
    first_bad.truncate(5);
    record(
        "D1 hostile corpus via every connector + plan file → real binary on a pty",
        tried,
        if failed_checks == 0 { tried } else { 0 },
        if failed_checks == 0 { 0 } else { tried },
        &format!(
            "{} bytes captured over 6 tabs; rows cached {cached:?}; row markers on screen {}/7; \
             {} foreign escapes {first_bad:?}, {} screen erases (≤ {allowed_erases} allowed), {} C0, \
             {} C1, {} bidi/zero-width chars; {report_bad} bad chars in report; {canary_hits} canary hits",
            bytes.len(),
            shown.len(),
            s.bad_escapes.len(),
            s.erase_screen,
            s.c0,
            s.c1,
            s.format_chars,
        ),
    );
    assert!(
        shown.len() >= 6,
        "too few sources shown on screen: {shown:?}"
    );
    assert_eq!(
        failed_checks, 0,
        "{s:?}; canary {canary_hits}; report {report_bad}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
