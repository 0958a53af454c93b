//! The sandbox, proven with hostile guests built from plugins/test-guests: each misbehaving
//! check ends in `error` with the reason, and the bundled check beside it gives exactly the
//! result of a clean run. Also: plugins for another contract version, core modules and truncated
//! files are refused before compiling.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// A run of plumbline with what it cost: the process's peak resident memory and wall time.
pub struct Measured {
    pub run: Run,
    pub peak_rss_mib: u64,
    /// Peak RSS of this test process when the child was spawned. Linux carries the parent's
    /// high-water mark into the child's `ru_maxrss` across fork/exec, so with many tests running
    /// in one process the child's figure is at least this.
    pub inherited_rss_mib: u64,
    pub wall: Duration,
}

/// Runs `plumbline` like `support::plumbline`, reaping it with `wait4` to read its own peak RSS
/// (`ru_maxrss`, which counts the checks' linear memories: they live in the host process).
pub fn measured(cache: &std::path::Path, args: &[&str]) -> Measured {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command.args(args).arg("--cache-dir").arg(cache).env_remove("PLUMBLINE_LOG").current_dir(repo_root());
    measured_command(command)
}

#[expect(clippy::zombie_processes, reason = "the child is reaped with wait4, which also gives its rusage")]
pub fn measured_command(mut command: Command) -> Measured {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let inherited_rss_mib = own_peak_rss_mib();
    let started = Instant::now();
    let mut child = command.spawn().expect("run plumbline");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own unreaped child (the
    // `Child` handle is never waited on afterwards).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let wall = started.elapsed();
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let run =
        Run { code, stdout: stdout.join().expect("stdout reader"), stderr: stderr.join().expect("stderr reader") };
    Measured { run, peak_rss_mib: usage.ru_maxrss as u64 / 1024, inherited_rss_mib, wall }
}

/// VmHWM of this process in MiB (0 when /proc cannot be read).
fn own_peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

/// What the hostile run may cost the host: memory the sandbox allows the checks that can run at
/// once (`memory_mib` in all), plus room for plumbline itself; wall time a few deadlines plus
/// compiling the guest. Containment bounds, not speed targets.
pub fn assert_bounded(measured: &Measured, memory_mib: u64, timeout: Duration) {
    eprintln!("plumbline peak RSS {} MiB, wall {:?}", measured.peak_rss_mib, measured.wall);
    let rss_bound = (memory_mib + 300).max(measured.inherited_rss_mib + 64);
    assert!(
        measured.peak_rss_mib < rss_bound,
        "peak RSS {} MiB, bound {rss_bound} MiB\n{}",
        measured.peak_rss_mib,
        measured.run.stderr
    );
    let wall_bound = timeout * 3 + Duration::from_secs(30);
    assert!(measured.wall < wall_bound, "took {:?}, bound {wall_bound:?}", measured.wall);
    if let Ok(report) = serde_json::from_str::<serde_json::Value>(&measured.run.stdout) {
        for check in report["checks"].as_array().into_iter().flatten() {
            let ms = check["duration_ms"].as_f64().unwrap_or_default();
            let bound = timeout.as_secs_f64() * 1500.0 + 2000.0;
            assert!(ms < bound, "{} ran {ms} ms, bound {bound} ms", check["id"]);
        }
    }
}

/// Every bundled check's result in a clean run, for comparison.
pub fn clean_bundled(cache: &std::path::Path) -> Vec<serde_json::Value> {
    bundled_results(&plumbline(cache, &["audit", "--format", "json"]).json())
}

/// The bundled checks' results in `report`, without what legitimately differs between runs.
pub fn bundled_results(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["plugin"]["origin"].as_str().is_some_and(|o| o.starts_with("bundled:")))
        .map(|c| {
            let mut c = c.clone();
            c["duration_ms"] = serde_json::Value::Null;
            c["plugin"]["cache"] = serde_json::Value::Null;
            c
        })
        .collect()
}

pub const TIMEOUT: Duration = Duration::from_secs(2);

fn audit_with(cache: &std::path::Path, extra: &[&str]) -> Measured {
    let timeout = TIMEOUT.as_secs().to_string();
    let mut args = vec!["audit", "--format", "json", "--timeout", &timeout];
    for plugin in extra {
        args.extend(["--plugin", plugin]);
    }
    measured(cache, &args)
}

/// The hostile check `id` ended in `error` with `reason`, every bundled check gave exactly its
/// clean result, and the host stayed within its bounds (`memory_mib` of checks at once).
pub fn assert_contained(measured: &Measured, id: &str, reason: &str, clean: &[serde_json::Value], memory_mib: u64) {
    let run = &measured.run;
    assert_eq!(run.code, 3, "a check in error exits 3\n{}", run.stderr);
    let report = run.json();
    let hostile = check(&report, id);
    assert_eq!(hostile["status"], "error", "{hostile}");
    assert!(hostile["findings"].as_array().is_some_and(Vec::is_empty), "{id} kept findings");
    let error = hostile["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "{id}: expected `{reason}` in `{error}`");
    assert_eq!(bundled_results(&report), clean, "a bundled check's result changed next to {id}");
    assert_bounded(measured, memory_mib, TIMEOUT);
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("spin")]);
    assert_contained(&run, "hostile-spin", "ran longer than the 2 s deadline (raise `timeout-seconds`", &clean, 256);
}

#[test]
fn unbounded_allocation_is_stopped_at_the_memory_limit() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("hog")]);
    assert_contained(&run, "hostile-hog", "memory limit of 256 MiB exceeded (raise `memory-mib`", &clean, 256);
}

#[test]
fn a_configured_memory_limit_is_the_one_enforced() {
    let cache = temp();
    let config = cache.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmemory-mib = 32\n").unwrap();
    let run = plumbline(
        cache.path(),
        &["audit", "--format", "json", "--config", config.to_str().unwrap(), "--plugin", &guest("hog")],
    );
    let error = check(&run.json(), "hostile-hog")["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("memory limit of 32 MiB exceeded"), "{error}");
}

#[test]
fn a_panic_is_an_error_with_the_panic_message() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("crash")]);
    assert_contained(&run, "hostile-crash", "boom: this check crashed on purpose", &clean, 256);
}

#[test]
fn reading_an_undeclared_section_is_refused() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("nosy")]);
    assert_contained(&run, "hostile-nosy", "config-files without declaring", &clean, 256);
}

#[test]
fn all_hostile_guests_at_once_leave_the_bundled_checks_untouched() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let ids = ["spin", "hog", "crash", "nosy", "recurse", "flood", "backdoor"];
    let guests: Vec<String> = ids.iter().map(|g| guest(g)).collect();
    let refs: Vec<&str> = guests.iter().map(String::as_str).collect();
    let measured = audit_with(cache.path(), &refs);
    assert_eq!(measured.run.code, 3, "{}", measured.run.stderr);
    let report = measured.run.json();
    for id in ["hostile-spin", "hostile-hog", "hostile-crash", "hostile-nosy", "hostile-recurse", "hostile-flood"] {
        assert_eq!(check(&report, id)["status"], "error", "{id}");
    }
    let backdoor = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["plugin"]["origin"].as_str().is_some_and(|o| o.ends_with("hostile_backdoor.wasm")));
    assert_eq!(backdoor.unwrap()["status"], "error");
    assert_eq!(bundled_results(&report), clean);
    // Checks run one per core at most; the memory-hungry ones (hog, flood) may overlap.
    assert_bounded(&measured, 2 * 256, TIMEOUT * 2);
}

/// Rewrites every `plumbline:audit/...@0.1.0` name in a component to another version of the same
/// length, as if it had been built against that contract.
fn rebrand(bytes: &[u8], version: &str) -> Vec<u8> {
    assert_eq!(version.len(), "0.1.0".len());
    let mut out = bytes.to_vec();
    for interface in ["check", "estate", "types"] {
        let from = format!("plumbline:audit/{interface}@0.1.0");
        let to = format!("plumbline:audit/{interface}@{version}");
        let mut i = 0;
        while let Some(pos) = out[i..].windows(from.len()).position(|w| w == from.as_bytes()) {
            out[i + pos..i + pos + to.len()].copy_from_slice(to.as_bytes());
            i += pos + to.len();
        }
    }
    out
}

/// The outcome of the plugin loaded from a path ending in `suffix`.
fn by_origin<'a>(report: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["plugin"]["origin"].as_str().is_some_and(|o| o.ends_with(suffix))))
        .unwrap_or_else(|| panic!("no plugin from *{suffix} in the report"))
}

/// Each plugin (by path suffix) was refused with the reason given; the bundled checks ran as in
/// a clean run, and the host stayed within bounds.
fn assert_refused(measured: &Measured, refusals: &[(&str, &str)], clean: &[serde_json::Value]) {
    assert_eq!(measured.run.code, 3, "{}", measured.run.stderr);
    let report = measured.run.json();
    for (suffix, reason) in refusals {
        let refused = by_origin(&report, suffix);
        assert_eq!(refused["status"], "error", "{refused}");
        let error = refused["error"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "{suffix}: expected `{reason}` in `{error}`");
    }
    assert_eq!(bundled_results(&report), clean);
    assert_bounded(measured, 256, TIMEOUT);
}

#[test]
fn plugins_for_another_minor_or_a_future_major_contract_are_refused_naming_both() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let minor = cache.path().join("minor.wasm");
    std::fs::write(&minor, rebrand(&acks, "0.2.0")).unwrap();
    let major = cache.path().join("major.wasm");
    std::fs::write(&major, rebrand(&acks, "1.0.0")).unwrap();
    let run = audit_with(cache.path(), &[minor.to_str().unwrap(), major.to_str().unwrap()]);
    let both = |found: &str| {
        format!("built for contract plumbline:audit@{found}, but this plumbline implements plumbline:audit@0.1.0")
    };
    assert_refused(&run, &[("minor.wasm", &both("0.2.0")), ("major.wasm", &both("1.0.0"))], &clean);
}

#[test]
fn a_component_importing_an_unknown_host_function_is_refused_naming_the_import() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("backdoor")]);
    let reason = "refused: imports `evil:backdoor/net@1.0.0`, which plumbline does not provide";
    assert_refused(&run, &[("hostile_backdoor.wasm", reason)], &clean);
    // Refused before compiling: nothing of it reached the compile cache.
    let cached = || std::fs::read_dir(cache.path()).unwrap().count();
    let before = cached();
    let again = audit_with(cache.path(), &[&guest("backdoor")]);
    assert_eq!(again.run.code, 3);
    assert_eq!(cached(), before, "the refused component was compiled");
}

#[test]
fn a_compatible_patch_version_still_loads() {
    let cache = temp();
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let patched = cache.path().join("patched.wasm");
    std::fs::write(&patched, rebrand(&acks, "0.1.9")).unwrap();
    let run =
        plumbline(cache.path(), &["audit", "--format", "json", "--no-bundled", "--plugin", patched.to_str().unwrap()]);
    let report = run.json();
    let outcome = &report["checks"][0];
    assert_eq!(outcome["plugin"]["contract"], "0.1.9");
    // wasmtime links semver-compatible names (0.1.9 imports are satisfied by our 0.1.0).
    assert_eq!(outcome["status"], "fail", "{outcome}");
    assert_eq!(outcome["error"], serde_json::Value::Null);
}

#[test]
fn core_modules_truncated_files_and_non_wasm_are_refused() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let core = cache.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let truncated = cache.path().join("truncated.wasm");
    std::fs::write(&truncated, &acks[..acks.len() / 2]).unwrap();
    let text = cache.path().join("notes.wasm");
    std::fs::write(&text, b"just some text").unwrap();
    let run = audit_with(cache.path(), &[core.to_str().unwrap(), truncated.to_str().unwrap(), text.to_str().unwrap()]);
    let refusals = [
        ("core.wasm", "core WebAssembly module, not a component"),
        ("truncated.wasm", "refused: malformed component"),
        ("notes.wasm", "not a WebAssembly file"),
    ];
    assert_refused(&run, &refusals, &clean);
}

/// Runs one escape-attempting guest: it must end with its own verdict (`skip`: no finding, so no
/// escape), every note naming a denial, and the bundled checks as in a clean run.
fn assert_denied(measured: &Measured, id: &str, attempts: usize, clean: &[serde_json::Value]) -> Vec<String> {
    let report = measured.run.json();
    let hostile = check(&report, id);
    assert_eq!(hostile["status"], "skip", "{id} escaped the sandbox: {hostile}");
    assert!(hostile["findings"].as_array().is_some_and(Vec::is_empty), "{hostile}");
    let notes: Vec<String> =
        hostile["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    let denied = notes.iter().filter(|n| n.contains("denied")).count();
    assert_eq!(denied, attempts, "{id}: expected {attempts} denials in {notes:#?}");
    assert_eq!(bundled_results(&report), clean);
    assert_bounded(measured, 256, TIMEOUT);
    notes
}

#[test]
fn reading_host_files_is_denied_by_wasi_and_nothing_leaks() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("files")]);
    let notes = assert_denied(&run, "hostile-files", 4, &clean);
    assert!(notes.iter().any(|n| n.starts_with("read /etc/passwd: denied")), "{notes:?}");
    assert!(!run.run.stdout.contains("root:x:0:0"), "/etc/passwd reached the report");
    assert!(!repo_root().join("hostile-files-escape.txt").exists(), "the guest wrote a file");
}

#[test]
fn the_environment_arguments_and_working_directory_are_hidden() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let canary = "plumbline-canary-3f9a1c";
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command
        .args(["audit", "--format", "json", "--timeout", "2", "--plugin", &guest("env"), "--cache-dir"])
        .arg(cache.path())
        .env("PLUMBLINE_TEST_SECRET", canary)
        .current_dir(repo_root());
    let run = measured_command(command);
    let notes = assert_denied(&run, "hostile-env", 2, &clean);
    assert!(notes.contains(&"environment: denied: 0 variables".to_string()), "{notes:?}");
    assert!(notes.contains(&"arguments: 0".to_string()), "{notes:?}");
    let cwd = notes.iter().find(|n| n.starts_with("working directory")).expect("a working-directory note");
    assert!(!cwd.contains(repo_root().to_str().unwrap()), "the host's working directory leaked: {cwd}");
    assert!(!run.run.stdout.contains(canary) && !run.run.stderr.contains(canary), "the environment leaked");
}

#[test]
fn sockets_and_name_lookups_are_denied_and_nothing_connects() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    // A listener the guest is told to dial: had anything connected, it would be waiting here.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = cache.path().join("net.toml");
    std::fs::write(&config, format!("[checks.hostile-net.params]\nport = {port}\n")).unwrap();
    let run = measured(
        cache.path(),
        &[
            "audit",
            "--format",
            "json",
            "--timeout",
            "2",
            "--config",
            config.to_str().unwrap(),
            "--plugin",
            &guest("net"),
        ],
    );
    let notes = assert_denied(&run, "hostile-net", 3, &clean);
    assert!(notes.iter().any(|n| n.starts_with(&format!("tcp connect 127.0.0.1:{port}: denied"))), "{notes:?}");
    listener.set_nonblocking(true).unwrap();
    let accepted = listener.accept();
    assert!(
        accepted.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "something connected: {accepted:?}"
    );
}

#[test]
fn megabytes_of_output_are_capped_without_failing_the_check() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json", "--plugin", &guest("chatty"), "-vv"]);
    let report = run.json();
    let chatty = check(&report, "hostile-chatty");
    assert_eq!(chatty["status"], "skip", "{chatty}");
    assert_eq!(chatty["error"], serde_json::Value::Null);
    assert!(run.stderr.contains("output beyond the cap was dropped"), "cap not applied");
    assert!(run.stderr.len() < 1 << 20, "logged {} bytes of plugin output", run.stderr.len());
}

#[test]
fn unbounded_recursion_exhausts_the_wasm_stack_not_the_host() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_with(cache.path(), &[&guest("recurse")]);
    assert_contained(&run, "hostile-recurse", "wasm stack exhausted", &clean, 256);
}
