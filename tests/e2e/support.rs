//! Helpers shared by the end-to-end tests: running the binary, paths of built guests and examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Runs `plumbline` with `args` and a private cache directory, isolated from the developer's own
/// setup: no installed packs or trusted keys (the data directory points into the scratch cache),
/// no history location or log level from the environment.
pub fn plumbline(cache: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .env("XDG_DATA_HOME", cache.join("no-data-home"))
        .env_remove("PLUMBLINE_LOG")
        .env_remove("PLUMBLINE_HISTORY")
        .env_remove("PLUMBLINE_PACK_STORE")
        .env_remove("PLUMBLINE_KEYS_DIR")
        .current_dir(repo_root());
    run(command)
}

/// Runs a prepared `plumbline` command and captures its exit code and output.
pub fn run(mut command: Command) -> Run {
    let output: Output = command.output().expect("run plumbline");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

pub fn example(name: &str) -> String {
    repo_root().join("examples").join(name).join("snapshot.json").display().to_string()
}

/// Path of a test guest built by host/build.rs (`spin`, `hog`, `crash`, `nosy`).
pub fn guest(name: &str) -> String {
    Path::new(env!("PLUMBLINE_TEST_GUESTS")).join(format!("hostile_{name}.wasm")).display().to_string()
}

/// Path of a bundled check's component as built by host/build.rs.
pub fn bundled_component(package: &str) -> PathBuf {
    Path::new(env!("PLUMBLINE_TEST_GUESTS")).join(format!("{}.wasm", package.replace('-', "_")))
}

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The check named `id` in a JSON report.
pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in report"))
}

/// Writes `dir/partial.json`: the leaky example estate as if RabbitMQ could not be read (its
/// source failed, nothing of it collected, and the config files and registry left empty so
/// nothing else stands in for it). Returns the path.
pub fn leaky_estate_without_rabbitmq(dir: &Path) -> PathBuf {
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("leaky-estate")).unwrap()).unwrap();
    for source in snapshot["info"]["sources"].as_array_mut().unwrap() {
        if source["kind"] == "Rabbitmq" {
            source["ok"] = false.into();
            source["reason"] = "connection refused".into();
        }
    }
    // Nothing of RabbitMQ could be read (a failed source beside a read one would be `partial`).
    snapshot["rabbitmq"] = serde_json::json!([]);
    snapshot["config_files"] = serde_json::json!([]);
    snapshot["registry"] = serde_json::json!([]);
    let path = dir.join("partial.json");
    std::fs::write(&path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    path
}

/// The local PostgreSQL of scripts/services.sh, as the tests reach it.
pub const TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema of its own in the local PostgreSQL, created on `new` and dropped (with everything in
/// it) however the test ends.
pub struct TestSchema {
    pub name: String,
    pub pool: sqlx::PgPool,
    runtime: tokio::runtime::Runtime,
}

impl TestSchema {
    pub fn new(prefix: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("{prefix}_{}_{nanos}", std::process::id());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let pool = runtime
            .block_on(sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(TEST_POSTGRES))
            .expect("local PostgreSQL (scripts/services.sh)");
        let schema = TestSchema { name, pool, runtime };
        schema.execute(&format!("CREATE SCHEMA {}", schema.name));
        schema
    }

    /// A URL whose connections use this schema (with `credentials`, e.g. `postgres:pw@`, if given).
    pub fn url(&self, credentials: &str) -> String {
        let host = TEST_POSTGRES.trim_start_matches("postgres://postgres@");
        let user = if credentials.is_empty() { "postgres@" } else { credentials };
        format!("postgres://{user}{host}?options=-csearch_path%3D{}", self.name)
    }

    pub fn execute(&self, sql: &str) {
        self.runtime.block_on(sqlx::query(sql).execute(&self.pool)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {}.{table}", self.name);
        self.runtime.block_on(sqlx::query_scalar(&sql).fetch_one(&self.pool)).unwrap()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        let _ = self.runtime.block_on(sqlx::query(&sql).execute(&self.pool));
    }
}
