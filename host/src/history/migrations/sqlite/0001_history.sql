-- plumbline audit history, SQLite. Keep in step with ../postgres/0001_history.sql: the queries in
-- host/src/history/store.rs run unchanged on both. Times are Unix milliseconds (UTC).
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    plumbline_version TEXT NOT NULL,
    report_schema TEXT NOT NULL,
    snapshot_origin TEXT NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    snapshot_collected_at BIGINT NOT NULL,
    gate_fail_on TEXT NOT NULL,
    gate_passed BOOLEAN NOT NULL,
    gate_exit_code BIGINT NOT NULL,
    gate_reason TEXT NOT NULL,
    checks_total BIGINT NOT NULL,
    findings_total BIGINT NOT NULL,
    critical BIGINT NOT NULL,
    high BIGINT NOT NULL,
    medium BIGINT NOT NULL,
    low BIGINT NOT NULL,
    info BIGINT NOT NULL
);

CREATE TABLE run_checks (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    check_id TEXT NOT NULL,
    title TEXT,
    version TEXT,
    status TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (run_id, position)
);

CREATE TABLE run_findings (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    check_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    subject_source TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    message TEXT NOT NULL,
    -- A suppression (report::suppress) applied: shown, but not counted by the summary or the gate.
    suppressed BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, position)
);

CREATE INDEX run_findings_fingerprint ON run_findings (fingerprint);
