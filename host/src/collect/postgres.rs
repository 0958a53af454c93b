//! PostgreSQL collector: owns the `[[sources.postgres]]` settings and reads one server into a
//! [`PostgresServer`] record with catalog queries only.
//!
//! Every session is opened with `default_transaction_read_only = on` and only `SELECT`s catalogs
//! and statistics views (`pg_settings` via `current_setting`, `pg_stat_activity`, `pg_database`,
//! `pg_extension`, `pg_class`, `pg_attribute`, `pg_index`, `pg_constraint`); no table data is read.
//!
//! What is recorded:
//! - server `version` (first word of `server_version`, e.g. `15.20`), `ssl`, `max_connections`;
//! - client connections per database and user (our own session excluded);
//! - `extensions`: installed in any database read (sorted, deduplicated);
//! - per database (connected to in turn, by replacing the URL's database): ordinary and
//!   partitioned tables (partitions themselves are left out: the parent carries the keys), their
//!   columns, unique keys and planner row estimate (`reltuples`; for a partitioned table the sum of
//!   its analysed leaves; `None` when never analysed).
//!
//! Unique keys come from valid unique indexes (`pg_index.indisunique AND indisvalid`). An index
//! that backs a constraint is reported once, as the constraint (`primary-key` or
//! `unique-constraint`); any other is a `unique-index`. `partial` is true when the index has a
//! `WHERE` predicate. Columns are key columns only (no `INCLUDE` columns) in key order; an
//! expression key column is reported as its expression text (e.g. `lower(email)`), so the key is
//! kept and a check can still see what it covers.
//!
//! Errors: the server connection failing is a [`CollectError`] (`Connect`, or `Auth` for SQLSTATE
//! class 28 / 42501); a database that cannot be connected to or read while the server can is a
//! `problems` entry. Targets are shown through [`display_url`] without path or query, and every
//! message is scrubbed of the password, so no message carries it.
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use tracing::Instrument;

use super::{CollectError, Collected, display_url};
use crate::collect::secrets::scrub;
use crate::contract::estate::{
    PostgresColumn, PostgresConnectionUsage, PostgresServer, PostgresTable, PostgresUniqueKey,
};

pub use super::settings::PostgresSource;

/// Schemas never read.
const SYSTEM_SCHEMAS: [&str; 5] = ["pg_catalog", "information_schema", "pg_toast*", "pg_temp*", "pg_toast_temp*"];

/// Connection settings shared by every session of one collection.
struct Target {
    options: PgConnectOptions,
    /// `postgres://user:<redacted>@host:port`: safe to show.
    server: String,
    /// Text that must never appear in a message (the password, raw and decoded).
    secrets: Vec<String>,
}

impl Target {
    fn shown(&self, database: &str) -> String {
        format!("{}/{database}", self.server)
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }

    /// Opens a read-only session on `database` (the URL's own when `None`).
    async fn connect(&self, database: Option<&str>) -> Result<PgConnection, CollectError> {
        let options = match database {
            Some(db) => self.options.clone().database(db),
            None => self.options.clone(),
        };
        let db = options.get_database().unwrap_or(options.get_username()).to_string();
        let target = self.shown(&db);
        tracing::debug!(%target, "connecting");
        PgConnection::connect_with(&options).await.map_err(|err| match &err {
            sqlx::Error::Database(e) => {
                let code = e.code().map(|c| c.into_owned()).unwrap_or_default();
                let reason = self.scrub(&format!("{} (SQLSTATE {code})", e.message()));
                match code.as_str() {
                    c if c.starts_with("28") || c == "42501" => CollectError::Auth { target, reason },
                    "3D000" => CollectError::Connect { target, reason: format!("database `{db}` does not exist") },
                    _ => CollectError::Connect { target, reason },
                }
            }
            sqlx::Error::Io(e) => CollectError::Connect { target, reason: self.scrub(&e.to_string()) },
            sqlx::Error::Tls(e) => CollectError::Connect { target, reason: self.scrub(&format!("TLS: {e}")) },
            other => CollectError::Connect { target, reason: self.scrub(&other.to_string()) },
        })
    }

    /// Maps a failed query to a `Read` error naming what was being read.
    fn read_error(&self, what: &str) -> impl Fn(sqlx::Error) -> CollectError + '_ {
        let what = what.to_string();
        move |err| {
            let reason = match &err {
                sqlx::Error::Database(e) => {
                    format!("{} (SQLSTATE {})", e.message(), e.code().unwrap_or_default())
                }
                other => other.to_string(),
            };
            CollectError::Read(self.scrub(&format!("{what}: {reason}")))
        }
    }
}

/// Reads the server: settings and connections, then each database's tables.
pub async fn collect(source: &PostgresSource) -> Result<Collected<PostgresServer>, CollectError> {
    let url = super::expand_env(&source.url, "sources.postgres.url")?;
    let secrets = secrets_in(&url);
    let options = PgConnectOptions::from_str(&url)
        .map_err(|e| CollectError::Settings(scrub(&format!("sources.postgres.url: {e}"), &secrets)))?
        .application_name("plumbline")
        .options([("default_transaction_read_only", "on")]);
    let target = Target { options, server: server_target(&url), secrets };

    let mut conn = target.connect(None).await?;
    let row = sqlx::query(
        "SELECT current_setting('server_version'), current_setting('ssl') = 'on', \
                current_setting('max_connections')::int4, current_database()::text",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(target.read_error("server settings"))?;
    let full_version: String = row.try_get(0).map_err(target.read_error("server_version"))?;
    let ssl: bool = row.try_get(1).map_err(target.read_error("ssl"))?;
    let max_connections: i32 = row.try_get(2).map_err(target.read_error("max_connections"))?;
    let current_db: String = row.try_get(3).map_err(target.read_error("current_database"))?;
    let version = full_version.split_whitespace().next().unwrap_or_default().to_string();

    let usage: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT datname::text, coalesce(usename::text, ''), count(*) FROM pg_stat_activity \
         WHERE backend_type = 'client backend' AND datname IS NOT NULL AND pid <> pg_backend_pid() \
         GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(target.read_error("pg_stat_activity"))?;
    let connections = usage
        .into_iter()
        .map(|(database, user, count)| PostgresConnectionUsage {
            database,
            user,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        })
        .collect();

    let databases = match &source.databases {
        Some(list) => list.clone(),
        None => sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE NOT datistemplate AND datallowconn \
             AND has_database_privilege(datname, 'CONNECT') ORDER BY datname",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(target.read_error("pg_database"))?,
    };

    let skip: Vec<String> = SYSTEM_SCHEMAS
        .iter()
        .copied()
        .chain(source.skip_schemas.iter().map(String::as_str))
        .map(like_pattern)
        .collect();
    let (mut tables, mut extensions, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    for db in &databases {
        let conn = &mut conn;
        let result = async {
            if *db == current_db {
                return read_database(conn, db, &skip, &target).await;
            }
            let mut other = target.connect(Some(db)).await?;
            let result = read_database(&mut other, db, &skip, &target).await;
            let _ = other.close().await;
            result
        }
        .instrument(tracing::debug_span!("database", name = %db))
        .await;
        match result {
            Ok((found, installed)) => {
                tracing::debug!(database = %db, tables = found.len(), "database read");
                tables.extend(found);
                extensions.extend(installed);
            }
            Err(err) => {
                tracing::warn!(database = %db, "database not read: {err}");
                problems.push(format!("database `{db}`: {err}"));
            }
        }
    }
    let _ = conn.close().await;
    extensions.sort();
    extensions.dedup();
    tracing::info!(databases = databases.len(), tables = tables.len(), problems = problems.len(), "postgres read");

    let server = PostgresServer {
        source: source.name.clone(),
        version,
        ssl,
        max_connections: u32::try_from(max_connections).unwrap_or(0),
        connections,
        extensions,
        tables,
    };
    Ok(Collected { data: server, problems })
}

/// Tables (with columns and unique keys) and installed extensions of the connected database.
async fn read_database(
    conn: &mut PgConnection,
    db: &str,
    skip: &[String],
    target: &Target,
) -> Result<(Vec<PostgresTable>, Vec<String>), CollectError> {
    let extensions: Vec<String> = sqlx::query_scalar("SELECT extname::text FROM pg_extension ORDER BY extname")
        .fetch_all(&mut *conn)
        .await
        .map_err(target.read_error("pg_extension"))?;

    let rows: Vec<(i64, String, String, Option<f64>)> = sqlx::query_as(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, \
                CASE WHEN c.relkind = 'p' THEN \
                     (SELECT sum(p.reltuples)::float8 FROM pg_partition_tree(c.oid) t \
                      JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf AND p.reltuples >= 0) \
                     WHEN c.reltuples >= 0 THEN c.reltuples::float8 END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't' \
           AND NOT (n.nspname LIKE ANY ($1::text[])) \
         ORDER BY n.nspname, c.relname",
    )
    .bind(skip)
    .fetch_all(&mut *conn)
    .await
    .map_err(target.read_error("pg_class"))?;
    let oids: Vec<i64> = rows.iter().map(|r| r.0).collect();

    let columns: Vec<(i64, String, String, bool)> = sqlx::query_as(
        "SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull \
         FROM pg_attribute a WHERE a.attrelid = ANY ($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await
    .map_err(target.read_error("pg_attribute"))?;

    let keys: Vec<(i64, String, String, bool, Vec<String>)> = sqlx::query_as(
        "SELECT i.indrelid::int8, coalesce(con.conname, ic.relname)::text, \
                CASE con.contype WHEN 'p' THEN 'primary-key' WHEN 'u' THEN 'unique-constraint' \
                     ELSE 'unique-index' END, \
                i.indpred IS NOT NULL, \
                ARRAY(SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) \
                                  ELSE a.attname::text END \
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                      WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid \
                                     AND con.contype IN ('p', 'u') \
         WHERE i.indisunique AND i.indisvalid AND i.indrelid = ANY ($1::int8[]::oid[]) \
         ORDER BY i.indrelid, con.contype = 'p' DESC NULLS LAST, 2",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await
    .map_err(target.read_error("pg_index"))?;

    let tables = rows
        .into_iter()
        .map(|(oid, schema, name, estimate)| PostgresTable {
            database: db.to_string(),
            schema,
            name,
            columns: columns
                .iter()
                .filter(|c| c.0 == oid)
                .map(|(_, name, data_type, nullable)| PostgresColumn {
                    name: name.clone(),
                    data_type: data_type.clone(),
                    nullable: *nullable,
                })
                .collect(),
            unique_keys: keys
                .iter()
                .filter(|k| k.0 == oid)
                .map(|(_, name, kind, partial, columns)| PostgresUniqueKey {
                    name: name.clone(),
                    kind: kind.clone(),
                    columns: columns.clone(),
                    partial: *partial,
                })
                .collect(),
            estimated_rows: estimate.map(|rows| rows.round() as i64),
        })
        .collect();
    Ok((tables, extensions))
}

/// `postgres://user:<redacted>@host:port`: the URL with its password masked and path and query dropped
/// (the query may carry `password=`).
fn server_target(url: &str) -> String {
    let shown = display_url(url);
    let (scheme, rest) = shown.split_once("://").unwrap_or(("postgres", ""));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    format!("{scheme}://{}", &rest[..end])
}

/// The password of a URL (user-info part and `password=` parameter), raw and percent-decoded.
fn secrets_in(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            found.push(password.to_string());
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split(['&', '#']) {
            if let Some(value) = pair.strip_prefix("password=") {
                found.push(value.to_string());
                found.push(value.replace('+', " "));
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.dedup();
    found
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `LIKE` pattern for a schema name where a trailing `*` matches any suffix.
fn like_pattern(name: &str) -> String {
    let (stem, wildcard) = match name.strip_suffix('*') {
        Some(stem) => (stem, "%"),
        None => (name, ""),
    };
    let escaped = stem.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{escaped}{wildcard}")
}

/// Against the real local server (`PLUMBLINE_TEST_PG_URL`, default
/// `postgres://postgres@127.0.0.1:5432/test`); every test uses its own schema or role name.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn base_url() -> String {
        std::env::var("PLUMBLINE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    fn unique(prefix: &str) -> String {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}_{}_{}_{n}", std::process::id(), nanos.unwrap_or(0))
    }

    fn source(url: &str, databases: Option<&[&str]>) -> PostgresSource {
        PostgresSource {
            name: "pg".into(),
            url: url.into(),
            databases: databases.map(|d| d.iter().map(|s| s.to_string()).collect()),
            skip_schemas: Vec::new(),
        }
    }

    async fn admin(sql: &str) {
        let mut conn = PgConnection::connect(&base_url()).await.expect("admin connection");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("admin statement");
        let _ = conn.close().await;
    }

    async fn collect_quickly(source: &PostgresSource) -> Result<Collected<PostgresServer>, CollectError> {
        tokio::time::timeout(Duration::from_secs(20), collect(source)).await.expect("collect finished in time")
    }

    #[tokio::test]
    async fn reads_tables_columns_and_unique_keys() {
        let schema = unique("plumbline_t");
        admin(&format!(
            "CREATE SCHEMA {schema}; SET search_path = {schema};
             CREATE TABLE events (event_id uuid NOT NULL, payload jsonb NOT NULL);
             CREATE TABLE orders (id bigint PRIMARY KEY, number text NOT NULL UNIQUE, email text NOT NULL,
                                  sku text NOT NULL, status text NOT NULL, note text NOT NULL);
             CREATE UNIQUE INDEX orders_sku_status_idx ON orders (sku, status) INCLUDE (note);
             CREATE UNIQUE INDEX orders_open_idx ON orders (email) WHERE status = 'open';
             CREATE UNIQUE INDEX orders_lower_email_idx ON orders (lower(email));
             CREATE TABLE notes (id int NOT NULL REFERENCES orders (id), body varchar(20));
             INSERT INTO orders VALUES (1, 'a', 'e', 's', 'open', 'n');
             INSERT INTO notes SELECT 1, 'x' FROM generate_series(1, 50); ANALYZE notes;
             CREATE TABLE parted (id int NOT NULL, day date NOT NULL, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
             CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');"
        ))
        .await;
        let result = collect_quickly(&source(&base_url(), None)).await;
        admin(&format!("DROP SCHEMA {schema} CASCADE")).await;
        let collected = result.expect("collect");
        let server = &collected.data;
        assert!(!server.version.is_empty() && !server.version.contains(' '), "{}", server.version);
        assert!(server.max_connections > 0);
        assert!(server.extensions.iter().any(|e| e == "plpgsql"), "{:?}", server.extensions);

        let mut mine: Vec<&PostgresTable> = server.tables.iter().filter(|t| t.schema == schema).collect();
        mine.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<&str> = mine.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["events", "notes", "orders", "parted"], "partitions are left out");
        assert!(mine.iter().all(|t| t.database == "test"));

        let (events, notes, orders, parted) = (mine[0], mine[1], mine[2], mine[3]);
        assert!(events.unique_keys.is_empty());
        assert_eq!(
            events.columns[0],
            PostgresColumn { name: "event_id".into(), data_type: "uuid".into(), nullable: false }
        );
        assert_eq!(events.estimated_rows, None, "never analysed");

        assert!(notes.unique_keys.is_empty(), "a foreign key is not a unique key: {:?}", notes.unique_keys);
        assert_eq!(
            notes.columns[1],
            PostgresColumn { name: "body".into(), data_type: "character varying(20)".into(), nullable: true }
        );
        assert_eq!(notes.estimated_rows, Some(50));

        let key = |name: &str, kind: &str, columns: &[&str], partial: bool| PostgresUniqueKey {
            name: name.into(),
            kind: kind.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            partial,
        };
        let mut keys = orders.unique_keys.clone();
        assert_eq!(keys[0], key("orders_pkey", "primary-key", &["id"], false), "primary key first");
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            keys,
            [
                key("orders_lower_email_idx", "unique-index", &["lower(email)"], false),
                key("orders_number_key", "unique-constraint", &["number"], false),
                key("orders_open_idx", "unique-index", &["email"], true),
                key("orders_pkey", "primary-key", &["id"], false),
                key("orders_sku_status_idx", "unique-index", &["sku", "status"], false),
            ]
        );
        assert_eq!(parted.unique_keys, [key("parted_pkey", "primary-key", &["id", "day"], false)]);
    }

    #[tokio::test]
    async fn skips_configured_schemas() {
        let schema = unique("plumbline_skip");
        admin(&format!("CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (id int);")).await;
        let mut src = source(&base_url(), Some(&["test"]));
        src.skip_schemas = vec!["plumbline_skip*".into()];
        let result = collect_quickly(&src).await;
        admin(&format!("DROP SCHEMA {schema} CASCADE")).await;
        let server = result.expect("collect").data;
        assert!(server.tables.iter().all(|t| !t.schema.starts_with("plumbline_skip")));
        assert!(server.tables.iter().all(|t| t.schema != "pg_catalog" && t.schema != "information_schema"));
    }

    #[tokio::test]
    async fn refused_port_is_a_connect_error_without_the_password() {
        for url in [
            "postgres://postgres:s3cret-canary@127.0.0.1:1/test",
            "postgres://postgres@127.0.0.1:1/test?password=s3cret-canary",
        ] {
            let err = collect_quickly(&source(url, None)).await.expect_err("port 1 is closed");
            let text = err.to_string();
            assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
            assert!(text.contains("127.0.0.1:1"), "{text}");
            assert!(!text.contains("s3cret-canary"), "{text}");
        }
    }

    #[tokio::test]
    async fn unknown_host_is_a_connect_error() {
        let err = collect_quickly(&source("postgres://u:s3cret-canary@no-such-host.invalid/test", None)).await;
        let err = err.expect_err("host does not resolve");
        assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
        assert!(!err.to_string().contains("s3cret-canary"));
    }

    #[tokio::test]
    async fn unknown_database_names_it() {
        let url = base_url().replace("/test", "/plumbline_no_such_db").replace("postgres@", "postgres:s3cret-canary@");
        let err = collect_quickly(&source(&url, None)).await.expect_err("no such database");
        let text = err.to_string();
        assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
        assert!(text.contains("database `plumbline_no_such_db` does not exist"), "{text}");
        assert!(!text.contains("s3cret-canary"), "{text}");
    }

    #[tokio::test]
    async fn unreadable_database_is_a_problem_not_an_error() {
        let url = base_url().replace("postgres@", "postgres:s3cret-canary@");
        let collected = collect_quickly(&source(&url, Some(&["test", "plumbline_no_such_db"]))).await.expect("partial");
        // Other tests create and drop schemas in `test` meanwhile, which can cost a catalog read
        // a problem of its own; the missing database must be exactly one of them.
        let missing = collected.problems.iter().filter(|p| p.contains("plumbline_no_such_db")).count();
        assert_eq!(missing, 1, "{:?}", collected.problems);
        assert!(collected.problems.iter().all(|p| !p.contains("s3cret-canary")));
        assert!(collected.data.tables.iter().all(|t| t.database == "test"));
    }

    #[tokio::test]
    async fn role_that_cannot_log_in_is_an_auth_error() {
        let role = unique("plumbline_nologin");
        admin(&format!("CREATE ROLE {role} NOLOGIN")).await;
        let url = base_url().replace("postgres@", &format!("{role}@"));
        let result = collect_quickly(&source(&url, None)).await;
        admin(&format!("DROP ROLE {role}")).await;
        let err = result.expect_err("NOLOGIN role");
        assert!(matches!(err, CollectError::Auth { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn missing_variable_and_bad_url_are_settings_errors() {
        let err = collect_quickly(&source("postgres://u:${PLUMBLINE_TEST_UNSET_VAR_7F3A}@h/db", None)).await;
        assert!(matches!(err, Err(CollectError::Settings(_))), "{err:?}");
        let err = collect_quickly(&source("postgres://u:s3cret-canary@h:notaport/db", None)).await;
        let err = err.expect_err("bad port");
        assert!(matches!(err, CollectError::Settings(_)) && !err.to_string().contains("s3cret-canary"), "{err:?}");
    }

    #[test]
    fn settings_reject_unknown_fields() {
        let ok: PostgresSource =
            toml::from_str("name = 'pg'\nurl = 'postgres://h/db'\ndatabases = ['a']\nskip-schemas = ['audit']")
                .expect("valid");
        assert_eq!(ok.databases, Some(vec!["a".to_string()]));
        assert!(toml::from_str::<PostgresSource>("name = 'pg'\nurl = 'x'\nschema = ['a']").is_err());
    }

    #[test]
    fn helpers() {
        assert_eq!(server_target("postgres://u:p%40ss@h:5/db?password=x"), "postgres://u:<redacted>@h:5");
        assert_eq!(secrets_in("postgres://u:p%40ss@h/db?password=a+b"), ["p%40ss", "p@ss", "a b", "a+b"]);
        assert_eq!(like_pattern("pg_toast*"), "pg\\_toast%");
        assert_eq!(like_pattern("a%b"), "a\\%b");
    }
}
