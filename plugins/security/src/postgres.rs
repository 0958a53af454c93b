//! PostgreSQL side of `security` (`postgres-no-tls`): servers with `ssl` off (high), and client
//! configurations — JDBC or libpq URLs, key/value DSNs, `*sslmode` keys such as `PGSSLMODE` —
//! whose `sslmode` is `disable` or `allow`, which never insist on TLS (medium).

use plumbline_sdk::prelude::*;

use crate::POSTGRES_TLS;

pub fn audit_servers(audit: &mut Audit<'_>, servers: &[PostgresServer]) {
    for server in servers {
        audit.evaluated(1);
        if server.ssl {
            continue;
        }
        audit.finding(
            POSTGRES_TLS,
            Subject::new(&server.source, "server", &server.source),
            format!(
                "PostgreSQL `{}` ({}) runs with ssl = off: every connection, query result and password exchange is unencrypted. Turn ssl on and require hostssl in pg_hba.conf.",
                server.source, server.version
            ),
            [
                ("source", server.source.clone()),
                ("version", server.version.clone()),
                ("ssl", "false".to_string()),
            ],
        );
    }
}

/// True when `entry` describes a PostgreSQL connection.
fn is_postgres(entry: &ConfigEntry) -> bool {
    let value = entry.value.to_ascii_lowercase();
    let key = entry.key.to_ascii_lowercase();
    value.contains("jdbc:postgresql:")
        || value.contains("postgres://")
        || value.contains("postgresql://")
        || key.ends_with("sslmode")
}

/// The `sslmode` the entry sets: from `sslmode=` in a URL or DSN, or the value of an `*sslmode` key.
fn sslmode(entry: &ConfigEntry) -> Option<String> {
    if entry.key.to_ascii_lowercase().ends_with("sslmode") {
        return Some(entry.value.trim().to_ascii_lowercase());
    }
    let value = entry.value.to_ascii_lowercase();
    let start = value.find("sslmode=")? + "sslmode=".len();
    let mode: String = value[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    Some(mode)
}

pub fn audit_configs(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        for entry in file.entries.iter().filter(|e| is_postgres(e)) {
            audit.evaluated(1);
            let Some(mode) = sslmode(entry) else {
                continue;
            };
            if mode != "disable" && mode != "allow" {
                continue;
            }
            audit.finding_with_severity(
                POSTGRES_TLS,
                Severity::Medium,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} connects `{}` to PostgreSQL with sslmode={mode}, which {}: use sslmode=verify-full (medium: a client setting; the server decides whether plain connections are accepted at all).",
                    file.path,
                    entry.line,
                    file.owner(),
                    if mode == "disable" {
                        "never uses TLS"
                    } else {
                        "tries a plain connection first"
                    }
                ),
                [
                    ("file", file.path.clone()),
                    ("line", entry.line.to_string()),
                    ("key", entry.key.clone()),
                    ("sslmode", mode.clone()),
                ],
            );
        }
    }
}
