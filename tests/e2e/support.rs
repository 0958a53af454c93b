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

/// Runs `plumbline` with `args` and a private cache directory.
pub fn plumbline(cache: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command.args(args).arg("--cache-dir").arg(cache).env_remove("PLUMBLINE_LOG").current_dir(repo_root());
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
