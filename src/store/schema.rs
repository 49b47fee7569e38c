//! The schema as an append-only list of migrations, tracked with `PRAGMA user_version`.
//!
//! Never edit a shipped migration: add a new one at the end. A database whose `user_version`
//! is newer than [`LATEST_VERSION`] was written by a newer opsdeck and is refused, so an old
//! binary can never corrupt a newer cache. Times are stored as INTEGER unix seconds (UTC);
//! lists and maps as JSON text.

use rusqlite::Transaction;

/// One migration step.
pub type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// The migrations, in order; index `i` upgrades from version `i` to `i + 1`.
pub const MIGRATIONS: &[Migration] = &[
    v1_core,
    v2_reviews_and_links,
    v3_remote_checklists,
    v4_silences,
    v5_list_order_indexes,
    v6_sort_indexes,
    v7_checklist_sections,
    v8_row_counts,
    v9_customer_links,
];

/// The schema version this binary writes.
#[allow(clippy::cast_possible_truncation, reason = "a handful of migrations")]
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

fn v1_core(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            stage TEXT NOT NULL,
            vertical TEXT NOT NULL DEFAULT '',
            acv_usd INTEGER NOT NULL DEFAULT 0,
            owner TEXT NOT NULL DEFAULT '',
            poc_start TEXT,
            signed_on TEXT,
            go_live TEXT,
            usage_days_per_week REAL,
            feature_adoption_pct REAL,
            engagement REAL,
            churn_risk TEXT NOT NULL DEFAULT 'low',
            source TEXT NOT NULL DEFAULT 'local',
            external_id TEXT,
            url TEXT,
            remote_updated_at INTEGER
        );
        CREATE INDEX customers_by_name ON customers(name);
        CREATE TABLE nps_responses (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
            at INTEGER NOT NULL,
            comment TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX nps_by_customer ON nps_responses(customer_id, at);
        CREATE TABLE customer_notes (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL
        );
        CREATE INDEX notes_by_customer ON customer_notes(customer_id, at);

        CREATE TABLE bugs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            key TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL,
            status TEXT NOT NULL,
            assignee TEXT,
            labels TEXT NOT NULL DEFAULT '[]',
            customers TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            closed_at INTEGER,
            url TEXT,
            UNIQUE (source, external_id)
        );
        CREATE INDEX bugs_default_order ON bugs(status, priority, updated_at);

        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            number INTEGER NOT NULL DEFAULT 0,
            title TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            service TEXT NOT NULL DEFAULT '',
            assignee TEXT,
            created_at INTEGER NOT NULL,
            acknowledged_at INTEGER,
            resolved_at INTEGER,
            url TEXT,
            customers TEXT NOT NULL DEFAULT '[]',
            remote_updated_at INTEGER,
            UNIQUE (source, external_id)
        );
        CREATE INDEX incidents_default_order ON incidents(status, created_at);
        CREATE TABLE incident_events (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            who TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            external_id TEXT,
            UNIQUE (incident_id, external_id)
        );
        CREATE INDEX incident_events_by_incident ON incident_events(incident_id, at);

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            name TEXT NOT NULL,
            severity TEXT NOT NULL DEFAULT '',
            service TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '{}',
            annotations TEXT NOT NULL DEFAULT '{}',
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            silenced_by TEXT NOT NULL DEFAULT '[]',
            generator_url TEXT,
            seen_at INTEGER NOT NULL,
            UNIQUE (source, fingerprint)
        );
        CREATE INDEX alerts_by_start ON alerts(starts_at);

        CREATE TABLE deployments (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            service TEXT NOT NULL,
            environment TEXT NOT NULL,
            git_ref TEXT NOT NULL DEFAULT '',
            sha TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            creator TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            finished_at INTEGER,
            rollback_of TEXT,
            rolled_back INTEGER NOT NULL DEFAULT 0,
            url TEXT,
            commit_times TEXT NOT NULL DEFAULT '[]',
            remote_updated_at INTEGER,
            UNIQUE (source, external_id)
        );
        CREATE INDEX deployments_by_time ON deployments(created_at);
        CREATE INDEX deployments_by_service ON deployments(service, created_at);

        CREATE TABLE slos (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            service TEXT NOT NULL DEFAULT '',
            objective TEXT NOT NULL,
            window_days INTEGER NOT NULL,
            kind TEXT NOT NULL,
            good_query TEXT NOT NULL DEFAULT '',
            total_query TEXT NOT NULL DEFAULT '',
            threshold_le TEXT,
            last_error TEXT,
            last_error_at INTEGER,
            updated_at INTEGER
        );
        CREATE TABLE slo_windows (
            slo_id INTEGER NOT NULL REFERENCES slos(id) ON DELETE CASCADE,
            window TEXT NOT NULL,
            bad REAL NOT NULL,
            total REAL NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (slo_id, window)
        );
        CREATE TABLE slo_samples (
            slo_id INTEGER NOT NULL REFERENCES slos(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            bad REAL NOT NULL,
            total REAL NOT NULL,
            PRIMARY KEY (slo_id, day)
        );

        CREATE TABLE checklist_docs (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            base_content TEXT NOT NULL DEFAULT '',
            synced_at INTEGER,
            last_error TEXT
        );
        CREATE TABLE checklist_items (
            id INTEGER PRIMARY KEY,
            doc_id INTEGER NOT NULL REFERENCES checklist_docs(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            section TEXT NOT NULL DEFAULT '',
            grp TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            checked INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            code TEXT,
            depth INTEGER NOT NULL DEFAULT 0,
            occurrence INTEGER NOT NULL DEFAULT 0,
            note TEXT,
            gate INTEGER NOT NULL DEFAULT 0,
            checked_at INTEGER
        );
        CREATE INDEX checklist_items_by_doc ON checklist_items(doc_id, ordinal);

        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id TEXT NOT NULL UNIQUE,
            entity_kind TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            source TEXT NOT NULL,
            remote INTEGER NOT NULL,
            op TEXT NOT NULL,
            observed_remote TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_error TEXT,
            remote_value TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_by_entity ON outbox(entity_kind, entity_id, state);
        CREATE INDEX outbox_by_state ON outbox(state, seq);

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            entity_kind TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT,
            op_id TEXT
        );
        CREATE INDEX audit_by_entity ON audit(entity_kind, entity_id, at);
        CREATE INDEX audit_by_time ON audit(at);

        CREATE TABLE sync_state (
            source TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            cursor TEXT,
            etag TEXT,
            rate_limited_until INTEGER,
            last_attempt_at INTEGER,
            last_success_at INTEGER,
            last_error TEXT,
            last_error_at INTEGER,
            consecutive_failures INTEGER NOT NULL DEFAULT 0
        );
        ",
    )
}

fn v2_reviews_and_links(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE TABLE deployment_incidents (
            deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            incident_key TEXT NOT NULL,
            guess INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (deployment_id, incident_key)
        );
        CREATE TABLE review_notes (
            week TEXT NOT NULL,
            area TEXT NOT NULL,
            text TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (week, area)
        );
        ALTER TABLE checklist_items ADD COLUMN item_key TEXT;
        CREATE TABLE deployment_statuses (
            deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            external_id TEXT NOT NULL,
            state TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            creator TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            PRIMARY KEY (deployment_id, external_id)
        );
        CREATE TABLE http_cache (
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            etag TEXT,
            PRIMARY KEY (source, url)
        );
        ",
    )
}

/// Checklists kept outside files (`github-tasklist`): the owning source (NULL for plan files)
/// and the remote `updated_at` the cached base was read at.
fn v3_remote_checklists(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        ALTER TABLE checklist_docs ADD COLUMN source TEXT;
        ALTER TABLE checklist_docs ADD COLUMN remote_updated_at TEXT;
        ",
    )
}

/// Silence metadata (who created it, why, what it matches, until when), so expiring one can
/// say whose silence it is and how many alerts it covers; `by_opsdeck` marks the ones created
/// here (a pending one has the id `pending:<op id>` until Alertmanager confirms it).
fn v4_silences(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE TABLE silences (
            source TEXT NOT NULL,
            silence_id TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            matchers TEXT NOT NULL DEFAULT '[]',
            ends_at INTEGER,
            by_opsdeck INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source, silence_id)
        );
        ",
    )
}

/// The first screen of the bugs and incidents tabs in one index walk: their list order sorts on
/// expressions (`status = 'closed'`, open incidents first), which the v1 indexes cannot serve,
/// so every first page sorted the whole table (~35 ms over 50k bugs). Indexes on exactly those
/// expressions make `ORDER BY … LIMIT 60` read 60 index entries (issue #12). The `id_width`
/// indexes answer "how wide is the widest id" from the last index entry, so the id column of
/// the first page is already as wide as the full list needs.
fn v5_list_order_indexes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE INDEX bugs_list_order ON bugs((status = 'closed'), priority, updated_at DESC);
        CREATE INDEX incidents_list_order ON incidents(
            (CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END),
            created_at DESC
        );
        CREATE INDEX bugs_id_width ON bugs(length(key));
        CREATE INDEX incidents_id_width ON incidents(length(external_id));
        CREATE INDEX deployments_id_width ON deployments(length(sha));
        ",
    )
}

/// One index per sort column of the windowed lists (issue #12): `ORDER BY <column>, <default
/// order>` then walks an index, so a window of a sorted 500k-row list reads its own rows
/// instead of sorting the table (1.6–4.3 s for a bugs window sorted by assignee at 1M cached
/// rows on a loaded 2-core machine). Expressions match [`super::read::window`]'s exactly.
fn v6_sort_indexes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE INDEX bugs_sort_priority ON bugs(priority, (status = 'closed'), updated_at DESC);
        CREATE INDEX bugs_sort_age ON bugs(created_at, (status = 'closed'), priority, updated_at DESC);
        CREATE INDEX bugs_sort_assignee ON bugs(
            lower(coalesce(assignee, '~')), (status = 'closed'), priority, updated_at DESC
        );
        CREATE INDEX bugs_sort_key ON bugs(lower(key), (status = 'closed'), priority, updated_at DESC);
        CREATE INDEX incidents_sort_severity ON incidents(
            severity,
            (CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END),
            created_at DESC
        );
        CREATE INDEX incidents_sort_created ON incidents(
            created_at DESC,
            (CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END)
        );
        CREATE INDEX incidents_sort_service ON incidents(
            lower(service),
            (CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END),
            created_at DESC
        );
        CREATE INDEX deployments_sort_service ON deployments(lower(service), created_at DESC);
        CREATE INDEX deployments_sort_status ON deployments(status, created_at DESC);
        CREATE INDEX deployments_sort_duration ON deployments(
            (-max(coalesce(finished_at - created_at, 0), 0)), created_at DESC
        );
        ",
    )
}

/// The checklist tab's window reads (issue #12) order items by section, the section by where
/// it first appears in its document, and place a folded section's first item: all three are
/// `(doc_id, section, ordinal)` seeks with this index instead of a scan per item.
fn v7_checklist_sections(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE INDEX checklist_items_by_section ON checklist_items(doc_id, section, ordinal);
        ",
    )
}

/// Exact row counts kept by triggers (issue #12): the list's length and the tab bar's open
/// counts were `count(*)` passes over whole tables before the first row was sent (7 ms warm
/// over 200k incidents, the whole index read from disk cold, ~150 ms for the tab bar's counts
/// at 1M cached rows). `row_counts` holds, per table, every row (`total_rows`) and the rows the
/// tab bar counts as open (`open_rows`: bugs not closed, incidents not resolved, checklist
/// items not checked; 0 for deployments, whose tab counts a time range). The triggers fire on
/// every insert, delete, cascade and upsert; the expressions are exactly the tab bar's
/// `WHERE` clauses. Read by [`super::read`]'s `list_shape` and `tab_counts`.
fn v8_row_counts(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE TABLE row_counts (
            tbl TEXT PRIMARY KEY,
            total_rows INTEGER NOT NULL,
            open_rows INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO row_counts (tbl, total_rows, open_rows) VALUES
            ('bugs', (SELECT count(*) FROM bugs),
                (SELECT count(*) FROM bugs WHERE status != 'closed')),
            ('incidents', (SELECT count(*) FROM incidents),
                (SELECT count(*) FROM incidents WHERE status != 'resolved')),
            ('deployments', (SELECT count(*) FROM deployments), 0),
            ('checklist_items', (SELECT count(*) FROM checklist_items),
                (SELECT count(*) FROM checklist_items WHERE checked = 0));
        ",
    )?;
    // (table, the column the open rows depend on, the open-row expression over a row R)
    let tables = [
        ("bugs", Some("status"), "(R.status != 'closed')"),
        ("incidents", Some("status"), "(R.status != 'resolved')"),
        ("deployments", None, "0"),
        ("checklist_items", Some("checked"), "(R.checked = 0)"),
    ];
    for (table, column, open) in tables {
        let new = open.replace("R.", "NEW.");
        let old = open.replace("R.", "OLD.");
        tx.execute_batch(&format!(
            r"
            CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} BEGIN
                UPDATE row_counts SET total_rows = total_rows + 1, open_rows = open_rows + {new}
                WHERE tbl = '{table}';
            END;
            CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} BEGIN
                UPDATE row_counts SET total_rows = total_rows - 1, open_rows = open_rows - {old}
                WHERE tbl = '{table}';
            END;
            "
        ))?;
        if let Some(column) = column {
            tx.execute_batch(&format!(
                r"
                CREATE TRIGGER {table}_count_open AFTER UPDATE OF {column} ON {table}
                WHEN {new} != {old} BEGIN
                    UPDATE row_counts SET open_rows = open_rows + {new} - {old}
                    WHERE tbl = '{table}';
                END;
                "
            ))?;
        }
    }
    Ok(())
}

/// v9: partial indexes over the bugs and incidents linked to a customer, so the customers
/// tab's support figures read the few linked rows instead of every bug (2.2 s at 500k bugs).
fn v9_customer_links(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r"
        CREATE INDEX bugs_customer_linked ON bugs(created_at) WHERE customers != '[]';
        CREATE INDEX incidents_customer_linked ON incidents(status) WHERE customers != '[]';
        ",
    )
}
