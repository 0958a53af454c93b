//! Hostile text never reaches a terminal or a report raw (docs/security.md, "Untrusted text in
//! reports"): a check whose every string carries escape sequences, carriage returns and bidi
//! controls (plugins/test-guests/escapes), and a real RabbitMQ queue whose name carries OSC and
//! CSI sequences. Every format, piped and through a pseudo-terminal (`script`, so the colour path
//! runs), may hold only line feeds and, on the terminal, plumbline's own SGR colour codes; the
//! JSON report still holds the exact strings.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::*;

/// The hostile text of plugins/test-guests/escapes/src/lib.rs (`EVIL`), kept in step by hand.
const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2K\r\u{8}\0\u{9b}31m\u{202e}fdp.exe\u{1b}]52;c;aGk=\u{7}\
                    \u{1b}P1$r\u{1b}\\\u{2028}\u{1b}[8mhidden\u{1b}[0m\u{7f}\u{2066}\r[PASSED]";

/// How the output filter shows `EVIL`'s start: visible, so an auditor sees the text is hostile.
const SHOWN: &str = "\\x1b]0;pwned\\x07\\x1b[2K\\r\\x08\\x00\\u009b31m\\u202efdp.exe";

/// Characters that must never appear raw: C0 controls, DEL, C1 controls, bidi controls and the
/// Unicode line and paragraph separators. Written out again on purpose rather than taken from
/// `report::untrusted`: the test's oracle must not be the code it judges.
fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Length of the SGR sequence (`ESC [ digits/; m`) `text` starts with.
fn sgr_len(text: &str) -> Option<usize> {
    let params = text.strip_prefix("\u{1b}[")?;
    let digits = params.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
    (params.as_bytes().get(digits) == Some(&b'm')).then_some(digits + 3)
}

/// Panics on any unsafe character other than a line feed; with `sgr`, SGR sequences are allowed.
#[track_caller]
fn assert_clean(what: &str, text: &str, sgr: bool) {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c != '\n' && is_unsafe(c)) {
        let tail = &rest[at..];
        match sgr_len(tail) {
            Some(len) if sgr => rest = &tail[len..],
            _ => {
                let before = &text[..text.len() - tail.len()];
                let context: String = before.chars().rev().take(100).collect::<Vec<_>>().into_iter().rev().collect();
                panic!("{what}: raw {:?} after {context:?}", tail.chars().next().unwrap_or(' '));
            }
        }
    }
}

fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

/// Runs `plumbline args… --cache-dir cache` on a pseudo-terminal (util-linux `script`, with
/// `onlcr` off so line feeds stay line feeds), stdout and stderr both on it, colour allowed.
fn in_pty(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut line = format!("stty -onlcr; exec {}", quote(env!("CARGO_BIN_EXE_plumbline")));
    for arg in args.iter().copied().chain(["--cache-dir", &cache.display().to_string()]) {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut command = Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .env("TERM", "xterm-256color")
        .env("XDG_DATA_HOME", cache.join("no-data-home"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("PLUMBLINE_LOG")
        .env_remove("PLUMBLINE_HISTORY")
        .env_remove("PLUMBLINE_PACK_STORE")
        .env_remove("PLUMBLINE_KEYS_DIR")
        .current_dir(repo_root());
    for (key, value) in env {
        command.env(key, value);
    }
    run(command)
}

/// The terminal output was coloured (so the colour path ran) and only with plumbline's own
/// SGR codes: the check's own SGR (`ESC [8m` hides text, `ESC [31m` in the rule id) is escaped.
#[track_caller]
fn assert_terminal_clean(what: &str, output: &str) {
    assert_clean(what, output, true);
    assert!(output.contains("\u{1b}[1m") || output.contains("\u{1b}[0m"), "{what}: no colour at all:\n{output}");
    assert!(!output.contains("\u{1b}[8m") && !output.contains("\u{1b}[31m-rule"), "{what}: a check's SGR got through");
}

/// `--format FORMAT=PATH` for every format into `dir`, plus the paths.
fn every_format(dir: &Path) -> (Vec<String>, Vec<(&'static str, String)>) {
    let files: Vec<(&str, String)> =
        [("text", "report.txt"), ("json", "report.json"), ("sarif", "report.sarif"), ("junit", "junit.xml")]
            .into_iter()
            .chain([("markdown", "report.md"), ("html", "report.html")])
            .map(|(format, name)| (format, dir.join(name).display().to_string()))
            .collect();
    let args = files.iter().flat_map(|(format, path)| ["--format".to_string(), format!("{format}={path}")]).collect();
    (args, files)
}

/// Every report file is clean; returns the parsed JSON report.
fn assert_files_clean(files: &[(&str, String)]) -> serde_json::Value {
    let mut json = serde_json::Value::Null;
    for (format, path) in files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_clean(&format!("{format} file"), &text, false);
        match *format {
            "json" => json = serde_json::from_str(&text).expect("the JSON report parses"),
            "sarif" => {
                let log: serde_json::Value = serde_json::from_str(&text).expect("the SARIF log parses");
                for rule in log["runs"][0]["tool"]["driver"]["rules"].as_array().into_iter().flatten() {
                    let markdown = rule["help"]["markdown"].as_str().unwrap_or_default();
                    assert!(
                        !markdown.contains("![x](") && !markdown.contains("<img") && !markdown.contains("[click]("),
                        "SARIF help.markdown lets markup through: {markdown}"
                    );
                }
            }
            _ => {}
        }
    }
    json
}

#[test]
fn a_hostile_check_reaches_no_report_and_no_terminal_raw() {
    let cache = temp();
    let dir = temp();
    let plugin = guest("escapes");
    let snapshot = example("leaky-estate");
    let (format_args, files) = every_format(dir.path());
    let mut args = vec!["audit", "--no-bundled", "--plugin", &plugin, "--snapshot", &snapshot, "-vv"];
    args.extend(format_args.iter().map(String::as_str));
    args.extend(["--format", "text"]);

    let run = plumbline(cache.path(), &args);
    assert_eq!(run.code, 1, "critical findings fail the gate\n{}\n{}", run.stdout, run.stderr);
    assert_clean("text on stdout", &run.stdout, false);
    assert!(run.stdout.contains(&format!("message {SHOWN}")), "{}", run.stdout);
    assert_clean("log on stderr", &run.stderr, false);
    assert!(run.stderr.contains("pwned"), "the check's output is logged (-vv):\n{}", run.stderr);

    let json = assert_files_clean(&files);
    let check = check(&json, "hostile-escapes");
    assert_eq!(check["title"], format!("title {EVIL}"), "JSON keeps the exact strings");
    let finding = &check["findings"][0];
    assert_eq!(finding["subject"]["id"], format!("id0 {EVIL}"));
    assert_eq!(finding["message"], format!("message {EVIL}"));
    assert_eq!(check["notes"][0], format!("note {EVIL}"));

    // JSON on stdout: clean too, and exact.
    let run =
        plumbline(cache.path(), &["audit", "--no-bundled", "--plugin", &plugin, "--snapshot", &snapshot, "-f", "json"]);
    assert_clean("json on stdout", &run.stdout, false);
    assert_eq!(run.json()["checks"][0]["findings"][1]["subject"]["id"], format!("id1 {EVIL}"));

    // What the check says about itself.
    for command in [&["checks", "show", "hostile-escapes"][..], &["checks", "list"][..]] {
        let mut args = command.to_vec();
        args.extend(["--no-bundled", "--plugin", &plugin]);
        let run = plumbline(cache.path(), &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_clean(&command.join(" "), &run.stdout, false);
        assert!(run.stdout.contains(&format!("question {SHOWN}")), "{}", run.stdout);
    }
}

#[test]
fn on_a_terminal_only_plumblines_own_colour_gets_through() {
    let cache = temp();
    let plugin = guest("escapes");
    let snapshot = example("leaky-estate");
    let run =
        in_pty(cache.path(), &["audit", "--no-bundled", "--plugin", &plugin, "--snapshot", &snapshot, "-vv"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_terminal_clean("audit on a terminal", &run.stdout);
    assert!(run.stdout.contains(&format!("message {SHOWN}")), "{}", run.stdout);
    // The real verdict is the last line; no `\r` drew a fake one over it.
    let last = run.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert!(last.contains("FAILED"), "{last:?}");

    let run = in_pty(cache.path(), &["checks", "show", "hostile-escapes", "--no-bundled", "--plugin", &plugin], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_clean("checks show on a terminal", &run.stdout, true);
    assert!(run.stdout.contains(&format!("fix: remediation {SHOWN}")), "{}", run.stdout);
}

const MANAGEMENT: &str = "http://127.0.0.1:15672";

/// Percent-encodes every byte but the unreserved ones (a path segment of the management API).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn curl(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("curl")
        .args(["-fsS", "-u", "guest:guest", "--max-time", "10"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if out.status.success() { Ok(out.stdout) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_string()) }
}

/// A queue on the local RabbitMQ, created through the management API and deleted however the
/// test ends.
struct HostileQueue {
    url: String,
}

impl HostileQueue {
    fn create(name: &str) -> HostileQueue {
        if let Err(why) = curl(&[&format!("{MANAGEMENT}/api/overview")]) {
            panic!(
                "RabbitMQ's management API on {MANAGEMENT} (guest/guest) is not reachable ({why}); \
                 start the local services with `just services`"
            );
        }
        let queue = HostileQueue { url: format!("{MANAGEMENT}/api/queues/%2F/{}", encode(name)) };
        let body = r#"{"durable":false,"auto_delete":false}"#;
        curl(&["-X", "PUT", "-H", "content-type: application/json", "-d", body, &queue.url])
            .unwrap_or_else(|why| panic!("cannot create the queue: {why}"));
        let listed: serde_json::Value =
            serde_json::from_slice(&curl(&[&queue.url]).unwrap_or_else(|why| panic!("cannot read the queue: {why}")))
                .expect("the management API answers JSON");
        assert_eq!(listed["name"], name, "RabbitMQ kept the name as given");
        queue
    }
}

impl Drop for HostileQueue {
    fn drop(&mut self) {
        let _ = curl(&["-X", "DELETE", &self.url]);
    }
}

#[test]
fn a_live_queue_named_with_escape_sequences_is_shown_escaped() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!(
        "e2e.escapes-{}-{nanos}\u{1b}]0;pwned\u{7}\u{1b}[2K\u{1b}]52;c;aGk=\u{7}\u{9b}31m\u{202e}\u{8}\0\u{1b}[8mend",
        std::process::id()
    );
    let _queue = HostileQueue::create(&name);

    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[collect]
timeout-seconds = 20

[[sources.rabbitmq]]
name = "rabbit-live"
management-url = "{MANAGEMENT}"
amqp-url = "amqp://127.0.0.1:5672/%2f"
username = "guest"
password = "${{PLUMBLINE_E2E_RABBIT_PASSWORD}}"
"#
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let cache = temp();
    let env = [("PLUMBLINE_E2E_RABBIT_PASSWORD", "guest")];
    let (format_args, files) = every_format(dir.path());
    let mut args = vec!["audit", "--config", &config];
    args.extend(format_args.iter().map(String::as_str));
    args.extend(["--format", "text"]);

    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command
        .args(&args)
        .arg("--cache-dir")
        .arg(cache.path())
        .env("XDG_DATA_HOME", cache.path().join("no-data-home"))
        .env_remove("PLUMBLINE_LOG")
        .env_remove("PLUMBLINE_HISTORY")
        .env_remove("PLUMBLINE_PACK_STORE")
        .env_remove("PLUMBLINE_KEYS_DIR")
        .envs(env);
    let piped = run(command);
    assert_eq!(piped.code, 1, "the leaky queue fails the gate\n{}\n{}", piped.stdout, piped.stderr);
    assert_clean("text on stdout", &piped.stdout, false);
    assert_clean("log on stderr", &piped.stderr, false);
    assert!(
        piped.stdout.contains("\\x1b]0;pwned\\x07\\x1b[2K\\x1b]52;c;aGk=\\x07\\u009b31m\\u202e"),
        "{}",
        piped.stdout
    );

    let json = assert_files_clean(&files);
    let exact = json["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["findings"].as_array().into_iter().flatten())
        .any(|f| f["subject"]["id"].as_str().is_some_and(|id| id.contains(&name)));
    assert!(exact, "the JSON report holds the exact queue name:\n{json:#}");

    // `CI` hides the collection progress lines, which redraw themselves with `\r` and cursor
    // movements (collect/progress.rs); stdout and the log on stderr stay on the terminal.
    let terminal = in_pty(cache.path(), &args, &[env[0], ("CI", "1")]);
    assert_eq!(terminal.code, 1, "{}", terminal.stdout);
    assert_terminal_clean("audit on a terminal", &terminal.stdout);
}
