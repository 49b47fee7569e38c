//! Builds a large cache for the benchmarks: `cargo run --release --example bench_cache -- DB [ROWS]`.
//!
//! Rows are spread over the tabs (bugs half, incidents, deployments, checklist items and
//! customers the rest), written in one transaction per table through the store's own upserts.

use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use opsdeck::domain::{
    Bug, BugStatus, DeployStatus, Deployment, Incident, IncidentStatus, Priority,
};
use opsdeck::store::{write, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let db = PathBuf::from(args.next().ok_or("usage: bench_cache DB [ROWS]")?);
    let rows: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 20, 14, 0, 0)
        .single()
        .ok_or("time")?;
    let mut store = Store::open(&db)?;
    let bugs = rows / 2;
    let incidents = rows / 5;
    let deployments = rows / 5;
    let items = rows - bugs - incidents - deployments;
    let services = ["checkout", "payments", "ingest", "search", "auth"];
    store.write(|tx| {
        for i in 0..bugs {
            let b = Bug {
                id: 0,
                source: "github".into(),
                external_id: format!("{i}"),
                key: format!("#{}", 100_000 + i),
                title: format!(
                    "Bench bug {i}: checkout latency regression on path /api/v{}",
                    i % 7
                ),
                body: "Steps to reproduce…".into(),
                priority: Priority::ALL[i % 4],
                status: [BugStatus::Open, BugStatus::InProgress, BugStatus::Closed][i % 3],
                assignee: Some(format!("dev{}", i % 40)),
                labels: vec!["bug".into(), format!("area:{}", services[i % 5])],
                customers: Vec::new(),
                created_at: now - Duration::minutes(i64::try_from(i).unwrap_or(0)),
                updated_at: now - Duration::minutes(i64::try_from(i / 2).unwrap_or(0)),
                closed_at: None,
                url: Some(format!("https://github.com/bench/repo/issues/{i}")),
                pending: false,
                conflict: false,
            };
            write::upsert_bug(tx, &b, now)?;
        }
        for i in 0..incidents {
            let created = now - Duration::minutes(i64::try_from(i * 7).unwrap_or(0));
            let inc = Incident {
                id: 0,
                source: "pagerduty".into(),
                external_id: format!("PB{i:06}"),
                number: i64::try_from(i).unwrap_or(0),
                title: format!("Bench incident {i}"),
                severity: Priority::ALL[i % 4],
                status: if i < 20 {
                    IncidentStatus::Triggered
                } else {
                    IncidentStatus::Resolved
                },
                service: services[i % 5].into(),
                assignee: None,
                created_at: created,
                acknowledged_at: (i >= 20).then(|| created + Duration::minutes(3)),
                resolved_at: (i >= 20).then(|| created + Duration::minutes(40)),
                url: None,
                customers: Vec::new(),
                pending: false,
                conflict: false,
            };
            write::upsert_incident(tx, &inc, None, now)?;
        }
        for i in 0..deployments {
            let created = now - Duration::minutes(i64::try_from(i * 11).unwrap_or(0));
            let d = Deployment {
                id: 0,
                source: "deploys".into(),
                external_id: format!("{i}"),
                service: services[i % 5].into(),
                environment: if i % 4 == 0 {
                    "staging".into()
                } else {
                    "production".into()
                },
                git_ref: format!("v1.{}.{}", i / 100, i % 100),
                sha: format!("{:040x}", i * 7919),
                status: DeployStatus::Success,
                creator: "ci".into(),
                created_at: created,
                finished_at: Some(created + Duration::minutes(6)),
                rollback_of: None,
                rolled_back: false,
                url: None,
                incident_keys: Vec::new(),
                commit_times: Vec::new(),
                pending: false,
            };
            write::upsert_deployment(tx, &d, now)?;
        }
        let mut plan = String::from("# Bench plan\n");
        for i in 0..items {
            if i % 50 == 0 {
                plan.push_str(&format!("\n## Section {}\n\n", i / 50));
            }
            plan.push_str(&format!(
                "- [{}] B-{i} bench item {i} @owner{}\n",
                if i % 3 == 0 { "x" } else { " " },
                i % 9
            ));
        }
        opsdeck::checklist::store::import_document(tx, "bench:plan.md", &plan, &[], now)?;
        Ok(())
    })?;
    opsdeck::demo::load(&mut store, now)?;
    let total: i64 = store.conn().query_row(
        "SELECT (SELECT count(*) FROM bugs) + (SELECT count(*) FROM incidents) + (SELECT count(*) FROM deployments) + (SELECT count(*) FROM checklist_items)",
        [],
        |r| r.get(0),
    )?;
    println!("wrote {total} rows to {}", db.display());
    Ok(())
}
