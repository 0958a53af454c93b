//! The history database: one pool for SQLite or PostgreSQL, the embedded migrations, and the
//! queries. Every query is written once and runs unchanged on both backends (`$N` parameters,
//! `RETURNING`, `BIGINT`/`TEXT`/`BOOLEAN` columns); [`on_pool!`] instantiates it per backend.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::model::{CheckRecord, Counts, FindingRecord, GateInfo, Run, RunInfo, RunStatus, SnapshotInfo};
use super::{HistoryError, Location, Selector};

/// The migrations of each backend, embedded (file names follow sqlx's `<VERSION>_<NAME>.sql`).
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[(1, "history", include_str!("migrations/sqlite/0001_history.sql"))];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "history", include_str!("migrations/postgres/0001_history.sql"))];

#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(*version, Cow::Borrowed(*name), MigrationType::Simple, Cow::Borrowed(*sql), false)
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$p` bound to the backend's pool (the body is compiled once per backend).
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// An open history.
#[derive(Debug)]
pub struct Store {
    pool: Pool,
    location: Location,
}

impl Store {
    /// Opens the history and brings its tables up to date. With `create`, a missing SQLite file
    /// (and its directory) is created; without, it is an error ([`HistoryError::Missing`]).
    pub async fn open(location: Location, create: bool) -> Result<Store, HistoryError> {
        let shown = location.display();
        let open_err = |reason: String| HistoryError::Open { location: shown.clone(), reason };
        let (pool, migrations) = match &location {
            Location::Sqlite(path) => {
                if !path.exists() {
                    if !create {
                        return Err(HistoryError::Missing(shown));
                    }
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)
                            .map_err(|source| HistoryError::CreateDir { path: dir.to_path_buf(), source })?;
                    }
                } else if path.is_dir() {
                    return Err(open_err("it is a directory, not a SQLite file".into()));
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(create)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(|e| open_err(reason(&e)))?;
                (Pool::Sqlite(pool), SQLITE_MIGRATIONS)
            }
            Location::Postgres(url) => {
                let options = PgConnectOptions::from_str(url).map_err(|e| open_err(reason(&e)))?;
                let pool = PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(|e| open_err(reason(&e)))?;
                (Pool::Postgres(pool), POSTGRES_MIGRATIONS)
            }
        };
        let migrate_err =
            |e: sqlx::migrate::MigrateError| HistoryError::Migrate { location: shown.clone(), reason: e.to_string() };
        let migrator = Migrator::new(Embedded(migrations)).await.map_err(migrate_err)?;
        on_pool!(&pool, p => migrator.run(p).await.map_err(migrate_err)?);
        Ok(Store { pool, location })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Stores `run` (its `info.id` is ignored) in one transaction; returns the new run id.
    pub async fn record(&self, run: &Run) -> Result<i64, HistoryError> {
        let i = &run.info;
        let c = &i.counts;
        let result: Result<i64, sqlx::Error> = on_pool!(&self.pool, p => async {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO runs (started_at, finished_at, plumbline_version, report_schema, snapshot_origin, \
                 snapshot_sha256, snapshot_collected_at, gate_fail_on, gate_passed, gate_exit_code, gate_reason, \
                 checks_total, findings_total, critical, high, medium, low, info) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 RETURNING id",
            )
            .bind(i.started_at)
            .bind(i.finished_at)
            .bind(&i.plumbline_version)
            .bind(&i.report_schema)
            .bind(&i.snapshot.origin)
            .bind(&i.snapshot.sha256)
            .bind(i.snapshot.collected_at)
            .bind(&i.gate.fail_on)
            .bind(i.gate.passed)
            .bind(i.gate.exit_code)
            .bind(&i.gate.reason)
            .bind(c.checks)
            .bind(c.findings)
            .bind(c.critical)
            .bind(c.high)
            .bind(c.medium)
            .bind(c.low)
            .bind(c.info)
            .fetch_one(&mut *tx)
            .await?;
            for (position, check) in run.checks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO run_checks (run_id, position, check_id, title, version, status, error) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(&check.id)
                .bind(&check.title)
                .bind(&check.version)
                .bind(&check.status)
                .bind(&check.error)
                .execute(&mut *tx)
                .await?;
            }
            for (position, f) in run.findings.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO run_findings (run_id, position, check_id, fingerprint, rule, severity, \
                     subject_source, subject_kind, subject_id, message, suppressed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(&f.check)
                .bind(&f.fingerprint)
                .bind(&f.rule)
                .bind(&f.severity)
                .bind(&f.source)
                .bind(&f.kind)
                .bind(&f.subject)
                .bind(&f.message)
                .bind(f.suppressed)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        }
        .await);
        result.map_err(|e| self.query_err(&e))
    }

    /// Every run, oldest first.
    pub async fn runs(&self) -> Result<Vec<RunInfo>, HistoryError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id");
        let result: Result<Vec<RunInfo>, sqlx::Error> = on_pool!(&self.pool, p => async {
            sqlx::query(&sql).fetch_all(p).await?.iter().map(run_info).collect()
        }
        .await);
        result.map_err(|e| self.query_err(&e))
    }

    /// The last `limit` runs, oldest first, each with how many checks failed, were inconclusive
    /// or ended in error (for the HTML report's trend).
    pub async fn recent(&self, limit: u32) -> Result<Vec<RunStatus>, HistoryError> {
        let count = |status: &str| {
            format!(
                "(SELECT COUNT(*) FROM run_checks c WHERE c.run_id = runs.id AND c.status = '{status}') AS n_{status}"
            )
        };
        let sql = format!(
            "SELECT {RUN_COLUMNS}, {}, {}, {} FROM runs ORDER BY id DESC LIMIT $1",
            count("fail"),
            count("inconclusive"),
            count("error")
        );
        let result: Result<Vec<RunStatus>, sqlx::Error> = on_pool!(&self.pool, p => async {
            let rows = sqlx::query(&sql).bind(i64::from(limit)).fetch_all(p).await?;
            rows.iter()
                .rev()
                .map(|row| {
                    Ok(RunStatus {
                        info: run_info(row)?,
                        failing: row.int("n_fail")?,
                        inconclusive: row.int("n_inconclusive")?,
                        errored: row.int("n_error")?,
                    })
                })
                .collect()
        }
        .await);
        result.map_err(|e| self.query_err(&e))
    }

    /// The id `selector` names; an unknown run is [`HistoryError::UnknownRun`].
    pub async fn resolve(&self, selector: Selector) -> Result<i64, HistoryError> {
        let result: Result<(Option<i64>, i64), sqlx::Error> = on_pool!(&self.pool, p => async {
            let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs").fetch_one(p).await?;
            let found: Option<i64> = match selector {
                Selector::Id(id) => {
                    sqlx::query_scalar("SELECT id FROM runs WHERE id = $1").bind(id).fetch_optional(p).await?
                }
                Selector::Last(back) => {
                    sqlx::query_scalar("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET $1")
                        .bind(i64::from(back))
                        .fetch_optional(p)
                        .await?
                }
            };
            Ok((found, recorded))
        }
        .await);
        match result.map_err(|e| self.query_err(&e))? {
            (Some(id), _) => Ok(id),
            (None, recorded) => Err(HistoryError::UnknownRun { selector, location: self.location.display(), recorded }),
        }
    }

    /// Run `id` with its checks and findings.
    pub async fn load(&self, id: i64) -> Result<Run, HistoryError> {
        let run_sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
        let result: Result<Option<Run>, sqlx::Error> = on_pool!(&self.pool, p => async {
            let Some(row) = sqlx::query(&run_sql).bind(id).fetch_optional(p).await? else {
                return Ok(None);
            };
            let info = run_info(&row)?;
            let checks = sqlx::query(
                "SELECT check_id, title, version, status, error FROM run_checks WHERE run_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(p)
            .await?
            .iter()
            .map(check_record)
            .collect::<Result<_, _>>()?;
            let findings = sqlx::query(
                "SELECT check_id, fingerprint, rule, severity, subject_source, subject_kind, subject_id, message, \
                 suppressed FROM run_findings WHERE run_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(p)
            .await?
            .iter()
            .map(finding_record)
            .collect::<Result<_, _>>()?;
            Ok(Some(Run { info, checks, findings }))
        }
        .await);
        match result.map_err(|e| self.query_err(&e))? {
            Some(run) => Ok(run),
            None => Err(HistoryError::UnknownRun {
                selector: Selector::Id(id),
                location: self.location.display(),
                recorded: self.runs().await?.len() as i64,
            }),
        }
    }

    /// Closes the pool (waits for connections to shut down cleanly).
    pub async fn close(self) {
        on_pool!(self.pool, p => p.close().await);
    }

    fn query_err(&self, e: &sqlx::Error) -> HistoryError {
        HistoryError::Query { location: self.location.display(), reason: reason(e) }
    }
}

const RUN_COLUMNS: &str = "id, started_at, finished_at, plumbline_version, report_schema, snapshot_origin, \
    snapshot_sha256, snapshot_collected_at, gate_fail_on, gate_passed, gate_exit_code, gate_reason, checks_total, \
    findings_total, critical, high, medium, low, info";

/// A sqlx error as one line (database errors carry the server's message; never a URL).
fn reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

/// Column types every query reads, on either backend.
trait Columns {
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error>;
}

impl<R: Row> Columns for R
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.try_get(column)
    }
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error> {
        self.try_get(column)
    }
}

fn run_info<R: Columns>(row: &R) -> Result<RunInfo, sqlx::Error> {
    Ok(RunInfo {
        id: row.int("id")?,
        started_at: row.int("started_at")?,
        finished_at: row.int("finished_at")?,
        plumbline_version: row.text("plumbline_version")?,
        report_schema: row.text("report_schema")?,
        snapshot: SnapshotInfo {
            origin: row.text("snapshot_origin")?,
            sha256: row.text("snapshot_sha256")?,
            collected_at: row.int("snapshot_collected_at")?,
        },
        gate: GateInfo {
            fail_on: row.text("gate_fail_on")?,
            passed: row.flag("gate_passed")?,
            exit_code: row.int("gate_exit_code")?,
            reason: row.text("gate_reason")?,
        },
        counts: Counts {
            checks: row.int("checks_total")?,
            findings: row.int("findings_total")?,
            critical: row.int("critical")?,
            high: row.int("high")?,
            medium: row.int("medium")?,
            low: row.int("low")?,
            info: row.int("info")?,
        },
    })
}

fn check_record<R: Columns>(row: &R) -> Result<CheckRecord, sqlx::Error> {
    Ok(CheckRecord {
        id: row.text("check_id")?,
        title: row.opt_text("title")?,
        version: row.opt_text("version")?,
        status: row.text("status")?,
        error: row.opt_text("error")?,
    })
}

fn finding_record<R: Columns>(row: &R) -> Result<FindingRecord, sqlx::Error> {
    Ok(FindingRecord {
        check: row.text("check_id")?,
        fingerprint: row.text("fingerprint")?,
        rule: row.text("rule")?,
        severity: row.text("severity")?,
        source: row.text("subject_source")?,
        kind: row.text("subject_kind")?,
        subject: row.text("subject_id")?,
        message: row.text("message")?,
        suppressed: row.flag("suppressed")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(origin: &str, findings: &[(&str, &str)]) -> Run {
        let doc = serde_json::json!({
            "schema": "plumbline-report/1", "plumbline_version": "0.1.0",
            "snapshot": {"origin": origin, "sha256": "ab", "collected_at": 5},
            "summary": {"checks": 1, "findings": findings.len(),
                "by_severity": {"critical": 0, "high": findings.len(), "medium": 0, "low": 0, "info": 0},
                "gate": {"fail_on": "high", "passed": findings.is_empty(), "exit_code": i64::from(!findings.is_empty()),
                         "reason": "r"}},
            "checks": [{"id": "acks", "title": null, "version": "1.0.0",
                "status": if findings.is_empty() { "pass" } else { "fail" }, "error": null,
                "findings": findings.iter().map(|(fp, rule)| serde_json::json!({
                    "rule": rule, "severity": "high", "subject": {"source": "s", "kind": "queue", "id": fp},
                    "message": "m", "fingerprint": fp})).collect::<Vec<_>>()}]
        });
        Run::from_report_json(doc, 1_000, 2_000).unwrap()
    }

    #[tokio::test]
    async fn sqlite_round_trip_and_selectors() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("nested/history.sqlite"));
        let missing = Store::open(location.clone(), false).await.unwrap_err();
        assert!(matches!(missing, HistoryError::Missing(_)), "{missing}");

        let store = Store::open(location.clone(), true).await.unwrap();
        let first = sample("a.json", &[("f1", "acks/a"), ("f2", "acks/b")]);
        let second = sample("b.json", &[]);
        let id1 = store.record(&first).await.unwrap();
        let id2 = store.record(&second).await.unwrap();
        assert!(id2 > id1);
        store.close().await;

        // Re-opening runs the migrations again (a no-op) and reads what was written.
        let store = Store::open(location, false).await.unwrap();
        let runs = store.runs().await.unwrap();
        assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id1, id2]);
        assert_eq!(store.resolve(Selector::Last(0)).await.unwrap(), id2);
        assert_eq!(store.resolve(Selector::Last(1)).await.unwrap(), id1);
        assert_eq!(store.resolve(Selector::Id(id1)).await.unwrap(), id1);
        let err = store.resolve(Selector::Last(2)).await.unwrap_err().to_string();
        assert!(err.contains("no run last~2") && err.contains("2 run(s) recorded"), "{err}");
        let loaded = store.load(id1).await.unwrap();
        let mut expected = first.clone();
        expected.info.id = id1;
        assert_eq!(loaded, expected);
        assert!(store.load(999).await.is_err());
        let recent = store.recent(1).await.unwrap();
        assert_eq!(
            recent.iter().map(|r| (r.info.id, r.failing, r.inconclusive)).collect::<Vec<_>>(),
            vec![(id2, 0, 0)]
        );
        let recent = store.recent(20).await.unwrap();
        assert_eq!(recent.iter().map(|r| (r.info.id, r.failing)).collect::<Vec<_>>(), vec![(id1, 1), (id2, 0)]);
    }

    #[tokio::test]
    async fn a_file_that_is_not_sqlite_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "this is not a database, just some text that is long enough ".repeat(20)).unwrap();
        let err = Store::open(Location::Sqlite(path), false).await.unwrap_err().to_string();
        assert!(err.contains("notes.txt"), "{err}");
    }
}
